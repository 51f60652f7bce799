"""SQLite-backed identities: the rules for create, issue, revoke, delete, list and reset.

Every write runs in its own `BEGIN IMMEDIATE` transaction and returns only after COMMIT, so a
success response always describes durable state. Nothing is cached in memory: several processes
may share one database file and each read goes to SQLite.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import IdentityNotFound, IdentityNotOwned, InvalidIdentity

SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    id TEXT PRIMARY KEY,
    created_ns INTEGER NOT NULL,
    last_token_ns INTEGER,
    revoked_before_ns INTEGER,
    deleted_ns INTEGER,
    purged INTEGER NOT NULL DEFAULT 0
);
"""

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID_RE = re.compile(rf"8:acs:({_GUID})_([0-9A-Za-z-]{{1,64}})")


@dataclass(frozen=True)
class Identity:
    """One row, times in integer nanoseconds since the epoch (None when unset)."""

    id: str
    created_ns: int
    last_token_ns: int | None
    revoked_before_ns: int | None
    deleted_ns: int | None
    purged: bool

    @property
    def gone(self) -> bool:
        return self.deleted_ns is not None or self.purged


def _new_suffix() -> str:
    # Millisecond time in the top 48 bits keeps ids roughly ordered (like the real
    # "00000005-…" suffixes); 80 random bits make collisions practically impossible.
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Store:
    """Identity rules over one SQLite file. Thread-safe; one connection per Store."""

    def __init__(self, db_path: str | Path, resource_id: str) -> None:
        self.resource_id = resource_id.lower()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(db_path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a committed transaction survives a process crash (not a power loss),
        # which is the durability an emulator needs, without an fsync per request.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- helpers -------------------------------------------------------------------------

    def _write(self, fn):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn()
                self._db.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT (disk full, I/O error): a transaction left open
                # would make every later BEGIN fail too.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise
            return result

    # The chat models (emulator/chat/models.py) keep their tables in this same database and
    # use these two: one lock, one connection, the same commit-before-answer rule.
    def transaction(self, fn):
        """Run `fn(connection)` in one write transaction; its result once committed."""
        return self._write(lambda: fn(self._db))

    def reading(self, fn):
        """Run `fn(connection)` under the store's lock (reads only)."""
        with self._lock:
            return fn(self._db)

    def _row(self, identity_id: str) -> Identity | None:
        row = self._db.execute(
            "SELECT id, created_ns, last_token_ns, revoked_before_ns, deleted_ns, purged "
            "FROM identities WHERE id = ?",
            (identity_id,),
        ).fetchone()
        return Identity(*row[:5], bool(row[5])) if row else None

    def check_id(self, identity_id: str) -> str:
        """Validate the shape and owner of an id; return it in canonical form."""
        m = _ID_RE.fullmatch(identity_id or "")
        if not m:
            shown = identity_id if len(identity_id) <= 120 else identity_id[:120] + "…"
            raise InvalidIdentity(
                f"Provided identity '{shown}' is not a valid Communication Services user id; "
                "expected '8:acs:<resource id>_<suffix>'.",
                target="id",
            )
        if m.group(1).lower() != self.resource_id:
            raise IdentityNotOwned()
        return f"8:acs:{self.resource_id}_{m.group(2)}"

    def _live(self, identity_id: str) -> Identity:
        ident = self._row(self.check_id(identity_id))
        if ident is None or ident.gone:
            raise IdentityNotFound()
        return ident

    # --- rules ---------------------------------------------------------------------------

    def create(self, with_token: bool = False) -> tuple[str, int]:
        """Create an identity; return (id, creation time in ns). The id is never handed out
        again, even after reset. `with_token` records a token issue at that same instant, in
        the same transaction (create-with-token)."""

        def op():
            while True:
                new_id = f"8:acs:{self.resource_id}_{_new_suffix()}"
                now = time.time_ns()
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO identities (id, created_ns, last_token_ns) "
                    "VALUES (?, ?, ?)",
                    (new_id, now, now if with_token else None),
                )
                if cur.rowcount == 1:
                    return new_id, now

        return self._write(op)

    def issue(self, identity_id: str) -> int:
        """Check that a token may be issued; record and return its precise issue time (ns)."""

        def op():
            ident = self._live(identity_id)
            # At or after the last revocation (introspect revokes only tokens issued strictly
            # before it), so a token issued right after a revoke, even within the same clock
            # tick, is valid.
            issued = max(time.time_ns(), (ident.revoked_before_ns or 0))
            self._db.execute(
                "UPDATE identities SET last_token_ns = MAX(COALESCE(last_token_ns, 0), ?) "
                "WHERE id = ?",
                (issued, ident.id),
            )
            return issued

        return self._write(op)

    def revoke(self, identity_id: str) -> None:
        """Revoke every token issued so far for the identity."""

        def op():
            ident = self._live(identity_id)
            # Strictly after every token issued so far, whatever the clock says.
            cutoff = max(time.time_ns(), (ident.last_token_ns or 0) + 1)
            self._db.execute(
                "UPDATE identities SET revoked_before_ns = ? WHERE id = ?", (cutoff, ident.id)
            )

        self._write(op)

    def delete(self, identity_id: str) -> None:
        """Delete an identity (row kept so the id is never reused). Deleting twice is a 404."""

        def op():
            ident = self._live(identity_id)
            self._db.execute(
                "UPDATE identities SET deleted_ns = ? WHERE id = ?", (time.time_ns(), ident.id)
            )

        self._write(op)

    def reset(self) -> None:
        """A clean service: forget all identities (rows stay, hidden, so ids are never reused)
        and empty every other table of the database (the chat threads, participants and
        messages), in one transaction."""

        def op():
            now = time.time_ns()
            self._db.execute(
                "UPDATE identities SET purged = 1, deleted_ns = COALESCE(deleted_ns, ?) "
                "WHERE purged = 0",
                (now,),
            )
            # Every table but `identities` is service content; reading the names from the
            # file (not a list here) also empties tables a newer version added.
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name != 'identities' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
            ).fetchall():
                self._db.execute('DELETE FROM "{}"'.format(name.replace('"', '""')))

        self._write(op)

    def get(self, identity_id: str) -> Identity | None:
        """The row for an id of this resource (including deleted ones), or None."""
        with self._lock:
            return self._row(identity_id)

    def list(self) -> list[Identity]:
        """Identities since the last reset, oldest first (deleted ones included)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_ns, last_token_ns, revoked_before_ns, deleted_ns, purged "
                "FROM identities WHERE purged = 0 ORDER BY created_ns, id"
            ).fetchall()
        return [Identity(*r[:5], bool(r[5])) for r in rows]
