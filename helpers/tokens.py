"""Look inside an ACS access token, for display only (no network, no signature check).

Microsoft says apps shouldn't depend on the token format or its claims: it isn't part of the
API contract and can change. This module exists to *teach* what a token carries, so it reads
the claims it knows, explains them, and shows anything else as "not explained here".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from helpers.i18n import N_, _, ngettext

__all__ = [
    "SCOPE_MEANINGS",
    "TokenAnatomy",
    "TokenFormatError",
    "decode_token",
    "describe_duration",
    "mask_token",
    "parse_expires_on",
]

# One sentence per scope, worded after the ACS docs; forms reuse these as tooltips.
SCOPE_MEANINGS = {
    "chat": N_("Use the Chat APIs: create chat threads and send and read messages."),
    "voip": N_("Use the Calling APIs: start and receive voice and video calls."),
    "chat.join": N_(
        "Use chats the identity is added to, without creating, deleting or updating chat threads."
    ),
    "chat.join.limited": N_("Like chat.join, but also without adding or removing participants."),
    "voip.join": N_(
        "Join calls in progress and Rooms calls the identity is invited to; not start other calls."
    ),
}

# What each known claim means, for the anatomy table. Only iat and exp are standard JWT claims
# (RFC 7519); the rest is what ACS tokens were observed to carry, not a contract: "your
# application shouldn't depend on the token format or its claims" (identity-model docs,
# https://learn.microsoft.com/azure/communication-services/concepts/identity-model#access-tokens).
_CLAIM_MEANINGS = {
    "skypeid": N_("The identity this token was issued to (its id without the leading '8:')."),
    "scp": N_("Observed: 1792 in every recorded ACS user token; its meaning is not documented."),
    "csi": N_("Observed: the issue time again, as text; not documented."),
    "iat": N_("Issued at: when the service created the token."),
    "exp": N_("Expires at: after this moment every service rejects the token."),
    "acsScope": N_("Scopes: what the token lets a client do."),
    "resourceId": N_("The Communication Services resource that issued the token."),
    "resourceLocation": N_("Observed: where that resource keeps its data; not documented."),
    "rgn": N_("Observed: a short code of the resource's region; not documented."),
}
_UNKNOWN_CLAIM = N_(
    "A claim this lab doesn't explain (the token format can change without notice)."
)


class TokenFormatError(ValueError):
    """The text given is not a readable JWT; the message says why in one line."""


def mask_token(token: str | None) -> str:
    """Show a token safely: its first 10 characters, an ellipsis and its length."""
    if not token:
        return _("(no token)")
    # A very short "token" would be shown whole by the prefix, so show only its length.
    prefix = token[:10] if len(token) > 20 else ""
    length = ngettext("({count} char)", "({count} chars)", len(token)).format(count=len(token))
    return f"{prefix}…{length}"


def describe_duration(delta: timedelta) -> str:
    """Say a duration the way a person would: '23 h 59 min', '45 s', 'expired 2 min ago'."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return _("expired {duration} ago").format(duration=describe_duration(-delta))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


_EXPIRES_ON = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d+))?\s*(?P<offset>Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_expires_on(raw: str | int | float | datetime) -> datetime:
    """Turn the service's ``expiresOn`` into an aware datetime.

    The service sends up to 7 fractional digits (``2026-11-24T10:00:00.0000000+00:00``), which
    Python 3.10's ``fromisoformat`` refuses, so the fraction is cut to microseconds here. A time
    without an offset is taken as UTC; a number is taken as Unix seconds.
    """
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=timezone.utc)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, tz=timezone.utc)
    match = _EXPIRES_ON.match(str(raw).strip())
    if not match:
        raise TokenFormatError(
            _("Can't read the expiry time {value}: expected ISO 8601.").format(value=repr(str(raw)))
        )
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    offset = match["offset"] or "+00:00"
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    except ValueError as err:
        raise TokenFormatError(
            _("Can't read the expiry time {value}: {error}.").format(
                value=repr(str(raw)), error=err
            )
        ) from None


