"""Quick load: SDK and raw clients doing mixed operations at once; no unexpected errors."""

from __future__ import annotations

from benchmarks.probes.load import run_load


def test_mixed_load_has_no_unexpected_errors(rel_emu):
    res = run_load(
        rel_emu.port, rel_emu.access_key, rel_emu.ca_cert, rel_emu.ca_bundle,
        sdk_clients=2, raw_clients=2, count=80, max_seconds=15,
    )  # fmt: skip
    print(
        f"\n{res.total} requests, {res.total / res.wall:.0f} req/s, expected {dict(res.expected)}"
    )
    for op, n, p50, p99 in res.rows():
        print(f"  {op:18} n={n:4d} p50={p50:6.2f} ms p99={p99:6.2f} ms")
    assert res.unexpected == []
    assert res.total >= 300
    assert {"create", "issue", "refresh", "revoke", "delete"} <= set(res.latency)
    # Deleted identities answer 404 by design: counted, not hidden, and not failures.
    assert res.expected["404 after delete"] == len(res.latency["issue-after-delete"]) > 0
