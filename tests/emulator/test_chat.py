"""The unmodified Python chat SDK against `acs-emulator serve`, with only what it exports:
lab tokens chat; voip-only, revoked, deleted-identity, expired and forged tokens are refused;
strangers can't read a thread."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import jwt
import pytest
from azure.communication.chat import (
    ChatClient,
    ChatMessageType,
    ChatParticipant,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import HttpResponseError
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.emulator.auth import sign_request
from helpers.emulator.state import ensure_state
from helpers.emulator.tokens import TokenService
from tests.support import read_exports

TRUST = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
CHAT_VERSION = "2024-03-07"  # what azure-communication-chat 1.3.0 sends


@dataclass
class Served:
    """A running `acs-emulator serve` and the variables it printed."""

    proc: subprocess.Popen
    exports: dict[str, str]
    state_dir: Path
    log_path: Path

    @property
    def connection_string(self) -> str:
        return self.exports["COMMUNICATION_SERVICES_CONNECTION_STRING"]

    @property
    def endpoint(self) -> str:
        return self.connection_string.split(";")[0].removeprefix("endpoint=")


def serve(state_dir: Path, log_path: Path) -> Served:
    """`python -m helpers.emulator serve` on a free port; returns once it printed its exports."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child writes it until it stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--port", "0",
         "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    log.close()
    return Served(proc, read_exports(proc), state_dir, log_path)


def stop(served: Served, kill: bool = False) -> None:
    if served.proc.poll() is None:
        (served.proc.kill if kill else served.proc.terminate)()
    served.proc.wait(timeout=20)


@contextlib.contextmanager
def exported(served: Served):
    """The exported CA variables in os.environ, as a shell that ran the export lines has."""
    with pytest.MonkeyPatch.context() as mp:
        for name in TRUST:
            mp.setenv(name, served.exports[name])
        # A fresh process reads SSL_CERT_FILE when it first imports aiohttp, which builds its one
        # verified SSL context then. This test process (an xdist worker running many modules)
        # imported aiohttp long ago, so that context is given the same file here.
        if "SSL_CERT_FILE" in served.exports:
            import aiohttp.connector

            aiohttp.connector._SSL_CONTEXT_VERIFIED.load_verify_locations(
                cafile=served.exports["SSL_CERT_FILE"]
            )
        yield


def no_errors_logged(served: Served) -> None:
    text = served.log_path.read_text(errors="replace")
    assert " ERROR " not in text and "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def chat_service(tmp_path_factory):
    root = tmp_path_factory.mktemp("chat")
    served = serve(root / "state", root / "serve.log")
    try:
        with exported(served):
            yield served
    finally:
        stop(served)
    no_errors_logged(served)


@pytest.fixture(scope="module")
def ids(chat_service):
    return CommunicationIdentityClient.from_connection_string(
        chat_service.connection_string, retry_total=0
    )


def chat(served: Served, token: str) -> ChatClient:
    return ChatClient(served.endpoint, CommunicationTokenCredential(token), retry_total=0)


def refused(call, status: int, says: str) -> HttpResponseError:
    """`call()` fails with `status` and an ACS envelope whose message contains `says`."""
    with pytest.raises(HttpResponseError) as info:
        call()
    err = info.value
    assert err.status_code == status, err
    body = json.loads(err.response.text())
    assert set(body) == {"error"} and says in body["error"]["message"], body
    return err


def user(ids, scopes=("chat",)):
    who, tok = ids.create_user_and_token(list(scopes))
    return who, tok.token


def thread_with(served, ids, *others, topic="lab chat"):
    """A thread Alice (chat token) created with `others` as participants: (client, id)."""
    alice, token = user(ids)
    client = chat(served, token)
    result = client.create_chat_thread(
        topic, thread_participants=[ChatParticipant(identifier=o, display_name=f"p{i}")
                                    for i, o in enumerate(others)],
    )  # fmt: skip
    assert result.errors == []
    return alice, client, result.chat_thread.id


def texts(thread_client) -> list[str]:
    return [m.content.message for m in thread_client.list_messages()
            if m.type == ChatMessageType.TEXT]  # fmt: skip


