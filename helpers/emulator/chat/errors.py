"""Every error the chat API can return. Where each one's status, code and message come from
(recorded, documented or the lab's choice) is in helpers/emulator/provenance.py CHAT_ERRORS,
the one provenance table; tests/emulator/test_provenance.py fails for a class without a row."""

from __future__ import annotations

from ..errors import AcsError


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


class OperationNotServed(AcsError):
    # 501, "the server does not support the functionality required" (RFC 9110 15.6.2): neither
    # SDK retries it or reads it as a credential or missing-resource problem (see provenance.py).
    status = 501
    code = "NotImplemented"
    message = (
        "The local ACS service does not serve {operation}, {request}. It serves creating, "
        "listing, getting and deleting threads, sending, listing and getting messages, and "
        "listing participants; try this operation against an Azure Communication Services "
        "resource."
    )


class ChatPathNotFound(AcsError):
    status = 404
    code = "NotFound"
    message = (
        "The chat API has no resource at this path; its paths start with /chat/threads "
        "(see the Chat REST API reference)."
    )
