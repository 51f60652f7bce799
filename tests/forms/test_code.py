"""Forms show the SDK call they made, and that line runs as written in a notebook code cell.

Each test clicks a form, takes the line it shows, runs it with `exec` against a real client of the
local service (with only the names the notebooks' code cells import) and checks the effect on the
service, so the code a learner copies is proven to work.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

from helpers import forms
from helpers import identity as lab
from helpers.forms.render import sdk_call_text


@pytest.fixture
def session():
    return forms.LabSession()


def shown_code(form) -> str:
    """The one line of code in the form's code block, as the learner would copy it."""
    blocks = re.findall(r"<pre>(.*?)</pre>", form.code.value, flags=re.S)
    assert len(blocks) == 1, form.code.value
    line = html.unescape(blocks[0])
    assert "\n" not in line
    return line


def run_in_a_code_cell(line: str, client):
    """Run the line with the names a notebook's code cells have, and return its value."""
    names = {
        "client": client,
        "CommunicationUserIdentifier": CommunicationUserIdentifier,
        "timedelta": timedelta,
    }
    exec(f"result = {line}", names)  # noqa: S102 - the point is to prove the shown code runs
    return names["result"]


def assert_no_secrets(form, emu, *tokens):
    key = emu.connection_string.split("accesskey=", 1)[1]
    assert key not in form.code.value
    for token in tokens:
        assert token not in form.code.value


def test_create_identity_shows_create_user_and_it_runs(client, admin, session, emu):
    form = forms.CreateIdentityForm(client, session)
    form.create_button.click()
    assert shown_code(form) == "client.create_user()"
    assert "copy it into a code cell" in form.code.value
    before = {i["id"] for i in admin.identities()}
    user = run_in_a_code_cell(shown_code(form), client)
    assert user.properties["id"] not in before
    assert user.properties["id"] in {i["id"] for i in admin.identities()}
    assert_no_secrets(form, emu)


def test_issue_token_shows_get_token_with_the_full_id_and_it_runs(client, admin, session, emu):
    identity_id = lab.create_identity(client).id
    session.remember_identity(identity_id)
    form = forms.IssueTokenForm(client, session)
    form.scopes.tick(["chat"])
    form.minutes.value = 90
    form.issue_button.click()
    line = shown_code(form)
    assert line == (
        f'client.get_token(CommunicationUserIdentifier("{identity_id}"), ["chat"], '
        "token_expires_in=timedelta(minutes=90))"
    )
    token = run_in_a_code_cell(line, client)
    check = lab.check_token(client, token.token, admin=admin)
    assert (check.status, check.identity_id, check.scopes) == ("valid", identity_id, ("chat",))
    assert 89 * 60 < decode_lifetime(token.token) <= 90 * 60
    assert_no_secrets(form, emu, session.latest_token(identity_id).token, token.token)


def decode_lifetime(token: str) -> float:
    from helpers.tokens import decode_token

    return decode_token(token).lifetime.total_seconds()


def test_refresh_shows_the_same_call_as_issuing(client, session):
    identity_id = lab.create_identity(client).id
    session.remember_identity(identity_id)
    form = forms.RefreshTokenForm(client, session)
    form.refresh_button.click()
    assert shown_code(form).startswith(
        f'client.get_token(CommunicationUserIdentifier("{identity_id}"), ["voip"]'
    )


def test_create_identity_and_token_shows_its_call_and_it_runs(client, admin, session):
    form = forms.CreateIdentityAndTokenForm(client, session)
    form.scopes.tick(["chat", "voip"])
    form.minutes.value = 60
    form.create_button.click()
    line = shown_code(form)
    assert line == (
        'client.create_user_and_token(["chat", "voip"], token_expires_in=timedelta(minutes=60))'
    )
    user, token = run_in_a_code_cell(line, client)
    check = lab.check_token(client, token.token, admin=admin)
    assert check.identity_id == user.properties["id"] and check.scopes == ("chat", "voip")


def test_revoke_shows_revoke_tokens_and_it_runs(client, admin, session):
    identity_id = lab.create_identity(client).id
    session.remember_identity(identity_id)
    form = forms.RevokeTokensForm(client, session, admin=admin)
    form.revoke_button.click()
    line = shown_code(form)
    assert line == f'client.revoke_tokens(CommunicationUserIdentifier("{identity_id}"))'
    # A token issued after the form's revocation is revoked by running the shown line.
    later = lab.issue_token(client, identity_id, ["voip"])
    run_in_a_code_cell(line, client)
    assert lab.check_token(client, later.token, admin=admin).status == "revoked"


