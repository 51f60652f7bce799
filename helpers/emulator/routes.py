"""The REST surface: tornado handlers that parse HTTP, call the store and shape responses."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tornado.web import Application, Finish, HTTPError, RequestHandler, stream_request_body

from . import entra, errors
from .auth import verify_bearer, verify_body_hash, verify_hmac_headers
from .limits import Limits
from .store import Identity, Store
from .tokens import TokenService

log = logging.getLogger("helpers.emulator")

# What Azure lists in `api-supported-versions` (recorded), in its order.
SUPPORTED_VERSIONS_HEADER = (
    "2020-07-20-preview2, 2021-02-22-preview1, 2021-03-07, 2021-10-31-preview, 2021-11-01, "
    "2022-06-01, 2022-10-01, 2023-10-01"
)
# What the service accepts: Azure's list plus 2023-08-01, a stable version in the REST spec
# that a 2023 recording of the Teams route listed too, and the stable versions after 2023-10-01
# in the REST spec (Azure/azure-rest-api-specs, specification/communication/data-plane/
# Identity/stable/<version>/CommunicationIdentity.json), whose identity and Teams-user routes
# and models are 2023-10-01's. Unrecorded versions' rules follow their date
# (docs/entra-and-teams-offline.md): scopes and expiresInMinutes as below.
API_VERSIONS = (
    "2020-07-20-preview2",
    "2021-02-22-preview1",
    "2021-03-07",
    "2021-10-31-preview",
    "2021-11-01",
    "2022-06-01",
    "2022-10-01",
    "2023-08-01",
    "2023-10-01",
    "2025-06-30",
    "2026-07-22",
    "2026-09-23",
)
BASE_SCOPES = ("chat", "voip")
JOIN_SCOPES = ("chat.join", "chat.join.limited", "voip.join")
EXPIRY_FROM = "2022-10-01"
JOIN_SCOPES_FROM = "2023-10-01"
TEAMS_EXCHANGE_FROM = "2022-06-01"
MIN_MINUTES, MAX_MINUTES, DEFAULT_MINUTES = 60, 1440, 1440
MAX_BODY = 1024 * 1024
# Request heads longer than this get a 431 envelope (the SDK sends under 2 KiB; a bearer token
# adds ~2 KiB). tornado itself stops reading a head at HEAD_LIMIT (server.py), which keeps what
# a silent connection can make the service hold small.
MAX_HEADERS = 16 * 1024
# tornado's own cap, only a backstop: the handlers answer 413 as soon as a declared
# Content-Length or the running size of a chunked body passes MAX_BODY. (A chunk whose size
# line alone exceeds this gets tornado's bare 400.)
TRANSPORT_LIMIT = 1024 * 1024 * 1024
# After an early answer (401 before the body, 413), the rest of the body is read and thrown
# away, up to this much (and within server.BODY_TIMEOUT), then the connection is closed.
# Reading on lets clients that write their whole body before reading (http.client, requests)
# see the answer instead of a reset; throwing away costs no memory.
LINGER_BYTES = TRANSPORT_LIMIT
# A refused request whose declared body is at most this is answered after its body (discarded).
SMALL_BODY = 64 * 1024
# Request bodies held in memory at once, all connections together. Only requests whose
# signature or bearer token has been verified (from the headers alone) are ever held.
BODY_BUDGET = 32 * 1024 * 1024


class BodyBudget:
    """Bytes of request bodies held at once, across connections (event-loop thread only)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit, self.used = BODY_BUDGET if limit is None else limit, 0

    def take(self, n: int) -> bool:
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used -= n


class StorageLog:
    """Logs each distinct storage failure once (a broken database fails every request)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def report(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text in self.seen:
            return
        self.seen.add(text)
        # extra: the test suites' "no ERROR logged" guards tell this expected state apart
        # from a bug.
        log.error(
            "the identity database failed (%s); answering 503 until it works again. "
            "Stop the service, then restore the database or run `acs-emulator reset`.",
            text,
            extra={"acs_storage_error": True},
        )


@dataclass
class Service:
    """Everything a handler needs; one per running server."""

    store: Store
    tokens: TokenService
    # repr=False: the decoded access key; a repr in a log or traceback must not leak it.
    hmac_key: bytes = field(repr=False)
    entra_public_key: object
    resource_id: str
    # repr=False: the local Entra ID's signing key (its managed-identity endpoint mints with it).
    entra_private_key: object = field(default=None, repr=False)
    budget: BodyBudget = field(default_factory=BodyBudget, repr=False)
    storage_log: StorageLog = field(default_factory=StorageLog, repr=False)
    # Azure's documented request limits (limits.py); off with ACS_EMULATOR_THROTTLING=off.
    limits: Limits = field(default_factory=Limits.from_env, repr=False)


def _azure_ref() -> str:
    """An `X-Azure-Ref` in the front end's current shape: UTC time, then a random id."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(16)}"


