"""The lab's errors, typed by kind like the SDK's, and the one place that translates failures.

`LabError` is the base: one line saying what happened (`message`) and what to do (`hint`), plus
the service's HTTP `status` and error `code` when a service answered. Its subclasses say the kind,
so a caller catches `IdentityNotFound` or `Throttled` instead of comparing numbers or text:

    LabError
    ├── InvalidInput (alias BadRequest)      refused input: the lab's checks, or a 400/413/431
    ├── AuthenticationFailed                 401: the key, Entra ID sign-in or Teams token refused
    ├── Forbidden                            403: the credential may not do that
    │   └── IdentityNotOwned                 the identity belongs to another resource (401)
    ├── NotFound                             404
    │   └── IdentityNotFound                 the identity doesn't exist (deleted, never made here)
    ├── Throttled                            429: too many requests
    ├── ServiceError                         5xx: the service failed
    │   └── ServiceUnavailable               503: the service can't serve now (storage, busy)
    └── Unreachable                          no answer: not running, timed out, untrusted TLS
        ├── TimedOut
        └── UntrustedCertificate

The codes are the ACS error envelope's (learn.microsoft.com REST reference, and the local
service's helpers/emulator/errors.py); 429 is what ACS answers beyond its service limits.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from helpers.i18n import N_, _

if TYPE_CHECKING:
    from helpers.identity.types import SdkCall

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "Forbidden",
    "IdentityNotFound",
    "IdentityNotOwned",
    "InvalidInput",
    "LabError",
    "NotFound",
    "ServiceError",
    "ServiceUnavailable",
    "Throttled",
    "TimedOut",
    "Unreachable",
    "UntrustedCertificate",
    "describe_error",
    "endpoint_of",
    "error_class",
]


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
        self.message = one_line(message)
        self.hint = one_line(hint) if hint else None
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


class InvalidInput(LabError):
    """The input was refused: by the lab's own checks (no status) or by the service (400)."""


# The SDK world's name for the same thing (an HTTP 400).
BadRequest = InvalidInput


class AuthenticationFailed(LabError):
    """The service refused who is asking: the access key, the Entra ID sign-in or a Teams token."""


class Forbidden(LabError):
    """The credential is known but may not do that."""


class IdentityNotOwned(Forbidden):
    """The identity belongs to another Communication Services resource (ACS answers 401)."""


class NotFound(LabError):
    """The service doesn't know what was asked for."""


class IdentityNotFound(NotFound):
    """The identity doesn't exist: deleted, or never created with this resource."""


class Throttled(LabError):
    """Too many requests (429): wait `retry_after` seconds (when the service said), then retry."""

    retry_after: float | None = None


class ServiceError(LabError):
    """The service failed on its side (5xx)."""


class ServiceUnavailable(ServiceError):
    """The service can't serve now (503): its storage failed, or it is busy."""


class Unreachable(LabError):
    """No answer from the service: it isn't running, or the network failed."""


class TimedOut(Unreachable):
    """The service didn't answer in time."""


class UntrustedCertificate(Unreachable):
    """The service's TLS certificate isn't trusted by Python."""


