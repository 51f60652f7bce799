"""The Teams exchange (`get_token_for_teams_user`) against the local Entra ID's tokens.

Each error case is one the SDK's own tests run live, with the status, code, message and target
Azure answered in its recordings. The valid case returns an ACS token of that Teams user.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import jwt
import pytest
from azure.core.exceptions import HttpResponseError

from helpers.emulator.entra import LocalEntraID
from helpers.emulator.tokens import TokenService

from .conftest import raw_request

APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"
OTHER_GUID = "8d1f3c52-0c4c-4b7e-9d8e-2f0a6b1c7e44"

INVALID_TOKEN = (401, "InvalidAccessToken", "Provided access token is not valid.", None)
APP_REQUIRED = (400, "ValidationError", "AppId: The AppId field is required.", "AppId")
APP_FORMAT = (400, "ValidationError", "Provided AppId has invalid format.", "appId")
USER_REQUIRED = (400, "ValidationError", "UserId: The UserId field is required.", "UserId")
USER_FORMAT = (400, "ValidationError", "Provided UserId has invalid format.", "userId")
WRONG_APP = (400, "ValidationError", "AAD application is not the expected one.", "appId")
WRONG_USER = (400, "ValidationError", "Provided AAD token issued for unexpected user.", "userId")


@pytest.fixture(scope="module")
def entra(emu):
    return LocalEntraID.from_state(emu.state_dir)


@pytest.fixture(scope="module")
def teams_token(entra):
    return entra.teams_user_token(USER_OID, APP_ID)


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _other_entra_token(entra) -> str:
    """Same claims, signed by a key that is not the local Entra ID's."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = _claims(entra.teams_user_token(USER_OID, APP_ID))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, stranger, algorithm="RS256")


def _resigned(entra, **changes) -> str:
    claims = {**_claims(entra.teams_user_token(USER_OID, APP_ID)), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return entra._sign(claims)


# (name, (token, appId, userId) from the fixtures, expected); mirrors the SDK's live tests.
def _cases(entra, token):
    expired = entra.teams_user_token(USER_OID, APP_ID, 60, now=time.time() - 2 * 3600)
    return {
        "empty token": (("", APP_ID, USER_OID), INVALID_TOKEN),
        "invalid token": (("invalid", APP_ID, USER_OID), INVALID_TOKEN),
        "expired token": ((expired, APP_ID, USER_OID), INVALID_TOKEN),
        "token and user empty: the token is judged first": (("", APP_ID, ""), INVALID_TOKEN),
        "empty client id": ((token, "", USER_OID), APP_REQUIRED),
        "invalid client id": ((token, "invalid", USER_OID), APP_FORMAT),
        "wrong client id (the user's oid)": ((token, USER_OID, USER_OID), WRONG_APP),
        "empty user object id": ((token, APP_ID, ""), USER_REQUIRED),
        "invalid user object id": ((token, APP_ID, "invalid"), USER_FORMAT),
        "wrong user object id (the client id)": ((token, APP_ID, APP_ID), WRONG_USER),
        "signed by another key": ((_other_entra_token(entra), APP_ID, USER_OID), INVALID_TOKEN),
        "an ACS bearer token (wrong audience)": (
            (entra.managed_identity_token("https://communication.azure.com/")[0], APP_ID, USER_OID),
            INVALID_TOKEN,
        ),
        "without Teams.ManageChats": (
            (_resigned(entra, scp="Teams.ManageCalls"), APP_ID, USER_OID),
            INVALID_TOKEN,
        ),
        "lives longer than a day": (
            (_resigned(entra, exp=int(time.time()) + 25 * 3600), APP_ID, USER_OID),
            INVALID_TOKEN,
        ),
        "without nbf": ((_resigned(entra, nbf=None), APP_ID, USER_OID), INVALID_TOKEN),
        "times as strings": (
            (_resigned(entra, nbf=str(int(time.time()))), APP_ID, USER_OID),
            INVALID_TOKEN,
        ),
    }


CASE_NAMES = [
    "empty token",
    "invalid token",
    "expired token",
    "token and user empty: the token is judged first",
    "empty client id",
    "invalid client id",
    "wrong client id (the user's oid)",
    "empty user object id",
    "invalid user object id",
    "wrong user object id (the client id)",
    "signed by another key",
    "an ACS bearer token (wrong audience)",
    "without Teams.ManageChats",
    "lives longer than a day",
    "without nbf",
    "times as strings",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_exchange_errors_match_azure(client, entra, teams_token, name):
    cases = _cases(entra, teams_token)
    assert set(cases) == set(CASE_NAMES)  # none left out of the parametrization
    args, (status, code, message, target) = cases[name]
    with pytest.raises(HttpResponseError) as exc:
        client.get_token_for_teams_user(*args)
    err = exc.value
    assert (err.status_code, err.error.code, err.error.message) == (status, code, message)
    assert err.error.target == target
    assert err.response.headers["Content-Type"] == "application/json"
    # Azure's 401 here came without api-supported-versions; its 400s list them.
    listed = "api-supported-versions" in err.response.headers
    assert listed == (status != 401)


def test_a_valid_exchange_returns_the_teams_users_acs_token(emu, client, entra, admin):
    entra_token = entra.teams_user_token(USER_OID, APP_ID, minutes=70)
    result = client.get_token_for_teams_user(entra_token, APP_ID, USER_OID)
    claims = _claims(result.token)
    assert claims["skypeid"] == f"orgid:{USER_OID}"
    assert claims["resourceId"] == emu.resource_id.lower()
    assert claims["tid"] == entra.tenant_id
    assert claims["acsScope"] == "voip,chat"
    # It expires with the Entra token it was exchanged for.
    assert claims["exp"] == _claims(entra_token)["exp"]
    assert result.expires_on.startswith(
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(claims["exp"]))
    )
    # Signed with the resource's token key, and the service vouches for it.
    keys = TokenService(emu.state_dir / "token-signing-key.pem", emu.resource_id)
    jwt.api_jws.decode(result.token, keys.public_key, algorithms=["RS256"])
    report = admin.introspect(result.token)
    assert (report["status"], report["identity"]) == ("valid", f"8:orgid:{USER_OID}")
    # The ACS token's payload decodes the way the Python SDK's own helper reads it.
    payload = result.token.split(".")[1]
    assert json.loads(base64.b64decode(payload + "=="))["exp"] == claims["exp"]


def test_ids_match_whatever_their_letter_case(client, entra):
    token = entra.teams_user_token(USER_OID, APP_ID)
    assert client.get_token_for_teams_user(token, APP_ID.upper(), USER_OID.upper()).token


def test_the_async_client_exchanges_too(emu, entra):
    from azure.communication.identity.aio import CommunicationIdentityClient

    async def exchange():
        async with CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle, retry_total=0
        ) as aio_client:
            token = entra.teams_user_token(USER_OID, APP_ID)
            return await aio_client.get_token_for_teams_user(token, APP_ID, USER_OID)

    assert _claims(asyncio.run(exchange()).token)["skypeid"] == f"orgid:{USER_OID}"


