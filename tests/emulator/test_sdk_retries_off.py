"""As an SDK user with retries off (retry_total=0) and only what `acs-emulator serve` prints:
every identity operation once (sync and aio), the Teams exchange with `acs-emulator teams-token`,
and the chat SDK's basic flow; each answers as the docs and Azure's recordings say."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import subprocess
import sys
import uuid

import pytest
from azure.communication.chat import ChatClient, ChatParticipant, CommunicationTokenCredential
from azure.communication.chat.aio import ChatClient as AsyncChatClient
from azure.communication.chat.aio import (
    CommunicationTokenCredential as AsyncCommunicationTokenCredential,
)
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.communication.identity.aio import (
    CommunicationIdentityClient as AsyncCommunicationIdentityClient,
)
from azure.core.exceptions import ResourceNotFoundError

from .test_chat import chat_service  # noqa: F401 - a fixture

SCOPES = [s.value for s in CommunicationTokenScope]  # chat, voip, chat.join, ...
# Azure's form (spec examples, recordings): seconds, a fraction, +00:00.
EXPIRES_ON = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?\+00:00")
SUCCESS_TYPE = "application/json; charset=utf-8"  # recorded on every success with a body


@pytest.fixture(scope="module")
def served(chat_service):  # noqa: F811 - the imported fixture
    """A `serve` process of this module's own, its CA variables exported."""
    return chat_service


def _expires(value: str) -> dt.datetime:
    assert isinstance(value, str) and EXPIRES_ON.fullmatch(value), value  # 1.5.0: a raw string
    return dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value))


def _lasts(tok, minutes: int) -> None:
    """`tok` expires `minutes` from now (give or take the test's own run time)."""
    left = _expires(tok.expires_on) - dt.datetime.now(dt.timezone.utc)
    assert abs(left - dt.timedelta(minutes=minutes)) < dt.timedelta(minutes=2), left


def _scopes(token: str) -> list[str]:
    claims = json.loads(base64.b64decode(token.split(".")[1] + "==").decode("ascii"))
    return claims["acsScope"].split(",")


