"""Property-based fuzzing of every route: never a 5xx, every error is an ACS envelope."""

from __future__ import annotations

from benchmarks.probes.fuzz import fuzz_ids, run_fuzz

from .conftest import health_ok

EXAMPLES = 1200  # quick version (≈10 s); `make stress` sends 3,000


def test_fuzzed_requests_never_500_and_always_envelope(rel_emu):
    ids = fuzz_ids(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert)
    fuzzer = run_fuzz(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert, EXAMPLES, ids=ids)
    print("\nfuzz statuses:", dict(fuzzer.statuses))
    assert fuzzer.sent >= EXAMPLES * 0.9  # hypothesis may stop early on a small search space
    # A good share got past authentication into routing and body validation.
    past_auth = sum(n for s, n in fuzzer.statuses.items() if s not in (401, "400 bare (bad Host)"))
    assert past_auth > fuzzer.sent / 2
    assert fuzzer.statuses[400] > 0 and fuzzer.statuses[404] > 0
    assert health_ok(rel_emu)