def test_a_token_from_another_state_dirs_entra_id_is_refused(client, tmp_path):
    stranger = LocalEntraID.from_state(tmp_path / "elsewhere")
    with pytest.raises(HttpResponseError) as exc:
        client.get_token_for_teams_user(
            stranger.teams_user_token(USER_OID, APP_ID), APP_ID, USER_OID
        )
    assert (exc.value.status_code, exc.value.error.code) == (401, "InvalidAccessToken")


EXCHANGE = "/teamsUser/:exchangeAccessToken?api-version={}"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"token": 1, "appId": APP_ID, "userId": USER_OID}, "token"),
        ({"token": "x", "appId": ["a"], "userId": USER_OID}, "appId"),
        ({"token": "x", "appId": APP_ID, "userId": 7}, "userId"),
    ],
)
def test_fields_that_are_not_strings_are_named(emu, body, field):
    reply = raw_request(
        emu, "POST", EXCHANGE.format("2023-10-01"), json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert reply.status == 400
    assert reply.json()["error"] == {
        "code": "InvalidRequestBody",
        "message": f"The field '{field}' must be a string.",
        "target": field,
    }


def test_an_empty_body_is_refused(emu):
    reply = raw_request(emu, "POST", EXCHANGE.format("2023-10-01"), b"")
    assert (reply.status, reply.json()["error"]["code"]) == (400, "InvalidRequestBody")


@pytest.mark.parametrize(
    "version, accepted",
    [
        ("2021-03-07", False),
        ("2021-10-31-preview", False),  # its body shape is not recorded: today's rule holds
        ("2021-11-01", False),
        ("2022-06-01", True),
        ("2022-10-01", True),
        ("2023-08-01", True),
        ("2023-10-01", True),
    ],
)
def test_the_exchange_exists_from_2022_06_01(emu, teams_token, version, accepted):
    body = json.dumps({"token": teams_token, "appId": APP_ID, "userId": USER_OID}).encode()
    reply = raw_request(
        emu, "POST", EXCHANGE.format(version), body, headers={"Content-Type": "application/json"}
    )
    if accepted:
        assert reply.status == 200, reply.body
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        assert set(reply.json()) == {"token", "expiresOn"}
    else:
        assert (reply.status, reply.json()["error"]["code"]) == (400, "UnsupportedApiVersion")


def test_fuzzed_exchange_bodies_never_500_and_always_answer_as_azure(emu, entra, teams_token):
    """Bodies around a valid token (fields dropped, swapped, retyped, re-cased, truncated):
    the answer is always 200, 400 or 401 with the ACS envelope, never a 5xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    valid = {"token": teams_token, "appId": APP_ID, "userId": USER_OID}
    values = st.one_of(
        st.sampled_from([teams_token, APP_ID, USER_OID, APP_ID.upper(), "", "invalid"]),
        st.sampled_from([teams_token[:-5], teams_token + "x", teams_token.replace(".", "", 1)]),
        st.none(), st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
        st.text(max_size=40),
    )  # fmt: skip
    bodies = st.fixed_dictionaries(
        {}, optional={key: st.one_of(st.just(value), values) for key, value in valid.items()}
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies)
    def exchange(body):
        reply = raw_request(
            emu, "POST", EXCHANGE.format("2023-10-01"), json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert reply.status in (200, 400, 401), reply.body
        answer = reply.json()
        if reply.status == 200:
            assert body == valid or {k: str(v).lower() for k, v in body.items()} == {
                k: v.lower() for k, v in valid.items()
            }
            assert set(answer) == {"token", "expiresOn"}
        else:
            assert set(answer["error"]) <= {"code", "message", "target"}
            assert answer["error"]["message"]

    exchange()