def _utc_from_claim(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class TokenAnatomy:
    """What a decoded ACS token says about itself."""

    header: dict[str, Any]
    claims: dict[str, Any]
    identity_id: str | None
    scopes: list[str] = field(default_factory=list)
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    resource_id: str | None = None
    location: str | None = None

    @property
    def lifetime(self) -> timedelta | None:
        """How long the token was made to live (expiry minus issue time)."""
        if self.issued_at is None or self.expires_at is None:
            return None
        return self.expires_at - self.issued_at

    def time_left(self, now: datetime | None = None) -> timedelta | None:
        """Time until expiry (negative once expired); None if the token has no ``exp``."""
        if self.expires_at is None:
            return None
        return self.expires_at - (now or datetime.now(timezone.utc))

    @staticmethod
    def headers() -> tuple[str, str, str]:
        """The column titles of `rows()`, in the learner's language."""
        return (_("Claim"), _("Value"), _("Meaning"))

    def rows(self) -> list[tuple[str, str, str]]:
        """(claim, value, plain-English meaning) for each claim, in the token's own order."""
        table = []
        for claim, value in self.claims.items():
            shown = value if isinstance(value, str) else json.dumps(value)
            moment = _utc_from_claim(value) if claim in ("iat", "exp") else None
            if moment is not None:
                shown = f"{value} ({_format_time(moment)})"
            meaning = _(_CLAIM_MEANINGS.get(claim, _UNKNOWN_CLAIM))
            if claim == "exp" and self.lifetime is not None:
                meaning = _("{meaning} Lifetime: {duration}.").format(
                    meaning=meaning, duration=describe_duration(self.lifetime)
                )
            table.append((claim, str(shown), meaning))
        return table


# Whole sentences per part of the token (not "The token's {part} ..."), so each translates well.
_SEGMENT_PROBLEMS = {
    "header": (
        N_("The token's header is not valid base64url."),
        N_("The token's header is not JSON."),
        N_("The token's header is JSON but not an object."),
    ),
    "payload": (
        N_("The token's payload is not valid base64url."),
        N_("The token's payload is not JSON."),
        N_("The token's payload is JSON but not an object."),
    ),
}


def _decode_segment(segment: str, part: str) -> dict[str, Any]:
    # JWTs use unpadded base64url; add the padding back before decoding.
    # validate=True so stray characters are an error rather than silently dropped.
    padded = segment.replace("-", "+").replace("_", "/") + "=" * (-len(segment) % 4)
    try:
        raw = base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise TokenFormatError(_(_SEGMENT_PROBLEMS[part][0])) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TokenFormatError(_(_SEGMENT_PROBLEMS[part][1])) from None
    if not isinstance(data, dict):
        raise TokenFormatError(_(_SEGMENT_PROBLEMS[part][2]))
    return data


def decode_token(token: str) -> TokenAnatomy:
    """Read a token's header and claims WITHOUT verifying its signature.

    Only for learning: ACS's token format is not a contract, and an unverified token proves
    nothing. Raises TokenFormatError (one line) if the text is not a JWT.
    """
    if not isinstance(token, str) or not token.strip():
        raise TokenFormatError(_("No token given: paste the whole token (it starts with 'eyJ')."))
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenFormatError(
            _("That is not a JWT: expected 3 parts separated by dots, found {count}.").format(
                count=len(parts)
            )
        )
    header = _decode_segment(parts[0], "header")
    claims = _decode_segment(parts[1], "payload")

    skype_id = claims.get("skypeid")
    raw_scopes = claims.get("acsScope") or ""
    scopes = [s.strip() for s in str(raw_scopes).split(",") if s.strip()]
    return TokenAnatomy(
        header=header,
        claims=claims,
        # The identity id the SDK shows is the skypeid with the '8:' prefix put back.
        identity_id=f"8:{skype_id}" if isinstance(skype_id, str) and skype_id else None,
        scopes=scopes,
        issued_at=_utc_from_claim(claims.get("iat")),
        expires_at=_utc_from_claim(claims.get("exp")),
        resource_id=claims.get("resourceId"),
        location=claims.get("resourceLocation") or claims.get("rgn"),
    )
