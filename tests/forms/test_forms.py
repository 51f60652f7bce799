"""Drive every form headlessly (.value = …, .click()) and check what the learner would see."""

import base64
import re
from types import SimpleNamespace

import pytest
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

from helpers import emulator, forms
from helpers import identity as lab

FOREIGN_ID = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"
WRONG_KEY = base64.b64encode(b"not the emulator's key, 32 bytes").decode()


def assert_one_line_error(form, *expected):
    """The form shows exactly one readable error line, and its buttons work again."""
    assert form.last_error, "expected an error line"
    assert "\n" not in form.last_error and "Traceback" not in form.last_error
    assert form.error.value.count("⚠") == 1
    for text in expected:
        assert text in form.last_error
    assert all(not b.disabled for b in form.action_buttons)


def assert_ok(form):
    assert form.last_error == "" and form.error.value == ""
    assert "✓" in form.status.value
    assert all(not b.disabled for b in form.action_buttons)


class SpyClient:
    """Passes calls to the real client and records, at each call, whether buttons were disabled."""

    def __init__(self, inner):
        self._inner = inner
        self.buttons = []
        self.disabled_during_call = []

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def spy(*args, **kwargs):
            self.disabled_during_call.append([b.disabled for b in self.buttons])
            return attr(*args, **kwargs)

        return spy


class ExplodingClient:
    """A client whose every call fails in a way nobody planned for."""

    _endpoint = "https://127.0.0.1:1"

    def create_user(self):
        raise RuntimeError("disk on fire")

    def get_token(self, *args, **kwargs):
        raise RuntimeError("disk on fire")


@pytest.fixture
def session():
    return forms.LabSession()


@pytest.fixture
def identity_id(client, session):
    created = lab.create_identity(client)
    session.remember_identity(created)
    return created.id


# --------------------------------------------------------------------------- create identity


def test_create_identity_shows_the_new_id_and_remembers_it(client, session):
    form = forms.CreateIdentityForm(client, session)
    form.create_button.click()
    assert_ok(form)
    assert len(session.identities) == 1
    assert session.identities[0] in form.result.value
    assert form.create_button.description == "Create identity"


def test_buttons_are_disabled_while_the_call_is_in_flight(client):
    spy = SpyClient(client)
    form = forms.CreateIdentityForm(spy)
    spy.buttons = form.action_buttons
    form.create_button.click()
    assert spy.disabled_during_call == [[True]]
    assert not form.create_button.disabled


def test_unreachable_service_is_one_line_with_what_to_do(tmp_path):
    with emulator.start(state_dir=tmp_path) as stopped:
        client = CommunicationIdentityClient.from_connection_string(
            stopped.connection_string, connection_verify=stopped.ca_bundle, retry_total=0
        )
    form = forms.CreateIdentityForm(client)
    form.create_button.click()
    assert_one_line_error(form, "Can't reach the service at", "helpers.connect()")
    assert form.result.value == ""


def test_wrong_key_is_one_line_and_never_shows_a_key(emu):
    wrong = CommunicationIdentityClient.from_connection_string(
        f"endpoint={emu.endpoint};accesskey={WRONG_KEY}",
        connection_verify=emu.ca_bundle,
        retry_total=0,
    )
    form = forms.CreateIdentityForm(wrong)
    form.create_button.click()
    assert_one_line_error(form, "rejected the access key")
    real_key = emu.connection_string.split("accesskey=", 1)[1]
    for shown in (form.error.value, form.status.value, form.result.value):
        assert WRONG_KEY not in shown and real_key not in shown


def test_unexpected_exception_becomes_one_line_instead_of_escaping():
    form = forms.CreateIdentityForm(ExplodingClient())
    form.create_button.click()
    assert_one_line_error(form)
    assert form.last_error == "Unexpected error: RuntimeError: disk on fire"


# --------------------------------------------------------------------------- issue token


def test_issue_token_shows_it_masked_then_reveals_it(client, session, identity_id):
    form = forms.IssueTokenForm(client, session)
    assert form.identity_picker.dropdown.value == identity_id
    form.scope_boxes["voip"].value = False
    form.scope_boxes["chat"].value = True
    form.scope_boxes["chat.join"].value = True
    form.minutes.value = 90
    form.issue_button.click()
    assert_ok(form)

    issued = session.latest_token(identity_id)
    assert issued.scopes == ("chat", "chat.join") and issued.lifetime_minutes == 90
    assert issued.masked in form.result.value
    assert issued.token not in form.result.value
    assert form.token_text.value == "" and form.token_text.layout.display == "none"

    form.reveal_button.value = True
    assert form.token_text.value == issued.token
    assert form.token_text.layout.display != "none"
    assert issued.token in form.result.value

    form.reveal_button.value = False
    assert form.token_text.value == "" and issued.token not in form.result.value


