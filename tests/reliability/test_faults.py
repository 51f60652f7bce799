"""Faults: SIGKILL under load with an acknowledged-results ledger; a vanished service."""

from __future__ import annotations

import time

import pytest

from benchmarks.probes.faults import run_faults


def test_sigkill_under_load_keeps_every_acknowledged_result(tmp_path):
    summary = run_faults(tmp_path / "state", cycles=5, workers=3, max_seconds=40, sample=40)
    print("\n", summary)
    assert summary["cycles"] == 5
    acked = summary["acked"]
    assert acked.get("create", 0) > 20 and acked.get("revoke", 0) and acked.get("delete", 0)
    assert summary["checks"] > 50


def test_stopped_service_gives_a_one_line_error_quickly(tmp_path, monkeypatch):
    import helpers.connection as connection
    from helpers import identity

    monkeypatch.setenv("ACS_EMULATOR_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(connection, "_embedded", None)
    client = connection.connect(quiet=True)
    made = identity.create_identity_and_token(client, ["chat"])
    connection.stop_embedded_service()
    t0 = time.perf_counter()
    with pytest.raises(identity.LabError) as info:
        identity.create_identity(client)
    elapsed = time.perf_counter() - t0
    text = str(info.value)
    assert elapsed < 2.0, elapsed
    assert text.startswith("Can't reach the service") and "\n" not in text
    assert "helpers.connect()" in text

    # connect() again: a new service on the same state dir; old identities are still there.
    client = connection.connect(quiet=True)
    try:
        again = identity.issue_token(client, made[0].id, ["voip"])
        assert again.identity_id == made[0].id
        assert identity.check_token(client, made[1].token).status == "valid"
    finally:
        connection.stop_embedded_service()
