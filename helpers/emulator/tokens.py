"""ACS-style access tokens: RS256 JWTs minted with the resource's key, and introspection."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization

from .store import Store

SCP = 1792
# Identities of Teams users, as the Teams exchange's tokens name them.
TEAMS_USER_PREFIX = "8:orgid:"
REGION = "amer"
LOCATION = "unitedstates"
# Bytes whose position in a 3-byte group makes base64url emit '-' or '_' (see _check_payload).
_URLSAFE_TRIGGERS = frozenset(b">?~\x7f")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _check_payload(raw: bytes) -> None:
    """Fail loudly unless the payload survives the SDK's `b64decode(payload + "==")`.

    For ASCII input, base64url differs from base64 only in the last sextet of a 3-byte group,
    i.e. for the byte at offset ≡ 2 (mod 3), and only when that byte is '>', '?', '~' or DEL.
    """
    if not raw.isascii():
        raise RuntimeError("token payload is not ASCII")
    for i in range(2, len(raw), 3):
        if raw[i] in _URLSAFE_TRIGGERS:
            raise RuntimeError("token payload would not decode with standard base64")


def format_expires_on(ns: int) -> str:
    """`2026-11-24T10:00:00.1234567+00:00`: seconds plus 7 digits of 100 ns ticks, UTC."""
    secs, rem = divmod(ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rem // 100:07d}+00:00"


def _iso(seconds: int) -> str:
    """UTC ISO 8601; raises OverflowError, OSError or ValueError outside years 1-9999."""
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()


@dataclass(frozen=True)
class IssuedToken:
    # repr=False: a token is a bearer credential; a repr in a log or traceback must not leak it.
    token: str = field(repr=False)
    expires_on: str


class TokenService:
    """Mints and inspects tokens for one resource."""

    def __init__(self, key_path: Path, resource_id: str) -> None:
        self.resource_id = resource_id.lower()
        self._key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        self.public_key = self._key.public_key()
        der = self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(der).hexdigest()[:16]

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def mint(
        self,
        identity_id: str,
        scopes: list[str],
        minutes: int,
        issued_ns: int,
        *,
        expires_at_s: int | None = None,
        extra_claims: dict | None = None,
    ) -> IssuedToken:
        """A signed token for `identity_id`; `issued_ns` is the store's recorded issue time.

        `expires_at_s` replaces `minutes` with a fixed end (a Teams user's token ends with the
        Entra token it was exchanged for).
        """
        iat = issued_ns // 1_000_000_000
        exp = iat + minutes * 60 if expires_at_s is None else expires_at_s
        claims = {
            "skypeid": identity_id.removeprefix("8:"),
            "scp": SCP,
            "csi": str(iat),
            "exp": exp,
            "rgn": REGION,
            "acsScope": ",".join(scopes),
            "resourceId": self.resource_id,
            "resourceLocation": LOCATION,
            "iat": iat,
            # Sub-second issue time: revocation is decided on this, so "revoke, then issue"
            # within one second still yields a valid new token.
            "iatNs": issued_ns,
            **(extra_claims or {}),
        }
        raw = json.dumps(claims, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        _check_payload(raw)
        token = jwt.api_jws.encode(
            raw, self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"}
        )
        if expires_at_s is None:
            return IssuedToken(token, format_expires_on(issued_ns + minutes * 60 * 1_000_000_000))
        return IssuedToken(token, format_expires_on(expires_at_s * 1_000_000_000))

    def introspect(self, token: str, store: Store, now: float | None = None) -> dict:
        """Explain what a token is worth right now; never raises for bad input."""
        now = time.time() if now is None else now
        result = {"status": "malformed", "identity": None, "scopes": [], "issuedAt": None,
                  "expiresAt": None, "reason": ""}  # fmt: skip
        parts = token.split(".") if isinstance(token, str) else []
        try:
            if len(parts) != 3:
                raise ValueError
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            identity = "8:" + str(claims["skypeid"])
            raw_iat, raw_exp = claims["iat"], claims["exp"]
            raw_iat_ns = claims.get("iatNs")
            scopes = [s for s in str(claims.get("acsScope", "")).split(",") if s]
            resource = str(claims["resourceId"]).lower()
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            result["reason"] = "The token is not a three-part JWT with ACS claims."
            return result
        try:
            # Any JSON number may arrive here (1e300, -10**30, Infinity, NaN): each step below
            # can fail on one, so all of them sit inside this try.
            iat, exp = int(raw_iat), int(raw_exp)
            issued_ns = iat * 1_000_000_000 if raw_iat_ns is None else int(raw_iat_ns)
            issued_at, expires_at = _iso(iat), _iso(exp)
        except (ValueError, TypeError, OverflowError, OSError):
            result["reason"] = "The token's times (iat, exp, iatNs) are not valid timestamps."
            return result
        result.update(identity=identity, scopes=scopes, issuedAt=issued_at,
                      expiresAt=expires_at)  # fmt: skip
        if resource != self.resource_id:
            result["status"] = "otherResource"
            result["reason"] = (
                "The token was issued for a different Communication Services resource."
            )
            return result
        try:
            # The signature only: the claims were judged above, and are judged below by state.
            jwt.api_jws.decode(token, self.public_key, algorithms=["RS256"])
        except (jwt.InvalidTokenError, ValueError, TypeError, RecursionError):
            result["status"] = "badSignature"
            result["reason"] = "The token's signature does not match this resource's signing key."
            return result
        if result["identity"].startswith(TEAMS_USER_PREFIX):
            # A Teams user's token (from the exchange): no ACS identity row, no revocation.
            if exp <= now:
                result["status"] = "expired"
                result["reason"] = "The token's expiry time has passed."
            else:
                result["status"] = "valid"
                result["reason"] = (
                    "A Teams user's token, signed by this resource; it expires with the Entra "
                    "ID token it was exchanged for."
                )
            return result
        row = store.get(result["identity"])
        if row is None or row.gone:
            result["status"] = "identityDeleted"
            result["reason"] = (
                "The identity the token belongs to has been deleted (or the emulator was reset)."
            )
        elif row.revoked_before_ns is not None and issued_ns < row.revoked_before_ns:
            result["status"] = "revoked"
            result["reason"] = "The identity's tokens were revoked after this token was issued."
        elif exp <= now:
            result["status"] = "expired"
            result["reason"] = "The token's expiry time has passed."
        else:
            result["status"] = "valid"
            result["reason"] = (
                "The token is signed by this resource and has not expired or been revoked."
            )
        return result
