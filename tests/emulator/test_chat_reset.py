"""A reset means a clean service: `acs-emulator reset` and the admin API's reset forget the
chat threads, participants and messages along with the identities."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from azure.communication.chat import ChatParticipant
from azure.communication.identity import CommunicationIdentityClient

from helpers.emulator.admin import AdminClient

from .test_chat import chat, exported, no_errors_logged, refused, serve, stop, texts, user
from .test_chat_durability import CHAT_TABLES


def _rows(db_path) -> dict[str, int]:
    """Rows per chat table, and the identities not yet forgotten."""
    with sqlite3.connect(db_path) as db:
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in CHAT_TABLES}
        counts["live identities"] = db.execute(
            "SELECT COUNT(*) FROM identities WHERE purged = 0"
        ).fetchone()[0]
    return counts


def _chatting(served):
    """Alice and Bob share a thread with a message: (ids client, Alice's token, thread id)."""
    ids = CommunicationIdentityClient.from_connection_string(
        served.connection_string, retry_total=0
    )
    bob, _ = user(ids)
    _, alice_token = user(ids)
    client = chat(served, alice_token)
    thread_id = client.create_chat_thread(
        "before reset", thread_participants=[ChatParticipant(identifier=bob)]
    ).chat_thread.id
    client.get_chat_thread_client(thread_id).send_message("forget me")
    return ids, alice_token, thread_id


def _all_forgotten(served, ids, old_token, thread_id) -> None:
    db = served.state_dir / "identities.sqlite3"
    assert _rows(db) == dict.fromkeys([*CHAT_TABLES, "live identities"], 0)
    # The old token's identity is gone; a new user sees no threads and not the old one.
    thread = chat(served, old_token).get_chat_thread_client(thread_id)
    refused(lambda: list(thread.list_messages()), 401, "has been deleted")
    _, fresh = user(ids)
    assert list(chat(served, fresh).list_chat_threads()) == []
    refused(chat(served, fresh).get_chat_thread_client(thread_id).get_properties, 403,
            "does not exist")  # fmt: skip


def test_the_reset_command_forgets_chat(tmp_path):
    state, log = tmp_path / "state", tmp_path / "serve.log"
    first = serve(state, log)
    try:
        with exported(first):
            _, old_token, thread_id = _chatting(first)
            assert texts(chat(first, old_token).get_chat_thread_client(thread_id)) == ["forget me"]
    finally:
        stop(first)
    before = _rows(state / "identities.sqlite3")
    assert all(before[t] > 0 for t in CHAT_TABLES), before  # a control: there was chat
    reset = subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "reset", "--state-dir", str(state)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    second = serve(state, log)
    try:
        with exported(second):
            ids = CommunicationIdentityClient.from_connection_string(
                second.connection_string, retry_total=0
            )
            _all_forgotten(second, ids, old_token, thread_id)
    finally:
        stop(second)
    no_errors_logged(second)


def test_the_admin_reset_forgets_chat(tmp_path):
    served = serve(tmp_path / "state", tmp_path / "serve.log")
    try:
        with exported(served):
            ids, old_token, thread_id = _chatting(served)
            with AdminClient(served.connection_string, served.exports["REQUESTS_CA_BUNDLE"]) as adm:
                adm.reset()
            _all_forgotten(served, ids, old_token, thread_id)
            # The service keeps working after the reset: chat starts afresh.
            _, token = user(ids)
            client = chat(served, token)
            thread = client.get_chat_thread_client(
                client.create_chat_thread("after").chat_thread.id
            )
            thread.send_message("new")
            assert texts(thread) == ["new"]
    finally:
        stop(served)
    no_errors_logged(served)
