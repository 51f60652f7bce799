"""Chat threads, participants and messages, in the same SQLite database as the identities.

The tables are created when the chat store opens (CREATE ... IF NOT EXISTS), so a state dir
made before chat existed keeps working: its identities stay, the chat tables are added. Every
write is one committed transaction (Store.transaction), so an acknowledged message survives a
crash of the service.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

from ..store import Store
from . import errors

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS chat_threads (
        id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_ns INTEGER NOT NULL,
        deleted_ns INTEGER,
        repeat_key TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_message_ms INTEGER NOT NULL DEFAULT 0
    )""",
    # The same repeatability-request-id from the same caller creates one thread only.
    "CREATE UNIQUE INDEX IF NOT EXISTS chat_threads_repeat "
    "ON chat_threads (created_by, repeat_key)",
    """CREATE TABLE IF NOT EXISTS chat_participants (
        thread_id TEXT NOT NULL,
        identity TEXT NOT NULL,
        display_name TEXT,
        share_history_ns INTEGER NOT NULL,
        PRIMARY KEY (thread_id, identity)
    )""",
    "CREATE INDEX IF NOT EXISTS chat_participants_identity ON chat_participants (identity)",
    """CREATE TABLE IF NOT EXISTS chat_messages (
        thread_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        content TEXT NOT NULL,
        sender TEXT,
        sender_name TEXT,
        created_ns INTEGER NOT NULL,
        metadata TEXT,
        PRIMARY KEY (thread_id, seq)
    )""",
)


@dataclass(frozen=True)
class Participant:
    identity: str
    display_name: str | None = None
    share_history_ns: int = 0


@dataclass(frozen=True)
class Thread:
    id: str
    topic: str
    created_by: str
    created_ns: int
    last_message_ms: int


@dataclass(frozen=True)
class Message:
    id: str
    seq: int
    type: str
    content: dict
    sender: str | None
    sender_name: str | None
    created_ns: int
    metadata: dict | None


def _thread_id() -> str:
    # Azure's shape (recorded): "19:" + 43 base64url characters + "1" + "@thread.v2".
    body = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return f"19:{body}1@thread.v2"