def test_a_chat_token_creates_a_thread_and_a_participant_reads_the_message(chat_service, ids):
    bob, bob_token = user(ids)
    alice, alice_chat, thread_id = thread_with(chat_service, ids, bob, topic="Lunch")
    sent = alice_chat.get_chat_thread_client(thread_id).send_message(
        "Hello Bob", sender_display_name="Alice"
    )
    bob_thread = chat(chat_service, bob_token).get_chat_thread_client(thread_id)
    messages = list(bob_thread.list_messages())
    # Newest first, after what Azure writes into a new thread (recorded): participantAdded,
    # then topicUpdated.
    assert [m.type for m in messages] == [
        ChatMessageType.TEXT, ChatMessageType.TOPIC_UPDATED, ChatMessageType.PARTICIPANT_ADDED,
    ]  # fmt: skip
    hello = messages[0]
    assert (hello.id, hello.content.message, hello.sender_display_name) == (
        sent.id, "Hello Bob", "Alice")  # fmt: skip
    assert hello.sender.properties["id"] == alice.properties["id"]
    assert messages[1].content.topic == "Lunch"
    assert bob_thread.get_message(sent.id).content.message == "Hello Bob"
    props = bob_thread.get_properties()
    assert (props.id, props.topic) == (thread_id, "Lunch")
    assert props.created_by.properties["id"] == alice.properties["id"]
    people = {p.identifier.properties["id"]: p.display_name for p in bob_thread.list_participants()}
    assert people == {alice.properties["id"]: None, bob.properties["id"]: "p0"}
    mine = [t.id for t in chat(chat_service, bob_token).list_chat_threads()]
    assert thread_id in mine


def test_voip_only_tokens_are_refused(chat_service, ids):
    voip_user, voip_token = user(ids, ["voip"])
    _, alice_chat, thread_id = thread_with(chat_service, ids, voip_user)
    err = refused(lambda: chat(chat_service, voip_token).create_chat_thread("no"), 401,
                  "has no chat scope (it has: voip)")  # fmt: skip
    assert json.loads(err.response.text())["error"]["code"] == "Unauthorized"
    # A participant of the thread, but the token's scope decides.
    thread = chat(chat_service, voip_token).get_chat_thread_client(thread_id)
    refused(lambda: list(thread.list_messages()), 401, "no chat scope")
    refused(lambda: thread.send_message("hi"), 401, "no chat scope")


def test_every_refusal_reaches_a_client_with_retries_off_on_one_connection(chat_service, ids):
    """A voip token on one thread client, reading and sending in turn with retries off: every
    call gets its 401. (A refused send used to be answered before tornado had read it, which
    closed the connection unannounced; on a busy machine the next call on it then failed with
    "Remote end closed connection without response".)"""
    voip_user, voip_token = user(ids, ["voip"])
    _, _, thread_id = thread_with(chat_service, ids, voip_user)
    thread = chat(chat_service, voip_token).get_chat_thread_client(thread_id)
    seen: dict[str, int] = {}
    for _ in range(150):
        for name, call in (("read", lambda: list(thread.list_messages())),
                           ("send", lambda: thread.send_message("hi"))):  # fmt: skip
            try:
                call()
                outcome = f"{name}: accepted"
            except HttpResponseError as exc:
                outcome = f"{name}: {exc.status_code}"
            except Exception as exc:  # noqa: BLE001 - a lost answer, whatever its type
                outcome = f"{name}: lost ({type(exc).__name__})"
            seen[outcome] = seen.get(outcome, 0) + 1
    assert seen == {"read: 401": 150, "send: 401": 150}, seen


def test_after_revoke_the_old_token_is_refused_and_a_new_one_works(chat_service, ids):
    alice, alice_chat, thread_id = thread_with(chat_service, ids)
    old = alice_chat.get_chat_thread_client(thread_id)
    old.send_message("before")
    ids.revoke_tokens(alice)
    refused(lambda: old.send_message("after"), 401, "revoked")
    refused(lambda: list(old.list_messages()), 401, "revoked")
    fresh = ids.get_token(alice, ["chat"]).token
    new = chat(chat_service, fresh).get_chat_thread_client(thread_id)
    new.send_message("after, with a new token")
    assert texts(new) == ["after, with a new token", "before"]


