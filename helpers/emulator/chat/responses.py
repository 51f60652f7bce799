"""The chat REST surface: tornado handlers that parse HTTP, call ChatStore, shape responses.

Paths, bodies and statuses follow the Chat REST spec (stable 2021-03-07 to 2025-03-15) and the
chat SDKs' recordings; the handlers reuse the identity API's plumbing (routes.BaseHandler):
body size bound, header bound, api-version check, ACS error envelope, 503 on storage failure.
Only the authentication differs: a Communication Services user's access token (Bearer).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from tornado.web import Application

from .. import errors as acs_errors
from ..routes import BaseHandler, Service, _parse_object
from . import access, errors
from .models import (
    ChatStore,
    Participant,
    message_json,
    participant_json,
    thread_item_json,
    thread_json,
)

# The stable api-versions of the Chat REST spec; the Python SDK 1.3.0 sends 2024-03-07.
API_VERSIONS = ("2021-03-07", "2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15")
SUPPORTED_VERSIONS_HEADER = ", ".join(API_VERSIONS)
# Input limits; each gets a 400 envelope. Where each number comes from (Azure's service-limits
# page, or the lab's choice) is in helpers/emulator/provenance.py CHAT_LIMITS.
LIMITS = {
    "topic": 256,
    "displayName": 256,
    "senderDisplayName": 256,
    "content": 28 * 1024,  # bytes of UTF-8, not characters
    "participants": 200,  # per create request
    "metadata": 32,  # entries; each key and value up to "metadataText" characters
    "metadataText": 1024,
    "repeatability-request-id": 256,
    "maxPageSize": 200,
}
# Fields whose limit counts UTF-8 bytes (Azure's message size is a size, not a length).
BYTE_LIMITED = ("content",)
DEFAULT_PAGE = 100
MESSAGE_TYPES = ("text", "html")
# The Chat REST operations the lab does not serve, by path under a thread and verb (the REST
# spec's paths, as both SDKs send them): each gets a 501 that names the SDK methods.
NOT_SERVED = {
    "": {"PATCH": "updating the thread (update_topic; JS updateTopic, updateProperties)"},
    "/messages/([^/?]+)": {
        "PATCH": "editing a message (update_message; JS updateMessage)",
        "DELETE": "deleting a message (delete_message; JS deleteMessage)",
    },
    "/participants/:add": {"POST": "adding participants (add_participants; JS addParticipants)"},
    "/participants/:remove": {
        "POST": "removing a participant (remove_participant; JS removeParticipant)"
    },
    "/readReceipts": {
        "POST": "sending a read receipt (send_read_receipt; JS sendReadReceipt)",
        "GET": "listing read receipts (list_read_receipts; JS listReadReceipts)",
    },
    "/typing": {
        "POST": "sending a typing notification (send_typing_notification; JS "
        "sendTypingNotification)"
    },
}


def _invalid(message: str, target: str) -> errors.ChatValidationError:
    return errors.ChatValidationError(message, target)


def _text(body: dict, field: str, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise _invalid(f"{field}: The {field} field is required.", field)
        return None
    if not isinstance(value, str):
        raise _invalid(f"The field '{field}' must be a string.", field)
    if required and not value.strip():
        raise _invalid(f"{field}: The {field} field must not be empty.", field)
    if field in BYTE_LIMITED:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > LIMITS[field]:
            raise _invalid(
                f"The field '{field}' has {size} bytes in UTF-8; at most {LIMITS[field]} are "
                "allowed.",
                field,
            )
    elif len(value) > LIMITS[field]:
        raise _invalid(
            f"The field '{field}' has {len(value)} characters; at most {LIMITS[field]} are "
            "allowed.",
            field,
        )
    return value


def _time(value, field: str) -> int:
    """RFC 3339 text (as the SDKs send it) as integer nanoseconds since the epoch."""
    if not isinstance(value, str) or len(value) > 64:
        raise _invalid(f"The field '{field}' must be an RFC 3339 date-time.", field)
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _invalid(
            f"The field '{field}' is not an RFC 3339 date-time (e.g. 2024-03-07T10:00:00Z).",
            field,
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0, int(when.timestamp() * 1_000_000)) * 1000


def _identity(value, field: str) -> str:
    """The raw id of a CommunicationIdentifierModel (its communicationUser id, or rawId)."""
    if not isinstance(value, dict):
        raise _invalid(f"The field '{field}' must be an object.", field)
    user = value.get("communicationUser")
    raw = user.get("id") if isinstance(user, dict) else value.get("rawId")
    if not isinstance(raw, str) or not raw:
        raise _invalid(
            f"The field '{field}' needs communicationUser.id (a Communication Services user).",
            field,
        )
    return raw[:200]


def _metadata(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > LIMITS["metadata"]:
        raise _invalid(
            f"The field 'metadata' must be an object of at most {LIMITS['metadata']} "
            "string values.",
            "metadata",
        )
    for k, v in value.items():
        if not isinstance(v, str) or max(len(k), len(v)) > LIMITS["metadataText"]:
            raise _invalid(
                f"Each metadata key and value must be a string of at most "
                f"{LIMITS['metadataText']} characters.",
                "metadata",
            )
    return value


class ChatHandler(BaseHandler):
    """Shared by every chat route: the chat api-versions, and user-token authentication."""

    api_versions = API_VERSIONS
    since = API_VERSIONS[0]

    def initialize(self, service: Service, chat: ChatStore, not_served: dict) -> None:
        super().initialize(service)
        self.chat = chat
        self.not_served = not_served
        self.caller: access.Caller | None = None

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("api-supported-versions", SUPPORTED_VERSIONS_HEADER)

    def _authenticate(self) -> None:
        self.caller = access.caller(self.request.headers.get("Authorization", ""), self.svc)

    def _other_verb(self, *args) -> None:
        """A verb the route doesn't serve, once the token has passed (prepare): a Chat REST
        operation the lab leaves out gets a 501 that names it, any other verb the usual 405."""
        self.begin()
        operation = self.not_served.get(self.request.method)
        if operation is None:
            raise acs_errors.MethodNotAllowed()
        raise errors.OperationNotServed(errors.OperationNotServed.message.format(**operation))

    get = post = put = patch = delete = head = options = _other_verb

    def json_body(self) -> dict:
        return _parse_object(self.body, self.request.headers.get("Content-Type", ""), True)

    def query_int(self, name: str, low: int, high: int, default: int | None) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw[:12]) <= high:
            raise _invalid(f"The query parameter '{name}' must be a whole number from {low} "
                           f"to {high}.", name)  # fmt: skip
        return int(raw)

    def page_size(self) -> int:
        return self.query_int("maxPageSize", 1, LIMITS["maxPageSize"], DEFAULT_PAGE)

    def start_ns(self) -> int:
        raw = self.get_query_argument("startTime", None)
        return 0 if raw is None else _time(raw, "startTime")

    def next_link(self, **params) -> str:
        """The URL of the next page (the SDKs follow it as given, with their api-version)."""
        query = {k: v for k, v in params.items() if v is not None}
        query["api-version"] = self.get_query_argument("api-version")
        # The path as it came (still percent-encoded).
        base = f"{self.request.protocol}://{self.request.host}{self.request.path}"
        return f"{base}?{urlencode(query)}"


class ThreadsHandler(ChatHandler):
    def post(self) -> None:
        self.begin()
        self.caller.require_thread_admin()
        body = self.json_body()
        topic = _text(body, "topic", required=True)
        repeat = self.request.headers.get("repeatability-request-id")
        if repeat is not None and len(repeat) > LIMITS["repeatability-request-id"]:
            raise _invalid(f"The header 'repeatability-request-id' has {len(repeat)} characters; "
                           f"at most {LIMITS['repeatability-request-id']} are allowed.",
                           "repeatability-request-id")  # fmt: skip
        wanted, invalid = self._participants(body.get("participants"))
        thread = self.chat.create_thread(self.caller.identity, topic, wanted, repeat)
        result = {"chatThread": thread_json(thread)}
        if invalid:
            result["invalidParticipants"] = invalid
        self.send_json(201, result)

    def _participants(self, value) -> tuple[list[Participant], list[dict]]:
        """The participants to add, and the CommunicationErrors of those that can't be (not
        an identity of this resource, or deleted): Azure answers those in invalidParticipants."""
        if value is None:
            return [], []
        if not isinstance(value, list) or len(value) > LIMITS["participants"]:
            raise _invalid(f"The field 'participants' must be an array of at most "
                           f"{LIMITS['participants']} participants.", "participants")  # fmt: skip
        wanted, invalid = [], []
        for item in value:
            if not isinstance(item, dict):
                raise _invalid("Each participant must be an object.", "participants")
            raw = _identity(item.get("communicationIdentifier"), "communicationIdentifier")
            name = _text(item, "displayName")
            share = item.get("shareHistoryTime")
            share_ns = 0 if share is None else _time(share, "shareHistoryTime")
            try:
                identity = self.svc.store.check_id(raw)
                row = self.svc.store.get(identity)
                if row is None or row.gone:
                    raise acs_errors.IdentityNotFound()
            except acs_errors.AcsError as err:
                invalid.append({"code": err.code, "message": err.message, "target": raw})
                continue
            wanted.append(Participant(identity, name, share_ns))
        return wanted, invalid

    def get(self) -> None:
        self.begin()
        size, skip = self.page_size(), self.query_int("skip", 0, 10**9, 0)
        rows = self.chat.threads(self.caller.identity, self.start_ns(), skip, size + 1)
        result = {"value": [thread_item_json(t) for t in rows[:size]]}
        if len(rows) > size:
            result["nextLink"] = self.next_link(
                skip=skip + size, maxPageSize=size,
                startTime=self.get_query_argument("startTime", None),
            )  # fmt: skip
        self.send_json(200, result)


class ThreadHandler(ChatHandler):
    def get(self, thread_id: str) -> None:
        self.begin()
        self.send_json(200, thread_json(self.chat.thread(thread_id, self.caller.identity)))

    def delete(self, thread_id: str) -> None:
        self.begin()
        self.caller.require_thread_admin()
        self.chat.delete_thread(thread_id, self.caller.identity)
        self.send_empty(204)


class MessagesHandler(ChatHandler):
    def post(self, thread_id: str) -> None:
        self.begin()
        body = self.json_body()
        content = _text(body, "content", required=True)
        name = _text(body, "senderDisplayName")
        mtype = body.get("type", "text")
        if mtype not in MESSAGE_TYPES:
            raise _invalid("The field 'type' must be 'text' or 'html'.", "type")
        meta = _metadata(body.get("metadata"))
        mid = self.chat.send(thread_id, self.caller.identity, content, mtype, name, meta)
        self.send_json(201, {"id": mid})

    def get(self, thread_id: str) -> None:
        self.begin()
        size = self.page_size()
        before = self.query_int("syncState", 1, 2**62, None)
        rows = self.chat.messages(thread_id, self.caller.identity, self.start_ns(), before,
                                  size + 1)  # fmt: skip
        result = {"value": [message_json(m) for m in rows[:size]]}
        if len(rows) > size:
            result["nextLink"] = self.next_link(
                syncState=rows[size - 1].seq, maxPageSize=size,
                startTime=self.get_query_argument("startTime", None),
            )  # fmt: skip
        self.send_json(200, result)


class MessageHandler(ChatHandler):
    def get(self, thread_id: str, message_id: str) -> None:
        self.begin()
        found = self.chat.message(thread_id, self.caller.identity, message_id[:64])
        self.send_json(200, message_json(found))


class ParticipantsHandler(ChatHandler):
    def get(self, thread_id: str) -> None:
        self.begin()
        size, skip = self.page_size(), self.query_int("skip", 0, 10**9, 0)
        rows = self.chat.participants(thread_id, self.caller.identity, skip, size + 1)
        result = {"value": [participant_json(p) for p in rows[:size]]}
        if len(rows) > size:
            result["nextLink"] = self.next_link(skip=skip + size, maxPageSize=size)
        self.send_json(200, result)


class UnknownChatPathHandler(ChatHandler):
    """Any other path under /chat: the token first, as everywhere in the chat API (so a
    learner's credentials are judged by the chat rules), then a 404 whatever the api-version."""

    api_versioned = False

    def _unknown(self, *args) -> None:
        self.begin()
        raise errors.ChatPathNotFound()

    get = post = put = patch = delete = head = options = _unknown


def install_chat(app: Application, service: Service) -> Application:
    """Add the chat routes to the identity service's Application (same endpoint and port);
    every path under /chat is the chat API's. The chat tables join the identity database.
    Returns `app`."""
    store = ChatStore(service.store)
    thread = r"/chat/threads/([^/?]+)"
    served = {
        "": ThreadHandler,
        "/messages": MessagesHandler,
        "/messages/([^/?]+)": MessageHandler,
        "/participants": ParticipantsHandler,
    }

    def args(tail: str | None = None) -> dict:
        # The request as the REST spec writes it, not as sent (no ids echoed back).
        path = "/chat/threads/{chatThreadId}" + (tail or "").replace("([^/?]+)", "{chatMessageId}")
        named = {
            method: {"operation": operation, "request": f"{method} {path}"}
            for method, operation in NOT_SERVED.get(tail, {}).items()
        }
        return {"service": service, "chat": store, "not_served": named}

    routes = [(r"/chat/threads", ThreadsHandler, args())]
    for tail in {**served, **NOT_SERVED}:
        routes.append((thread + tail, served.get(tail, ChatHandler), args(tail)))
    routes.append((r"/chat(?:/.*)?", UnknownChatPathHandler, args()))
    app.add_handlers(r".*$", routes)
    return app
