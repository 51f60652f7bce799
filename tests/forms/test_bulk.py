"""The bulk provisioning form, driven headlessly (.value, .click()) against the local service."""

from __future__ import annotations

import csv

import pytest

from helpers import forms
from helpers import identity as lab


@pytest.fixture
def form(client, admin, tmp_path):
    return forms.BulkProvisioningForm(client, admin=admin, csv_path=str(tmp_path / "room.csv"))


def assert_buttons_enabled(form):
    assert all(not b.disabled for b in form.action_buttons)


def test_the_form_has_the_trainer_controls(form):
    descriptions = [b.description for b in form.action_buttons]
    assert descriptions == [
        "Provision",
        "Export CSV",
        "Revoke all",
        "Delete all",
        "Yes, delete all",
    ]
    assert form.scopes.selected == ["chat", "voip"]
    assert form.include_tokens.value is False and form.tokens_warning.value == ""


def test_provision_fills_the_progress_bar_and_summarises(form, client, admin):
    form.count.value = 3
    form.provision_button.click()
    assert form.last_error == "", form.last_error
    assert (form.progress.value, form.progress.max) == (3, 3)
    assert "3 provisioned ok, 0 failed" in form.summary.value
    assert "Provisioned 3 of 3 attendees (numbers 1 to 3)." in form.status.value
    assert len(form.identity_ids) == 3 and form.session.identities == form.identity_ids
    for identity_id in form.identity_ids:
        token = form.session.latest_token(identity_id)
        assert token.scopes == ("chat", "voip") and token.lifetime_minutes == 8 * 60
        assert lab.check_token(client, token.token, admin=admin).status == "valid"
    assert "eyJ" not in form.summary.value
    assert_buttons_enabled(form)


def test_buttons_are_disabled_while_provisioning(form):
    seen = []
    form.progress.observe(
        lambda _c: seen.append([b.disabled for b in form.action_buttons]), names="value"
    )
    form.count.value = 2
    form.provision_button.click()
    assert len(seen) == 2 and all(all(state) for state in seen)
    assert_buttons_enabled(form)


@pytest.mark.parametrize(
    "count, expected", [(0, "0 attendees is outside"), (501, "between 1 and 500")]
)
def test_a_bad_count_shows_one_line(form, count, expected):
    form.count.value = count
    form.provision_button.click()
    assert expected in form.last_error
    assert form.error.value.count("⚠") == 1 and form.identity_ids == []
    assert_buttons_enabled(form)


def test_no_scope_shows_one_line(form):
    form.scopes.tick([])
    form.provision_button.click()
    assert "No scope chosen" in form.last_error
    assert form.progress.value == 0


def test_export_writes_ids_without_tokens_by_default(form, tmp_path):
    form.count.value = 2
    form.provision_button.click()
    form.export_button.click()
    assert form.last_error == ""
    assert "Wrote 2 rows (ids and expiry, no tokens)" in form.status.value
    text = (tmp_path / "room.csv").read_text()
    assert "eyJ" not in text and "token" not in text.splitlines()[0]
    assert [r["identity_id"] for r in csv.DictReader(text.splitlines())] == form.identity_ids


def test_including_tokens_cautions_and_writes_them(form, tmp_path):
    form.include_tokens.value = True
    assert "Caution:" in form.tokens_warning.value and "token" in form.tokens_warning.value
    assert "#b00020" not in form.tokens_warning.value and "⚠" not in form.tokens_warning.value
    form.count.value = 1
    form.provision_button.click()
    assert form.tokens_warning.value == ""  # gone with the next success
    form.export_button.click()
    rows = list(csv.DictReader((tmp_path / "room.csv").open()))
    assert rows[0]["token"].startswith("eyJ") and rows[0]["token"].count(".") == 2
    assert "(with tokens)" in form.status.value
    form.include_tokens.value = False
    assert form.tokens_warning.value == ""


def test_the_caution_stays_while_an_action_fails(form):
    form.include_tokens.value = True
    form.export_button.click()  # nothing provisioned: an error, not a success
    assert "Nothing to export yet" in form.last_error
    assert "Caution:" in form.tokens_warning.value


def test_export_before_provisioning_or_to_a_bad_path_shows_one_line(form, tmp_path):
    form.export_button.click()
    assert "Nothing to export yet" in form.last_error
    form.count.value = 1
    form.provision_button.click()
    (tmp_path / "a-file").write_text("")
    form.csv_path.value = str(tmp_path / "a-file" / "room.csv")
    form.export_button.click()
    assert "Couldn't write" in form.last_error and "\n" not in form.last_error
    assert_buttons_enabled(form)


