"""The lab's service layer: every form goes through these functions to reach the ACS SDK.

Each function checks its inputs first (so a typo never costs a round trip), makes one SDK call,
and returns a small frozen dataclass. Anything that goes wrong becomes a `LabError` whose text
is one line saying what happened and what to do next: no tracebacks, never the access key.
"""

from __future__ import annotations

import inspect
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.communication.identity import CommunicationUserIdentifier
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from helpers.i18n import N_, _
from helpers.tokens import TokenFormatError, decode_token, mask_token, parse_expires_on

__all__ = [
    "ALL_SCOPES",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "Deleted",
    "Identity",
    "IdentityListing",
    "IssuedToken",
    "LabError",
    "ListedIdentity",
    "Revoked",
    "SdkCall",
    "TeamsUserToken",
    "TokenCheck",
    "check_token",
    "create_identity",
    "create_identity_and_token",
    "delete_identity",
    "describe_error",
    "exchange_teams_token",
    "issue_token",
    "list_identities",
    "refresh_token",
    "revoke_tokens",
    "validate_expiry_minutes",
    "validate_guid",
    "validate_identity_id",
    "validate_scopes",
]

ALL_SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
MIN_MINUTES = 60
MAX_MINUTES = 1440
# What the service uses when no expiry is sent (24 hours).
DEFAULT_MINUTES = MAX_MINUTES
# Far beyond any lifetime, yet well inside what a timedelta (and a JSON number) can hold.
_LARGEST_MINUTES = 10**9


class LabError(Exception):
    """A failure explained in one line: what is wrong, then (in `hint`) what to do."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
        call: SdkCall | None = None,
    ):
        self.message = _one_line(message)
        self.hint = _one_line(hint) if hint else None
        self.status = status
        self.code = code
        # The SDK call that was sent and failed (None when the input was refused before sending).
        self.call = call
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: a learner sees one line, not our frames.
        return [f"{type(self).__name__}: {self}"]


def _one_line(text: Any, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SdkCall:
    """One call on the SDK client exactly as the lab made it: method name and arguments.

    The arguments are the very objects passed to the SDK (a `CommunicationUserIdentifier`, the
    scope list, a `timedelta`), so `run()` makes the same call the forms show as code. The key is
    never an argument; the one token argument (the Teams exchange's) is shown by name (`shown_as`).
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    # Argument positions shown as a variable name, not a value: the Teams exchange takes the
    # user's Entra token, which must never be shown.
    shown_as: tuple[tuple[int, str], ...] = ()

    def run(self, client: Any) -> Any:
        return getattr(client, self.method)(*self.args, **dict(self.kwargs))


@dataclass(frozen=True)
class Identity:
    """An ACS identity (a user of your app, as ACS knows it)."""

    id: str
    # The SDK call that made it; left out of repr and equality (an id is an id).
    call: SdkCall | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, repr=False)
