"""Hostile and malformed requests to the chat API: each gets a specific ACS error envelope
(never a 500), with the identity API's bounds on bodies and headers."""

from __future__ import annotations

import json

import pytest

from .test_chat import CHAT_VERSION, chat, chat_service, ids, raw, thread_path, user  # noqa: F401

pytestmark = pytest.mark.usefixtures("chat_service")


@pytest.fixture(scope="module")
def alice(chat_service, ids):  # noqa: F811
    """(token, thread id) of a chat user with a thread of her own."""
    _, token = user(ids)
    thread_id = chat(chat_service, token).create_chat_thread("inputs").chat_thread.id
    return token, thread_id


def call(served, alice, method, target, body=None, headers=None):
    token, _ = alice
    data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent.update(headers or {})
    status, head, answer = raw(served, method, target, data, sent)
    assert status < 500, (status, answer)
    if status >= 400:
        assert set(answer) == {"error"} and {"code", "message"} <= set(answer["error"])
        assert head["Content-Type"] == "application/json"
    return status, answer


THREADS = f"/chat/threads?api-version={CHAT_VERSION}"


@pytest.mark.parametrize(
    "body, says",
    [
        ({}, "topic: The topic field is required."),
        ({"topic": "  "}, "must not be empty"),
        ({"topic": 7}, "'topic' must be a string"),
        ({"topic": "t" * 257}, "has 257 characters; at most 256"),
        ({"topic": "t", "participants": {}}, "'participants' must be an array"),
        ({"topic": "t", "participants": [{}] * 201}, "at most 200 participants"),
        ({"topic": "t", "participants": ["x"]}, "Each participant must be an object"),
        ({"topic": "t", "participants": [{"communicationIdentifier": 5}]}, "must be an object"),
        ({"topic": "t", "participants": [{"communicationIdentifier": {}}]}, "communicationUser.id"),
        ({"topic": "t", "participants": [{"communicationIdentifier": {"rawId": "x"},
                                          "shareHistoryTime": "yesterday"}]}, "RFC 3339"),
        (b"{not json", "not valid JSON"),
        (b"[" * 100000, "nested too deeply"),
        (b"", "A non-empty request body is required."),
        (b'["topic"]', "must be a JSON object"),
    ],
)  # fmt: skip
def test_bad_create_bodies_are_400s(chat_service, alice, body, says):  # noqa: F811
    status, answer = call(chat_service, alice, "POST", THREADS, body)
    assert status == 400 and says in answer["error"]["message"], answer


def test_a_participant_id_that_is_no_identity_comes_back_invalid(chat_service, alice):  # noqa: F811
    body = {"topic": "t", "participants": [{"communicationIdentifier": {"rawId": "x" * 5000}}]}
    status, answer = call(chat_service, alice, "POST", THREADS, body)
    assert status == 201
    (bad,) = answer["invalidParticipants"]
    assert bad["code"] == "InvalidIdentity" and len(bad["target"]) == 200


@pytest.mark.parametrize(
    "body, says",
    [
        ({}, "content: The content field is required."),
        ({"content": "x" * (28 * 1024 + 1)}, "at most 28672"),
        ({"content": "x", "type": "topicUpdated"}, "'type' must be 'text' or 'html'"),
        ({"content": "x", "senderDisplayName": ["a"]}, "'senderDisplayName' must be a string"),
        ({"content": "x", "metadata": {"k": 1}}, "metadata key and value must be a string"),
        ({"content": "x", "metadata": {str(i): "v" for i in range(33)}}, "at most 32"),
    ],
)  # fmt: skip
def test_bad_message_bodies_are_400s(chat_service, alice, body, says):  # noqa: F811
    status, answer = call(chat_service, alice, "POST", thread_path(alice[1], "/messages"), body)
    assert status == 400 and says in answer["error"]["message"], answer


def test_a_message_body_over_1_mib_is_413_before_it_is_read(chat_service, alice):  # noqa: F811
    big = json.dumps({"content": "x" * (1024 * 1024)}).encode()
    status, answer = call(chat_service, alice, "POST", thread_path(alice[1], "/messages"), big)
    assert status == 413 and answer["error"]["code"] == "RequestEntityTooLarge"


def test_headers_over_16_kib_are_431(chat_service, alice):  # noqa: F811
    status, answer = call(chat_service, alice, "GET", THREADS, headers={"X-Pad": "p" * 17000})
    assert status == 431


@pytest.mark.parametrize(
    "query, says",
    [
        ("maxPageSize=0", "'maxPageSize' must be a whole number from 1 to 200"),
        ("maxPageSize=201", "from 1 to 200"),
        ("maxPageSize=abc", "from 1 to 200"),
        ("maxPageSize=99999999999999999999", "from 1 to 200"),
        ("syncState=-1", "'syncState'"),
        ("startTime=yesterday", "RFC 3339"),
        ("startTime=" + "9" * 100, "RFC 3339"),
    ],
)
def test_bad_paging_queries_are_400s(chat_service, alice, query, says):  # noqa: F811
    status, answer = call(
        chat_service, alice, "GET", thread_path(alice[1], "/messages") + "&" + query
    )
    assert status == 400 and says in answer["error"]["message"], answer