def test_delete_shows_delete_user_and_the_same_line_runs(client, admin, session):
    identity_id = lab.create_identity(client).id
    session.remember_identity(identity_id)
    form = forms.DeleteIdentityForm(client, session)
    form.delete_button.click()
    line = shown_code(form)
    assert line == f'client.delete_user(CommunicationUserIdentifier("{identity_id}"))'
    # The identity is gone now; the same line for another identity deletes that one.
    other = lab.create_identity(client).id
    run_in_a_code_cell(line.replace(identity_id, other), client)
    deleted = {i["id"] for i in admin.identities() if i["deletedAt"]}
    assert {identity_id, other} <= deleted


def test_a_failed_call_shows_what_was_sent(client, session):
    identity_id = lab.create_identity(client).id
    session.remember_identity(identity_id)
    form = forms.IssueTokenForm(client, session)
    form.minutes.value = 2000
    form.issue_button.click()
    assert "ExpiresInMinutes value 2000 is invalid" in form.last_error
    assert "failed" in form.code.value
    line = shown_code(form)
    assert line.endswith("token_expires_in=timedelta(minutes=2000))")
    # Run as written, the learner's own code gets the same refusal from the service.
    with pytest.raises(Exception, match="ExpiresInMinutes value 2000 is invalid"):
        run_in_a_code_cell(line, client)


def test_the_lifetime_error_is_explained_in_the_learners_language(client, session, monkeypatch):
    monkeypatch.setenv("ACS_LAB_LANGUAGE", "de")
    session.remember_identity(lab.create_identity(client).id)
    form = forms.IssueTokenForm(client, session)
    form.minutes.value = 30
    form.issue_button.click()
    assert form.last_error.startswith("Ein Token ist 1 bis 24 Stunden gültig")
    assert "ExpiresInMinutes value 30 is invalid" in form.last_error  # the service, quoted


def test_input_refused_before_sending_shows_no_code(client, session):
    form = forms.IssueTokenForm(client, session)
    form.issue_button.click()  # no identity: nothing is sent
    assert "No identity chosen" in form.last_error
    assert form.code.value == ""


def test_the_code_of_the_previous_action_goes_away(client, session):
    form = forms.CreateIdentityForm(client, session)
    form.create_button.click()
    assert form.code.value
    form.client = CommunicationIdentityClient.from_connection_string(
        "endpoint=https://127.0.0.1:1/;accesskey=" + "QUJD" * 11
    )
    form.create_button.click()
    assert "Can&#x27;t reach" in form.error.value or "Can't reach" in form.last_error
    assert shown_code(form) == "client.create_user()"  # the failed call, not a stale one
    assert "failed" in form.code.value


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lab.SdkCall("create_user"), "client.create_user()"),
        (
            lab.SdkCall("get_token", (CommunicationUserIdentifier("8:acs:x_y"), ["chat"])),
            'client.get_token(CommunicationUserIdentifier("8:acs:x_y"), ["chat"])',
        ),
        (
            lab.SdkCall(
                "create_user_and_token", (["voip"],), (("token_expires_in", timedelta(0)),)
            ),
            'client.create_user_and_token(["voip"], token_expires_in=timedelta(minutes=0))',
        ),
        (
            lab.SdkCall("get_token", ('a "quoted" \\ id',)),
            "client.get_token('a \"quoted\" \\\\ id')",
        ),
        (
            lab.SdkCall("get_token", ("x",), (("token_expires_in", timedelta(seconds=90)),)),
            'client.get_token("x", token_expires_in=timedelta(seconds=90.0))',
        ),
    ],
)
def test_sdk_call_text_is_python_source_for_the_call(call, text):
    assert sdk_call_text(call) == text
    compile(text, "<cell>", "eval")


def test_a_refused_teams_exchange_shows_its_call_with_the_entra_token_by_name_only(client, emu):
    from helpers.emulator import entra

    app_id, user_oid = (
        "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac",
        "32c0a5db-05ec-78ea-51ab-3f06b329397e",
    )
    token = entra.teams_user_token(user_oid, app_id, state_dir=emu.state_dir)
    other_user = "8d1f3c52-0c4c-4b7e-9d8e-2f0a6b1c7e44"
    with pytest.raises(lab.LabError) as caught:
        lab.exchange_teams_token(client, token, app_id, other_user)
    line = sdk_call_text(caught.value.call)
    assert line == f'client.get_token_for_teams_user(aad_token, "{app_id}", "{other_user}")'
    assert token not in line
