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
    with pytest.raises(lab.LabError, match="outside the allowed range"):
        bulk.provision(object(), 5, ["chat"], 30)


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
    assert buffer.getvalue().startswith("attendee,identity_id,scopes,expires_at_utc,status,error\n")


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
