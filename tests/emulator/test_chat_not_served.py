"""Chat operations the local service does not serve: with the unmodified Python chat SDK, a
chat token gets one clear 501 that names the operation (never a 401 that blames the
credentials, or a 405); a token that may not chat still gets its 401 first."""

from __future__ import annotations

import pytest
from azure.communication.chat import ChatParticipant
from azure.core.exceptions import ClientAuthenticationError

from .test_chat import CHAT_VERSION, chat, chat_service, ids, raw, refused, thread_path, user  # noqa: F401

pytestmark = pytest.mark.usefixtures("chat_service")

# SDK method -> a call of it on a thread client (`bob` is an identity to add or remove,
# `mid` a message of the thread). list_read_receipts pages lazily: list() sends the request.
OPERATIONS = {
    "add_participants": lambda t, bob, mid: t.add_participants([ChatParticipant(identifier=bob)]),
    "remove_participant": lambda t, bob, mid: t.remove_participant(bob),
    "send_read_receipt": lambda t, bob, mid: t.send_read_receipt(mid),
    "list_read_receipts": lambda t, bob, mid: list(t.list_read_receipts()),
    "send_typing_notification": lambda t, bob, mid: t.send_typing_notification(),
    "update_topic": lambda t, bob, mid: t.update_topic("new topic"),
    "update_message": lambda t, bob, mid: t.update_message(mid, content="edited"),
    "delete_message": lambda t, bob, mid: t.delete_message(mid),
}


@pytest.fixture(scope="module")
def setting(chat_service, ids):  # noqa: F811
    """Alice's thread client (with Bob and a voip-only Carol in it), Carol's, Bob, a message of
    the thread, and Alice's token."""
    bob, _ = user(ids)
    carol, carol_token = user(ids, ["voip"])
    _, alice_token = user(ids)
    alice = chat(chat_service, alice_token)
    people = [ChatParticipant(identifier=bob), ChatParticipant(identifier=carol)]
    thread_id = alice.create_chat_thread("not served", thread_participants=people).chat_thread.id
    thread = alice.get_chat_thread_client(thread_id)
    mid = thread.send_message("hello").id
    voip = chat(chat_service, carol_token).get_chat_thread_client(thread_id)
    return thread, voip, bob, mid, alice_token


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_chat_token_is_told_the_operation_is_not_served(setting, name):
    thread, _, bob, mid, _ = setting
    err = refused(lambda: OPERATIONS[name](thread, bob, mid), 501, name)
    assert not isinstance(err, ClientAuthenticationError)
    assert err.error.code == "NotImplemented", err.error
    assert err.error.message.startswith("The local ACS service does not serve ")
    # Nothing changed: the thread, its topic, members and message are as they were.
    assert thread.get_properties().topic == "not served"
    assert thread.get_message(mid).content.message == "hello"
    assert len(list(thread.list_participants())) == 3  # Alice, Bob and Carol


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_voip_only_token_is_refused_first(setting, name):
    _, voip, bob, mid, _ = setting
    err = refused(lambda: OPERATIONS[name](voip, bob, mid), 401, "has no chat scope (it has: voip)")
    assert isinstance(err, ClientAuthenticationError)


def test_the_answer_names_the_request_and_other_verbs_stay_405(chat_service, setting):  # noqa: F811
    thread, _, _, _, token = setting
    auth = {"Authorization": f"Bearer {token}"}
    target = thread_path(thread.thread_id, "/typing")
    status, head, answer = raw(chat_service, "POST", target, b"{}", auth)
    assert (status, answer["error"]["code"]) == (501, "NotImplemented")
    assert ", POST /chat/threads/{chatThreadId}/typing. It serves" in answer["error"]["message"]
    assert head["Content-Type"] == "application/json"
    status, _, answer = raw(chat_service, "GET", target, b"", auth)
    assert (status, answer["error"]["code"]) == (405, "MethodNotAllowed")


def test_an_unknown_chat_path_is_404_after_the_token_check(chat_service, setting):  # noqa: F811
    *_, token = setting
    auth = {"Authorization": f"Bearer {token}"}
    for target in ("/chat", "/chat/nothing", f"/chat/threads/x/nothing?api-version={CHAT_VERSION}"):
        status, _, answer = raw(chat_service, "GET", target, b"", auth)
        assert (status, answer["error"]["code"]) == (404, "NotFound"), (target, answer)
        assert "The chat API has no resource at this path" in answer["error"]["message"]
        status, _, answer = raw(chat_service, "GET", target, b"", {})
        assert (status, answer["error"]["code"]) == (401, "Unauthorized"), (target, answer)