@pytest.mark.parametrize(
    "target, status, code",
    [
        ("/chat/threads", 400, "UnsupportedApiVersion"),
        ("/chat/threads?api-version=2023-10-01", 400, "UnsupportedApiVersion"),
        ("/chat/threads?api-version=" + "9" * 5000, 400, "UnsupportedApiVersion"),
        ("/chat/threads/%00/messages?api-version=" + CHAT_VERSION, 403, "Forbidden"),
        ("/chat/threads/" + "t" * 3000 + "?api-version=" + CHAT_VERSION, 403, "Forbidden"),
        ("/chat/threads/x/nothing-here?api-version=" + CHAT_VERSION, 404, "NotFound"),
    ],
)
def test_odd_targets_get_an_envelope(chat_service, alice, target, status, code):  # noqa: F811
    got, answer = call(chat_service, alice, "GET", target)
    assert (got, answer["error"]["code"]) == (status, code), answer


def test_unknown_message_ids_and_methods(chat_service, alice):  # noqa: F811
    _, thread_id = alice
    got, answer = call(chat_service, alice, "GET", thread_path(thread_id, "/messages/123"))
    assert (got, answer["error"]["code"]) == (404, "NotFound")
    got, answer = call(chat_service, alice, "PUT", thread_path(thread_id), {"topic": "x"})
    assert (got, answer["error"]["code"]) == (405, "MethodNotAllowed")


def test_answers_name_the_chat_api_versions(chat_service, alice):  # noqa: F811
    token, thread_id = alice
    status, head, _ = raw(chat_service, "GET", thread_path(thread_id),
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert status == 200
    assert head["api-supported-versions"] == (
        "2021-03-07, 2021-09-07, 2023-11-07, 2024-03-07, 2025-03-15"
    )


def test_unicode_content_round_trips(chat_service, ids, alice):  # noqa: F811
    token, thread_id = alice
    thread = chat(chat_service, token).get_chat_thread_client(thread_id)
    text = "Grüße 👋 <b>\u202e\x00 end"
    sent = thread.send_message(text, sender_display_name="Ä" * 256, metadata={"k": "v"})
    got = thread.get_message(sent.id)
    assert (got.content.message, got.sender_display_name, got.metadata) == (
        text, "Ä" * 256, {"k": "v"})  # fmt: skip


def _people(n: int, name: str | None = None) -> list[dict]:
    """n participants that are no identities (they come back in invalidParticipants)."""
    one = {"communicationIdentifier": {"rawId": "x"}}
    return [dict(one, displayName=name) if name is not None else one] * n


MESSAGES = "/messages"
# (what, limit, request at the limit, the same one over it, the 400's words). The numbers are
# responses.LIMITS; their provenance is helpers/emulator/provenance.py CHAT_LIMITS.
BOUNDARIES = [
    ("topic", THREADS, None, lambda n: {"topic": "t" * n}, 256, "has 257 characters; at most 256"),
    ("participants per create", THREADS, None, lambda n: {"topic": "t", "participants": _people(n)},
     200, "at most 200 participants"),
    ("participant displayName", THREADS, None,
     lambda n: {"topic": "t", "participants": _people(1, "d" * n)}, 256,
     "'displayName' has 257 characters"),
    ("content, ASCII", MESSAGES, None, lambda n: {"content": "x" * n}, 28672,
     "has 28673 bytes in UTF-8; at most 28672"),
    ("content, 2-byte characters", MESSAGES, None, lambda n: {"content": "Ä" * (n // 2)}, 28672,
     "has 28674 bytes in UTF-8; at most 28672"),
    ("senderDisplayName", MESSAGES, None, lambda n: {"content": "x", "senderDisplayName": "s" * n},
     256, "'senderDisplayName' has 257 characters"),
    ("metadata entries", MESSAGES, None,
     lambda n: {"content": "x", "metadata": {str(i): "v" for i in range(n)}}, 32, "at most 32"),
    ("metadata value", MESSAGES, None, lambda n: {"content": "x", "metadata": {"k": "v" * n}},
     1024, "at most 1024 characters"),
    ("repeatability-request-id", THREADS, lambda n: {"repeatability-request-id": "r" * n},
     lambda n: {"topic": "t"}, 256, "has 257 characters; at most 256"),
]  # fmt: skip


@pytest.mark.parametrize("case", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_each_limit_is_accepted_and_one_more_is_refused(chat_service, alice, case):  # noqa: F811
    what, where, head, body, limit, says = case
    target = thread_path(alice[1], MESSAGES) if where == MESSAGES else THREADS
    over = limit + 2 if what == "content, 2-byte characters" else limit + 1
    status, answer = call(chat_service, alice, "POST", target, body(limit),
                          head(limit) if head else None)  # fmt: skip
    assert status == 201, (what, answer)
    status, answer = call(chat_service, alice, "POST", target, body(over),
                          head(over) if head else None)  # fmt: skip
    assert status == 400 and answer["error"]["code"] == "ValidationError", answer
    assert says in answer["error"]["message"], answer


def test_a_page_of_200_is_accepted_and_201_refused(chat_service, alice):  # noqa: F811
    messages = thread_path(alice[1], MESSAGES)
    assert call(chat_service, alice, "GET", messages + "&maxPageSize=200")[0] == 200
    status, answer = call(chat_service, alice, "GET", messages + "&maxPageSize=201")
    assert status == 400 and "from 1 to 200" in answer["error"]["message"]