def test_a_new_token_starts_hidden_again(client, session, identity_id):
    form = forms.IssueTokenForm(client, session)
    form.issue_button.click()
    form.reveal_button.value = True
    form.issue_button.click()
    assert_ok(form)
    assert form.reveal_button.value is False and form.token_text.value == ""


def test_reveal_is_disabled_until_there_is_a_token(client, session):
    form = forms.IssueTokenForm(client, session)
    assert form.reveal_button.disabled
    form.issue_button.click()  # no identity yet
    assert form.reveal_button.disabled


def test_typed_id_wins_over_the_picker(client, session, identity_id):
    other = lab.create_identity(client)
    form = forms.IssueTokenForm(client, session)
    form.identity_picker.raw_id.value = f"  {other.id} "
    form.issue_button.click()
    assert_ok(form)
    assert session.latest_token(other.id) is not None
    assert session.latest_token(identity_id) is None
    assert other.id in session.identities  # pasted ids join the pickers too


def test_no_scope_is_one_line(client, session, identity_id):
    form = forms.IssueTokenForm(client, session)
    for box in form.scope_boxes.values():
        box.value = False
    form.issue_button.click()
    assert_one_line_error(form, "No scope chosen.", "Pick at least one scope")


SERVICE_RANGE_ERROR = "ExpiresInMinutes value {} is invalid. Value must be within the [60, 1440]"


@pytest.mark.parametrize("minutes", [30, 2000, 0, -5, 1441, 59])
def test_any_lifetime_can_be_entered_and_the_service_error_is_the_one_line(
    client, session, identity_id, minutes
):
    form = forms.IssueTokenForm(client, session)
    form.minutes.value = minutes
    assert form.expiry.total_minutes == minutes  # nothing clamps it
    assert "⚠" not in form.expiry.summary.value and "60 to 1440" in form.expiry.summary.value
    form.issue_button.click()
    assert_one_line_error(form, SERVICE_RANGE_ERROR.format(minutes))
    assert "⚠" not in form.expiry.summary.value  # one red line, not two
    assert session.latest_token(identity_id) is None
    # What was sent is shown, so the learner can try the same call in a code cell.
    assert f"token_expires_in=timedelta(minutes={minutes})" in form.code.value
    assert "failed" in form.code.value


@pytest.mark.parametrize(("minutes", "lifetime"), [(60, 60), (1440, 1440), (90, 90)])
def test_a_lifetime_in_range_is_issued(client, session, identity_id, minutes, lifetime):
    form = forms.IssueTokenForm(client, session)
    form.minutes.value = minutes
    form.issue_button.click()
    assert_ok(form)
    assert session.latest_token(identity_id).lifetime_minutes == lifetime


def test_presets_set_the_minutes(client, session):
    form = forms.IssueTokenForm(client, session)
    labels = [b.description for b in form.expiry.preset_buttons]
    assert labels == ["1 hour", "90 min", "8 hours", "24 hours"]
    form.expiry.preset_buttons[1].click()
    assert form.minutes.value == 90 and "90 minutes" in form.expiry.summary.value


def test_no_identity_is_one_line(client, session):
    form = forms.IssueTokenForm(client, session)
    form.issue_button.click()
    assert_one_line_error(form, "No identity chosen.")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("bob", "'bob' is not an ACS identity id."),
        ("eyJhbGciOiJSUzI1NiJ9.e30.sig", "looks like an access token"),
        (FOREIGN_ID, "belongs to another Communication Services resource"),
    ],
)
def test_bad_or_foreign_ids_are_one_line(client, session, typed, says):
    form = forms.IssueTokenForm(client, session)
    form.identity_picker.raw_id.value = typed
    form.issue_button.click()
    assert_one_line_error(form, says)


def test_deleted_identity_is_one_line(client, session, identity_id):
    lab.delete_identity(client, identity_id)
    form = forms.IssueTokenForm(client, session)
    form.issue_button.click()
    assert_one_line_error(form, "That identity doesn't exist", "Create a new identity")


def test_widgets_have_descriptions_a_browser_can_find(client, session):
    form = forms.IssueTokenForm(client, session)
    assert form.issue_button.description == "Issue token"
    assert form.reveal_button.description == "Reveal token"
    assert [b.description for b in form.scope_boxes.values()] == list(lab.ALL_SCOPES)
    assert form.minutes.description == "Minutes" and form.minutes.value == 1440
    assert form.identity_picker.dropdown.description == "Identity"
    assert form.identity_picker.raw_id.description == "or paste id"


# --------------------------------------------------------------------------- other forms


