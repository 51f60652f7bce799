"""Memory before authentication is bounded: stalled connections cost the service little, and
what they cost comes back when they close. (The long form, 1,500 connections per kind, is
`make stress`; its numbers are in docs/reliability.md.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.probes.memory import stalled_memory
from benchmarks.probes.service import ServeProcess

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists() or sys.platform != "linux", reason="reads /proc RSS"
)

COUNT = 150


@pytest.mark.parametrize("kind", ["body", "head"])
def test_stalled_unauthenticated_connections_hold_little_memory(tmp_path, kind):
    """Each of these used to hold up to 1 MiB (its body, buffered before authentication):
    150 of them grew the service by ~150 MB. Now the answer (401) comes from the head and the
    body is thrown away as it arrives; an unfinished head is capped at 32 KiB."""
    srv = ServeProcess(tmp_path / "state").start()
    try:
        res = stalled_memory(srv, COUNT, kind)
    finally:
        srv.close()
    print("\n", res)
    assert res["connections"] == COUNT and res["served_meanwhile"]
    grew = res["peak_mb"] - res["before_mb"]
    assert grew < 40, f"{COUNT} stalled connections took {grew:.0f} MB"
    assert res["after_mb"] - res["before_mb"] < 25, "memory did not come back after closing"