def test_after_delete_user_the_identitys_tokens_are_refused(chat_service, ids):
    bob, bob_token = user(ids)
    _, alice_chat, thread_id = thread_with(chat_service, ids, bob)
    bob_thread = chat(chat_service, bob_token).get_chat_thread_client(thread_id)
    bob_thread.send_message("bye")
    ids.delete_user(bob)
    refused(lambda: list(bob_thread.list_messages()), 401, "has been deleted")
    # The thread itself lives on for the others, with Bob's message and Bob still listed
    # (the lab's choice: docs/chat-offline.md).
    alice_thread = alice_chat.get_chat_thread_client(thread_id)
    assert texts(alice_thread) == ["bye"]
    listed = [p.identifier.properties["id"] for p in alice_thread.list_participants()]
    assert bob.properties["id"] in listed


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_tokens_this_service_did_not_sign_are_refused(chat_service, ids, tmp_path):
    alice, token = user(ids)
    claims = _claims(token)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = jwt.get_unverified_header(token)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": header["kid"]})
    head, _, sig = token.split(".")
    raised = dict(claims, acsScope="chat", exp=claims["exp"] + 86400)
    altered = ".".join([head, jwt.utils.base64url_encode(json.dumps(raised).encode()).decode(),
                        sig])  # fmt: skip
    for bad in (forged, altered, token[:-8] + "AAAAAAAA"):
        refused(lambda bad=bad: chat(chat_service, bad).create_chat_thread("x"), 401,
                "not a token signed by this Communication Services resource")  # fmt: skip
    # A real token of another resource (a second state dir, its own keys and resource id).
    st = ensure_state(tmp_path / "other")
    foreign = TokenService(st.token_key_path, st.resource_id).mint(
        f"8:acs:{st.resource_id}_00000000-0000-0000-0000-000000000001", ["chat"], 60,
        time.time_ns(),
    )  # fmt: skip
    refused(lambda: chat(chat_service, foreign.token).create_chat_thread("x"), 401,
            "not a token signed by this")  # fmt: skip
    # What the SDK won't even send (it reads the token's expiry first), sent as it is.
    target = f"/chat/threads?api-version={CHAT_VERSION}"
    for auth, says in (("Bearer not-a-token", "not a token signed"),
                       ("Bearer a.b.c", "not a token signed"),
                       ("Bearer " + "A" * 9000, "not a token signed"),
                       ("Bearer ", "needs 'Authorization: Bearer"),
                       ("Basic " + token, "needs 'Authorization: Bearer")):  # fmt: skip
        status, _, answer = raw(
            chat_service,
            "POST",
            target,
            b'{"topic": "x"}',
            {"Authorization": auth, "Content-Type": "application/json"},
        )
        assert (status, answer["error"]["code"]) == (401, "Unauthorized")
        assert says in answer["error"]["message"]


def test_an_expired_token_is_refused(chat_service, ids):
    alice, _ = user(ids)
    keys = TokenService(chat_service.state_dir / "token-signing-key.pem",
                        _claims(user(ids)[1])["resourceId"])  # fmt: skip
    two_hours_ago = time.time_ns() - 2 * 3600 * 10**9
    expired = keys.mint(alice.properties["id"], ["chat"], 60, two_hours_ago)
    refused(lambda: chat(chat_service, expired.token).create_chat_thread("x"), 401, "expired")


def test_a_stranger_cannot_read_or_write_the_thread(chat_service, ids):
    bob, _ = user(ids)
    _, alice_chat, thread_id = thread_with(chat_service, ids, bob)
    alice_chat.get_chat_thread_client(thread_id).send_message("for Bob only")
    carol, carol_token = user(ids)
    carol_chat = chat(chat_service, carol_token)
    thread = carol_chat.get_chat_thread_client(thread_id)
    not_yours = "does not exist, or the caller is not one of its participants"
    for call in (lambda: list(thread.list_messages()), thread.get_properties,
                 lambda: list(thread.list_participants()), lambda: thread.send_message("hi"),
                 lambda: carol_chat.delete_chat_thread(thread_id)):  # fmt: skip
        answer = json.loads(refused(call, 403, not_yours).response.text())
        assert answer["error"]["code"] == "Forbidden"
    assert thread_id not in [t.id for t in carol_chat.list_chat_threads()]
    # A thread that never existed gets the very same answer.
    ghost = carol_chat.get_chat_thread_client("19:" + "A" * 43 + "1@thread.v2")
    refused(ghost.get_properties, 403, not_yours)


def test_a_deleted_thread_is_gone_for_everyone(chat_service, ids):
    bob, bob_token = user(ids)
    _, alice_chat, thread_id = thread_with(chat_service, ids, bob)
    alice_chat.delete_chat_thread(thread_id)
    bob_thread = chat(chat_service, bob_token).get_chat_thread_client(thread_id)
    refused(lambda: list(bob_thread.list_messages()), 403, "does not exist")