class Answers:
    """raw_response_hook: every answer's status, Content-Type and body length, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str | None, int]] = []

    def __call__(self, response) -> None:
        r = response.http_response
        self.seen.append((r.status_code, r.headers.get("Content-Type"), len(r.body() or b"")))

    def take(self) -> list[tuple[int, str | None, int]]:
        seen, self.seen = self.seen, []
        return seen


def teams_token(served) -> tuple[str, str, str]:
    """(Entra ID token, client id, user object id) from `acs-emulator teams-token`."""
    oid, cid = str(uuid.uuid4()), str(uuid.uuid4())
    out = subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "teams-token", "--user-object-id", oid,
         "--client-id", cid, "--state-dir", str(served.state_dir)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip(), cid, oid


def _user(who) -> None:
    assert isinstance(who, CommunicationUserIdentifier)
    assert re.fullmatch(r"8:acs:[0-9a-f-]{36}_[0-9a-f-]{36}", who.raw_id), who.raw_id
    assert who.properties == {"id": who.raw_id}


def check_identity_answers(seen: list, hook: Answers) -> None:
    """The statuses and Content-Types the SDK got, operation by operation."""
    answers = hook.take()
    assert [a[0] for a in answers] == [a[0] for a in seen], answers
    for (status, ctype, length), (want, _) in zip(answers, seen, strict=True):
        if want == 204:
            assert ctype is None and length == 0, (status, ctype, length)
        else:
            assert ctype == SUCCESS_TYPE and length > 0, (status, ctype, length)


def _flow_expectations() -> list[tuple[int, str]]:
    return (
        [(201, "create_user"), (201, "create_user_and_token")]
        + [(200, f"get_token {s}") for s in SCOPES]
        + [(200, "get_token 60"), (200, "get_token 1440"), (201, "create_user_and_token 60")]
        + [(204, "revoke_tokens"), (200, "get_token after revoke"), (204, "delete_user")]
        + [(200, "get_token_for_teams_user")]
    )


def test_every_identity_operation_sync(served):
    hook = Answers()
    client = CommunicationIdentityClient.from_connection_string(
        served.connection_string, retry_total=0, raw_response_hook=hook
    )
    user = client.create_user()
    _user(user)
    other, tok = client.create_user_and_token([CommunicationTokenScope.CHAT])
    _user(other)
    _lasts(tok, 1440)
    for scope in SCOPES:
        tok = client.get_token(user, [scope])
        assert _scopes(tok.token) == [scope]
        _lasts(tok, 1440)
    _lasts(client.get_token(user, ["chat"], token_expires_in=dt.timedelta(hours=1)), 60)
    _lasts(client.get_token(user, ["voip"], token_expires_in=dt.timedelta(minutes=1440)), 1440)
    _, tok = client.create_user_and_token(["voip"], token_expires_in=dt.timedelta(minutes=60))
    _lasts(tok, 60)
    assert client.revoke_tokens(user) is None
    client.get_token(user, ["chat"])  # a revoked identity can get new tokens (docs)
    assert client.delete_user(user) is None
    aad, cid, oid = teams_token(served)
    tok = client.get_token_for_teams_user(aad, cid, oid)
    assert tok.token.count(".") == 2
    _expires(tok.expires_on)
    check_identity_answers(_flow_expectations(), hook)
    with pytest.raises(ResourceNotFoundError):  # a deleted identity gets no token
        client.get_token(user, ["chat"])


def test_every_identity_operation_aio(served):
    hook = Answers()

    async def run():
        async with AsyncCommunicationIdentityClient.from_connection_string(
            served.connection_string, retry_total=0, raw_response_hook=hook
        ) as client:
            user = await client.create_user()
            _user(user)
            other, tok = await client.create_user_and_token(["chat", "voip"])
            _user(other)
            _lasts(tok, 1440)
            for scope in SCOPES:
                tok = await client.get_token(user, [scope])
                assert _scopes(tok.token) == [scope]
            hour = dt.timedelta(hours=1)
            _lasts(await client.get_token(user, ["chat"], token_expires_in=hour), 60)
            day = dt.timedelta(minutes=1440)
            _lasts(await client.get_token(user, ["voip"], token_expires_in=day), 1440)
            _, tok = await client.create_user_and_token(["voip"], token_expires_in=hour)
            _lasts(tok, 60)
            assert await client.revoke_tokens(user) is None
            await client.get_token(user, ["chat"])
            assert await client.delete_user(user) is None
            aad, cid, oid = teams_token(served)
            tok = await client.get_token_for_teams_user(aad, cid, oid)
            _expires(tok.expires_on)
            check_identity_answers(_flow_expectations(), hook)
            with pytest.raises(ResourceNotFoundError):
                await client.get_token(user, ["chat"])

    asyncio.run(run())


def _chat_users(served):
    ids = CommunicationIdentityClient.from_connection_string(
        served.connection_string, retry_total=0
    )
    alice, tok = ids.create_user_and_token(["chat"])
    bob = ids.create_user()
    return alice, tok.token, bob


def test_chat_basic_flow_sync(served):
    alice, token, bob = _chat_users(served)
    chat = ChatClient(served.endpoint, CommunicationTokenCredential(token), retry_total=0)
    made = chat.create_chat_thread(
        "retries off", thread_participants=[ChatParticipant(identifier=bob, display_name="Bob")]
    )
    assert made.errors == [] and made.chat_thread.topic == "retries off"
    assert made.chat_thread.created_by.raw_id == alice.raw_id
    thread = chat.get_chat_thread_client(made.chat_thread.id)
    sent = thread.send_message("hello", sender_display_name="Alice")
    assert thread.get_message(sent.id).content.message == "hello"
    texts = [m.content.message for m in thread.list_messages() if m.type == "text"]
    assert texts == ["hello"]
    assert {p.identifier.raw_id for p in thread.list_participants()} == {alice.raw_id, bob.raw_id}
    assert thread.get_properties().topic == "retries off"
    assert made.chat_thread.id in [t.id for t in chat.list_chat_threads()]
    assert chat.delete_chat_thread(made.chat_thread.id) is None
    assert made.chat_thread.id not in [t.id for t in chat.list_chat_threads()]


def test_chat_basic_flow_aio(served):
    alice, token, bob = _chat_users(served)

    async def run():
        cred = AsyncCommunicationTokenCredential(token)
        async with AsyncChatClient(served.endpoint, cred, retry_total=0) as chat:
            made = await chat.create_chat_thread(
                "aio", thread_participants=[ChatParticipant(identifier=bob, display_name="Bob")]
            )
            assert made.errors == []
            async with chat.get_chat_thread_client(made.chat_thread.id) as thread:
                sent = await thread.send_message("hi")
                assert (await thread.get_message(sent.id)).content.message == "hi"
                texts = [
                    m.content.message async for m in thread.list_messages() if m.type == "text"
                ]
                assert texts == ["hi"]
                people = {p.identifier.raw_id async for p in thread.list_participants()}
                assert people == {alice.raw_id, bob.raw_id}
                assert (await thread.get_properties()).topic == "aio"
            threads = [t.id async for t in chat.list_chat_threads()]
            assert made.chat_thread.id in threads
            assert await chat.delete_chat_thread(made.chat_thread.id) is None

    asyncio.run(run())
