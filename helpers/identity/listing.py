"""What exists now: ask the local service about a token, or list the identities it holds.

Azure has neither API; there both say so (`available=False`, `complete=False`) instead of failing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpers.i18n import N_, _
from helpers.identity.errors import InvalidInput, describe_error, one_line
from helpers.identity.operations import now
from helpers.identity.types import IdentityListing, IssuedToken, ListedIdentity, TokenCheck
from helpers.tokens import TokenFormatError, parse_expires_on

_NO_INTROSPECTION = N_(
    "Azure has no token-introspection API: a token is only checked when Chat or Calling uses it."
)


def _admin_for(client: Any) -> Any:
    from helpers.connection import backend_of

    backend = backend_of(client)
    return backend.admin() if backend is not None else None


def check_token(client: Any, token: str, admin: Any = None) -> TokenCheck:
    """Ask the local service whether a token would be accepted now, and why.

    Only the local service can answer; on Azure this returns `available=False` with a
    sentence explaining why, instead of failing.
    """
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput(_("No token given."), hint=_("Issue a token first, or paste one."))
    admin = admin if admin is not None else _admin_for(client)
    if admin is None:
        return TokenCheck("unknown", _(_NO_INTROSPECTION), available=False)
    try:
        report = admin.introspect(token.strip())
    except Exception as err:  # the admin client speaks HTTP too; same translation
        raise describe_error(err, client) from None
    expires = report.get("expiresAt")
    try:
        expires_at = parse_expires_on(expires) if expires is not None else None
    except TokenFormatError:
        expires_at = None
    return TokenCheck(
        status=str(report.get("status", "unknown")),
        reason=one_line(report.get("reason") or ""),
        available=True,
        identity_id=report.get("identity"),
        scopes=tuple(report.get("scopes") or ()),
        expires_at=expires_at,
    )


_ONLY_THIS_SESSION = N_(
    "Azure has no API to list identities: only the ones this session made are known. "
    "Keep your own list of the ids you create."
)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _token_status(
    client: Any,
    issued: IssuedToken,
    revoked_here: datetime | None,
    revoked_at_service: datetime | None,
    admin: Any,
) -> str | None:
    if issued.expires_at <= now():
        return "expired"
    received = issued.received_at
    if revoked_here is not None and received is not None and received <= revoked_here:
        return "revoked"
    if admin is None:
        return None  # Azure: a revocation made elsewhere can't be seen
    if revoked_at_service is None:
        return "valid"
    # Revoked at some point (maybe in a code cell): the service knows which side this token is on.
    return check_token(client, issued.token, admin=admin).status


def list_identities(client: Any, session: Any = None, admin: Any = None) -> IdentityListing:
    """Every identity the service holds for this lab (the local service lists them, including
    ones made in code cells); on Azure, only the ones `session` made.

    `session` is a `forms.LabSession` (or any object with `identities`, and optionally
    `latest_tokens` and `revocations`), or just a list of ids; it supplies each identity's latest
    token so the listing can say whether that token is valid, revoked or expired.
    """
    known = list(getattr(session, "identities", session) or ())
    tokens = dict(getattr(session, "latest_tokens", {}) or {})
    revocations = dict(getattr(session, "revocations", {}) or {})
    admin = admin if admin is not None else _admin_for(client)
    if admin is None:
        rows = [{"id": i} for i in known]
        deleted = 0
    else:
        try:
            listed = admin.identities()
        except Exception as err:  # the admin client speaks HTTP too; same translation
            raise describe_error(err, client) from None
        rows = [r for r in listed if not r.get("deletedAt")]
        deleted = len(listed) - len(rows)
    entries = []
    for row in rows:
        identity_id = str(row["id"])
        revoked_at = _parse_time(row.get("revokedAt"))
        issued = tokens.get(identity_id)
        status = None
        if issued is not None:
            status = _token_status(client, issued, revocations.get(identity_id), revoked_at, admin)
        entries.append(
            ListedIdentity(
                identity_id,
                in_session=identity_id in known,
                created_at=_parse_time(row.get("createdAt")),
                revoked_at=revoked_at,
                latest_token=issued,
                token_status=status,
            )
        )
    if admin is None:
        return IdentityListing(tuple(entries), complete=False, note=_(_ONLY_THIS_SESSION))
    note = _("The local service lists every identity it holds, including ones made in code cells.")
    return IdentityListing(tuple(entries), complete=True, note=note, deleted=deleted)
