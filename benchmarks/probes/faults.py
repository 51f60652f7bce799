"""Faults: SIGKILL the service under load, again and again; nothing acknowledged is lost."""

from __future__ import annotations

import http.client
import random
import sqlite3
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.probes.client import RawClient
from benchmarks.probes.service import ServeProcess


def integrity(db_path: Path) -> str:
    """PRAGMA integrity_check over a read-only connection."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


@dataclass
class Ledger:
    """What the service ACKNOWLEDGED (a 2xx was received), and what is in doubt."""

    live: dict[str, str] = field(default_factory=dict)  # id -> a token issued to it
    revoked: list[tuple[str, str]] = field(default_factory=list)  # (id, token issued before)
    deleted: dict[str, str] = field(default_factory=dict)  # id -> a token issued before
    maybe_deleted: set[str] = field(default_factory=set)  # a delete was in flight at a kill
    acked: Counter = field(default_factory=Counter)
    in_flight: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LedgerWorker(threading.Thread):
    """Issues create/issue/revoke/delete on its own identities while the service is killed
    and restarted underneath; records acknowledged results in the shared ledger."""

    def __init__(self, ledger: Ledger, seed: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.ledger, self.rng, self.deadline = ledger, random.Random(seed), deadline
        self.target: tuple[int, str, str] | None = None  # (port, key, ca)
        self.go = threading.Event()
        self.parked = threading.Event()
        self.done = False
        self.mine: dict[str, list[str]] = {}  # id -> tokens issued (acked), newest last
        self.cli: RawClient | None = None

    def run(self) -> None:
        while not self.done and time.monotonic() < self.deadline:
            if not self.go.is_set():
                if self.cli:
                    self.cli.close()
                    self.cli = None
                self.parked.set()
                self.go.wait(0.2)
                continue
            self.parked.clear()
            if self.cli is None:
                port, key, ca = self.target
                self.cli = RawClient(port, key, ca, timeout=5)
            self.step()
        self.parked.set()

    def step(self) -> None:
        led, rng = self.ledger, self.rng
        ids = list(self.mine)
        op = "create" if len(ids) < 3 or rng.random() < 0.3 else rng.choice(
            ["issue", "issue", "revoke", "delete"]
        )  # fmt: skip
        ident = rng.choice(ids) if ids and op != "create" else None
        try:
            if op == "create":
                status, body = self.cli.create(with_token=True)
            elif op == "issue":
                status, body = self.cli.issue(ident)
            elif op == "revoke":
                status, body = self.cli.revoke(ident)
            else:
                status, body = self.cli.delete(ident)
        except (OSError, http.client.HTTPException):
            # No answer: the request may or may not have been applied.
            self.cli.close()
            with led.lock:
                led.in_flight += 1
                if op == "delete":
                    led.maybe_deleted.add(ident)
                    led.live.pop(ident, None)
                    del self.mine[ident]
            time.sleep(0.02)
            return
        with led.lock:
            if status >= 300:
                led.errors.append(f"{op} {ident}: {status} {body}")
                return
            led.acked[op] += 1
            if op == "create":
                new, tok = body["identity"]["id"], body["accessToken"]["token"]
                self.mine[new] = [tok]
                led.live[new] = tok
            elif op == "issue":
                self.mine[ident].append(body["token"])
                led.live[ident] = body["token"]
            elif op == "revoke":
                led.revoked.append((ident, self.mine[ident][-1]))
            else:
                led.deleted[ident] = self.mine.pop(ident)[-1]
                led.live.pop(ident, None)


def verify_ledger(led: Ledger, cli: RawClient, sample: int | None, rng: random.Random) -> int:
    """Check acknowledged results against the restarted service; return checks done."""
    with led.lock:
        live = list(led.live.items())
        revoked = list(led.revoked)
        deleted = list(led.deleted.items())
        maybe = set(led.maybe_deleted)
    if sample is not None:
        live = rng.sample(live, min(sample, len(live)))
        revoked = rng.sample(revoked, min(sample, len(revoked)))
        deleted = rng.sample(deleted, min(sample, len(deleted)))
    problems = []
    for ident, tok in live:
        if ident in maybe:
            continue
        got = cli.introspect(tok)
        if got not in ("valid", "revoked"):
            problems.append(f"acknowledged identity {ident[-12:]} lost: token is {got}")
    for ident, tok in revoked:
        got = cli.introspect(tok)
        gone = ident in maybe or ident in led.deleted
        if got != "revoked" and not (gone and got == "identityDeleted"):
            problems.append(f"acknowledged revoke of {ident[-12:]} lost: token is {got}")
    for ident, tok in deleted:
        got = cli.introspect(tok)
        status, _ = cli.issue(ident)
        if got != "identityDeleted" or status != 404:
            problems.append(f"acknowledged delete of {ident[-12:]} lost: {got}, issue {status}")
    if problems:
        raise AssertionError("; ".join(problems[:5]))
    return len(live) + len(revoked) + 2 * len(deleted)


def run_faults(
    state_dir: Path,
    *,
    cycles: int,
    workers: int = 3,
    load_seconds: tuple[float, float] = (0.3, 0.8),
    max_seconds: float = 300.0,
    sample: int | None = 40,
    seed: int = 7,
    log=print,
) -> dict:
    """SIGKILL the service under load `cycles` times; verify the ledger after each restart."""
    rng = random.Random(seed)
    deadline = time.monotonic() + max_seconds
    led = Ledger()
    srv = ServeProcess(state_dir).start()
    pool = [LedgerWorker(led, seed * 10 + i, deadline + 5) for i in range(workers)]
    checks, restarts, same_port, start_times = 0, 0, 0, []
    try:
        for w in pool:
            w.target = (srv.port, srv.key, srv.ca_cert)
            w.go.set()
            w.start()
        for cycle in range(cycles):
            if time.monotonic() > deadline:
                log(f"faults: time budget reached after {cycle} cycles")
                break
            time.sleep(rng.uniform(*load_seconds))
            srv.kill()  # SIGKILL with requests in flight
            for w in pool:
                w.go.clear()
            for w in pool:
                w.parked.wait(10)
            result = integrity(state_dir / "identities.sqlite3")
            if result != "ok":
                raise AssertionError(f"cycle {cycle}: integrity_check said {result!r}")
            old_port = srv.port
            t0 = time.perf_counter()
            srv.start()
            start_times.append(time.perf_counter() - t0)
            restarts += 1
            same_port += srv.port == old_port
            checker = RawClient(srv.port, srv.key, srv.ca_cert)
            try:
                checks += verify_ledger(led, checker, sample, rng)
            finally:
                checker.close()
            for w in pool:
                w.target = (srv.port, srv.key, srv.ca_cert)
                w.go.set()
        for w in pool:
            w.go.clear()
        for w in pool:
            w.parked.wait(10)
        checker = RawClient(srv.port, srv.key, srv.ca_cert)
        try:
            checks += verify_ledger(led, checker, None, rng)  # everything, at the end
        finally:
            checker.close()
    finally:
        for w in pool:
            w.done = True
            w.go.set()
        for w in pool:
            w.join(10)
        srv.stop()
    if led.errors:
        raise AssertionError(f"unexpected answers under faults: {led.errors[:5]}")
    return {
        "cycles": restarts,
        "same_port": same_port,
        "acked": dict(led.acked),
        "in_flight_unknown": led.in_flight,
        "ledger": {
            "live": len(led.live),
            "revoked": len(led.revoked),
            "deleted": len(led.deleted),
            "maybe_deleted": len(led.maybe_deleted),
        },
        "checks": checks,
        "restart_s_p50": statistics.median(start_times) if start_times else float("nan"),
    }