def one_line(text: Any, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# The service's error codes, by kind (the local service's codes are in helpers/emulator/errors.py).
_CODE_CLASSES: dict[str, type[LabError]] = {
    "ValidationError": InvalidInput,
    "InvalidIdentity": InvalidInput,
    "InvalidRequestBody": InvalidInput,
    "UnsupportedApiVersion": InvalidInput,
    "RequestEntityTooLarge": InvalidInput,
    "RequestHeaderFieldsTooLarge": InvalidInput,
    "Denied": AuthenticationFailed,
    "InvalidAccessToken": AuthenticationFailed,
    "Unauthorized": AuthenticationFailed,  # the chat API's refusals of a user token
    "Forbidden": Forbidden,
    "IdentityNotOwned": IdentityNotOwned,
    "IdentityNotFound": IdentityNotFound,
    "NotFound": NotFound,
    "TooManyRequests": Throttled,
    "ServiceUnavailable": ServiceUnavailable,
    "ServerBusy": ServiceUnavailable,
    "InternalError": ServiceError,
    "NotImplemented": ServiceError,  # a chat operation the local service doesn't serve
}
# When the code is missing or unknown: by HTTP status.
_STATUS_CLASSES: dict[int, type[LabError]] = {
    400: InvalidInput,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    413: InvalidInput,
    429: Throttled,
    431: InvalidInput,
    503: ServiceUnavailable,
}


def error_class(status: int | None, code: str | None) -> type[LabError]:
    """The kind of a service's answer: by its error code, else its status, else `LabError`."""
    if code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status is not None and 500 <= status <= 599:
        return ServiceError
    return LabError


# --------------------------------------------------------------------------- translation

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

ID_EXAMPLE = N_("8:acs:<resource id>_<identity>")
LOOKS_LIKE = N_("An ACS identity id looks like {example}.")

# The single place that turns a service error code into a lab message: (message, hint);
# its kind (the class) comes from error_class above.
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
    "InvalidIdentity": (None, LOOKS_LIKE),
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
    said = one_line(said or reason or _("no details"))
    if code in _SERVICE_ERRORS:
        message, hint = _SERVICE_ERRORS[code]
        # The service's own message stays as the service wrote it (English, as in the docs).
        return error_class(status, code)(
            _(message) if message else said, hint=_say(hint), status=status, code=code
        )
    fallback = (
        _("The service answered {status} {reason}").format(status=status, reason=reason).strip()
        + ".",
        None,
    )
    message, hint = _STATUS_ERRORS.get(status or 0, fallback)
    # Show what the service said too, since the status alone rarely explains it.
    return error_class(status, code)(
        _("{message} The service said: {said}").format(message=_(message), said=said),
        hint=_say(hint),
        status=status,
        code=code,
    )


def _retry_after(err: HttpResponseError) -> float | None:
    """The Retry-After header in seconds (the HTTP-date form is not used by ACS), else None."""
    headers = getattr(getattr(err, "response", None), "headers", None) or {}
    try:
        seconds = float(headers.get("Retry-After", headers.get("retry-after", "")))
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _say(hint: str | None) -> str | None:
    """A hint from the tables above, in the notebook's language."""
    return _(hint).format(example=_(ID_EXAMPLE)) if hint else None


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
        if isinstance(lab_error, Throttled):
            lab_error.retry_after = _retry_after(err)
        if lab_error.hint == _(_KEY_HINT) and _signs_in_with_entra(client):
            # No key is involved: the bearer token (or the role behind it) was refused.
            hint = _(_LOCAL_ENTRA_HINT if _is_local(client) else _ENTRA_HINT)
            return AuthenticationFailed(_("The service rejected the Entra ID sign-in."), hint=hint,
                            status=lab_error.status, code=lab_error.code)  # fmt: skip
        return lab_error
    if isinstance(getattr(err, "status", None), int) and isinstance(
        getattr(err, "code", None), str
    ):
        # The emulator's admin client reports errors as (status, code, message) too.
        return _from_service(err.status, err.code, str(getattr(err, "message", "")))
    if isinstance(err, ClientAuthenticationError):
        # No HTTP status: the credential itself (Entra ID) failed before any request.
        return AuthenticationFailed(
            _("Couldn't sign in: {error}").format(error=one_line(err.message, 160)),
            hint=_("Run `az login` (or check the Entra ID settings) and reconnect."),
        )
    network = (ServiceRequestError, ServiceResponseError, OSError)
    if isinstance(err, network) and _is_ssl_problem(err):
        return UntrustedCertificate(
            _("The service{where} has a certificate Python doesn't trust.").format(where=where),
            hint=_("Reconnect with helpers.connect() so the local CA is trusted again."),
        )
    timeouts = (ServiceRequestTimeoutError, ServiceResponseTimeoutError, TimeoutError)
    if isinstance(err, timeouts) or (isinstance(err, OSError) and "Timeout" in type(err).__name__):
        return TimedOut(
            _("The service{where} didn't answer in time.").format(where=where),
            hint=_(_UNREACHABLE_HINT),
        )
    if isinstance(err, network):
        return Unreachable(
            _("Can't reach the service{where} — is it running?").format(where=where),
            hint=_(_UNREACHABLE_HINT),
        )
    return LabError(
        _("Unexpected error: {kind}: {error}").format(
            kind=type(err).__name__, error=one_line(err, 200)
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
