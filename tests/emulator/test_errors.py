"""Error cases: status, code, message and target, through the SDK and over raw HTTP."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from azure.communication.identity import CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError

from .conftest import raw_request

FOREIGN = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"
NOT_OWNED = (401, "IdentityNotOwned", "Provided identity doesn't belong to the resource.", None)
NOT_FOUND = (404, "IdentityNotFound", "Provided identity doesn't exist.", None)
SCOPES_REQUIRED = (400, "ValidationError", "Scopes: The Scopes field is required.", "Scopes")
SCOPES_EMPTY = (400, "ValidationError", "Invalid scopes - Scopes field is required.", "scopes")
INVALID_ENTRA_TOKEN = (401, "InvalidAccessToken", "Provided access token is not valid.", None)
APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"


def expiry_error(n):
    msg = f"ExpiresInMinutes value {n} is invalid. Value must be within the [60, 1440] interval."
    return (400, "ValidationError", msg, "ExpiresInMinutes")


def unknown_id(emu):
    return CommunicationUserIdentifier(
        f"8:acs:{emu.resource_id}_00000000-0000-0000-0000-00000000abcd"
    )


def deleted_user(client):
    user = client.create_user()
    client.delete_user(user)
    return user


# (name, call(client, emu) -> None, expected (status, code, message, target))
SDK_CASES = [
    ("no scopes -> {}", lambda c, e: c.get_token(c.create_user(), None), SCOPES_REQUIRED),
    ("empty scopes", lambda c, e: c.get_token(c.create_user(), []), SCOPES_EMPTY),
    (
        "59 minutes",
        lambda c, e: c.get_token(c.create_user(), ["chat"], token_expires_in=timedelta(minutes=59)),
        expiry_error(59),
    ),
    (
        "1441 minutes",
        lambda c, e: c.get_token(
            c.create_user(), ["chat"], token_expires_in=timedelta(minutes=1441)
        ),
        expiry_error(1441),
    ),
    (
        "create 59",
        lambda c, e: c.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=59)),
        expiry_error(59),
    ),
    (
        "create 1441",
        lambda c, e: c.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=1441)),
        expiry_error(1441),
    ),
    (
        "90 seconds -> 1 minute",
        lambda c, e: c.get_token(c.create_user(), ["chat"], token_expires_in=timedelta(seconds=90)),
        expiry_error(1),
    ),
    (
        "issue foreign",
        lambda c, e: c.get_token(CommunicationUserIdentifier(FOREIGN), ["chat"]),
        NOT_OWNED,
    ),
    (
        "revoke foreign",
        lambda c, e: c.revoke_tokens(CommunicationUserIdentifier(FOREIGN)),
        NOT_OWNED,
    ),
    ("delete foreign", lambda c, e: c.delete_user(CommunicationUserIdentifier(FOREIGN)), NOT_OWNED),
    ("issue unknown", lambda c, e: c.get_token(unknown_id(e), ["chat"]), NOT_FOUND),
    ("revoke unknown", lambda c, e: c.revoke_tokens(unknown_id(e)), NOT_FOUND),
    ("delete unknown", lambda c, e: c.delete_user(unknown_id(e)), NOT_FOUND),
    ("issue deleted", lambda c, e: c.get_token(deleted_user(c), ["voip"]), NOT_FOUND),
    ("revoke deleted", lambda c, e: c.revoke_tokens(deleted_user(c)), NOT_FOUND),
    ("delete twice", lambda c, e: c.delete_user(deleted_user(c)), NOT_FOUND),
    (
        "teams exchange, not a token",
        lambda c, e: c.get_token_for_teams_user("aad", APP_ID, USER_OID),
        INVALID_ENTRA_TOKEN,
    ),
]


@pytest.mark.parametrize(
    "call, expected", [c[1:] for c in SDK_CASES], ids=[c[0] for c in SDK_CASES]
)
def test_sdk_error(emu, client, call, expected):
    status, code, message, target = expected
    with pytest.raises(HttpResponseError) as exc:
        call(client, emu)
    err = exc.value
    assert (err.status_code, err.error.code, err.error.message) == (status, code, message)
    assert err.error.target == target


def test_unknown_scope_names_scope_and_allowed_set(client):
    with pytest.raises(HttpResponseError) as exc:
        client.get_token(client.create_user(), ["chat", "bogus"])
    err = exc.value
    assert (err.status_code, err.error.code, err.error.target) == (400, "ValidationError", "scopes")
    assert err.error.message == (
        "Invalid scope 'bogus'. Allowed scopes for api-version 2023-10-01: "
        "chat, voip, chat.join, chat.join.limited, voip.join."
    )


def test_malformed_identity_is_400(client):
    with pytest.raises(HttpResponseError) as exc:
        client.get_token(CommunicationUserIdentifier("abc"), ["chat"])
    assert (exc.value.status_code, exc.value.error.code) == (400, "InvalidIdentity")
    assert "'abc'" in exc.value.error.message


def _issue_target(user_id: str, version: str = "2023-10-01") -> str:
    return f"/identities/{user_id}/:issueAccessToken?api-version={version}"


JSON = {"Content-Type": "application/json"}
MiB = 1024 * 1024
URI_RE = r"The HTTP resource that matches the request URI 'https://127\.0\.0\.1:\d+/identities'"
NO_VERSION_RE = URI_RE + (
    r" requires the query parameter 'api-version'\. Supported versions: "
    r"2020-07-20-preview2, 2021-02-22-preview1, 2021-03-07, 2021-10-31-preview, 2021-11-01, "
    r"2022-06-01, 2022-10-01, 2023-08-01, 2023-10-01, 2025-06-30, 2026-07-22, 2026-09-23\."
)
BAD_VERSION_RE = URI_RE + r" does not support the API version '2020-01-01'\."
# (name, method, target-template, body, headers, (status, code, message-regex, target))
RAW_CASES = [
    (
        "malformed json",
        "POST",
        "{issue}",
        b'{"scopes": [',
        JSON,
        (400, "InvalidRequestBody", r"The request body is not valid JSON: .+", None),
    ),
    (
        "array body",
        "POST",
        "{issue}",
        b'["chat"]',
        JSON,
        (400, "InvalidRequestBody", r"The request body must be a JSON object\.", None),
    ),
    (
        "string body",
        "POST",
        "{issue}",
        b'"chat"',
        JSON,
        (400, "InvalidRequestBody", r"The request body must be a JSON object\.", None),
    ),
    (
        "empty issue body",
        "POST",
        "{issue}",
        b"",
        JSON,
        (400, "InvalidRequestBody", r"A non-empty request body is required\.", None),
    ),
    (
        "scopes null",
        "POST",
        "{issue}",
        b'{"scopes": null}',
        JSON,
        SCOPES_REQUIRED[:2] + (re.escape(SCOPES_REQUIRED[2]), "Scopes"),
    ),
    (
        "scopes string",
        "POST",
        "{issue}",
        b'{"scopes": "chat"}',
        JSON,
        (400, "InvalidRequestBody", r"The field 'scopes' must be an array of strings\.", "scopes"),
    ),
    (
        "scopes ints",
        "POST",
        "{issue}",
        b'{"scopes": [1]}',
        JSON,
        (400, "InvalidRequestBody", r"The field 'scopes' must be an array of strings\.", "scopes"),
    ),
    (
        "minutes string",
        "POST",
        "{issue}",
        b'{"scopes": ["chat"], "expiresInMinutes": "60"}',
        JSON,
        (
            400,
            "InvalidRequestBody",
            r"The field 'expiresInMinutes' must be an integer\.",
            "expiresInMinutes",
        ),
    ),
    (
        "minutes bool",
        "POST",
        "{issue}",
        b'{"scopes": ["chat"], "expiresInMinutes": true}',
        JSON,
        (
            400,
            "InvalidRequestBody",
            r"The field 'expiresInMinutes' must be an integer\.",
            "expiresInMinutes",
        ),
    ),
    (
        "minutes float",
        "POST",
        "{issue}",
        b'{"scopes": ["chat"], "expiresInMinutes": 60.5}',
        JSON,
        (
            400,
            "InvalidRequestBody",
            r"The field 'expiresInMinutes' must be an integer\.",
            "expiresInMinutes",
        ),
    ),
    (
        "create scopes string",
        "POST",
        "/identities?api-version=2023-10-01",
        b'{"createTokenWithScopes": "chat"}',
        JSON,
        (
            400,
            "InvalidRequestBody",
            r"The field 'createTokenWithScopes' must be an array of strings\.",
            "createTokenWithScopes",
        ),
    ),
    (
        "create array json",
        "POST",
        "/identities?api-version=2023-10-01",
        b'["chat"]',
        JSON,
        (400, "InvalidRequestBody", r"The request body must be a JSON object\.", None),
    ),
    (
        "no api-version",
        "POST",
        "/identities",
        b"",
        JSON,
        (
            400,
            "UnsupportedApiVersion",
            NO_VERSION_RE,
            None,
        ),
    ),
    (
        "other api-version",
        "POST",
        "/identities?api-version=2020-01-01",
        b"",
        JSON,
        (
            400,
            "UnsupportedApiVersion",
            BAD_VERSION_RE,
            None,
        ),
    ),
    (
        "teams exchange before 2022-06-01",
        "POST",
        "/teamsUser/:exchangeAccessToken?api-version=2021-03-07",
        b'{"token": "aad", "appId": "app", "userId": "oid"}',
        JSON,
        (
            400,
            "UnsupportedApiVersion",
            r"The HTTP resource that matches the request URI 'https://127\.0\.0\.1:\d+"
            r"/teamsUser/:exchangeAccessToken' does not support the API version '2021-03-07'\.",
            None,
        ),
    ),
    (
        "teams exchange without api-version",
        "POST",
        "/teamsUser/:exchangeAccessToken",
        b"",
        JSON,
        (400, "UnsupportedApiVersion", r".+ requires the query parameter 'api-version'\..+", None),
    ),
    (
        "teams exchange wrong method",
        "GET",
        "/teamsUser/:exchangeAccessToken?api-version=2023-10-01",
        b"",
        {},
        (405, "MethodNotAllowed", r".+", None),
    ),
    (
        "unknown path",
        "GET",
        "/nothing/here?api-version=2023-10-01",
        b"",
        {},
        (404, "NotFound", r"The requested resource does not exist\.", None),
    ),
    (
        "wrong method list",
        "GET",
        "/identities?api-version=2023-10-01",
        b"",
        {},
        (
            405,
            "MethodNotAllowed",
            r"The requested HTTP method is not allowed for this resource\.",
            None,
        ),
    ),
    ("wrong method issue", "GET", "{issue}", b"", {}, (405, "MethodNotAllowed", r".+", None)),
    (
        "unknown verb",
        "BREW",
        "/identities?api-version=2023-10-01",
        b"",
        {},
        (405, "MethodNotAllowed", r".+", None),
    ),
    *[
        (
            f"nested too deeply {name} {shape}",
            "POST",
            target,
            nesting,
            JSON,
            (400, "InvalidRequestBody", r"The request body is nested too deeply\.", None),
        )
        for name, target in (
            ("create", "/identities?api-version=2023-10-01"),
            ("issue", "{issue}"),
            ("introspect", "/_emulator/tokens:introspect"),
        )
        for shape, nesting in (("array", b"[" * 200_000), ("object", b'{"a":' * 100_000))
    ],
    (
        "too large",
        "POST",
        "/identities?api-version=2023-10-01",
        b"{" + b" " * (1024 * 1024) + b"}",
        JSON,
        (413, "RequestEntityTooLarge", r"The request body exceeds the 1 MiB limit\.", None),
    ),
]


@pytest.mark.parametrize(
    "method, template, body, headers, expected",
    [c[1:] for c in RAW_CASES],
    ids=[c[0] for c in RAW_CASES],
)
def test_raw_error(emu, client, method, template, body, headers, expected):
    status, code, message, target = expected
    user_id = client.create_user().properties["id"]
    reply = raw_request(
        emu, method, template.format(issue=_issue_target(user_id)), body, headers=headers
    )
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/json"  # errors: no charset, as Azure
    err = reply.json()["error"]
    assert err["code"] == code
    assert re.fullmatch(message, err["message"]), err["message"]
    assert err.get("target") == target


@pytest.mark.parametrize("version", ["2022-06-01", "2022-10-01", "2023-08-01", "2023-10-01"])
def test_teams_exchange_is_authenticated_before_the_body_is_judged(emu, version):
    target = f"/teamsUser/:exchangeAccessToken?api-version={version}"
    body = json.dumps({"token": "aad", "appId": APP_ID, "userId": USER_OID}).encode()
    unsigned = raw_request(emu, "POST", target, body, headers={**JSON, "Host": "x"}, sign=False)
    assert (unsigned.status, unsigned.json()["error"]["code"]) == (401, "Denied")
    reply = raw_request(emu, "POST", target, body, headers=JSON)
    assert (reply.status, reply.json()["error"]["code"]) == (401, "InvalidAccessToken")


def test_hmac_tutorial_body_is_tolerated(emu):
    reply = raw_request(
        emu,
        "POST",
        "/identities?api-version=2021-03-07",
        b'["chat"]',
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert reply.status == 201
    assert set(reply.json()) == {"identity"}


def test_empty_create_body_with_json_content_type(emu):
    reply = raw_request(emu, "POST", "/identities?api-version=2023-10-01", b"", headers=JSON)
    assert reply.status == 201 and list(reply.json()) == ["identity"]


def test_unknown_extra_fields_are_ignored(emu, client):
    user_id = client.create_user().properties["id"]
    body = json.dumps({"scopes": ["chat"], "somethingElse": 1}).encode()
    assert raw_request(emu, "POST", _issue_target(user_id), body, headers=JSON).status == 200


def test_response_headers(emu, client):
    user_id = client.create_user().properties["id"]
    body = b'{"scopes": ["voip"]}'
    reply = raw_request(
        emu, "POST", _issue_target(user_id), body,
        headers={**JSON, "x-ms-client-request-id": "abc-123"},
    )  # fmt: skip
    assert reply.status == 200
    h = reply.headers
    assert h["Content-Type"] == "application/json; charset=utf-8"
    assert h["x-ms-client-request-id"] == "abc-123"
    assert h["api-supported-versions"] == (
        "2020-07-20-preview2, 2021-02-22-preview1, 2021-03-07, 2021-10-31-preview, 2021-11-01, "
        "2022-06-01, 2022-10-01, 2023-10-01"
    )
    assert h["MS-CV"] and re.fullmatch(r"\d+ms", h["X-Processing-Time"])
    assert "Server" not in h
    assert re.fullmatch(r".+\.\d{7}\+00:00", reply.json()["expiresOn"])
    revoke = raw_request(
        emu, "POST", f"/identities/{user_id}/:revokeAccessTokens?api-version=2023-10-01"
    )
    assert revoke.status == 204 and revoke.body == b"" and "Content-Type" not in revoke.headers
    delete = raw_request(emu, "DELETE", f"/identities/{user_id}?api-version=2023-10-01")
    assert delete.status == 204 and "Content-Type" not in delete.headers


@pytest.mark.parametrize(
    "status, method, target, body, sign",
    [
        (401, "POST", "/identities?api-version=2023-10-01", b"", False),
        (400, "POST", "/identities?api-version=2020-01-01", b"", True),
        (400, "POST", "/identities?api-version=2023-10-01", b"{", True),
        (404, "GET", "/nothing/here", b"", True),
        (405, "GET", "/identities?api-version=2023-10-01", b"", True),
        (413, "POST", "/identities?api-version=2023-10-01", b"x" * (MiB + 1), True),
    ],
    ids=["401", "400 version", "400 body", "404", "405", "413"],
)
def test_error_responses_echo_the_client_request_id(emu, status, method, target, body, sign):
    headers = {**JSON, "x-ms-client-request-id": "err-42", "Host": f"127.0.0.1:{emu.port}"}
    reply = raw_request(emu, method, target, body, headers=headers, sign=sign)
    assert reply.status == status, reply.body
    assert reply.headers["x-ms-client-request-id"] == "err-42"
    assert reply.headers["api-supported-versions"] and reply.headers["MS-CV"]
    assert reply.headers["Content-Type"] == "application/json"


def test_huge_declared_length_is_refused_without_reading(emu):
    import http.client
    import ssl

    from helpers.emulator import sign_request

    ctx = ssl.create_default_context(cafile=emu.ca_cert)
    conn = http.client.HTTPSConnection("127.0.0.1", emu.port, context=ctx, timeout=10)
    target = "/identities?api-version=2023-10-01"
    conn.putrequest("POST", target, skip_host=True)
    for k, v in sign_request("POST", emu.endpoint + target[1:], b"", emu.access_key).items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(10**9))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413
    assert json.loads(resp.read())["error"]["code"] == "RequestEntityTooLarge"
    conn.close()
