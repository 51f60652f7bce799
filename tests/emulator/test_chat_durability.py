"""Chat state is durable: an acknowledged message survives kill -9, and a state dir made
before chat existed gains the chat tables and keeps its identities."""

from __future__ import annotations

import sqlite3

from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

from helpers.emulator.state import DB_FILE, database_problem, ensure_state
from helpers.emulator.store import Store

from .test_chat import chat, exported, no_errors_logged, serve, stop, texts

CHAT_TABLES = {"chat_threads", "chat_participants", "chat_messages"}


def _tables(db_path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_an_acknowledged_message_survives_kill_9(tmp_path):
    state, log = tmp_path / "state", tmp_path / "serve.log"
    first = serve(state, log)
    try:
        with exported(first):
            ids = CommunicationIdentityClient.from_connection_string(
                first.connection_string, retry_total=0
            )
            _, tok = ids.create_user_and_token(["chat"])
            client = chat(first, tok.token)
            thread_id = client.create_chat_thread("durable").chat_thread.id
            thread = client.get_chat_thread_client(thread_id)
            acknowledged = [thread.send_message(f"m{i}").id for i in range(20)]
    finally:
        stop(first, kill=True)  # SIGKILL: no shutdown code runs
    second = serve(state, log)
    try:
        with exported(second):
            again = chat(second, tok.token).get_chat_thread_client(thread_id)
            assert texts(again) == [f"m{i}" for i in reversed(range(20))]
            assert {m.id for m in again.list_messages()} >= set(acknowledged)
            assert again.get_properties().topic == "durable"
    finally:
        stop(second)
    no_errors_logged(second)


def test_a_state_dir_from_before_chat_gains_the_chat_tables(tmp_path):
    state = ensure_state(tmp_path / "old")
    # What the lab's earlier versions left: identities only (one with a revocation).
    store = Store(state.db_path, state.resource_id)
    old_id, _ = store.create()
    store.revoke(old_id)
    store.close()
    assert not _tables(state.db_path) & CHAT_TABLES
    served = serve(state.root, tmp_path / "serve.log")
    try:
        with exported(served):
            ids = CommunicationIdentityClient.from_connection_string(
                served.connection_string, retry_total=0
            )
            token = ids.get_token(CommunicationUserIdentifier(old_id), ["chat"]).token
            client = chat(served, token)
            thread = client.get_chat_thread_client(client.create_chat_thread("t").chat_thread.id)
            thread.send_message("the old identity chats")
            assert texts(thread) == ["the old identity chats"]
    finally:
        stop(served)
    no_errors_logged(served)
    assert _tables(state.root / DB_FILE) >= CHAT_TABLES
    assert database_problem(state.root / DB_FILE) is None
