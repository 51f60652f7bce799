"""What a client app does with a token: small helpers for lesson 05's client section.

* ``to_access_token(result)`` - the identity SDK (1.5.0) hands ``expires_on`` over as the text the
  service sent; ``CommunicationTokenCredential`` compares it with the clock as epoch seconds.
  Your client turns your server's answer into that shape.
* ``aged_copy(token, minutes_left)`` - a copy of a token whose expiry claim says it runs out in
  ``minutes_left`` minutes. Its signature no longer matches, so no service accepts it; it only
  lets the lesson show *offline* what the credential does near expiry, without waiting an hour.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from azure.core.credentials import AccessToken

from helpers.i18n import _
from helpers.tokens import TokenFormatError, parse_expires_on

__all__ = ["aged_copy", "to_access_token"]


def to_access_token(result: Any) -> AccessToken:
    """`AccessToken(token, expires_on as int epoch seconds)` from a get_token result."""
    token = getattr(result, "token", None)
    if not isinstance(token, str):
        raise TypeError(
            _("Expected the result of get_token: an object with .token and .expires_on.")
        )
    return AccessToken(token, int(parse_expires_on(result.expires_on).timestamp()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def aged_copy(token: str, minutes_left: float, now: float | None = None) -> str:
    """The token with `exp` moved to `minutes_left` minutes from now (signature left as is)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise TokenFormatError(_("That is not a JWT: expected 3 parts separated by dots."))
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        raise TokenFormatError(_("The token's payload is not base64url JSON.")) from None
    now = time.time() if now is None else now
    claims["exp"] = int(now + minutes_left * 60)
    encoded = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    # The credential decodes the payload with standard base64, which has no '-' or '_'. ASCII
    # JSON only yields them for '>', '?', '~' (none appear in ACS claims): refuse rather than
    # hand back a token the credential would reject with a puzzling error.
    if "-" in encoded or "_" in encoded:
        raise TokenFormatError(_("The token's claims can't be re-encoded for the credential."))
    return ".".join([parts[0], encoded, parts[2]])