def test_create_identity_and_token_in_one_click(client, session):
    form = forms.CreateIdentityAndTokenForm(client, session)
    form.scope_boxes["chat"].value = True
    form.create_button.click()
    assert_ok(form)
    [identity_id] = session.identities
    issued = session.latest_token(identity_id)
    assert issued.scopes == ("chat", "voip")
    assert issued.masked in form.result.value and issued.token not in form.result.value
    assert form.create_button.description == "Create identity and token"


def test_refresh_keeps_scopes_and_says_the_old_token_still_works(client, admin, session):
    form = forms.CreateIdentityAndTokenForm(client, session)
    form.scope_boxes["voip"].value = False
    form.scope_boxes["voip.join"].value = True
    form.create_button.click()
    [identity_id] = session.identities
    old = session.latest_token(identity_id)

    refresh = forms.RefreshTokenForm(client, session, admin=admin)
    assert refresh.scopes.selected == ["voip.join"]  # taken from the previous token
    refresh.refresh_button.click()
    assert_ok(refresh)
    new = session.latest_token(identity_id)
    assert new.token != old.token
    assert re.search(r"Previous token .*valid", refresh.result.value)
    assert refresh.refresh_button.description == "Refresh token"


def test_revoke_shows_the_latest_token_valid_before_and_revoked_after(client, admin, session):
    issue = forms.CreateIdentityAndTokenForm(client, session)
    issue.create_button.click()
    form = forms.RevokeTokensForm(client, session, admin=admin)
    form.revoke_button.click()
    assert_ok(form)
    before, after = form.result.value.split("after", 1)
    assert ">valid<" in before and ">revoked<" in after
    assert form.revoke_button.description == "Revoke tokens"


def test_revoke_without_introspection_explains_why(client, session, monkeypatch):
    monkeypatch.setattr(lab.listing, "_admin_for", lambda _client: None)  # what Azure looks like
    forms.CreateIdentityAndTokenForm(client, session).create_button.click()
    form = forms.RevokeTokensForm(client, session)
    form.revoke_button.click()
    assert_ok(form)
    assert "Azure has no token-introspection API" in form.result.value


def test_revoke_foreign_identity_is_one_line(client, session):
    form = forms.RevokeTokensForm(client, session)
    form.identity_picker.raw_id.value = FOREIGN_ID
    form.revoke_button.click()
    assert_one_line_error(form, "belongs to another Communication Services resource")


def test_delete_removes_the_identity_from_pickers_and_kills_its_token(client, admin, session):
    forms.CreateIdentityAndTokenForm(client, session).create_button.click()
    [identity_id] = session.identities
    form = forms.DeleteIdentityForm(client, session, admin=admin)
    form.delete_button.click()
    assert_ok(form)
    assert session.identities == []
    assert identity_id in form.result.value and "identityDeleted" in form.result.value
    assert form.delete_button.description == "Delete identity"

    form.identity_picker.raw_id.value = identity_id
    form.delete_button.click()
    assert_one_line_error(form, "That identity doesn't exist")


def test_connection_status_names_the_backend_and_hides_secrets(client, emu):
    backend = SimpleNamespace(
        kind="emulator",
        endpoint=emu.endpoint,
        auth="access key",
        connection_string=emu.connection_string,
    )
    shown = forms.ConnectionStatus(client, backend=backend).result.value
    assert "local ACS Identity service" in shown and emu.endpoint in shown
    assert emu.connection_string not in shown
    assert emu.connection_string.split("accesskey=", 1)[1] not in shown


def test_connection_status_without_a_backend_falls_back_to_the_endpoint(client, emu):
    shown = forms.ConnectionStatus(client).result.value
    assert emu.endpoint.rstrip("/") in shown
    assert emu.connection_string.split("accesskey=", 1)[1] not in shown


# --------------------------------------------------------------------------- console


def test_console_shares_one_session_across_every_picker(client, admin):
    console = forms.IdentityConsole(client, admin=admin)
    pickers = [
        console.issue_token.identity_picker,
        console.refresh_token.identity_picker,
        console.revoke_tokens.identity_picker,
        console.delete_identity.identity_picker,
    ]
    assert console.tabs.titles[0] == "Create identity" and len(console.tabs.children) == 6

    console.create_identity.create_button.click()
    [first] = console.session.identities
    assert all(p.dropdown.value == first for p in pickers)
    assert first in console.summary.value

    console.issue_token.issue_button.click()
    assert_ok(console.issue_token)
    assert console.session.latest_token(first).masked in console.summary.value

    console.create_identity_and_token.create_button.click()
    second = console.session.identities[-1]
    assert all(p.dropdown.value == second for p in pickers)  # newest selected everywhere
    assert all(len(p.dropdown.options) == 2 for p in pickers)

    console.delete_identity.identity_picker.dropdown.value = first
    console.delete_identity.delete_button.click()
    assert_ok(console.delete_identity)
    assert all([v for _, v in p.dropdown.options] == [second] for p in pickers)
    assert first not in console.summary.value


