"""HMAC verification (table-driven) and bearer tokens from the local Entra stand-in."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import time

import jwt
import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.emulator import LocalEntraCredential, sign_request, start
from helpers.emulator.auth import ACS_SCOPE, ENTRA_AUDIENCE, ENTRA_ISSUER
from tests.support import sdk_client

from .conftest import raw_request

TARGET = "/identities?api-version=2023-10-01"
BODY = b'{"createTokenWithScopes": ["chat"]}'
DENIED = {"error": {"code": "Denied", "message": "Denied by the resource provider."}}
WRONG_KEY = base64.b64encode(b"x" * 64).decode()


def _date(offset_minutes: float) -> str:
    return email.utils.formatdate(time.time() + offset_minutes * 60, usegmt=True)


def _signed(emu, method="POST", target=TARGET, body=BODY, key=None, date=None):
    url = emu.endpoint.rstrip("/") + target
    return sign_request(method, url, body, key or emu.access_key, date=date)


# Each case returns (method, target, body, headers, drop) for the request actually sent.
CASES = {
    "wrong key": lambda e: ("POST", TARGET, BODY, _signed(e, key=WRONG_KEY), ()),
    "tampered body": lambda e: (
        "POST",
        TARGET,
        b'{"createTokenWithScopes": ["voip"]}',
        _signed(e),
        (),
    ),
    "tampered path": lambda e: (
        "POST",
        "/identities?api-version=2023-10-01",
        BODY,
        _signed(e, target="/identitiez?api-version=2023-10-01"),
        (),
    ),
    "tampered query": lambda e: (
        "POST",
        "/identities?api-version=2022-10-01",
        BODY,
        _signed(e),
        (),
    ),
    "wrong method": lambda e: ("POST", TARGET, BODY, _signed(e, method="PUT"), ()),
    "stale date -16min": lambda e: ("POST", TARGET, BODY, _signed(e, date=_date(-16)), ()),
    "future date +16min": lambda e: ("POST", TARGET, BODY, _signed(e, date=_date(16)), ()),
    "missing x-ms-date": lambda e: ("POST", TARGET, BODY, _signed(e), ("x-ms-date",)),
    "missing content hash": lambda e: ("POST", TARGET, BODY, _signed(e), ("x-ms-content-sha256",)),
    "missing authorization": lambda e: ("POST", TARGET, BODY, _signed(e), ("Authorization",)),
    "wrong host": lambda e: ("POST", TARGET, BODY, {**_signed(e), "Host": "evil.example:443"}, ()),
    "garbled authorization": lambda e: (
        "POST",
        TARGET,
        BODY,
        {**_signed(e), "Authorization": "HMAC-SHA256 garbage"},
        (),
    ),
    "other scheme": lambda e: (
        "POST",
        TARGET,
        BODY,
        {**_signed(e), "Authorization": "Basic dXNlcjpwYXNz"},
        (),
    ),
    "garbled date": lambda e: ("POST", TARGET, BODY, _signed(e, date="yesterday at noon"), ()),
    "non-GMT date": lambda e: (
        "POST",
        TARGET,
        BODY,
        _signed(e, date=_date(0).replace("GMT", "+0100")),
        (),
    ),
    "hash of other body": lambda e: (
        "POST",
        TARGET,
        BODY,
        {**_signed(e), "x-ms-content-sha256": _signed(e, body=b"")["x-ms-content-sha256"]},
        (),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hmac_failure_is_bland_401(emu, name):
    method, target, body, headers, drop = CASES[name](emu)
    reply = raw_request(emu, method, target, body, headers=headers, sign=False, drop=drop)
    assert reply.status == 401
    assert reply.json() == DENIED
    assert reply.headers["Content-Type"] == "application/json"  # errors: no charset, as Azure


def test_missing_host_http11_is_protocol_400_and_http10_is_401(emu):
    import socket
    import ssl

    headers = _signed(emu)
    lines = [f"{k}: {v}" for k, v in headers.items() if k != "Host"]
    ctx = ssl.create_default_context(cafile=emu.ca_cert)
    for version, status in (("HTTP/1.1", b" 400 "), ("HTTP/1.0", b" 401 ")):
        head = f"POST {TARGET} {version}\r\n" + "\r\n".join(lines)
        head += f"\r\nContent-Length: {len(BODY)}\r\n\r\n"
        raw = socket.create_connection(("127.0.0.1", emu.port))
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(head.encode() + BODY)
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
        assert status in data.split(b"\r\n", 1)[0], data[:100]
        if version == "HTTP/1.0":
            assert b'"code": "Denied"' in data


@pytest.mark.parametrize("offset", [-14, 0, 14])
def test_hmac_accepts_dates_within_15_minutes(emu, offset):
    headers = _signed(emu, date=_date(offset))
    reply = raw_request(emu, "POST", TARGET, BODY, headers=headers, sign=False)
    assert reply.status == 201


def test_hmac_signs_raw_target_both_encodings(emu, client):
    user_id = client.create_user().properties["id"]
    body = b'{"scopes": ["chat"]}'
    for shown in (user_id, user_id.replace(":", "%3A")):
        target = f"/identities/{shown}/:issueAccessToken?api-version=2023-10-01"
        assert raw_request(emu, "POST", target, body).status == 200
    # Signed with the other encoding than the one sent: must fail.
    target = f"/identities/{user_id}/:issueAccessToken?api-version=2023-10-01"
    headers = _signed(emu, target=target.replace(":", "%3A"), body=body)
    assert raw_request(emu, "POST", target, body, headers=headers, sign=False).status == 401


def test_sdk_with_wrong_key_raises_client_auth_error(emu):
    conn = f"endpoint={emu.endpoint};accesskey={WRONG_KEY}"
    c = sdk_client(conn, emu.ca_bundle)
    with pytest.raises(ClientAuthenticationError) as exc:
        c.create_user()
    assert exc.value.error.code == "Denied"


def test_sign_request_matches_sdk_test_vector():
    headers = sign_request(
        "GET",
        "https://contoso.communicationservices.azure.com/testPath?testQuery=yes",
        b"",
        "pw==",
        date="Wed, 13 Apr 2022 18:09:12 GMT",
    )
    assert headers["Authorization"].endswith(
        "&Signature=il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="
    )


# --- bearer ---------------------------------------------------------------------------------


def _bearer_client(emu, credential, **kw):
    return CommunicationIdentityClient(
        emu.endpoint.rstrip("/"), credential, connection_verify=emu.ca_bundle, retry_total=0, **kw
    )


def test_sdk_with_local_entra_credential(emu):
    c = _bearer_client(emu, LocalEntraCredential(emu.state_dir))
    user, tok = c.create_user_and_token(["voip"])
    assert c.get_token(user, ["chat"]).token
    c.revoke_tokens(user)
    c.delete_user(user)


def test_aio_sdk_with_local_entra_credential(emu):
    from helpers.emulator import AsyncLocalEntraCredential

    async def main():
        async with AsyncClient(
            emu.endpoint.rstrip("/"),
            AsyncLocalEntraCredential(emu.state_dir),
            connection_verify=emu.ca_bundle,
            retry_total=0,
        ) as c:
            user = await c.create_user()
            await c.get_token(user, ["voip"])
            await c.delete_user(user)

    asyncio.run(main())


def test_credential_refuses_other_scopes(emu):
    cred = LocalEntraCredential(emu.state_dir)
    assert cred.get_token(ACS_SCOPE).expires_on > time.time() + 3000
    with pytest.raises(ClientAuthenticationError):
        cred.get_token("https://graph.microsoft.com/.default")


class _FixedToken:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes, **kw):
        return AccessToken(self.token, int(time.time()) + 3600)


def _forged(claims_override=None, key=None):
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"aud": ENTRA_AUDIENCE, "iss": ENTRA_ISSUER, "iat": now, "exp": now + 3600}
    claims.update(claims_override or {})
    return jwt.encode(claims, key, algorithm="RS256")


def _entra_key(state_dir):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        (state_dir / "entra-signing-key.pem").read_bytes(), password=None
    )


BEARER_CASES = {
    "forged signature": lambda emu: _forged(),
    "not a jwt": lambda emu: "definitely-not-a-token",
    "expired": lambda emu: _forged({"exp": int(time.time()) - 10}, _entra_key(emu.state_dir)),
    "wrong audience": lambda emu: _forged(
        {"aud": "https://graph.microsoft.com"}, _entra_key(emu.state_dir)
    ),
    "wrong issuer": lambda emu: _forged({"iss": "https://evil"}, _entra_key(emu.state_dir)),
    "alg none": lambda emu: jwt.encode(
        {"aud": ENTRA_AUDIENCE, "iss": ENTRA_ISSUER}, None, algorithm="none"
    ),
}


@pytest.mark.parametrize("name", list(BEARER_CASES))
def test_other_bearer_tokens_are_401(emu, name):
    c = _bearer_client(emu, _FixedToken(BEARER_CASES[name](emu)))
    with pytest.raises(ClientAuthenticationError) as exc:
        c.create_user()
    assert exc.value.error.code == "Denied"


def test_acs_access_token_is_not_a_bearer_token(emu, client):
    _, tok = client.create_user_and_token(["chat"])
    c = _bearer_client(emu, _FixedToken(tok.token))
    with pytest.raises(ClientAuthenticationError):
        c.create_user()


def test_credential_of_another_state_dir_is_401(emu, tmp_path):
    with start(tmp_path / "other"):
        cred = LocalEntraCredential(tmp_path / "other")
    with pytest.raises(ClientAuthenticationError):
        _bearer_client(emu, cred).create_user()
