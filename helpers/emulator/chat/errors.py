"""Every error the chat API can return, with where its status, code and message come from.

`PROVENANCE` is one row per error class, in the shape of helpers/emulator/provenance.py
(code, status, message, kind, source): "recorded" (a recording of Azure's answer),
"documented" (the REST spec or docs say so) or "lab's choice" (Azure's answer is neither
recorded nor documented; the row says why this one was chosen).
"""

from __future__ import annotations

from ..errors import AcsError

SPEC = (
    "https://github.com/Azure/azure-rest-api-specs/blob/main/specification/communication/"
    "data-plane/Chat/stable/2024-03-07/communicationserviceschat.json"
)
# A 2020 report of Azure's chat answer to a token it refused: 401 with an empty body.
EMPTY_401 = "https://github.com/MicrosoftDocs/azure-docs-sdk-java/issues/1559"
IDENTITY_MODEL = "https://learn.microsoft.com/azure/communication-services/concepts/identity-model"
SCOPES_DOC = IDENTITY_MODEL + "#chat-token-scopes"
REVOKE_DOC = IDENTITY_MODEL + "#revoke-or-update-access-token"


class ChatUnauthorized(AcsError):
    """The bearer token does not let anyone chat (each subclass says why)."""

    status = 401
    code = "Unauthorized"


class TokenMissing(ChatUnauthorized):
    message = (
        "The chat API needs 'Authorization: Bearer <user access token>': a token of a "
        "Communication Services user with the chat scope (the access key does not work here)."
    )


class TokenInvalid(ChatUnauthorized):
    message = "The access token is not a token signed by this Communication Services resource."


class TokenExpired(ChatUnauthorized):
    message = "The access token has expired; get a fresh one from your token service."


class TokenRevoked(ChatUnauthorized):
    message = (
        "The access token was revoked (revoke_tokens) after it was issued; "
        "get a fresh one from your token service."
    )


class IdentityDeleted(ChatUnauthorized):
    message = "The identity this access token belongs to has been deleted."


class NoChatScope(ChatUnauthorized):
    message = (
        "The access token has no chat scope (it has: {scopes}); "
        "issue a token with the 'chat' scope to use chat."
    )


class TeamsUserToken(ChatUnauthorized):
    message = (
        "A Teams user's token is not accepted by the local chat service; "
        "use a token of a Communication Services user."
    )


class ScopeForbidsThreadAdmin(AcsError):
    status = 403
    code = "Forbidden"
    message = (
        "A token with the scope '{scope}' may not create or delete chat threads; "
        "that needs the 'chat' scope."
    )


class ThreadNotAccessible(AcsError):
    # One answer for "no such thread" and "not a participant": a stranger can't tell whether
    # a thread id exists.
    status = 403
    code = "Forbidden"
    message = "The chat thread does not exist, or the caller is not one of its participants."


class MessageNotFound(AcsError):
    status = 404
    code = "NotFound"
    message = "The thread has no message with this id."


class ChatValidationError(AcsError):
    status = 400
    code = "ValidationError"


def _row(cls, kind: str, source: str) -> dict:
    return {"code": cls.code, "status": cls.status, "message": cls.message,
            "kind": kind, "source": source, "name": cls.__name__}  # fmt: skip


LAB = "lab's choice"
_401 = (
    f"401 is documented for every chat operation ({SPEC}); Azure was reported to send it "
    f"with an empty body ({EMPTY_401}); the lab sends the ACS envelope and says why"
)
_403 = f"403 Forbidden is documented for every chat operation ({SPEC}); its body is not recorded"
PROVENANCE = [
    _row(TokenMissing, LAB, _401),
    _row(TokenInvalid, LAB, _401 + " (forged, malformed, or for another resource)"),
    _row(TokenExpired, LAB, _401),
    _row(
        TokenRevoked,
        LAB,
        _401 + f"; on Azure revocation takes up to 15 minutes ({REVOKE_DOC}), here it is immediate",
    ),
    _row(IdentityDeleted, LAB, _401 + f"; deleting an identity revokes its tokens ({REVOKE_DOC})"),
    _row(NoChatScope, LAB, _401 + f"; only a chat-scope token can chat ({SCOPES_DOC})"),
    _row(
        TeamsUserToken,
        LAB,
        "Teams interop is not emulated; the local chat serves Communication Services users only",
    ),
    _row(
        ScopeForbidsThreadAdmin,
        LAB,
        _403 + f"; chat.join(.limited) may not create, update or delete threads ({SCOPES_DOC})",
    ),
    _row(
        ThreadNotAccessible,
        LAB,
        _403 + "; no 404 is documented for threads, and one answer "
        "for missing and foreign threads keeps thread ids from being probed",
    ),
    _row(MessageNotFound, LAB, f"no status is documented for a missing message ({SPEC})"),
    _row(
        ChatValidationError,
        LAB,
        f"required fields are documented ({SPEC}); the messages and "
        "the length limits (chat/responses.py LIMITS) are not recorded",
    ),
]
