"""Input checks made before any request, so a typo never costs a round trip.

Each raises `InvalidInput` (a `LabError`) naming what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from helpers.i18n import _
from helpers.identity.errors import ID_EXAMPLE, LOOKS_LIKE, InvalidInput, one_line

ALL_SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
MIN_MINUTES = 60
MAX_MINUTES = 1440
# What the service uses when no expiry is sent (24 hours).
DEFAULT_MINUTES = MAX_MINUTES
# Far beyond any lifetime, yet well inside what a timedelta (and a JSON number) can hold.
_LARGEST_MINUTES = 10**9


# The resource part is the resource's GUID; the part after '_' is opaque to clients.
_IDENTITY_ID = re.compile(
    r"^8:(?:acs|dod-acs|gcch-acs|spool):"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"_[0-9A-Za-z_.-]+$"
)


def validate_scopes(scopes: Iterable[Any] | str | None) -> tuple[str, ...]:
    """Return the scopes as lower-case strings in order, or raise InvalidInput saying why."""
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    # CommunicationTokenScope members are str subclasses; .value gives the plain text.
    names = [str(getattr(s, "value", s)).strip().lower() for s in (scopes or [])]
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        raise InvalidInput(
            _("No scope chosen."), hint=_("Pick at least one scope, for example chat or voip.")
        )
    unknown = [n for n in names if n not in ALL_SCOPES]
    if unknown:
        raise InvalidInput(
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
    """Return whole minutes, None for "service default", or raise InvalidInput.

    The range (60..1440) is deliberately not checked here: the service checks it, and a learner
    sees the service's own validation error, as their own code would get it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = _to_minutes(value)
    except (ValueError, TypeError):
        raise InvalidInput(
            _("Expiry {value} is not a whole number of minutes.").format(
                value=repr(one_line(value, 40))
            ),
            hint=_("Give minutes (e.g. 90) or hours and minutes (e.g. 1h 30m)."),
        ) from None
    if abs(minutes) > _LARGEST_MINUTES:
        # Python's timedelta can't even hold it, so no request could carry it.
        raise InvalidInput(
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
        raise InvalidInput(
            _("No identity chosen."),
            hint=_("Create an identity first, or paste an id like {example}.").format(
                example=_(ID_EXAMPLE)
            ),
        )
    if _IDENTITY_ID.match(text):
        return text
    shown = one_line(text, 40)
    if text.startswith("eyJ"):
        hint = _("That looks like an access token; paste the identity id instead.")
    elif text.startswith("acs:"):
        hint = _("Add the leading '8:' (a token's skypeid claim omits it).")
    else:
        hint = _(LOOKS_LIKE).format(example=_(ID_EXAMPLE))
    raise InvalidInput(_("{value} is not an ACS identity id.").format(value=repr(shown)), hint=hint)


# Teams users: the two GUIDs the Teams exchange takes.
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def validate_guid(value: Any, what: str, hint: str) -> str:
    """Return `value` as a GUID string, or raise InvalidInput naming `what` it should be."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise InvalidInput(_("No {what} given.").format(what=_(what)), hint=_(hint))
    if not _GUID.match(text):
        raise InvalidInput(
            _("{value} is not a valid {what}.").format(
                value=repr(one_line(text, 40)), what=_(what)
            ),
            hint=_(hint),
        )
    return text
