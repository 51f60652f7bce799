"""Every operation through the real SDK (sync and aio) on every supported api-version."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import timedelta

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient
from azure.core.exceptions import HttpResponseError

VERSIONS = ["2021-03-07", "2022-06-01", "2022-10-01", "2023-08-01", "2023-10-01"]
JOIN = ["chat.join", "chat.join.limited", "voip.join"]
EXPIRES_ON = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00")


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.b64decode(payload + "==").decode("ascii"))


def check_token(tok, scopes, minutes):
    assert EXPIRES_ON.fullmatch(tok.expires_on), tok.expires_on
    c = claims(tok.token)
    assert c["exp"] - c["iat"] == minutes * 60
    assert c["acsScope"] == ",".join(scopes)


def expect_400(fn, target):
    with pytest.raises(HttpResponseError) as exc:
        fn()
    assert exc.value.status_code == 400
    assert exc.value.error.code == "ValidationError"
    assert exc.value.error.target == target


def run_sync(c, version):
    expiry = version >= "2022-10-01"
    joins = version >= "2023-10-01"
    user = c.create_user()
    assert user.properties["id"].startswith("8:acs:")
    check_token(c.get_token(user, ["chat", "voip"]), ["chat", "voip"], 1440)
    u2, tok = c.create_user_and_token(["voip"])
    check_token(tok, ["voip"], 1440)
    assert u2.properties["id"] != user.properties["id"]
    if expiry:
        check_token(c.get_token(user, ["chat"], token_expires_in=timedelta(hours=1)), ["chat"], 60)
        _, tok = c.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=1440))
        check_token(tok, ["chat"], 1440)
    else:
        expect_400(
            lambda: c.get_token(user, ["chat"], token_expires_in=timedelta(hours=1)),
            "expiresInMinutes",
        )
        expect_400(
            lambda: c.create_user_and_token(["chat"], token_expires_in=timedelta(hours=1)),
            "expiresInMinutes",
        )
    for scope in JOIN:
        if joins:
            check_token(c.get_token(user, [scope]), [scope], 1440)
        else:
            expect_400(lambda s=scope: c.get_token(user, [s]), "scopes")
    if joins:
        _, tok = c.create_user_and_token(JOIN)
        check_token(tok, JOIN, 1440)
    c.revoke_tokens(user)
    c.delete_user(user)
    c.delete_user(u2)


async def run_async(c, version):
    expiry = version >= "2022-10-01"
    joins = version >= "2023-10-01"
    user = await c.create_user()
    check_token(await c.get_token(user, ["voip"]), ["voip"], 1440)
    _, tok = await c.create_user_and_token(["chat", "voip"])
    check_token(tok, ["chat", "voip"], 1440)
    if expiry:
        tok = await c.get_token(user, ["voip"], token_expires_in=timedelta(hours=1))
        check_token(tok, ["voip"], 60)
    else:
        with pytest.raises(HttpResponseError) as exc:
            await c.get_token(user, ["voip"], token_expires_in=timedelta(hours=1))
        assert exc.value.status_code == 400
    if joins:
        check_token(await c.get_token(user, JOIN), JOIN, 1440)
    else:
        with pytest.raises(HttpResponseError) as exc:
            await c.get_token(user, ["voip.join"])
        assert exc.value.error.target == "scopes"
    await c.revoke_tokens(user)
    await c.delete_user(user)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_operation_sync(emu, version):
    c = CommunicationIdentityClient.from_connection_string(
        emu.connection_string, connection_verify=emu.ca_bundle, api_version=version, retry_total=0
    )
    run_sync(c, version)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_operation_aio(emu, version):
    async def main():
        async with AsyncClient.from_connection_string(
            emu.connection_string,
            connection_verify=emu.ca_bundle,
            api_version=version,
            retry_total=0,
        ) as c:
            await run_async(c, version)

    asyncio.run(main())


def test_default_api_version_is_2023_10_01_and_expiry_bounds_inclusive(client):
    user = client.create_user()
    for minutes in (60, 1440):
        tok = client.get_token(user, ["chat"], token_expires_in=timedelta(minutes=minutes))
        check_token(tok, ["chat"], minutes)
    check_token(client.get_token(user, ["voip.join"]), ["voip.join"], 1440)


def test_create_user_and_token_without_scopes_returns_identity_only(client):
    # Real service: 201 without accessToken; the 1.5.0 SDK then fails on the client side.
    with pytest.raises(AttributeError):
        client.create_user_and_token(None)


def test_token_claims_look_like_acs(emu, client):
    user, tok = client.create_user_and_token(["voip", "chat"])
    c = claims(tok.token)
    raw_id = user.properties["id"]
    assert c["skypeid"] == raw_id.removeprefix("8:")
    assert c["scp"] == 1792 and c["csi"] == str(c["iat"])
    assert c["rgn"] == "amer" and c["resourceLocation"] == "unitedstates"
    assert c["resourceId"] == emu.resource_id
    assert c["acsScope"] == "voip,chat"
    header = json.loads(base64.urlsafe_b64decode(tok.token.split(".")[0] + "=="))
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["kid"]
    suffix = raw_id.split("_", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", suffix)


def test_communication_token_credential_accepts_emulator_tokens(client):
    from azure.communication.identity._shared.user_credential import (
        CommunicationTokenCredential,
    )

    _, tok = client.create_user_and_token(["chat"])
    cred = CommunicationTokenCredential(tok.token)
    assert cred.get_token().expires_on == claims(tok.token)["exp"]