def test_console_forms_all_recover_after_an_error(client):
    console = forms.IdentityConsole(client)
    for form, button in [
        (console.issue_token, console.issue_token.issue_button),
        (console.refresh_token, console.refresh_token.refresh_button),
        (console.revoke_tokens, console.revoke_tokens.revoke_button),
        (console.delete_identity, console.delete_identity.delete_button),
    ]:
        button.click()
        assert_one_line_error(form, "No identity chosen.")


def test_forms_without_a_session_share_the_kernels_identities(client):
    creator = forms.CreateIdentityForm(client)
    issuer = forms.IssueTokenForm(client)
    creator.create_button.click()
    [identity_id] = creator.session.identities
    assert issuer.session is creator.session
    assert issuer.identity_picker.dropdown.value == identity_id


@pytest.mark.parametrize(
    "form_class", [forms.IssueTokenForm, forms.RevokeTokensForm, forms.DeleteIdentityForm]
)
def test_new_identity_button_creates_and_selects_one(client, session, form_class):
    form = form_class(client, session)
    form.identity_picker.raw_id.value = "8:acs:typed-but-not-wanted_x"
    form.identity_picker.new_button.click()
    assert form.last_error == ""
    [identity_id] = session.identities
    assert form.identity_picker.selected_id == identity_id
    assert identity_id in form.status.value
    assert form.identity_picker.new_button in form.action_buttons
    assert not form.identity_picker.new_button.disabled


def test_new_identity_when_the_service_is_gone_is_one_line(session, tmp_path):
    from azure.communication.identity import CommunicationIdentityClient

    with emulator.start(state_dir=tmp_path) as gone:
        dead = CommunicationIdentityClient.from_connection_string(
            gone.connection_string, connection_verify=gone.ca_bundle, retry_total=0
        )
    form = forms.IssueTokenForm(dead, session)
    form.identity_picker.new_button.click()
    assert_one_line_error(form, "Can't reach the service")
    assert session.identities == []


def test_connection_status_never_shows_the_key(client, emu):
    from helpers.connection import Backend

    backend = Backend("emulator", emu.endpoint, "access key", emu.connection_string, emu.ca_bundle)
    form = forms.ConnectionStatus(client, backend=backend)
    assert emu.endpoint.rstrip("/") in form.result.value
    assert emu.access_key not in form.result.value and "key hidden" in form.result.value


def test_console_lists_identities_made_in_code_cells_after_refresh(client, admin):
    console = forms.IdentityConsole(client, admin=admin)
    made_in_code = client.create_user().properties["id"]
    assert made_in_code not in console.summary.value
    console.refresh_list_button.click()
    assert made_in_code in console.summary.value
    assert "not made in this session" in console.summary.value
    assert "including ones made in code cells" in console.summary.value


def test_console_marks_a_revoked_token_revoked_not_valid(client, admin):
    console = forms.IdentityConsole(client, admin=admin)
    console.create_identity_and_token.create_button.click()
    identity_id = console.session.identities[-1]
    row = console_row(console, identity_id)
    assert "valid, expires" in row and "revoked" not in row
    console.revoke_tokens.identity_picker.dropdown.value = identity_id
    console.revoke_tokens.revoke_button.click()
    assert_ok(console.revoke_tokens)
    row = console_row(console, identity_id)
    assert ">revoked<" in row and "expires" not in row


def test_console_sees_a_revocation_made_in_a_code_cell(client, admin):
    console = forms.IdentityConsole(client, admin=admin)
    console.create_identity_and_token.create_button.click()
    identity_id = console.session.identities[-1]
    client.revoke_tokens(CommunicationUserIdentifier(identity_id))
    console.refresh_list_button.click()
    assert ">revoked<" in console_row(console, identity_id)


def test_console_on_azure_says_only_this_sessions_identities_are_known(client):
    console = forms.IdentityConsole(client)  # no admin client: as on Azure
    console.create_identity.create_button.click()
    made_in_code = client.create_user().properties["id"]
    console.refresh_list_button.click()
    assert console.session.identities[-1] in console.summary.value
    assert made_in_code not in console.summary.value
    assert "Azure has no API to list identities" in console.summary.value


def test_console_listing_failure_is_one_line(client, emu):
    dead = emulator.AdminClient(
        emu.connection_string.replace(str(emu.port), "1"), ca_bundle=emu.ca_bundle
    )
    console = forms.IdentityConsole(client, admin=dead)
    assert console.summary.value.count("⚠") == 1 and "Can&#x27;t reach" in console.summary.value


def console_row(console, identity_id: str) -> str:
    """The listing row of one identity (the console's table cell)."""
    cells = re.findall(r"<td>(.*?)</td>", console.summary.value, flags=re.S)
    [cell] = [c for c in cells if identity_id in c]
    return cell
