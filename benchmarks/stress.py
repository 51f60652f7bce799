"""Load, faults, hostile input: the long runs behind `make stress`, one summary line each.

    .venv/bin/python -m benchmarks.stress [--only load,faults,fuzz,hostile,slow,memory,corruption]

A thin command line over the probes in benchmarks/probes/ (which tests/reliability also runs,
with small numbers). Everything talks to 127.0.0.1 only, and every loop is bounded both in count
and in time; the services started here run with throttling off.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.probes.corruption import run_corruption
from benchmarks.probes.faults import run_faults
from benchmarks.probes.fuzz import fuzz_ids, run_fuzz
from benchmarks.probes.hostile import slowloris, time_to_413
from benchmarks.probes.load import run_load
from benchmarks.probes.memory import run_memory
from benchmarks.probes.service import unthrottled


def section_load(args, out) -> None:
    from benchmarks import bench_emulator as bench
    from helpers.emulator import start

    # The forked services inherit the environment: throttling off.
    with tempfile.TemporaryDirectory() as d, unthrottled():
        with start(d) as emu:
            key, ca, bundle = emu.access_key, emu.ca_cert, emu.ca_bundle
        proc, port = bench._spawn(bench._serve_emulator, d)
        try:
            res = run_load(port, key, ca, bundle, sdk_clients=args.clients,
                           raw_clients=args.clients, count=args.load_ops,
                           max_seconds=args.load_seconds)  # fmt: skip
            raw_only = run_load(port, key, ca, bundle, sdk_clients=0,
                                raw_clients=args.clients, count=args.load_ops,
                                max_seconds=args.load_seconds, seed=2)  # fmt: skip
        finally:
            proc.terminate()
            proc.join()
        out["load emulator sdk+raw"] = res
        out["load emulator raw"] = raw_only
        proc, port = bench._spawn(bench._serve_stub, d)
        try:
            out["load stub raw"] = run_load(port, key, ca, bundle, sdk_clients=0,
                                            raw_clients=args.clients, count=args.load_ops,
                                            max_seconds=args.load_seconds, stub=True, seed=2)  # fmt: skip # noqa: E501
        finally:
            proc.terminate()
            proc.join()


def print_load(out) -> None:
    print("\n== Load: mixed operations, 127.0.0.1, HTTPS keep-alive ==")
    print(f"{'run':34} {'op':18} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for name, res in out.items():
        if not name.startswith("load"):
            continue
        for op, n, p50, p99 in res.rows():
            print(f"{name:34} {op:18} {n:6d} {p50:8.2f} {p99:8.2f}")
        print(f"{name:34} {'ALL':18} {res.total:6d} {'':8} {'':8}  "
              f"{res.total / res.wall:.0f} req/s, expected errors {dict(res.expected)}, "
              f"unexpected {len(res.unexpected)}")  # fmt: skip
        for line in res.unexpected[:5]:
            print("   unexpected:", line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Long load / fault / fuzz runs with a summary.")
    ap.add_argument("--only", default="load,faults,fuzz,hostile,slow,memory,corruption")
    ap.add_argument("--clients", type=int, default=4, help="K SDK + K raw threads")
    ap.add_argument("--load-ops", type=int, default=400, help="operations per client")
    ap.add_argument("--load-seconds", type=float, default=30.0)
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--fuzz", type=int, default=3000, help="generated requests")
    ap.add_argument("--seed", type=int, default=None, help="fuzz seed (default: derandomized)")
    ap.add_argument("--stalled", type=int, default=1500, help="stalled connections (memory)")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    out: dict = {}
    failures = []
    summary: list[str] = []  # one line per long form, printed together at the end
    t_all = time.perf_counter()

    if "load" in only:
        section_load(args, out)
        print_load(out)
        failures += [f"load: {n}" for n, r in out.items() if r.unexpected]
        res = out["load emulator sdk+raw"]
        summary.append(f"load: {res.total} mixed requests, {res.total / res.wall:.0f} req/s, "
                       f"{sum(len(r.unexpected) for r in out.values())} unexpected")  # fmt: skip

    if "faults" in only:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            try:
                f = run_faults(Path(d) / "state", cycles=args.cycles, max_seconds=600)
                print(f"\n== Faults: {f['cycles']} SIGKILL/restart cycles in "
                      f"{time.perf_counter() - t0:.1f} s ==")  # fmt: skip
                for k, v in f.items():
                    print(f"  {k}: {v}")
                print("  integrity_check after every kill: ok")
                summary.append(f"SIGKILL: {f['cycles']} kills, {f['acked'].get('create', 0)} "
                               f"acknowledged creates, {f['checks']} checks, 0 lost")  # fmt: skip
            except AssertionError as exc:
                failures.append(f"faults: {exc}")
                print("faults FAILED:", exc)
                summary.append(f"SIGKILL: FAILED {exc}"[:200])

    if "corruption" in only:
        with tempfile.TemporaryDirectory() as d:
            print("\n== Damaged databases (600 identities each) ==")
            res = run_corruption(Path(d))
            for r in res:
                print("  ", r)
            bad = [r["damage"] for r in res if not r["ok"]]
            failures += [f"corruption: {b}" for b in bad]
            summary.append(f"corruption: {len(res) - len(bad)}/{len(res)} kinds of damage "
                           "refused at start with one line (or 503 while running), "
                           "recovered by reset" + (f"; FAILED: {bad}" if bad else ""))  # fmt: skip

    if "memory" in only:
        with tempfile.TemporaryDirectory() as d:
            print(f"\n== Memory: {args.stalled} stalled connections per kind ==")
            res = run_memory(Path(d) / "state", args.stalled)
            parts = []
            for r in res:
                print(f"  {r['kind']:12} opened in {r['open_s']:5.1f} s; RSS {r['before_mb']:.0f}"
                      f" MB before, {r['held_mb']:.0f} MB held (peak {r['peak_mb']:.0f}), "
                      f"{r['after_mb']:.0f} MB after close; served meanwhile: "
                      f"{r['served_meanwhile']}")  # fmt: skip
                parts.append(f"{r['kind']} peak {r['peak_mb']:.0f} MB -> {r['after_mb']:.0f}")
                if r["peak_mb"] > 200 or not r["served_meanwhile"]:
                    failures.append(f"memory: {r['kind']} peak {r['peak_mb']:.0f} MB")
            summary.append(f"memory: {args.stalled} stalled connections: " + ", ".join(parts)
                           + " MB after close (bound 200 MB)")  # fmt: skip

    if only & {"fuzz", "hostile", "slow"}:
        from helpers.emulator import start

        with tempfile.TemporaryDirectory() as d, unthrottled(), start(d) as emu:
            if "fuzz" in only:
                t0 = time.perf_counter()
                try:
                    ids = fuzz_ids(emu.port, emu.access_key, emu.ca_cert)
                    fz = run_fuzz(emu.port, emu.access_key, emu.ca_cert, args.fuzz, args.seed, ids)
                    print(f"\n== Fuzz: {fz.sent} requests in {time.perf_counter() - t0:.1f} s, "
                          f"no 5xx, every error an ACS envelope ==")  # fmt: skip
                    print(
                        "  statuses:", dict(sorted(fz.statuses.items(), key=lambda kv: str(kv[0])))
                    )
                    summary.append(f"fuzz: {fz.sent} requests, no 5xx, every error an envelope")
                except AssertionError as exc:
                    failures.append(f"fuzz: {exc}")
                    print("fuzz FAILED:", exc)
                    summary.append(f"fuzz: FAILED {exc}"[:200])
            if "hostile" in only:
                print("\n== Oversized bodies: time to 413 ==")
                worst = 0.0
                for size, chunked in [
                    (s, False) for s in (2**21, 10 * 2**20, 100 * 2**20, 2**30)
                ] + [(2**30, True)]:
                    el, head, at, sent = time_to_413(
                        emu.port, emu.access_key, emu.ca_cert, size, chunked
                    )
                    worst = max(worst, el)
                    kind = "chunked (no length) " if chunked else f"Content-Length {size:>13,d}"
                    print(f"  {kind}: {head.split(b' ')[1].decode()} after {el * 1e3:6.1f} ms "
                          f"({at / 2**20:.1f} MiB sent by then); the client sent "
                          f"{sent / 2**20:.1f} MiB in all, discarded by the service")  # fmt: skip
                summary.append(f"oversized bodies: 413 within {worst * 1e3:.0f} ms up to 1 GiB")
            if "slow" in only:
                s = slowloris(emu.port, emu.access_key, emu.ca_cert, emu.ca_bundle, 200, 10)
                print(f"\n== Slowloris: {s['held']} slow/silent connections held 10 s ==")
                print(f"  meanwhile {s['requests']} create+issue pairs through the SDK: "
                      f"p50 {s['p50_s'] * 1e3:.1f} ms, max {s['max_s'] * 1e3:.1f} ms")  # fmt: skip
                summary.append(f"slow connections: {s['held']} held 10 s, {s['requests']} SDK "
                               f"pairs meanwhile, max {s['max_s'] * 1e3:.0f} ms")  # fmt: skip

    print("\n== Summary ==")
    for line in summary:
        print(line)
    print(f"stress finished in {time.perf_counter() - t_all:.0f} s; "
          + ("FAILURES: " + " | ".join(failures) if failures else "all checks passed"))  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