def test_chat_join_tokens_chat_but_do_not_create_or_delete_threads(chat_service, ids):
    joiner, join_token = user(ids, ["chat.join"])
    _, alice_chat, thread_id = thread_with(chat_service, ids, joiner)
    joined = chat(chat_service, join_token)
    refused(lambda: joined.create_chat_thread("mine"), 403, "may not create or delete")
    refused(lambda: joined.delete_chat_thread(thread_id), 403, "may not create or delete")
    joined.get_chat_thread_client(thread_id).send_message("joined in")
    assert texts(alice_chat.get_chat_thread_client(thread_id)) == ["joined in"]


def test_a_repeated_create_request_makes_one_thread(chat_service, ids):
    _, token = user(ids)
    client = chat(chat_service, token)
    first = client.create_chat_thread("once", idempotency_token="same-request")
    again = client.create_chat_thread("once", idempotency_token="same-request")
    other = client.create_chat_thread("once", idempotency_token="another-request")
    assert first.chat_thread.id == again.chat_thread.id != other.chat_thread.id


def test_participants_that_are_not_live_identities_come_back_as_errors(chat_service, ids):
    gone, _ = user(ids)
    ids.delete_user(gone)
    foreign = CommunicationUserIdentifier("8:acs:" + "1" * 8 + "-1111-1111-1111-" + "1" * 12
                                          + "_00000000-0000-0000-0000-000000000001")  # fmt: skip
    _, token = user(ids)
    result = chat(chat_service, token).create_chat_thread(
        "who", thread_participants=[ChatParticipant(identifier=gone),
                                    ChatParticipant(identifier=foreign)],
    )  # fmt: skip
    assert [(p.identifier.properties["id"], e.code) for p, e in result.errors] == [
        (gone.properties["id"], "IdentityNotFound"),
        (foreign.properties["id"], "IdentityNotOwned"),
    ]


def test_messages_page_newest_first_without_gaps(chat_service, ids):
    _, client, thread_id = thread_with(chat_service, ids)
    thread = client.get_chat_thread_client(thread_id)
    for i in range(5):
        thread.send_message(f"m{i}")
    pages = list(thread.list_messages(results_per_page=2).by_page())
    assert [len(list(p)) for p in pages] == [2, 2, 2, 1]
    everything = list(thread.list_messages(results_per_page=2))
    assert [m.sequence_id for m in everything] == ["7", "6", "5", "4", "3", "2", "1"]
    assert [m.content.message for m in everything[:5]] == ["m4", "m3", "m2", "m1", "m0"]
    ids_ = [int(m.id) for m in everything]
    assert ids_ == sorted(ids_, reverse=True) and len(set(ids_)) == 7


def raw(served: Served, method: str, target: str, body: bytes = b"", headers=None):
    """One HTTPS request exactly as given; (status, headers, parsed JSON body or None)."""
    ctx = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    url = urlsplit(served.endpoint)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, (json.loads(data) if data else None)
    finally:
        conn.close()


def thread_path(thread_id: str, tail: str = "", version: str = CHAT_VERSION) -> str:
    return f"/chat/threads/{quote(thread_id, safe='')}{tail}?api-version={version}"


def test_the_access_key_does_not_open_chat(chat_service, ids):
    """Chat takes user tokens only: an HMAC-signed request (the access key) is refused."""
    key = chat_service.connection_string.split("accesskey=")[1]
    target = f"/chat/threads?api-version={CHAT_VERSION}"
    body = b'{"topic": "x"}'
    signed = sign_request("POST", chat_service.endpoint.rstrip("/") + target, body, key)
    status, _, answer = raw(chat_service, "POST", target, body, signed)
    assert status == 401 and "needs 'Authorization: Bearer" in answer["error"]["message"]


def test_the_snippet_in_docs_chat_offline_runs(tmp_path):
    """docs/chat-offline.md's example, as a learner would paste it (connect() starts the
    service in the process)."""
    doc = (Path(__file__).parents[2] / "docs" / "chat-offline.md").read_text(encoding="utf-8")
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
    env.update(ACS_EMULATOR_HOME=str(tmp_path / "state"), PYTHONPATH=str(Path(__file__).parents[2]))
    run = subprocess.run([sys.executable, "-c", snippet], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines()[-1] == "['Hello Bob']"
