"""Request authentication: ACS HMAC-SHA256 and bearer tokens from the local Entra stand-in."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import hmac
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from cryptography.hazmat.primitives import serialization

from .errors import Denied
from .state import ensure_state

MAX_SKEW = dt.timedelta(minutes=15)
ACS_SCOPE = "https://communication.azure.com//.default"
ENTRA_AUDIENCE = "https://communication.azure.com"
ENTRA_ISSUER = "https://login.acs-identity-lab.local/emulator/v2.0"
ENTRA_LIFETIME = 3600
# Entra ID access tokens live 60-90 minutes (up to 24 h with some policies); never longer.
MAX_BEARER_LIFETIME = 24 * 3600
_SCHEME = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
_AUTH_RE = re.compile(re.escape(_SCHEME) + r"&Signature=([A-Za-z0-9+/=]+)")


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _signature(key: bytes, string_to_sign: str) -> str:
    mac = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def sign_request(
    method: str, url: str, body_bytes: bytes, access_key: str, *, date: str | None = None
) -> dict[str, str]:
    """HMAC headers (plus Host) for a request, exactly as the Python SDK computes them."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    date = date or email.utils.formatdate(usegmt=True)
    sha = content_hash(body_bytes or b"")
    sts = f"{method.upper()}\n{target}\n{date};{parts.netloc};{sha}"
    sig = _signature(base64.b64decode(access_key), sts)
    return {
        "Host": parts.netloc,
        "x-ms-date": date,
        "x-ms-content-sha256": sha,
        "Authorization": f"{_SCHEME}&Signature={sig}",
    }


def verify_hmac_headers(
    method: str,
    target: str,
    headers,
    key: bytes,
    now: dt.datetime | None = None,
) -> str:
    """Raise Denied unless the headers carry a valid signature over the raw target; return the
    content hash they claim. Needs no body byte, so a request is authenticated before any of
    its body is stored (the body is then checked against the claimed hash as it streams)."""
    auth = headers.get("Authorization") or ""
    date = headers.get("x-ms-date") or ""
    sha = headers.get("x-ms-content-sha256")
    host = headers.get("Host") or ""
    m = _AUTH_RE.fullmatch(auth)
    if not m or not date or sha is None or not host:
        raise Denied()
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        raise Denied() from None
    if when.tzinfo is None or not date.rstrip().endswith("GMT"):
        raise Denied()
    now = now or dt.datetime.now(dt.timezone.utc)
    if abs(now - when) > MAX_SKEW:
        raise Denied()
    given = m.group(1).encode()
    # Every candidate is computed and compared, so the time taken says nothing about which.
    matches = [
        hmac.compare_digest(
            _signature(key, f"{method}\n{target}\n{date};{signed};{sha}").encode(), given
        )
        for signed in signed_hosts(host)
    ]
    if not any(matches):
        raise Denied()
    return sha


def signed_hosts(host: str) -> tuple[str, str]:
    """The host components a signature may cover: the Host header as received, and that plus
    "/". The Python SDK signs its endpoint as given minus the scheme, so an endpoint with a
    trailing slash, `CommunicationIdentityClient("https://h:p/", AzureKeyCredential(key))`,
    signs `h:p/` while it sends `Host: h:p` (a connection string's endpoint loses the slash
    first). The lab's choice (provenance.py): accept exactly that; the signature is still
    checked in full, over the received method, target, date and content hash."""
    return host, host + "/"


def verify_body_hash(claimed: str, body_digest: bytes) -> None:
    """Raise Denied unless the body's SHA-256 is the one the (already verified) signature
    covers. Only a holder of the key gets this far, so which check failed tells an attacker
    nothing."""
    actual = base64.b64encode(body_digest).decode("ascii")
    if not hmac.compare_digest(actual.encode(), claimed.encode("utf-8", "replace")):
        raise Denied()


def verify_hmac(
    method: str,
    target: str,
    headers,
    body: bytes,
    key: bytes,
    now: dt.datetime | None = None,
) -> None:
    """Raise Denied unless the request carries a valid signature over its raw target and body."""
    claimed = verify_hmac_headers(method, target, headers, key, now)
    verify_body_hash(claimed, hashlib.sha256(body).digest())


def verify_bearer(token: str, public_key) -> dict:
    """Raise Denied unless `token` was minted by this state dir's local Entra stand-in, with no
    longer a lifetime than Entra ID gives (24 h at most from iat/nbf to exp)."""
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=ENTRA_AUDIENCE,
            issuer=ENTRA_ISSUER,
            options={"require": ["exp", "iat", "aud", "iss"]},
        )
    except jwt.InvalidTokenError:
        raise Denied() from None
    # PyJWT accepts anything int() takes (a numeric string too); a time must be a JSON number,
    # and a bool is not one.
    times = [claims[k] for k in ("iat", "nbf") if k in claims]
    if any(isinstance(t, bool) or not isinstance(t, int | float) for t in [*times, claims["exp"]]):
        raise Denied()
    if claims["exp"] - min(times) > MAX_BEARER_LIFETIME:
        raise Denied()
    return claims


def decode_key(access_key: str) -> bytes:
    try:
        return base64.b64decode(access_key)
    except binascii.Error as exc:
        raise ValueError("access key is not base64") from exc


class LocalEntraCredential:
    """azure-core TokenCredential minting 1-hour tokens the emulator accepts as Entra ID tokens."""

    def __init__(self, state_dir: str | Path | None = None) -> None:
        state = ensure_state(state_dir)
        self._key = serialization.load_pem_private_key(
            state.entra_key_path.read_bytes(), password=None
        )
        self._tenant = state.resource_id

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        if list(scopes) != [ACS_SCOPE]:
            raise ClientAuthenticationError(
                f"LocalEntraCredential only issues tokens for the scope {ACS_SCOPE!r}."
            )
        now = int(time.time())
        claims = {
            "aud": ENTRA_AUDIENCE,
            "iss": ENTRA_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + ENTRA_LIFETIME,
            "tid": self._tenant,
            "oid": str(uuid.uuid4()),
            "sub": "local-emulator-user",
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, self._key, algorithm="RS256")
        return AccessToken(token, now + ENTRA_LIFETIME)

    def close(self) -> None:
        """Nothing to release; present for the TokenCredential protocol."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncLocalEntraCredential(LocalEntraCredential):
    """Async variant of LocalEntraCredential for the aio client."""

    async def get_token(self, *scopes: str, **kwargs) -> AccessToken:  # type: ignore[override]
        return LocalEntraCredential.get_token(self, *scopes, **kwargs)

    async def close(self) -> None:  # type: ignore[override]
        """Nothing to release."""

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
