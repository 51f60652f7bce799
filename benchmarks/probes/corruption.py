"""Damaged databases: refused at start with one line, recovered by reset, 503 while running."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks.probes.client import RawClient
from benchmarks.probes.service import ServeProcess, service_env


def _damage(db: Path, how: str, rng: random.Random) -> None:
    data = bytearray(db.read_bytes())
    page = 4096
    if how == "zero bytes":
        data = bytearray()
    elif how == "deleted":
        db.unlink()
        return
    elif how == "truncated to half":
        data = data[: len(data) // 2]
    elif how == "garbage header":
        data[:100] = rng.randbytes(100)
    elif how == "garbage middle pages":
        first = max(2, len(data) // page // 3)
        data[first * page : (first + 3) * page] = rng.randbytes(3 * page)
    elif how == "page headers flipped":
        # Byte 0 of each b-tree page is its type. (A flipped byte inside a row's value is not
        # detectable: SQLite keeps no page checksums.)
        for at in range(page, len(data), page):
            data[at] ^= 0xFF
    db.write_bytes(bytes(data))


DAMAGE = ("zero bytes", "deleted", "truncated to half", "garbage header",
          "garbage middle pages", "page headers flipped")  # fmt: skip


def run_corruption(root: Path, identities: int = 600, seed: int = 5) -> list[dict]:
    """For each kind of damage to a database holding `identities`: `serve` must refuse with one
    line naming the recovery (exit 2, nothing on stdout), `reset` must set the file aside, and a
    restart must serve again. Last, damage under a running service: 503 envelopes, never a
    500, one log line."""
    rng = random.Random(seed)
    env = service_env()

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "helpers.emulator", *args],
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip

    results = []
    for n, how in enumerate(DAMAGE + ("under a running service",)):
        state = root / f"case{n}"
        srv = ServeProcess(state).start()
        cli_ = RawClient(srv.port, srv.key, srv.ca_cert)
        try:
            for _ in range(identities):
                cli_.create(with_token=False)
        finally:
            cli_.close()
        db = state / "identities.sqlite3"
        if how == "under a running service":
            try:
                ck = sqlite3.connect(db)
                ck.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                ck.close()
                with open(db, "r+b") as fh:
                    fh.seek(4096)
                    fh.write(rng.randbytes(db.stat().st_size - 4096))
                other = sqlite3.connect(db)
                other.execute("PRAGMA user_version = 9")
                other.close()
                probe = RawClient(srv.port, srv.key, srv.ca_cert)
                try:
                    statuses = Counter(probe.call("GET", "/_emulator/identities")[0]
                                       for _ in range(20))  # fmt: skip
                    statuses.update(probe.create(with_token=True)[0] for _ in range(20))
                finally:
                    probe.close()
            finally:
                srv.stop()
                log_text = srv.stderr_tail()
                srv.close()
            results.append({"damage": how, "statuses": dict(statuses),
                            "log_lines": log_text.count("the identity database failed"),
                            "ok": set(statuses) == {503}
                            and log_text.count("the identity database failed") >= 1})  # fmt: skip
            continue
        srv.close()
        _damage(db, how, rng)
        refused = cli("serve", "--state-dir", str(state))
        line = refused.stderr.strip()
        one_line = (refused.returncode == 2 and refused.stdout == "" and "\n" not in line
                    and "acs-emulator reset" in line)  # fmt: skip
        reset = cli("reset", "--state-dir", str(state))
        again = ServeProcess(state).start()
        try:
            probe = RawClient(again.port, again.key, again.ca_cert)
            try:
                listed = probe.call("GET", "/_emulator/identities")
                created = probe.create(with_token=True)[0]
            finally:
                probe.close()
        finally:
            again.close()
        results.append({"damage": how, "refused": line, "reset_rc": reset.returncode,
                        "after_reset": (listed[0], len(listed[1]["value"]), created),
                        "ok": one_line and reset.returncode == 0
                        and listed[0] == 200 and created == 201})  # fmt: skip
    return results