class IssuedToken:
    """An access token and its expiry. `repr`/`str` show it masked, never whole."""

    identity_id: str
    token: str
    expires_on_raw: str
    expires_at: datetime
    scopes: tuple[str, ...]
    lifetime_minutes: int
    call: SdkCall | None = field(default=None, compare=False)
    # When this process got the token: orders it against a revocation made here (see LabSession).
    received_at: datetime | None = field(default=None, compare=False)

    @property
    def masked(self) -> str:
        return mask_token(self.token)

    def __repr__(self) -> str:
        return (
            f"IssuedToken(identity_id={self.identity_id!r}, token={self.masked!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, scopes={self.scopes!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class Revoked:
    """Proof that all tokens of an identity issued before `at` were revoked."""

    identity_id: str
    at: datetime
    call: SdkCall | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Deleted:
    """Proof that an identity was deleted (its tokens were revoked with it)."""

    identity_id: str
    at: datetime
    call: SdkCall | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
class TeamsUserToken:
    """An ACS access token of a Teams user, from the Teams exchange. Masked in `repr`/`str`."""

    user_object_id: str
    client_id: str
    token: str
    expires_on_raw: str
    expires_at: datetime
    # The SDK call that made it (the Entra token shown by name only).
    call: SdkCall | None = field(default=None, repr=False, compare=False)

    @property
    def identity_id(self) -> str:
        """The Teams user as ACS names them (a Teams user is not an `8:acs:` identity)."""
        return f"8:orgid:{self.user_object_id}"

    @property
    def masked(self) -> str:
        return mask_token(self.token)

    def __repr__(self) -> str:
        return (
            f"TeamsUserToken(identity_id={self.identity_id!r}, token={self.masked!r}, "
            f"expires_at={self.expires_at.isoformat()!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class TokenCheck:
    """What the local service says about a token; `available` is False on Azure."""

    status: str
    reason: str
    available: bool
    identity_id: str | None = None
    scopes: tuple[str, ...] = field(default_factory=tuple)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ListedIdentity:
    """One identity that exists now, and what this session knows about its latest token.

    `token_status` is "valid", "revoked" or "expired" for the session's latest token, or None
    when the session holds no token for it (or, on Azure, can't tell whether it still works).
    """

    id: str
    in_session: bool
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    latest_token: IssuedToken | None = None
    token_status: str | None = None


@dataclass(frozen=True)
class IdentityListing:
    """The identities that exist now. `complete` is False on Azure, which has no list API:
    there only the identities this session made are known, and `note` says so."""

    identities: tuple[ListedIdentity, ...]
    complete: bool
    note: str
    deleted: int = 0  # deleted identities the local service still remembers (not listed)


# --------------------------------------------------------------------------- validation

# The resource part is the resource's GUID; the part after '_' is opaque to clients.
_IDENTITY_ID = re.compile(
    r"^8:(?:acs|dod-acs|gcch-acs|spool):"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"_[0-9A-Za-z_.-]+$"
)
_ID_EXAMPLE = N_("8:acs:<resource id>_<identity>")


def validate_scopes(scopes: Iterable[Any] | str | None) -> tuple[str, ...]:
    """Return the scopes as lower-case strings in order, or raise LabError naming the problem."""
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    # CommunicationTokenScope members are str subclasses; .value gives the plain text.
    names = [str(getattr(s, "value", s)).strip().lower() for s in (scopes or [])]
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        raise LabError(
            _("No scope chosen."), hint=_("Pick at least one scope, for example chat or voip.")
        )
    unknown = [n for n in names if n not in ALL_SCOPES]
    if unknown:
        raise LabError(
            _("Unknown scope {scopes}.").format(scopes=", ".join(repr(u) for u in unknown)),
            hint=_("Use one of: {scopes}.").format(scopes=", ".join(ALL_SCOPES)),
        )
    return tuple(names)


_HOURS_MINUTES = re.compile(
    r"^(?:(?P<h>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d+)\s*m(?:in(?:utes?)?)?)?$", re.I
)


def _to_minutes(value: Any) -> int:
    """Read minutes from an int, a timedelta, (hours, minutes), '90', '1:30' or '1h 30m'."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds % 60:
            raise ValueError
        return int(seconds // 60)
    if isinstance(value, tuple) and len(value) == 2:
        hours, minutes = (_to_minutes(v) for v in value)
        return hours * 60 + minutes
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"\d+:\d{1,2}", text):
            hours, minutes = text.split(":")
            return int(hours) * 60 + int(minutes)
        match = _HOURS_MINUTES.match(text)
        if text and match and (match["h"] or match["m"]):
            return int(match["h"] or 0) * 60 + int(match["m"] or 0)
    raise ValueError


def validate_expiry_minutes(value: Any) -> int | None:
    """Return whole minutes, None for "service default", or raise LabError.

    The range (60..1440) is deliberately not checked here: the service checks it, and a learner
    sees the service's own validation error, as their own code would get it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = _to_minutes(value)
    except (ValueError, TypeError):
        raise LabError(
            _("Expiry {value} is not a whole number of minutes.").format(
                value=repr(_one_line(value, 40))
            ),
            hint=_("Give minutes (e.g. 90) or hours and minutes (e.g. 1h 30m)."),
        ) from None
    if abs(minutes) > _LARGEST_MINUTES:
        # Python's timedelta can't even hold it, so no request could carry it.
        raise LabError(
            _("Expiry of {minutes} minutes is too large to send.").format(minutes=minutes),
            hint=_("The service accepts {minimum} to {maximum} minutes (1 to 24 hours).").format(
                minimum=MIN_MINUTES, maximum=MAX_MINUTES
            ),
        )
    return minutes


def validate_identity_id(identity: Any) -> str:
    """Return a well-formed raw identity id (from a str, Identity or SDK identifier)."""
    raw = getattr(identity, "raw_id", None) or getattr(identity, "id", None) or identity
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise LabError(
            _("No identity chosen."),
            hint=_("Create an identity first, or paste an id like {example}.").format(
                example=_(_ID_EXAMPLE)
            ),
        )
    if _IDENTITY_ID.match(text):
        return text
    shown = _one_line(text, 40)
    if text.startswith("eyJ"):
        hint = _("That looks like an access token; paste the identity id instead.")
    elif text.startswith("acs:"):
        hint = _("Add the leading '8:' (a token's skypeid claim omits it).")
    else:
        hint = _(_LOOKS_LIKE).format(example=_(_ID_EXAMPLE))
    raise LabError(_("{value} is not an ACS identity id.").format(value=repr(shown)), hint=hint)


# --------------------------------------------------------------------------- error translation

_UNREACHABLE_HINT = N_("Re-run the connect cell (helpers.connect()) to restart the local service.")
_KEY_HINT = N_(
    "Check COMMUNICATION_SERVICES_CONNECTION_STRING in .env, and this computer's clock "
    "(signed requests more than 15 minutes off are refused)."
)
_ENTRA_HINT = N_(
    "Sign in again (az login) and check your role on the Communication Services resource."
)
_LOCAL_ENTRA_HINT = N_(
    "Re-run connect(entra_id=True): the local managed identity's variables change on every start."
)

_LOOKS_LIKE = N_("An ACS identity id looks like {example}.")

# The single place that turns a service error code into a lab message: (message, hint).
# None as the message means "use the service's own message" (it is already specific).
_SERVICE_ERRORS: dict[str, tuple[str | None, str | None]] = {
    "IdentityNotFound": (
        N_("That identity doesn't exist (it was deleted or never created here)."),
        N_("Create a new identity and try again."),
    ),
    "IdentityNotOwned": (
        N_("That identity belongs to another Communication Services resource."),
        N_("Use an identity created with this connection, or create a new one."),
    ),
    "ValidationError": (None, None),
    "InvalidIdentity": (None, _LOOKS_LIKE),
    "Denied": (N_("The service rejected the access key."), _KEY_HINT),
    "InvalidAccessToken": (
        N_("The service rejected the Teams user's Entra ID token."),
        N_("Get a fresh token for that Teams user and try again."),
    ),
}
# Used when the code is missing or unknown: by HTTP status.
_STATUS_ERRORS: dict[int, tuple[str, str | None]] = {
    400: (N_("The service refused the request as invalid."), None),
    401: (N_("The service rejected the access key."), _KEY_HINT),
    403: (
        N_("This credential isn't allowed to do that."),
        N_("Check the role or key you connect with."),
    ),
    404: (
        N_("The service doesn't know that identity."),
        N_("Create a new identity and try again."),
    ),
    429: (N_("Too many requests."), N_("Wait a few seconds and try again.")),
}


def endpoint_of(client: Any) -> str | None:
    endpoint = getattr(client, "_endpoint", None) or getattr(client, "url", None)
    return str(endpoint).rstrip("/") if endpoint else None


def _chain(err: BaseException) -> Iterable[BaseException]:
    """The error and everything it wraps (azure-core keeps the transport error inside)."""
    seen: set[int] = set()
    todo = [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(
            [current.__cause__, current.__context__, getattr(current, "inner_exception", None)]
        )
        todo.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))


def _is_ssl_problem(err: BaseException) -> bool:
    return any(
        isinstance(e, ssl.SSLError)
        or type(e).__name__ == "SSLError"
        or "CERTIFICATE_VERIFY_FAILED" in str(e)
        for e in _chain(err)
    )


def _from_service(status: int | None, code: str | None, said: str, reason: str = "") -> LabError:
    """Look the error code up in the table, falling back to the HTTP status."""
    said = _one_line(said or reason or _("no details"))
    if code in _SERVICE_ERRORS:
        message, hint = _SERVICE_ERRORS[code]
        # The service's own message stays as the service wrote it (English, as in the docs).
        return LabError(_(message) if message else said, hint=_say(hint), status=status, code=code)
    fallback = (
        _("The service answered {status} {reason}").format(status=status, reason=reason).strip()
        + ".",
        None,
    )
    message, hint = _STATUS_ERRORS.get(status or 0, fallback)
    # Show what the service said too, since the status alone rarely explains it.
    return LabError(
        _("{message} The service said: {said}").format(message=_(message), said=said),
        hint=_say(hint),
        status=status,
        code=code,
    )


def _say(hint: str | None) -> str | None:
    """A hint from the tables above, in the notebook's language."""
    return _(hint).format(example=_(_ID_EXAMPLE)) if hint else None


def describe_error(err: BaseException, client: Any = None) -> LabError:
    """Translate any failure from the SDK into a LabError (one line, never the key)."""
    if isinstance(err, LabError):
        return err
    endpoint = endpoint_of(client)
    where = _(" at {endpoint}").format(endpoint=endpoint) if endpoint else ""
    if isinstance(err, HttpResponseError) and err.status_code is not None:
        error = getattr(err, "error", None)
        said = getattr(error, "message", None) or ""
        lab_error = _from_service(
            err.status_code, getattr(error, "code", None), said, err.reason or ""
        )
        if lab_error.hint == _(_KEY_HINT) and _signs_in_with_entra(client):
            # No key is involved: the bearer token (or the role behind it) was refused.
            hint = _(_LOCAL_ENTRA_HINT if _is_local(client) else _ENTRA_HINT)
            return LabError(_("The service rejected the Entra ID sign-in."), hint=hint,
                            status=lab_error.status, code=lab_error.code)  # fmt: skip
        return lab_error
    if isinstance(getattr(err, "status", None), int) and isinstance(
        getattr(err, "code", None), str
    ):
        # The emulator's admin client reports errors as (status, code, message) too.
        return _from_service(err.status, err.code, str(getattr(err, "message", "")))
    if isinstance(err, ClientAuthenticationError):
        # No HTTP status: the credential itself (Entra ID) failed before any request.
        return LabError(
            _("Couldn't sign in: {error}").format(error=_one_line(err.message, 160)),
            hint=_("Run `az login` (or check the Entra ID settings) and reconnect."),
        )
    network = (ServiceRequestError, ServiceResponseError, OSError)
    if isinstance(err, network) and _is_ssl_problem(err):
        return LabError(
            _("The service{where} has a certificate Python doesn't trust.").format(where=where),
            hint=_("Reconnect with helpers.connect() so the local CA is trusted again."),
        )
    timeouts = (ServiceRequestTimeoutError, ServiceResponseTimeoutError, TimeoutError)
    if isinstance(err, timeouts) or (isinstance(err, OSError) and "Timeout" in type(err).__name__):
        return LabError(
            _("The service{where} didn't answer in time.").format(where=where),
            hint=_(_UNREACHABLE_HINT),
        )
    if isinstance(err, network):
        return LabError(
            _("Can't reach the service{where} — is it running?").format(where=where),
            hint=_(_UNREACHABLE_HINT),
        )
    return LabError(
        _("Unexpected error: {kind}: {error}").format(
            kind=type(err).__name__, error=_one_line(err, 200)
        )
    )


def _is_local(client: Any) -> bool:
    from helpers.connection import backend_of

    backend = backend_of(client) if client is not None else None
    return backend is not None and backend.kind == "emulator"


def _signs_in_with_entra(client: Any) -> bool:
    from helpers.connection import backend_of

    backend = backend_of(client) if client is not None else None
    return backend is not None and backend.auth == "Entra ID"


def _call(client: Any, call: SdkCall) -> Any:
    """Make one SDK call, turning its failures into a LabError that remembers the call."""
    if inspect.iscoroutinefunction(getattr(client, "create_user", None)):
        raise LabError(
            _("This is the async client; the lab's helpers use the sync one."),
            hint=_("Use helpers.connect() without use_async=True for the forms."),
        )
    try:
        return call.run(client)
    except Exception as err:  # translated, not swallowed: the caller gets a LabError
        lab_error = describe_error(err, client)
        if lab_error.call is None:
            lab_error.call = call
        raise lab_error from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- operations


def _issued(
    identity_id: str,
    access_token: Any,
    scopes: tuple[str, ...],
    minutes: int | None,
    call: SdkCall,
) -> IssuedToken:
    received_at = _now()
    raw = str(access_token.expires_on)
    expires_at = parse_expires_on(access_token.expires_on)
    lifetime = minutes
    if lifetime is None:
        try:
            span = decode_token(access_token.token).lifetime
            lifetime = round(span.total_seconds() / 60) if span else DEFAULT_MINUTES
        except TokenFormatError:
            lifetime = DEFAULT_MINUTES
    return IssuedToken(
        identity_id, access_token.token, raw, expires_at, scopes, lifetime, call, received_at
    )


def _expiry_kwargs(minutes: int | None) -> tuple[tuple[str, Any], ...]:
    return () if minutes is None else (("token_expires_in", timedelta(minutes=minutes)),)


def create_identity(client: Any) -> Identity:
    """Create a new ACS identity (no token yet)."""
    call = SdkCall("create_user")
    user = _call(client, call)
    return Identity(user.properties["id"], call)


def issue_token(
    client: Any, identity_id: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> IssuedToken:
    """Issue an access token for an existing identity (the service accepts 60..1440 minutes)."""
    identity_id = validate_identity_id(identity_id)
    scopes = validate_scopes(scopes)
    minutes = validate_expiry_minutes(expires_in_minutes)
    user = CommunicationUserIdentifier(identity_id)
    call = SdkCall("get_token", (user, list(scopes)), _expiry_kwargs(minutes))
    access_token = _call(client, call)
    return _issued(identity_id, access_token, scopes, minutes, call)


def create_identity_and_token(
    client: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> tuple[Identity, IssuedToken]:
    """Create an identity and its first token in one request."""
    scopes = validate_scopes(scopes)
    minutes = validate_expiry_minutes(expires_in_minutes)
    call = SdkCall("create_user_and_token", (list(scopes),), _expiry_kwargs(minutes))
    user, access_token = _call(client, call)
    identity = Identity(user.properties["id"], call)
    return identity, _issued(identity.id, access_token, scopes, minutes, call)


def refresh_token(
    client: Any, identity_id: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> IssuedToken:
    """Get a fresh token for an identity.

    ACS has no refresh operation: refreshing *is* issuing a new token for the same identity.
    The old token keeps working until it expires unless you revoke it.
    """
    return issue_token(client, identity_id, scopes, expires_in_minutes)


def revoke_tokens(client: Any, identity_id: Any) -> Revoked:
    """Revoke every token issued so far to the identity (the identity itself stays)."""
    identity_id = validate_identity_id(identity_id)
    call = SdkCall("revoke_tokens", (CommunicationUserIdentifier(identity_id),))
    _call(client, call)
    return Revoked(identity_id, _now(), call)


def delete_identity(client: Any, identity_id: Any) -> Deleted:
    """Delete the identity; its tokens stop working and it can't get new ones."""
    identity_id = validate_identity_id(identity_id)
    call = SdkCall("delete_user", (CommunicationUserIdentifier(identity_id),))
    _call(client, call)
    return Deleted(identity_id, _now(), call)


# --------------------------------------------------------------------------- Teams users

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CLIENT_ID_HINT = N_(
    "It is a GUID like 2c3e1e83-8fd7-4615-ad2b-b8c1229845ac: the Application (client) ID on "
    "the Entra app registration's Overview page."
)
_OBJECT_ID_HINT = N_(
    "It is a GUID like 32c0a5db-05ec-78ea-51ab-3f06b329397e: the signed-in user's object ID "
    "(result['id_token_claims']['oid'] after the MSAL sign-in)."
)
# The service's Teams-exchange messages that name a mismatch, and what to do about each.
_TEAMS_MISMATCH_HINTS = {
    "AAD application is not the expected one.": (
        N_(
            "The Entra token was issued to another application: pass the client ID of the app the "
            "user signed in to."
        )
    ),
    "Provided AAD token issued for unexpected user.": (
        N_("The Entra token belongs to another user: pass the object ID of the user who signed in.")
    ),
}


def validate_guid(value: Any, what: str, hint: str) -> str:
    """Return `value` as a GUID string, or raise LabError naming `what` it should be."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise LabError(_("No {what} given.").format(what=_(what)), hint=_(hint))
    if not _GUID.match(text):
        raise LabError(
            _("{value} is not a valid {what}.").format(
                value=repr(_one_line(text, 40)), what=_(what)
            ),
            hint=_(hint),
        )
    return text


def _check_entra_token(token: Any) -> str:
    text = "" if token is None else str(token).strip()
    if not text:
        raise LabError(
            _("No Entra ID token given."),
            hint=_("Sign the Teams user in first and use result['access_token']."),
        )
    if text.count(".") != 2:
        raise LabError(
            _("That is not a token: an Entra ID access token has three parts separated by '.'."),
            hint=_("Copy result['access_token'] from the Teams user's sign-in, whole."),
        )
    try:
        claims = decode_token(text).claims
    except TokenFormatError:
        claims = {}
    if "skypeid" in claims:
        raise LabError(
            _("That is an ACS access token, not the Teams user's Entra ID token."),
            hint=_("Use the token from the Teams user's sign-in (result['access_token'])."),
        )
    return text


def exchange_teams_token(
    client: Any, entra_token: Any, client_id: Any, user_object_id: Any
) -> TeamsUserToken:
    """Exchange a Teams user's Entra ID token for their ACS access token.

    One SDK call, `client.get_token_for_teams_user(entra_token, client_id, user_object_id)`:
    the service checks that the token is valid, was issued to `client_id` and belongs to
    `user_object_id`; the ACS token it returns expires with the Entra token.
    """
    token = _check_entra_token(entra_token)
    app = validate_guid(client_id, N_("application (client) ID"), _CLIENT_ID_HINT)
    user = validate_guid(user_object_id, N_("user object ID"), _OBJECT_ID_HINT)
    try:
        call = SdkCall("get_token_for_teams_user", (token, app, user), shown_as=((0, "aad_token"),))
        access_token = _call(client, call)
    except LabError as err:
        hint = _TEAMS_MISMATCH_HINTS.get(err.message)
        if hint is None:
            raise
        raise LabError(
            err.message, hint=_(hint), status=err.status, code=err.code, call=err.call
        ) from None
    raw = str(access_token.expires_on)
    return TeamsUserToken(user.lower(), app.lower(), access_token.token, raw,
                          parse_expires_on(access_token.expires_on), call)  # fmt: skip


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
        raise LabError(_("No token given."), hint=_("Issue a token first, or paste one."))
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
        reason=_one_line(report.get("reason") or ""),
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
    if issued.expires_at <= _now():
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
