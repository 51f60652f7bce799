"""The Teams exchange form, driven headlessly: simulated sign-in, exchange, masking, errors."""

from __future__ import annotations

from helpers import connection, forms

from .test_forms import assert_ok, assert_one_line_error

APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"


def _form(client, emu):
    return forms.TeamsExchangeForm(client, simulate_sign_in=True, state_dir=emu.state_dir)


def test_sign_in_then_exchange_shows_the_teams_users_token_masked(client, emu):
    form = _form(client, emu)
    form.sign_in_button.click()
    assert_ok(form)
    assert form.entra_token.value.count(".") == 2
    form.exchange_button.click()
    assert_ok(form)
    token = form.exchanged.token
    assert f"8:orgid:{USER_OID}" in form.result.value
    assert token not in form.result.value and "chars)" in form.result.value
    call = f'client.get_token_for_teams_user(aad_token, "{APP_ID}", "{USER_OID}")'
    assert call in form.code.value.replace("&quot;", '"')
    assert form.entra_token.value not in form.code.value
    form.reveal_button.value = True
    assert token in form.result.value
    form.reveal_button.value = False
    assert token not in form.result.value


def test_a_token_for_another_user_is_one_line_with_the_services_words(client, emu):
    form = _form(client, emu)
    form.sign_in_button.click()
    form.user_object_id.value = "8d1f3c52-0c4c-4b7e-9d8e-2f0a6b1c7e44"
    form.exchange_button.click()
    assert_one_line_error(form, "Provided AAD token issued for unexpected user.", "another user")
    assert form.reveal_button.disabled and form.result.value == ""
    assert "get_token_for_teams_user(aad_token," in form.code.value  # the call that failed


def test_bad_input_never_reaches_the_service(client, emu):
    form = _form(client, emu)
    form.exchange_button.click()
    assert_one_line_error(form, "No Entra ID token given.")
    form.client_id.value = "my app"
    form.sign_in_button.click()
    assert_one_line_error(form, "'my app' is not a valid application (client) ID.")


def test_the_sign_in_button_is_there_offline_only(emu, monkeypatch, tmp_path):
    monkeypatch.setenv("ACS_LAB_BACKEND", "emulator")
    monkeypatch.setenv("ACS_EMULATOR_HOME", str(tmp_path / "state"))
    try:
        offline = connection.connect(quiet=True)
        form = forms.TeamsExchangeForm(offline)
        assert form.sign_in_button is not None
        form.sign_in_button.click()  # the embedded service's own Entra ID
        form.exchange_button.click()
        assert_ok(form)
    finally:
        connection.stop_embedded_service()
    online = object()  # a client connect() didn't make: no simulation offered
    assert forms.TeamsExchangeForm(online).sign_in_button is None
