"""The lab's errors are typed by kind: every ACS error code and status maps to one class."""

import base64
import socket

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.core.pipeline.transport import HttpResponse

from helpers import identity as lab
from helpers.emulator import errors as acs
from helpers.emulator.chat import errors as chat_errors  # noqa: F401 - the chat API's errors are the service's too
from tests.support import sdk_client

# Every error the local service can answer (its codes are the ACS envelope's), and its kind.
EXPECTED = {
    "ValidationError": lab.InvalidInput,
    "InvalidRequestBody": lab.InvalidInput,
    "UnsupportedApiVersion": lab.InvalidInput,
    "InvalidIdentity": lab.InvalidInput,
    "RequestEntityTooLarge": lab.InvalidInput,
    "RequestHeaderFieldsTooLarge": lab.InvalidInput,
    "Denied": lab.AuthenticationFailed,
    "InvalidAccessToken": lab.AuthenticationFailed,
    "IdentityNotOwned": lab.IdentityNotOwned,
    "IdentityNotFound": lab.IdentityNotFound,
    "NotFound": lab.NotFound,
    "MethodNotAllowed": lab.LabError,
    "ServiceUnavailable": lab.ServiceUnavailable,
    "ServerBusy": lab.ServiceUnavailable,
    "InternalError": lab.ServiceError,
    "TooManyRequests": lab.Throttled,
    "Unauthorized": lab.AuthenticationFailed,
    "Forbidden": lab.Forbidden,
    "NotImplemented": lab.ServiceError,
}


def service_errors() -> list[type[acs.AcsError]]:
    found, todo = [], [acs.AcsError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


@pytest.mark.parametrize("kind", service_errors(), ids=lambda k: k.__name__)
def test_every_local_service_error_has_its_kind(kind):
    assert kind.code in EXPECTED, f"{kind.code} is new: add it to _CODE_CLASSES and here"
    assert lab.error_class(kind.status, kind.code) is EXPECTED[kind.code]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, lab.InvalidInput),
        (401, lab.AuthenticationFailed),
        (403, lab.Forbidden),
        (404, lab.NotFound),
        (413, lab.InvalidInput),
        (429, lab.Throttled),
        (431, lab.InvalidInput),
        (500, lab.ServiceError),
        (502, lab.ServiceError),
        (503, lab.ServiceUnavailable),
        (504, lab.ServiceError),
        (409, lab.LabError),
        (None, lab.LabError),
    ],
)
def test_an_unknown_code_falls_back_to_the_status(status, kind):
    assert lab.error_class(status, "SomethingNew") is kind
    assert lab.error_class(status, None) is kind


def test_the_code_wins_over_the_status():
    # ACS answers IdentityNotOwned with 401, yet it is not a failed sign-in.
    assert lab.error_class(401, "IdentityNotOwned") is lab.IdentityNotOwned
    assert not issubclass(lab.IdentityNotOwned, lab.AuthenticationFailed)
    assert lab.error_class(429, "TooManyRequests") is lab.Throttled


def test_the_kinds_form_one_tree_under_lab_error():
    assert lab.BadRequest is lab.InvalidInput
    assert issubclass(lab.IdentityNotFound, lab.NotFound)
    assert issubclass(lab.ServiceUnavailable, lab.ServiceError)
    assert issubclass(lab.TimedOut, lab.Unreachable)
    assert issubclass(lab.UntrustedCertificate, lab.Unreachable)
    for name in lab.__all__:
        value = getattr(lab, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, lab.LabError), name


def http_error(status: int, code: str | None, message: str, **headers) -> HttpResponseError:
    class Response(HttpResponse):
        def body(self):
            return self._body

    response = Response(None, None)
    response.status_code, response.reason = status, "Reason"
    response.headers = {"content-type": "application/json", **headers}
    response._body = (
        f'{{"error": {{"code": "{code}", "message": "{message}"}}}}'.encode() if code else b"{}"
    )
    return HttpResponseError(response=response)


def test_an_sdk_error_becomes_its_kind_and_keeps_status_code_and_text():
    err = lab.describe_error(http_error(429, "TooManyRequests", "Slow down."))
    assert type(err) is lab.Throttled
    assert (err.status, err.code) == (429, "TooManyRequests")
    assert (
        str(err)
        == "Too many requests. The service said: Slow down. Wait a few seconds and try again."
    )
    assert err.retry_after is None  # no Retry-After header
    err = lab.describe_error(http_error(429, "TooManyRequests", "Slow.", **{"Retry-After": "2"}))
    assert err.retry_after == 2.0
    err = lab.describe_error(http_error(503, None, ""))
    assert type(err) is lab.ServiceUnavailable and err.status == 503 and err.code is None


def test_the_admin_clients_errors_get_their_kind_too():
    class AdminError(Exception):
        status, code, message = 404, "IdentityNotFound", "Provided identity doesn't exist."

    err = lab.describe_error(AdminError())
    assert type(err) is lab.IdentityNotFound and err.status == 404


def test_network_failures_are_unreachable():
    err = lab.describe_error(ServiceRequestError("Connection refused"))
    assert type(err) is lab.Unreachable and err.status is None
    err = lab.describe_error(TimeoutError("timed out"))
    assert type(err) is lab.TimedOut
    assert isinstance(err, lab.Unreachable)


def test_a_caller_catches_the_kind_against_the_real_service(client):
    identity = lab.create_identity(client)
    lab.delete_identity(client, identity.id)
    with pytest.raises(lab.IdentityNotFound) as info:
        lab.issue_token(client, identity.id, ["chat"])
    assert (info.value.status, info.value.code) == (404, "IdentityNotFound")
    with pytest.raises(lab.InvalidInput) as info:
        lab.issue_token(client, "not an id", ["chat"])
    assert info.value.status is None  # refused before sending
    with pytest.raises(lab.InvalidInput) as info:
        lab.issue_token(client, lab.create_identity(client).id, ["chat"], 5)
    assert (info.value.status, info.value.code) == (400, "ValidationError")


def test_network_and_key_failures_are_caught_by_kind(emu):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = base64.b64encode(b"any key will do, 32 bytes long..").decode()
    nowhere = sdk_client(f"endpoint=https://127.0.0.1:{port}/;accesskey={key}", None)
    with pytest.raises(lab.Unreachable):
        lab.create_identity(nowhere)
    # Without the lab's CA bundle the local service's certificate can't be verified.
    untrusted = sdk_client(f"endpoint={emu.endpoint};accesskey={key}", None)
    with pytest.raises(lab.UntrustedCertificate):
        lab.create_identity(untrusted)
    wrong_key = sdk_client(f"endpoint={emu.endpoint};accesskey={key}", emu.ca_bundle)
    with pytest.raises(lab.AuthenticationFailed) as info:
        lab.create_identity(wrong_key)
    assert (info.value.status, info.value.code) == (401, "Denied")
