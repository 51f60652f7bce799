"""Who is calling the chat API: the rules a bearer token must pass (from the headers alone)."""

from __future__ import annotations

from dataclasses import dataclass

from ..tokens import TEAMS_USER_PREFIX
from . import errors

CHAT_SCOPES = ("chat", "chat.join", "chat.join.limited")
# The longest bearer token looked at; the lab's tokens are ~1 KiB (lab's choice).
MAX_TOKEN = 8 * 1024
_REFUSALS = {
    "malformed": errors.TokenInvalid,
    "otherResource": errors.TokenInvalid,
    "badSignature": errors.TokenInvalid,
    "identityDeleted": errors.IdentityDeleted,
    "revoked": errors.TokenRevoked,
    "expired": errors.TokenExpired,
}


@dataclass(frozen=True)
class Caller:
    identity: str
    scopes: tuple[str, ...]

    def require_thread_admin(self) -> None:
        """Creating and deleting threads needs the full `chat` scope (docs: chat.join and
        chat.join.limited may not create, delete or update threads)."""
        if "chat" not in self.scopes:
            scope = next(s for s in self.scopes if s in CHAT_SCOPES)
            raise errors.ScopeForbidsThreadAdmin(
                errors.ScopeForbidsThreadAdmin.message.format(scope=scope)
            )


def caller(authorization: str, service) -> Caller:
    """The caller a request's Authorization header proves, or the 401 that says why not.

    The token must be one this service signed (its token key, its resource), for an identity
    that still exists, issued after the identity's last revocation, not expired, and with a
    chat scope. These are the service's own rules for its tokens (TokenService.introspect).
    """
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise errors.TokenMissing()
    token = token.strip()
    if len(token) > MAX_TOKEN:
        raise errors.TokenInvalid()
    verdict = service.tokens.introspect(token, service.store)
    refusal = _REFUSALS.get(verdict["status"])
    if refusal is not None:
        raise refusal()
    if verdict["identity"].startswith(TEAMS_USER_PREFIX):
        raise errors.TeamsUserToken()
    scopes = tuple(verdict["scopes"])
    if not any(s in CHAT_SCOPES for s in scopes):
        shown = ", ".join(s[:30] for s in scopes[:5]) or "none"
        raise errors.NoChatScope(errors.NoChatScope.message.format(scopes=shown))
    return Caller(verdict["identity"], scopes)