class ChatStore:
    """Chat rules over the identity Store's database (its connection, lock and transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.transaction(lambda db: [db.execute(statement) for statement in SCHEMA])

    # --- reading ---------------------------------------------------------------------------

    @staticmethod
    def _thread(db: sqlite3.Connection, thread_id: str, caller: str) -> Thread:
        """The live thread, if `caller` is one of its participants; else ThreadNotAccessible."""
        row = db.execute(
            "SELECT t.id, t.topic, t.created_by, t.created_ns, t.last_message_ms "
            "FROM chat_threads t JOIN chat_participants p ON p.thread_id = t.id "
            "WHERE t.id = ? AND p.identity = ? AND t.deleted_ns IS NULL",
            (thread_id, caller),
        ).fetchone()
        if row is None:
            raise errors.ThreadNotAccessible()
        return Thread(*row)

    def thread(self, thread_id: str, caller: str) -> Thread:
        return self.store.reading(lambda db: self._thread(db, thread_id, caller))

    def threads(self, caller: str, since_ns: int, skip: int, limit: int) -> list[Thread]:
        """The caller's live threads, most recently active first."""
        rows = self.store.reading(lambda db: db.execute(
            "SELECT t.id, t.topic, t.created_by, t.created_ns, t.last_message_ms "
            "FROM chat_threads t JOIN chat_participants p ON p.thread_id = t.id "
            "WHERE p.identity = ? AND t.deleted_ns IS NULL "
            "AND MAX(t.last_message_ms * 1000000, t.created_ns) >= ? "
            "ORDER BY MAX(t.last_message_ms * 1000000, t.created_ns) DESC, t.id "
            "LIMIT ? OFFSET ?",
            (caller, since_ns, limit, skip),
        ).fetchall())  # fmt: skip
        return [Thread(*r) for r in rows]

    def participants(self, thread_id: str, caller: str, skip: int, limit: int):
        def op(db):
            self._thread(db, thread_id, caller)
            return db.execute(
                "SELECT identity, display_name, share_history_ns FROM chat_participants "
                "WHERE thread_id = ? ORDER BY rowid LIMIT ? OFFSET ?",
                (thread_id, limit, skip),
            ).fetchall()

        return [Participant(*r) for r in self.store.reading(op)]

    _MESSAGE = "SELECT id, seq, type, content, sender, sender_name, created_ns, metadata "

    @staticmethod
    def _message(row) -> Message:
        mid, seq, mtype, content, sender, name, created, meta = row
        return Message(mid, seq, mtype, json.loads(content), sender, name, created,
                       json.loads(meta) if meta else None)  # fmt: skip

    def messages(self, thread_id: str, caller: str, since_ns: int, before_seq: int | None,
                 limit: int) -> list[Message]:  # fmt: skip
        """Newest first (as Azure lists them), from `since_ns` on, below `before_seq`."""

        def op(db):
            self._thread(db, thread_id, caller)
            return db.execute(
                self._MESSAGE + "FROM chat_messages WHERE thread_id = ? AND created_ns >= ? "
                "AND seq < ? ORDER BY seq DESC LIMIT ?",
                (thread_id, since_ns, before_seq if before_seq is not None else 2**62, limit),
            ).fetchall()

        return [self._message(r) for r in self.store.reading(op)]

    def message(self, thread_id: str, caller: str, message_id: str) -> Message:
        def op(db):
            self._thread(db, thread_id, caller)
            return db.execute(
                self._MESSAGE + "FROM chat_messages WHERE thread_id = ? AND id = ?",
                (thread_id, message_id),
            ).fetchone()

        row = self.store.reading(op)
        if row is None:
            raise errors.MessageNotFound()
        return self._message(row)

    # --- writing ---------------------------------------------------------------------------

    @staticmethod
    def _append(db, thread_id: str, mtype: str, content: dict, sender: str | None,
                sender_name: str | None, metadata: dict | None, now_ns: int) -> str:  # fmt: skip
        """Add a message; its id is a millisecond time, unique and rising within the thread
        (Azure's ids are such times: recorded)."""
        seq, last_ms = db.execute(
            "SELECT last_seq, last_message_ms FROM chat_threads WHERE id = ?", (thread_id,)
        ).fetchone()
        ms = max(now_ns // 1_000_000, last_ms + 1)
        db.execute(
            "INSERT INTO chat_messages (thread_id, seq, id, type, content, sender, sender_name, "
            "created_ns, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (thread_id, seq + 1, str(ms), mtype, json.dumps(content), sender, sender_name,
             now_ns, json.dumps(metadata) if metadata is not None else None),
        )  # fmt: skip
        db.execute(
            "UPDATE chat_threads SET last_seq = ?, last_message_ms = ? WHERE id = ?",
            (seq + 1, ms, thread_id),
        )
        return str(ms)

    def create_thread(
        self, creator: str, topic: str, participants: list[Participant], repeat_key: str | None
    ) -> Thread:
        """A new thread whose participants are the creator plus `participants` (already
        checked to be live identities). The same repeat_key from the same creator answers
        with the thread it created the first time."""

        def op(db):
            if repeat_key is not None:
                row = db.execute(
                    "SELECT id, topic, created_by, created_ns, last_message_ms FROM chat_threads "
                    "WHERE created_by = ? AND repeat_key = ?",
                    (creator, repeat_key),
                ).fetchone()
                if row is not None:
                    return Thread(*row)
            now = time.time_ns()
            thread_id = _thread_id()
            db.execute(
                "INSERT INTO chat_threads (id, topic, created_by, created_ns, repeat_key) "
                "VALUES (?, ?, ?, ?, ?)",
                (thread_id, topic, creator, now, repeat_key),
            )
            members = {creator: Participant(creator)}
            for p in participants:
                members[p.identity] = p
            for p in members.values():
                db.execute(
                    "INSERT INTO chat_participants (thread_id, identity, display_name, "
                    "share_history_ns) VALUES (?, ?, ?, ?)",
                    (thread_id, p.identity, p.display_name, p.share_history_ns),
                )
            # What Azure writes into a new thread (recorded): participantAdded, then
            # topicUpdated, both initiated by the creator.
            added = [participant_json(p) for p in members.values()]
            for p in added:
                p["shareHistoryTime"] = "1970-01-01T00:00:00Z"
            initiator = {"initiatorCommunicationIdentifier": identifier_json(creator)}
            self._append(db, thread_id, "participantAdded", {"participants": added, **initiator},
                         None, None, None, now)  # fmt: skip
            self._append(db, thread_id, "topicUpdated", {"topic": topic, **initiator},
                         None, None, None, now)  # fmt: skip
            return Thread(thread_id, topic, creator, now, 0)

        return self.store.transaction(op)

    def send(self, thread_id: str, caller: str, content: str, mtype: str,
             sender_name: str | None, metadata: dict | None) -> str:  # fmt: skip
        def op(db):
            self._thread(db, thread_id, caller)
            return self._append(db, thread_id, mtype, {"message": content}, caller,
                                sender_name, metadata, time.time_ns())  # fmt: skip

        return self.store.transaction(op)

    def delete_thread(self, thread_id: str, caller: str) -> None:
        """Delete a thread the caller takes part in: its messages and participants go; the
        row stays (marked deleted) so a repeated create request still finds it."""

        def op(db):
            self._thread(db, thread_id, caller)
            db.execute("DELETE FROM chat_messages WHERE thread_id = ?", (thread_id,))
            db.execute("DELETE FROM chat_participants WHERE thread_id = ?", (thread_id,))
            db.execute(
                "UPDATE chat_threads SET deleted_ns = ? WHERE id = ?", (time.time_ns(), thread_id)
            )

        self.store.transaction(op)


# --- JSON shapes (recorded) -----------------------------------------------------------------


def iso_seconds(ns: int) -> str:
    """`2023-10-19T10:46:27Z`: Azure's chat times have whole seconds (recorded)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // 1_000_000_000))


def identifier_json(identity: str) -> dict:
    return {"rawId": identity, "communicationUser": {"id": identity}}


def participant_json(p: Participant) -> dict:
    out = {"communicationIdentifier": identifier_json(p.identity)}
    if p.display_name is not None:
        out["displayName"] = p.display_name
    out["shareHistoryTime"] = iso_seconds(p.share_history_ns)
    return out


def thread_json(t: Thread) -> dict:
    return {
        "id": t.id,
        "topic": t.topic,
        "createdOn": iso_seconds(t.created_ns),
        "createdByCommunicationIdentifier": identifier_json(t.created_by),
    }


def thread_item_json(t: Thread) -> dict:
    out = {"id": t.id, "topic": t.topic}
    if t.last_message_ms:
        out["lastMessageReceivedOn"] = iso_seconds(t.last_message_ms * 1_000_000)
    return out


def message_json(m: Message) -> dict:
    out = {"id": m.id, "type": m.type, "sequenceId": str(m.seq), "version": m.id,
           "content": m.content}  # fmt: skip
    if m.sender is not None:
        out["senderDisplayName"] = m.sender_name or ""
    out["createdOn"] = iso_seconds(m.created_ns)
    if m.sender is not None:
        out["senderCommunicationIdentifier"] = identifier_json(m.sender)
    if m.metadata:
        out["metadata"] = m.metadata
    return out