def test_revoke_all_then_delete_all(form, client, admin):
    form.count.value = 2
    form.provision_button.click()
    tokens = [form.session.latest_token(i).token for i in form.identity_ids]
    form.revoke_button.click()
    assert form.last_error == "" and "2 revoked ok, 0 failed" in form.summary.value
    assert [lab.check_token(client, t, admin=admin).status for t in tokens] == ["revoked"] * 2
    form.delete_button.click()
    assert form.confirmation.layout.display != "none"
    assert "Delete all 2 identities" in form.confirm_text.value
    assert [lab.check_token(client, t, admin=admin).status for t in tokens] == ["revoked"] * 2
    form.confirm_button.click()
    assert form.last_error == "" and "2 deleted ok, 0 failed" in form.summary.value
    assert form.confirmation.layout.display == "none"
    assert form.identity_ids == [] and form.session.identities == []
    assert lab.check_token(client, tokens[0], admin=admin).status == "identityDeleted"
    form.delete_button.click()
    assert "Nothing provisioned yet" in form.last_error
    assert form.confirmation.layout.display == "none"


def test_a_partly_failed_delete_lists_the_failure_and_keeps_it(form, client):
    form.count.value = 2
    form.provision_button.click()
    gone = form.identity_ids[0]
    lab.delete_identity(client, gone)
    form.delete_button.click()
    form.confirm_button.click()
    assert form.last_error == ""
    assert "1 deleted ok, 1 failed" in form.summary.value
    assert "doesn&#x27;t exist" in form.summary.value and gone in form.summary.value
    assert form.identity_ids == [gone]
    form.delete_button.click()
    form.confirm_button.click()
    assert "Every attendee failed" in form.last_error
    assert "0 deleted ok, 1 failed" in form.summary.value


def test_export_writes_every_provision_click_with_stable_numbers(form, tmp_path):
    form.count.value = 2
    form.provision_button.click()
    form.export_button.click()
    first_rows = list(csv.DictReader((tmp_path / "room.csv").open()))
    form.count.value = 3
    form.provision_button.click()
    assert "(numbers 3 to 5)" in form.status.value
    form.export_button.click()
    rows = list(csv.DictReader((tmp_path / "room.csv").open()))
    assert [r["attendee"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[:2] == first_rows  # the first two kept their numbers and ids
    assert [r["identity_id"] for r in rows] == form.identity_ids


def test_pasted_names_become_the_name_column(form, tmp_path):
    form.names.value = "Ada Lovelace\nGrace Hopper\n\nAlan Turing\nKatherine Johnson\n"
    form.count.value = 3
    form.provision_button.click()
    form.export_button.click()
    rows = list(csv.DictReader((tmp_path / "room.csv").open()))
    assert [r["name"] for r in rows] == ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    assert "1 names have no attendee yet" in form.status.value


def test_delete_all_says_which_files_it_removes_then_removes_them(form, tmp_path):
    form.count.value = 1
    form.provision_button.click()
    form.export_button.click()
    other = tmp_path / "tokens.csv"
    form.csv_path.value = str(other)
    form.include_tokens.value = True
    form.export_button.click()
    mine = tmp_path / "notes.csv"
    mine.write_text("not an export\n")
    form.delete_button.click()
    # Said before anything is deleted: the identities and both files, by name.
    assert (
        str(tmp_path / "room.csv") in form.confirm_text.value
        and str(other) in form.confirm_text.value
    )
    assert (tmp_path / "room.csv").exists() and form.identity_ids
    form.cancel_button.click()
    assert form.confirmation.layout.display == "none" and form.identity_ids
    form.delete_button.click()
    form.confirm_button.click()
    assert form.last_error == ""
    assert not (tmp_path / "room.csv").exists() and not other.exists() and mine.exists()
    assert "Removed 2 exported file(s)" in form.status.value and str(other) in form.status.value


def test_the_form_says_local_tokens_dont_work_with_azure_chat_or_calling(form):
    assert "Azure&#x27;s Chat and Calling don&#x27;t accept them" in form.local_note.value


def test_the_form_shows_the_call_it_makes_per_attendee(form):
    form.scopes.tick(["chat"])
    form.minutes.value = 90
    form.count.value = 2
    form.provision_button.click()
    assert (
        "client.create_user_and_token([&quot;chat&quot;], token_expires_in=timedelta(minutes=90))"
        in form.code.value
    )
    assert "once per attendee" in form.code.value
    form.revoke_button.click()
    assert "client.revoke_tokens(CommunicationUserIdentifier(" in form.code.value


def test_a_lifetime_the_service_refuses_is_one_line_and_nothing_is_provisioned(form):
    form.minutes.value = 2000
    form.count.value = 3
    form.provision_button.click()
    assert form.last_error.count("ExpiresInMinutes value 2000 is invalid") == 1
    assert form.identity_ids == [] and form.error.value.count("⚠") == 1
    assert "failed" in form.code.value and "timedelta(minutes=2000)" in form.code.value


def test_revoke_all_marks_the_tokens_revoked_for_the_console(form, client, admin):
    form.count.value = 1
    form.provision_button.click()
    form.revoke_button.click()
    listing = lab.list_identities(client, form.session, admin=admin)
    [entry] = [e for e in listing.identities if e.id == form.identity_ids[0]]
    assert entry.token_status == "revoked"