def allowed_scopes(api_version: str) -> tuple[str, ...]:
    return BASE_SCOPES + JOIN_SCOPES if api_version >= JOIN_SCOPES_FROM else BASE_SCOPES


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + (
        f".{(ns % 1_000_000_000) // 1000:06d}+00:00"
    )


# --- body validation (pure functions, so the rules read top to bottom) --------------------


def _parse_object(raw: bytes, content_type: str, required: bool) -> dict:
    if not raw.strip():
        if required:
            raise errors.InvalidRequestBody("A non-empty request body is required.")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidRequestBody(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:  # e.g. b"[" * 200000: well under 1 MiB, too deep for the parser
        raise errors.InvalidRequestBody("The request body is nested too deeply.") from None
    if not isinstance(data, dict):
        # The docs' HMAC tutorial posts `["chat"]` as text/plain to create; the service
        # evidently ignores such a body, so treat it as absent there.
        if not required and isinstance(data, list) and "json" not in content_type.lower():
            return {}
        raise errors.InvalidRequestBody("The request body must be a JSON object.")
    return data


def _scopes(value, api_version: str, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise errors.InvalidRequestBody(f"The field '{field}' must be an array of strings.", field)
    allowed = allowed_scopes(api_version)
    for scope in value:
        if scope not in allowed:
            shown = scope if len(scope) <= 60 else scope[:60] + "…"
            raise errors.ValidationError(
                f"Invalid scope '{shown}'. Allowed scopes for api-version {api_version}: "
                f"{', '.join(allowed)}.",
                "scopes",
            )
    return list(dict.fromkeys(value))


def _minutes(body: dict, api_version: str) -> int:
    value = body.get("expiresInMinutes")
    if value is None:
        return DEFAULT_MINUTES
    if api_version < EXPIRY_FROM:
        raise errors.ValidationError(
            f"The field 'expiresInMinutes' is not supported in api-version {api_version}; "
            f"use api-version {EXPIRY_FROM} or later.",
            "expiresInMinutes",
        )
    # bool is an int subclass in Python, but `true` is not a number of minutes.
    if not isinstance(value, int) or isinstance(value, bool):
        raise errors.InvalidRequestBody(
            "The field 'expiresInMinutes' must be an integer.", "expiresInMinutes"
        )
    if not MIN_MINUTES <= value <= MAX_MINUTES:
        shown = value if abs(value) < 10**12 else "out of range"
        raise errors.ValidationError(
            f"ExpiresInMinutes value {shown} is invalid. "
            f"Value must be within the [{MIN_MINUTES}, {MAX_MINUTES}] interval.",
            "ExpiresInMinutes",
        )
    return value


def issue_request(raw: bytes, content_type: str, api_version: str) -> tuple[list[str], int]:
    """Validate an :issueAccessToken body; return (scopes, minutes)."""
    body = _parse_object(raw, content_type, required=True)
    if body.get("scopes") is None:
        raise errors.ValidationError("Scopes: The Scopes field is required.", "Scopes")
    scopes = _scopes(body["scopes"], api_version, "scopes")
    if not scopes:
        raise errors.ValidationError("Invalid scopes - Scopes field is required.", "scopes")
    return scopes, _minutes(body, api_version)


def create_request(raw: bytes, content_type: str, api_version: str) -> tuple[list[str], int]:
    """Validate a create body; return (scopes, minutes); no scopes means no token."""
    body = _parse_object(raw, content_type, required=False)
    value = body.get("createTokenWithScopes")
    scopes = [] if value is None else _scopes(value, api_version, "createTokenWithScopes")
    return scopes, _minutes(body, api_version)


# --- handlers ------------------------------------------------------------------------------


@stream_request_body
class BaseHandler(RequestHandler):
    """Shared plumbing: headers, body streaming with a size cap, auth, error envelopes."""

    api_versioned = True
    api_versions = API_VERSIONS  # what the route's API accepts (the chat routes have theirs)
    since = API_VERSIONS[0]  # the first api-version that has the route

    def initialize(self, service: Service) -> None:
        self.svc = service
        self._t0 = time.perf_counter()
        self._chunks: list[bytes] = []
        self._size = 0
        self._held = 0  # bytes of this body counted against the service's budget
        self._answered = False  # an answer went out before the body was read
        # A refusal kept until a small body has arrived (read and thrown away, never stored).
        self._refusal: errors.AcsError | None = None
        self._lingered = 0
        self._digest = hashlib.sha256()
        self._claimed_sha: str | None = None  # HMAC: the body hash the signature covers

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("api-supported-versions", SUPPORTED_VERSIONS_HEADER)
        self.set_header("MS-CV", base64.b64encode(secrets.token_bytes(16)).decode()[:22] + ".0")
        # The rest of what Azure's front end adds to every answer (recorded).
        self.set_header("Strict-Transport-Security", "max-age=2592000")
        self.set_header("Request-Context", "appId=")
        self.set_header("X-Azure-Ref", _azure_ref())
        self.set_header("X-Cache", "CONFIG_NOCACHE")
        # Here, not in prepare(): send_error() clears the headers and then sets only these
        # defaults again, and error responses must echo the id too. (tornado's parser has
        # already refused a request whose header values hold control characters.)
        rid = self.request.headers.get("x-ms-client-request-id")
        if rid:
            self.set_header("x-ms-client-request-id", rid[:256])

    def prepare(self) -> None:
        """Everything decided from the head alone, before any body byte is read or stored:
        head size, declared body size, and authentication."""
        head = (
            len(self.request.method)
            + len(self.request.uri)
            + sum(len(k) + len(v) + 4 for k, v in self.request.headers.get_all())
        )
        chunked = "chunked" in self.request.headers.get("Transfer-Encoding", "").lower()
        length = self.request.headers.get("Content-Length")
        declared = 0
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                raise errors.InvalidRequestBody("Content-Length is not a number.") from None
            if declared < 0:
                raise errors.InvalidRequestBody("Content-Length is not a number.")
        try:
            if head > MAX_HEADERS:
                raise errors.RequestHeadersTooLarge()
            if declared > MAX_BODY:
                raise errors.RequestTooLarge()
            self._authenticate()
        except errors.AcsError as err:
            if not chunked and declared <= SMALL_BODY:
                # No body or a small one (every SDK call): it is read and thrown away, and the
                # refusal is answered in begin(), once the request is in. An answer given here,
                # before tornado has read the request, makes tornado close the connection without
                # saying so, and a client that reuses it on a busy machine reports "Remote end
                # closed connection without response" instead of this answer.
                self._refusal = err
                return
            self._answer_now(err, declared)

    def _answer_now(self, err: errors.AcsError, declared: int) -> None:
        """Send `err` at once, before reading the body; then throw the body away as it comes.

        The answer goes out immediately (its timing does not depend on the body), with
        `Connection: close`. What arrives afterwards is read and discarded, never stored, until
        the body ends or LINGER_BYTES have come (within server.BODY_TIMEOUT); then the
        connection closes. Reading on is what lets a client that writes its whole body before
        reading (http.client, requests) see this answer rather than a reset.
        """
        if declared > TRANSPORT_LIMIT:
            # Raise tornado's cap, or it would fail the request with a bare 400 first.
            self.request.connection.set_max_body_size(declared)
        self._answered = True
        self._release()
        body = err.body()
        self.set_status(err.status)
        self.set_header("Content-Type", errors.ERROR_CONTENT_TYPE)
        if not err.lists_api_versions:
            self.clear_header("api-supported-versions")
        for name, value in err.headers().items():
            self.set_header(name, value)
        self.set_header("Content-Length", str(len(body)))
        self.set_header("Connection", "close")
        self._stamp()
        self.write(body)
        # Send it now (no Nagle delay): the request is still open, so finish() won't run yet.
        self.request.connection.stream.set_nodelay(True)
        self.flush()

    def data_received(self, chunk: bytes) -> None:
        if self._refusal is not None:
            return  # at most SMALL_BODY bytes (declared), thrown away
        if self._answered:
            self._lingered += len(chunk)
            if self._lingered > LINGER_BYTES:
                self.request.connection.close()
            return
        self._size += len(chunk)
        if self._size > MAX_BODY:
            # A chunked body (no declared length) just crossed the limit.
            self._answer_now(errors.RequestTooLarge(), 0)
            return
        if not self.svc.budget.take(len(chunk)):
            self._answer_now(errors.ServerBusy(), 0)
            return
        self._held += len(chunk)
        self._digest.update(chunk)
        self._chunks.append(chunk)

    def _release(self) -> None:
        self.svc.budget.give(self._held)
        self._held = 0
        self._chunks = []

    def on_finish(self) -> None:
        self._release()
        if self._answered:
            # An early answer says `Connection: close`: keep that promise once the answer has
            # been sent (the server's streams close by lingering, so it arrives: linger.py).
            stream = self.request.connection.stream
            if stream is not None and not stream.closed():
                stream.write(b"").add_done_callback(lambda _: stream.close())

    def on_connection_close(self) -> None:
        self._release()
        super().on_connection_close()

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

    def begin(self) -> str | None:
        """Checks every route runs first, once the body is in; returns the api-version."""
        if self._answered:
            raise Finish()  # the answer has been sent already (see _answer_now)
        if self._refusal is not None:
            raise self._refusal  # decided before the body; answered now that it is in
        if self._claimed_sha is not None:
            verify_body_hash(self._claimed_sha, self._digest.digest())
        if not self.api_versioned:
            return None
        version = self.get_query_argument("api-version", None)
        url = f"{self.request.protocol}://{self.request.host}{self.request.path}"
        if not version:
            raise errors.UnsupportedApiVersion(
                f"The HTTP resource that matches the request URI '{url}' requires the query "
                f"parameter 'api-version'. Supported versions: {', '.join(self.api_versions)}."
            )
        if version not in self.api_versions or version < self.since:
            shown = version if len(version) <= 40 else version[:40] + "…"
            raise errors.UnsupportedApiVersion(
                f"The HTTP resource that matches the request URI '{url}' "
                f"does not support the API version '{shown}'."
            )
        return version

    def _authenticate(self) -> None:
        """From the headers alone; an HMAC request's body is checked against the signed hash
        in begin()."""
        auth = self.request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            verify_bearer(auth[7:].strip(), self.svc.entra_public_key)
        else:
            self._claimed_sha = verify_hmac_headers(
                self.request.method, self.request.uri, self.request.headers, self.svc.hmac_key
            )

    def send_json(self, status: int, payload: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", errors.CONTENT_TYPE)
        self._stamp()
        self.finish(json.dumps(payload).encode("ascii"))

    def send_empty(self, status: int = 204) -> None:
        self.set_status(status)
        self._stamp()
        self.finish()

    def _stamp(self) -> None:
        ms = int((time.perf_counter() - self._t0) * 1000)
        self.set_header("X-Processing-Time", f"{ms}ms")

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, errors.AcsError):
            err = exc
        elif isinstance(exc, sqlite3.Error):
            # The one place a storage failure becomes an answer: a 503 envelope, logged once.
            self.svc.storage_log.report(exc)
            err = errors.ServiceUnavailable()
        elif isinstance(exc, HTTPError) and exc.status_code == 405:
            err = errors.MethodNotAllowed()
        elif status_code == 404:
            err = errors.ResourceNotFound()
        elif status_code < 500:
            err = errors.InvalidRequestBody("The request could not be understood.")
            err.status = status_code
        else:
            # Reaching this branch is a bug: log the type only (never request data).
            log.error("unexpected %s while handling %s", type(exc).__name__, self.request.method)
            err = errors.InternalError()
        self.set_status(err.status)
        self.set_header("Content-Type", errors.ERROR_CONTENT_TYPE)
        if not err.lists_api_versions:
            self.clear_header("api-supported-versions")
        for name, value in err.headers().items():
            self.set_header(name, value)
        self._stamp()
        self.finish(err.body())

    def log_exception(self, typ, value, tb) -> None:
        # Expected errors are part of the API; only the unexpected ones are worth a traceback.
        if isinstance(value, errors.AcsError | HTTPError | sqlite3.Error):
            return  # (storage errors are logged once, by write_error)
        log.error("unexpected error", exc_info=(typ, value, tb))

    def _not_found(self, *args) -> None:
        self.begin()
        raise errors.ResourceNotFound()

    # Every verb defaults to an authenticated 405 on known paths.
    def _method_not_allowed(self, *args) -> None:
        self.begin()
        raise errors.MethodNotAllowed()

    get = post = put = patch = delete = head = options = _method_not_allowed


# Tokens are signed (RSA, ~0.45 ms) on the event loop, after the store has committed the issue,
# so a response only ever describes durable state. (A signing thread pool was measured and
# did not pay: docs/benchmarks.md.)


class CreateHandler(BaseHandler):
    def post(self) -> None:
        version = self.begin()
        scopes, minutes = create_request(
            self.body, self.request.headers.get("Content-Type", ""), version
        )
        self.svc.limits.admit("create_with_token" if scopes else "create")
        new_id, issued_ns = self.svc.store.create(with_token=bool(scopes))
        if not scopes:
            self.send_json(201, {"identity": {"id": new_id}})
            return
        tok = self.svc.tokens.mint(new_id, scopes, minutes, issued_ns)
        self.send_json(
            201,
            {
                "identity": {"id": new_id},
                "accessToken": {"token": tok.token, "expiresOn": tok.expires_on},
            },
        )


class IssueHandler(BaseHandler):
    def post(self, identity_id: str) -> None:
        version = self.begin()
        # Body first (model validation precedes the action in the real service), then the id.
        scopes, minutes = issue_request(
            self.body, self.request.headers.get("Content-Type", ""), version
        )
        self.svc.limits.admit("issue")
        canonical = self.svc.store.check_id(identity_id)
        issued_ns = self.svc.store.issue(canonical)
        tok = self.svc.tokens.mint(canonical, scopes, minutes, issued_ns)
        self.send_json(200, {"token": tok.token, "expiresOn": tok.expires_on})


class RevokeHandler(BaseHandler):
    def post(self, identity_id: str) -> None:
        self.begin()
        self.svc.limits.admit("revoke")
        self.svc.store.revoke(identity_id)
        self.send_empty()


class IdentityHandler(BaseHandler):
    def delete(self, identity_id: str) -> None:
        self.begin()
        self.svc.limits.admit("delete")
        self.svc.store.delete(identity_id)
        self.send_empty()


class TeamsExchangeHandler(BaseHandler):
    """A Teams user's Entra token (from the local Entra ID, `entra.py`) for an ACS token of
    that user, expiring with the Entra token. The rules live in `entra.teams_exchange_request`."""

    since = TEAMS_EXCHANGE_FROM

    def post(self) -> None:
        self.begin()
        body = _parse_object(self.body, self.request.headers.get("Content-Type", ""), True)
        exchange = entra.teams_exchange_request(body, self.svc.entra_public_key)
        self.svc.limits.admit("exchange")
        issued_ns = time.time_ns()
        tok = self.svc.tokens.mint(
            f"8:orgid:{exchange.user_object_id}",
            list(exchange.scopes),
            0,
            issued_ns,
            expires_at_s=exchange.expires_at_s,
            extra_claims={"tid": exchange.tenant_id},
        )
        self.send_json(200, {"token": tok.token, "expiresOn": tok.expires_on})


class NotFoundHandler(BaseHandler):
    api_versioned = False
    get = post = put = patch = delete = head = options = BaseHandler._not_found


class HealthHandler(BaseHandler):
    api_versioned = False

    def get(self) -> None:
        self.begin()
        self.send_json(200, {"status": "ok", "resourceId": self.svc.resource_id})


def identity_json(row: Identity) -> dict:
    return {
        "id": row.id,
        "createdAt": _iso(row.created_ns),
        "lastTokenIssuedAt": _iso(row.last_token_ns),
        "revokedAt": _iso(row.revoked_before_ns),
        "deletedAt": _iso(row.deleted_ns),
    }


class ListHandler(BaseHandler):
    api_versioned = False

    def get(self) -> None:
        self.begin()
        self.send_json(200, {"value": [identity_json(r) for r in self.svc.store.list()]})


class IntrospectHandler(BaseHandler):
    api_versioned = False

    def post(self) -> None:
        self.begin()
        body = _parse_object(self.body, "application/json", required=True)
        token = body.get("token")
        if not isinstance(token, str):
            raise errors.InvalidRequestBody("The field 'token' must be a string.", "token")
        self.send_json(200, self.svc.tokens.introspect(token, self.svc.store))


class ResetHandler(BaseHandler):
    api_versioned = False

    def post(self) -> None:
        self.begin()
        self.svc.store.reset()
        self.send_empty()


def _log_request(handler: RequestHandler) -> None:
    # Path only: the query never carries secrets today, but headers and bodies do, so the
    # access log stays at "method path status time" and at DEBUG (notebooks stay quiet).
    ms = 1000.0 * handler.request.request_time()
    log.debug("%s %s %d %.1fms", handler.request.method, handler.request.path,
              handler.get_status(), ms)  # fmt: skip


def make_app(service: Service) -> Application:
    """The tornado Application for one emulated resource."""
    ident = r"/identities/([^/?]+)"
    args = {"service": service}
    return Application(
        [
            (r"/identities", CreateHandler, args),
            (ident + r"/:issueAccessToken", IssueHandler, args),
            (ident + r"/:revokeAccessTokens", RevokeHandler, args),
            (ident, IdentityHandler, args),
            (r"/teamsUser/:exchangeAccessToken", TeamsExchangeHandler, args),
            (r"/_emulator/health", HealthHandler, args),
            (r"/_emulator/identities", ListHandler, args),
            (r"/_emulator/tokens:introspect", IntrospectHandler, args),
            (r"/_emulator/reset", ResetHandler, args),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=args,
        compress_response=False,
        log_function=_log_request,
    )
