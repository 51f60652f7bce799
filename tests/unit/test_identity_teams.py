"""The service layer's Teams exchange: a dataclass on success, one friendly line on failure."""

from __future__ import annotations

import time

import pytest

from helpers import identity as lab
from helpers.emulator.entra import LocalEntraID
from helpers.tokens import decode_token

from .test_identity import NeverCalled, one_line_error

APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"


@pytest.fixture(scope="module")
def entra(emu):
    return LocalEntraID.from_state(emu.state_dir)


def test_exchange_returns_the_teams_users_token(client, entra, admin):
    entra_token = entra.teams_user_token(USER_OID, APP_ID, 80)
    result = lab.exchange_teams_token(client, entra_token, APP_ID, USER_OID)
    assert result.identity_id == f"8:orgid:{USER_OID}"
    assert decode_token(result.token).identity_id == result.identity_id
    assert abs(result.expires_at.timestamp() - (time.time() + 80 * 60)) < 120
    assert result.expires_on_raw.endswith("+00:00")
    assert admin.introspect(result.token)["status"] == "valid"


def test_repr_and_str_never_show_the_token_whole(client, entra):
    result = lab.exchange_teams_token(
        client, entra.teams_user_token(USER_OID, APP_ID), APP_ID, USER_OID
    )
    for text in (repr(result), str(result)):
        assert result.token not in text and "chars)" in text


@pytest.mark.parametrize(
    "token, app, user, says",
    [
        ("", APP_ID, USER_OID, "No Entra ID token given."),
        ("not-a-token", APP_ID, USER_OID, "That is not a token"),
        ("{acs}", APP_ID, USER_OID, "That is an ACS access token"),
        ("{teams}", "", USER_OID, "No application (client) ID given."),
        ("{teams}", "my-app", USER_OID, "'my-app' is not a valid application (client) ID."),
        ("{teams}", APP_ID, None, "No user object ID given."),
        ("{teams}", APP_ID, "alice@contoso.com", "is not a valid user object ID."),
    ],
)
def test_bad_input_is_caught_before_calling_the_service(client, entra, token, app, user, says):
    acs = client.create_user_and_token(["chat"])[1].token
    token = {"{acs}": acs, "{teams}": entra.teams_user_token(USER_OID, APP_ID)}.get(token, token)
    err = one_line_error(lambda: lab.exchange_teams_token(NeverCalled(), token, app, user))
    assert says in err.message and err.hint


@pytest.mark.parametrize(
    "app, user, message, hint",
    [
        (USER_OID, USER_OID, "AAD application is not the expected one.", "another application"),
        (APP_ID, APP_ID, "Provided AAD token issued for unexpected user.", "another user"),
    ],
)
def test_mismatches_keep_the_services_words_and_say_what_to_pass(
    client, entra, app, user, message, hint
):
    token = entra.teams_user_token(USER_OID, APP_ID)
    err = one_line_error(lambda: lab.exchange_teams_token(client, token, app, user))
    assert (err.status, err.code, err.message) == (400, "ValidationError", message)
    assert hint in err.hint


def test_an_expired_entra_token_is_explained(client, entra):
    expired = entra.teams_user_token(USER_OID, APP_ID, 60, now=time.time() - 7200)
    err = one_line_error(lambda: lab.exchange_teams_token(client, expired, APP_ID, USER_OID))
    assert (err.status, err.code) == (401, "InvalidAccessToken")
    assert err.message == "The service rejected the Teams user's Entra ID token."
    assert "fresh token" in err.hint


def test_the_result_remembers_its_sdk_call_without_the_entra_token(client, entra):
    from helpers.forms.render import sdk_call_text

    token = entra.teams_user_token(USER_OID, APP_ID)
    result = lab.exchange_teams_token(client, token, APP_ID.upper(), USER_OID)
    line = sdk_call_text(result.call)
    assert line == f'client.get_token_for_teams_user(aad_token, "{APP_ID.upper()}", "{USER_OID}")'
    assert token not in repr(result) and token not in line
    assert result.call.run(client).token  # the same call, made again, works
