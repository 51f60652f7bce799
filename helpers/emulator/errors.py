"""Every error the emulator can return, mapped to the ACS error envelope in one place."""

from __future__ import annotations

import json

CONTENT_TYPE = "application/json; charset=utf-8"
# Azure's error responses say "application/json" without a charset (successes carry one).
ERROR_CONTENT_TYPE = "application/json"


class AcsError(Exception):
    """Base class: an HTTP status plus the `{"error": {...}}` envelope."""

    status = 500
    code = "InternalError"
    message = "An unexpected error occurred."
    # Azure's 401 InvalidAccessToken (Teams exchange) came without api-supported-versions.
    lists_api_versions = True

    def __init__(self, message: str | None = None, target: str | None = None) -> None:
        self.message = message or type(self).message
        self.target = target
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers this answer carries (e.g. Retry-After on a 429)."""
        return {}

    def envelope(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        return {"error": err}

    def body(self) -> bytes:
        return json.dumps(self.envelope()).encode("ascii")


class ValidationError(AcsError):
    status = 400
    code = "ValidationError"


class InvalidRequestBody(AcsError):
    status = 400
    code = "InvalidRequestBody"
    message = "The request body is not valid."


class UnsupportedApiVersion(AcsError):
    status = 400
    code = "UnsupportedApiVersion"


class InvalidIdentity(AcsError):
    status = 400
    code = "InvalidIdentity"
    message = "Provided identity is not a valid Communication Services user id."


class Denied(AcsError):
    # One bland message for every authentication failure, so a caller cannot learn
    # which check (key, date, body hash, header shape) tripped.
    status = 401
    code = "Denied"
    message = "Denied by the resource provider."


class IdentityNotOwned(AcsError):
    status = 401
    code = "IdentityNotOwned"
    message = "Provided identity doesn't belong to the resource."


class IdentityNotFound(AcsError):
    status = 404
    code = "IdentityNotFound"
    message = "Provided identity doesn't exist."


class ResourceNotFound(AcsError):
    status = 404
    code = "NotFound"
    message = "The requested resource does not exist."


class MethodNotAllowed(AcsError):
    status = 405
    code = "MethodNotAllowed"
    message = "The requested HTTP method is not allowed for this resource."


class RequestTooLarge(AcsError):
    status = 413
    code = "RequestEntityTooLarge"
    message = "The request body exceeds the 1 MiB limit."


class InvalidAccessToken(AcsError):
    # The Teams exchange's answer for an empty, malformed, expired or foreign Entra token.
    status = 401
    code = "InvalidAccessToken"
    message = "Provided access token is not valid."
    lists_api_versions = False


class RequestHeadersTooLarge(AcsError):
    status = 431
    code = "RequestHeaderFieldsTooLarge"
    message = "The request headers exceed the 16 KiB limit."


class TooManyRequests(AcsError):
    """A documented Identity limit was reached (limits.py). The 429 status is documented; the
    code, message and Retry-After value are the lab's own (provenance.py)."""

    status = 429
    code = "TooManyRequests"
    message = "Too many requests."

    def __init__(self, operation: str, limit: int, window_s: float, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(
            f"The limit of {limit} '{operation}' requests per {window_s:g} seconds for this "
            f"resource was reached; retry after {retry_after_s} seconds. (Azure's documented "
            "limit; the local service enforces it unless ACS_EMULATOR_THROTTLING=off.)"
        )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class ServiceUnavailable(AcsError):
    # The storage (SQLite) failed: damaged, unreadable or full. A 503, not a 500: it is the
    # state of the service, not a bug, and the message says how to recover.
    status = 503
    code = "ServiceUnavailable"
    message = (
        "The local service cannot use its identity database; see the service's console. "
        "Stop it, then restore the database or run `acs-emulator reset`."
    )


class ServerBusy(AcsError):
    status = 503
    code = "ServerBusy"
    message = "Too many request bodies are being received at once; retry in a moment."


class InternalError(AcsError):
    status = 500
    code = "InternalError"
