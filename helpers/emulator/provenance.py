"""Where each answer and limit of the local service comes from: recorded, documented, or the
lab's choice. The one place that says so; docs/service-provenance.md is rendered from it.

    python -m helpers.emulator.provenance > docs/service-provenance.md

* RECORDED - Azure's own answer, seen in a recording of real traffic (the SDKs' test
  recordings in Azure/azure-sdk-for-python and Azure/azure-sdk-for-js);
* DOCUMENTED - stated by a Microsoft Learn page or the REST spec (Azure/azure-rest-api-specs);
* LAB - the lab's choice where neither says (why, in the entry).

The chat API (helpers/emulator/chat/) has its own section: CHAT_ERRORS, CHAT_LIMITS.
tests/emulator/test_provenance.py checks that every error the service can raise (identity and
chat) has an entry, that the limits shown are the constants the code uses, and that the doc
matches this table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from . import auth, entra, errors, limits, routes
from .chat import errors as chat

RECORDED, DOCUMENTED, LAB = "recorded", "documented", "lab's choice"

# The recordings (paths in their repositories).
PY_REC = (
    "Azure/azure-sdk-for-python sdk/communication/azure-communication-identity/tests/recordings/"
    "test_communication_identity_client.pyTestClient"
)
JS_REC = (
    "Azure/azure-sdk-for-js sdk/communication/communication-identity/recordings/node/"
    "communicationidentityclient_playbacklive_error_cases_/"
)
SPEC = "Azure/azure-rest-api-specs specification/communication/data-plane/Identity/stable/"
SERVICE_LIMITS = limits.LIMITS_URL
IDENTITY_MODEL = (
    "https://learn.microsoft.com/en-us/azure/communication-services/concepts/identity-model"
)


@dataclass(frozen=True)
class Entry:
    """One answer (an error) or one limit, with where it comes from."""

    situation: str
    answer: str
    kind: str  # RECORDED, DOCUMENTED or LAB
    source: str  # the recording, page or spec; for LAB: why
    error: type[errors.AcsError] | None = None
    # The message, `{...}` standing for what varies; None: the error class's own message.
    message: str | None = None

    def shown_answer(self) -> str:
        if self.error is None:
            return self.answer
        message = self.message if self.message is not None else self.error.message
        return f"{self.error.status} `{self.error.code}`: {message}"


def _error(situation, error, kind, source, message=None) -> Entry:
    return Entry(situation, "", kind, source, error, message)


_EXPIRY = "ExpiresInMinutes value {n} is invalid. Value must be within the [60, 1440] interval."

ERRORS: tuple[Entry, ...] = (
    # --- recorded ------------------------------------------------------------------------
    _error(
        "issue or create with `expiresInMinutes` outside 60..1440",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_with_invalid_custom_expirations[min_invalid_mins-59].json, "
        "...test_create_user_and_token_with_invalid_custom_expirations[max_invalid_mins-1441]"
        ".json (target `ExpiresInMinutes`)",
        _EXPIRY,
    ),
    _error(
        "issue without `scopes`",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_with_no_scopes.json (target `Scopes`)",
        "Scopes: The Scopes field is required.",
    ),
    _error(
        "issue with `scopes: []`",
        errors.ValidationError,
        RECORDED,
        JS_REC + "recording_throws_an_error_when_attempting_to_issue_a_token_without_any_scopes"
        ".js (target `scopes`)",
        "Invalid scopes - Scopes field is required.",
    ),
    _error(
        "issue, revoke or delete for an identity of another resource",
        errors.IdentityNotOwned,
        RECORDED,
        JS_REC + "recording_throws_an_error_when_attempting_to_issue_a_token_for_an_invalid_user"
        ".js, ..._to_revoke_a_token_from_an_invalid_user.js",
    ),
    _error(
        "Teams exchange: token empty, malformed, expired or not for this service",
        errors.InvalidAccessToken,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_invalid_token[...].json, "
        "..._with_expired_token.json (no `api-supported-versions` header)",
    ),
    _error(
        "Teams exchange: `appId` empty",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_invalid_client_id[empty_client_id-].json",
        "AppId: The AppId field is required.",
    ),
    _error(
        "Teams exchange: `appId` not a GUID",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_invalid_client_id[invalid_client_id-invalid]"
        ".json",
        "Provided AppId has invalid format.",
    ),
    _error(
        "Teams exchange: `userId` empty",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_invalid_user_object_id"
        "[empty_user_object_id-].json",
        "UserId: The UserId field is required.",
    ),
    _error(
        "Teams exchange: `userId` not a GUID",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_invalid_user_object_id"
        "[invalid_user_object_id-invalid].json",
        "Provided UserId has invalid format.",
    ),
    _error(
        "Teams exchange: the token was issued to another application",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_wrong_client_id.json",
        "AAD application is not the expected one.",
    ),
    _error(
        "Teams exchange: the token was issued for another user",
        errors.ValidationError,
        RECORDED,
        PY_REC + "test_get_token_for_teams_user_with_wrong_user_object_id.json",
        "Provided AAD token issued for unexpected user.",
    ),
    # --- not recorded: the lab's choice, some with Azure's wording as reported elsewhere ---
    _error(
        "an api-version the resource does not serve",
        errors.UnsupportedApiVersion,
        LAB,
        "the message is Azure's as a user quoted it (issue Azure/Communication#160); the 400 "
        "status and the `UnsupportedApiVersion` code are ASP.NET API versioning's default, "
        "not recorded for ACS",
        "The HTTP resource that matches the request URI '{url}' does not support the API "
        "version '{version}'.",
    ),
    _error(
        "a wrong access key or signature, a stale `x-ms-date`, a body that does not match "
        "`x-ms-content-sha256`, or a bearer token the local Entra ID did not sign",
        errors.Denied,
        LAB,
        "code and message as third-party code reports them for ACS (Email), not recorded for "
        "Identity; one bland answer for every authentication failure, so a caller cannot tell "
        "which check tripped",
    ),
    _error(
        "more requests of one operation than Azure's documented limit (see Limits)",
        errors.TooManyRequests,
        LAB,
        "the 429 status is documented (" + SERVICE_LIMITS + "); the body is not, so the code "
        "`TooManyRequests`, this message and the `Retry-After` header are the lab's own",
        "The limit of {limit} '{operation}' requests per {seconds} seconds for this resource "
        "was reached; retry after {n} seconds. (Azure's documented limit; the local service "
        "enforces it unless ACS_EMULATOR_THROTTLING=off.)",
    ),
    _error(
        "issue, revoke or delete for a deleted or never-created identity of this resource",
        errors.IdentityNotFound,
        LAB,
        "the message is Azure's as quoted by Azure-Samples code and azure-sdk-for-js issue "
        "#19849; the status and code are not recorded: 404 is the natural choice",
    ),
    _error(
        "an identity id that is not `8:acs:<resource id>_<suffix>`",
        errors.InvalidIdentity,
        LAB,
        "not recorded; a 400 that says which shape is expected (target `id`)",
        "Provided identity '{id}' is not a valid Communication Services user id; expected "
        "'8:acs:<resource id>_<suffix>'.",
    ),
    _error(
        "a scope the api-version does not know",
        errors.ValidationError,
        LAB,
        "not recorded; the wording lists what the api-version allows (target `scopes`)",
        "Invalid scope '{scope}'. Allowed scopes for api-version {version}: {scopes}.",
    ),
    _error(
        "`expiresInMinutes` with an api-version before 2022-10-01",
        errors.ValidationError,
        LAB,
        "the REST spec has no such field before 2022-10-01; the answer says which version has",
        "The field 'expiresInMinutes' is not supported in api-version {version}; use "
        "api-version 2022-10-01 or later.",
    ),
    _error(
        "no `api-version` query parameter",
        errors.UnsupportedApiVersion,
        LAB,
        "ASP.NET's wording for a missing version, plus the versions this service accepts",
        "The HTTP resource that matches the request URI '{url}' requires the query parameter "
        "'api-version'. Supported versions: {versions}.",
    ),
    _error(
        "a body that is not JSON, not an object, too deeply nested, or empty where required",
        errors.InvalidRequestBody,
        LAB,
        "not recorded; one 400 per shape problem, naming it",
        "A non-empty request body is required. | The request body is not valid JSON: {why}. | "
        "The request body is nested too deeply. | The request body must be a JSON object.",
    ),
    _error(
        "a field of the wrong JSON type (`scopes`, `createTokenWithScopes`, `expiresInMinutes`, "
        "Teams `token`/`appId`/`userId`, the admin API's `token`)",
        errors.InvalidRequestBody,
        LAB,
        "not recorded; a 400 naming the field (as target)",
        "The field '{field}' must be an array of strings. | The field 'expiresInMinutes' must "
        "be an integer. | The field '{name}' must be a string. | The field 'token' must be a "
        "string.",
    ),
    _error(
        "a `Content-Length` that is not a number",
        errors.InvalidRequestBody,
        LAB,
        "not recorded; a 400 envelope instead of a bare transport error",
        "Content-Length is not a number.",
    ),
    _error(
        "any other request tornado refuses before a handler runs (a 4xx)",
        errors.InvalidRequestBody,
        LAB,
        "the envelope with tornado's status, so every answer is an ACS error",
        "The request could not be understood.",
    ),
    _error(
        "a path the service does not have",
        errors.ResourceNotFound,
        LAB,
        "not recorded; a 404 envelope (also for the Teams Phone routes of 2025-06-30 and later)",
    ),
    _error(
        "a method a known path does not have",
        errors.MethodNotAllowed,
        LAB,
        "not recorded; authenticated first, then a 405 envelope",
    ),
    _error(
        "a request body over the body limit (see Limits)",
        errors.RequestTooLarge,
        LAB,
        "not recorded; answered as soon as the declared or running size passes the limit",
    ),
    _error(
        "request headers over the head limit (see Limits)",
        errors.RequestHeadersTooLarge,
        LAB,
        "not recorded; keeps what one connection can make the service hold small",
    ),
    _error(
        "too many request bodies in memory at once (see Limits)",
        errors.ServerBusy,
        LAB,
        "a local-machine protection with no Azure counterpart; a 503 the SDKs retry",
    ),
    _error(
        "the identity database is damaged, unreadable or full",
        errors.ServiceUnavailable,
        LAB,
        "a state of the local service, not a bug: a 503 whose message says how to recover",
    ),
    _error(
        "a bug (never expected; logged)",
        errors.InternalError,
        LAB,
        "the envelope rather than a traceback; the test suites fail on any such log line",
    ),
)

MANAGED_IDENTITY_SHAPE = (
    "App Service's `{statusCode, message}` plus OAuth's `{error, error_description}`"
)
# The local Entra ID's managed-identity endpoint (entra.py): status -> situations.
MANAGED_IDENTITY: tuple[tuple[int, Entry], ...] = tuple(
    (status, Entry(situation, f"{status} {MANAGED_IDENTITY_SHAPE}", LAB, why))
    for status, situation, why in (
        (400, "a non-loopback Host, an unknown api-version, or no `resource`",
         "the shape MSAL and @azure/identity read; loopback only against DNS rebinding"),
        (401, "a missing or wrong `X-IDENTITY-HEADER` / `secret`",
         "the message names the variable whose value to send"),
        (403, "a resource other than Communication Services",
         "the local Entra ID mints tokens for the local service only"),
        (404, "any other path or method", "one line naming the one route it answers"),
        (413, "a declared request body over 64 KiB (the endpoint takes a GET, no body)",
         "answered before any body byte is read, so unauthenticated bodies hold no memory"),
    )
)  # fmt: skip


# --- chat (helpers/emulator/chat/) ------------------------------------------------------------

CHAT_SPEC = (
    "Azure/azure-rest-api-specs specification/communication/data-plane/Chat/stable/2024-03-07/"
    "communicationserviceschat.json"
)
CHAT_REC = "Azure/azure-sdk-for-python sdk/communication/azure-communication-chat/tests/recordings/"
# A 2020 report of Azure's chat answer to a token it refused: 401 with an empty body.
EMPTY_401 = "https://github.com/MicrosoftDocs/azure-docs-sdk-java/issues/1559"
SCOPES_DOC = IDENTITY_MODEL + "#chat-token-scopes"
CHAT_LIMITS_DOC = SERVICE_LIMITS + " (Chat, Size Limits)"
_401 = (
    f"the 401 is documented for every chat operation ({CHAT_SPEC}); its body is not recorded "
    f"(the chat recordings, {CHAT_REC}, hold successes only) and Azure was reported to send it "
    f"empty ({EMPTY_401}): the ACS envelope and a message that says why are the lab's"
)
_403 = (
    f"the 403 is documented for every chat operation ({CHAT_SPEC}); its body is not recorded: "
    "code and message are the lab's"
)
_400 = (
    f"the REST spec lists no 400 for any chat operation (401, 403, 429, 503 only: {CHAT_SPEC}): "
    "status, code `ValidationError` (the identity API's, recorded) and message are the lab's"
)

CHAT_ERRORS: tuple[Entry, ...] = (
    _error("no `Authorization: Bearer <token>` (none, another scheme, or the access key)",
           chat.TokenMissing, LAB, _401),
    _error("a token this resource did not sign (forged, altered, malformed, over 8 KiB, or "
           "another resource's)", chat.TokenInvalid, LAB, _401),
    _error("an expired token", chat.TokenExpired, LAB, _401),
    _error("a token issued before the identity's last `revoke_tokens`", chat.TokenRevoked, LAB,
           _401 + "; that revocation refuses it is documented (" + IDENTITY_MODEL
           + "#revoke-or-update-access-token), up to 15 minutes late on Azure, at once here"),
    _error("a token of a deleted identity (or one forgotten by a reset)", chat.IdentityDeleted,
           LAB, _401 + "; deleting an identity revokes its tokens (" + SPEC
           + "2023-10-01/CommunicationIdentity.json, CommunicationIdentity_Delete)"),
    _error("a token with no chat scope (e.g. `voip` only)", chat.NoChatScope, LAB,
           _401 + "; only chat scopes give chat (" + SCOPES_DOC + ")"),
    _error("a Teams user's token", chat.TeamsUserToken, LAB,
           "Teams interop is not emulated; the local chat serves Communication Services users"),
    _error("create or delete a thread with a `chat.join` or `chat.join.limited` token",
           chat.ScopeForbidsThreadAdmin, LAB,
           _403 + "; that these scopes may not create, update or delete threads is documented ("
           + SCOPES_DOC + ")"),
    _error("a thread that does not exist, was deleted, or has not the caller as participant",
           chat.ThreadNotAccessible, LAB,
           _403 + "; no 404 is documented for threads, and one answer for missing and foreign "
           "threads keeps thread ids from being probed"),
    _error("a message id the thread does not have", chat.MessageNotFound, LAB,
           f"no answer is documented for a missing message ({CHAT_SPEC}: 200, 401, 403, 429, 503)"),
    _error("a Chat REST operation the lab does not serve (adding or removing participants, read "
           "receipts, typing notifications, updating the topic, editing or deleting a message), "
           "by a token that may chat; the token is checked first, by the rules above",
           chat.OperationNotServed, LAB,
           f"these operations succeed on Azure ({CHAT_SPEC}); the local service leaves them out. "
           "501 (RFC 9110 section 15.6.2: the server does not support the functionality) rather "
           "than 404 or 405: neither SDK retries a 501 (azure-core RetryPolicyBase._SAFE_CODES; "
           "@typespec/ts-http-runtime isExponentialRetryResponse, under "
           "@azure/core-rest-pipeline), "
           "the Python chat SDK shows it as HttpResponseError with this code and message, while "
           "its error map turns 401 into ClientAuthenticationError and 404 into "
           "ResourceNotFoundError, which would blame the credentials or the thread, and a 405 "
           "would blame the request; code and message are the lab's"),
    _error("any other path under /chat (after the token check)", chat.ChatPathNotFound, LAB,
           f"no such path is in the REST spec ({CHAT_SPEC}); the chat API judges every /chat "
           "request by its own token rules, so a chat token is never refused as a wrong "
           "credential by the identity API's catch-all"),
    _error("`topic` or `content` missing or blank", chat.ChatValidationError, LAB,
           _400 + "; that they are required is documented (" + CHAT_SPEC + ")",
           "{field}: The {field} field is required. | {field}: The {field} field must not be "
           "empty."),
    _error("a field over its limit (see Chat limits)", chat.ChatValidationError, LAB, _400,
           "The field '{field}' has {n} characters; at most {limit} are allowed. | The field "
           "'content' has {n} bytes in UTF-8; at most {limit} are allowed. | The field "
           "'participants' must be an array of at most {limit} participants. | The field "
           "'metadata' must be an object of at most {limit} string values. | Each metadata key "
           "and value must be a string of at most {limit} characters. | The header "
           "'repeatability-request-id' has {n} characters; at most {limit} are allowed."),
    _error("a field of the wrong type or shape (strings, participants, identifiers, RFC 3339 "
           "times, message `type`) or a paging query out of range", chat.ChatValidationError,
           LAB, _400 + "; the types and formats are the spec's",
           "The field '{field}' must be a string. | The field '{field}' must be an RFC 3339 "
           "date-time. | The field '{field}' is not an RFC 3339 date-time (e.g. "
           "2024-03-07T10:00:00Z). | The field '{field}' must be an object. | The field "
           "'{field}' needs communicationUser.id (a Communication Services user). | Each "
           "participant must be an object. | The field 'type' must be 'text' or 'html'. | The "
           "query parameter '{name}' must be a whole number from {low} to {high}."),
)  # fmt: skip

# responses.LIMITS key -> (situation, answer with {n} for the number, kind, source or why).
CHAT_LIMITS: dict[str, tuple[str, str, str, str]] = {
    "content": ("message `content`", "at most {n:,} bytes of UTF-8", DOCUMENTED,
                CHAT_LIMITS_DOC + ": 'Message Size 28 KB'; counting the content's UTF-8 bytes "
                "and 1 KB = 1,024 bytes are the lab's reading"),
    "participants": ("participants in a create request", "at most {n}", DOCUMENTED,
                     CHAT_LIMITS_DOC + ": 'Batch of participants - CreateThread 200'; 'Number "
                     "of participants in thread 250' cannot be passed here (no add route)"),
    "maxPageSize": ("`maxPageSize` of a list", "1 to {n}", DOCUMENTED,
                    CHAT_LIMITS_DOC + ": 'Page size - ListMessages 200'; the same bound for "
                    "threads and participants is the lab's"),
    "topic": ("thread `topic`", "at most {n} characters", LAB,
              "neither the service-limits page nor the REST spec (no maxLength) gives one"),
    "displayName": ("participant `displayName`", "at most {n} characters", LAB,
                    "neither the service-limits page nor the REST spec gives one"),
    "senderDisplayName": ("message `senderDisplayName`", "at most {n} characters", LAB,
                          "neither the service-limits page nor the REST spec gives one"),
    "metadata": ("message `metadata` entries", "at most {n}", LAB,
                 "neither the service-limits page nor the REST spec gives one"),
    "metadataText": ("each metadata key and value", "at most {n:,} characters", LAB,
                     "neither the service-limits page nor the REST spec gives one"),
    "repeatability-request-id": ("`repeatability-request-id` header", "at most {n} characters",
                                 LAB, "not documented; keeps the stored key small"),
}  # fmt: skip


def chat_entries() -> tuple[Entry, ...]:
    """CHAT_ERRORS and the chat answers that are not errors (values read from the code)."""
    from .chat import responses

    return CHAT_ERRORS + (
        Entry("create a thread with participants that are no live identities of this resource",
              "201; each such participant in `invalidParticipants` as `{code, message, target}`, "
              "with the identity API's `IdentityNotFound`, `IdentityNotOwned` or `InvalidIdentity`",
              DOCUMENTED,
              f"`invalidParticipants` of CommunicationErrors is the spec's ({CHAT_SPEC}, "
              "CreateChatThreadResult); the codes and messages in it are the lab's"),
        Entry("chat answers' `api-supported-versions` header",
              responses.SUPPORTED_VERSIONS_HEADER, LAB,
              f"Azure's (recorded in 2023: {CHAT_REC}test_chat_client_e2e.pyTestChatClient"
              "test_access_token_validation.json) lists previews too; the lab lists the stable "
              "versions it serves"),
    )  # fmt: skip


def chat_limit_entries() -> tuple[Entry, ...]:
    """The chat limits, read from the constants the code uses (responses.LIMITS)."""
    from .chat import access, responses

    rows = tuple(
        Entry(situation, answer.format(n=responses.LIMITS[key]) + ", else 400", kind, source)
        for key, (situation, answer, kind, source) in CHAT_LIMITS.items()
    )
    return rows + (
        Entry("default page size", f"{responses.DEFAULT_PAGE}", LAB,
              "not documented; half the documented maximum"),
        Entry("bearer token looked at", f"at most {_kib(access.MAX_TOKEN)}, else 401", LAB,
              "the lab's tokens are about 1 KiB"),
    )  # fmt: skip


def _kib(n: int) -> str:
    return f"{n // 1024} KiB" if n < 1024 * 1024 else f"{n // (1024 * 1024)} MiB"


def _throttling_rows() -> tuple[Entry, ...]:
    rows = tuple(
        Entry(
            f"requests per resource: {rule.operation}",
            f"{rule.limit:,} per {rule.window_s:g} s, then 429",
            DOCUMENTED,
            SERVICE_LIMITS + " (Identity table)",
        )
        for rule in limits.RULES.values()
    )
    return rows + (
        Entry(
            "how the limits count",
            "a sliding window per operation and per resource (per running service); only "
            "requests that are authenticated, valid and about to run count",
            LAB,
            "the page gives numbers only; a refused request does not count, so waiting as "
            "long as Retry-After says always gets through",
        ),
        Entry(
            "`Retry-After` on a 429",
            "whole seconds until the oldest counted request leaves the window",
            LAB,
            "not documented; both SDKs honour Retry-After (azure-core RetryPolicy; "
            "@azure/core-rest-pipeline's throttling strategy)",
        ),
        Entry(
            f"switching throttling off: `{limits.ENV_VAR}=off` or `acs-emulator serve "
            "--throttling off`",
            "no 429 at all",
            LAB,
            "for load tests and benchmarks, which measure the service rather than Azure's quotas",
        ),
    )


def limit_entries() -> tuple[Entry, ...]:
    """The limits, read from the constants the code uses (so this table cannot drift)."""
    from . import server

    minutes = (
        f"{routes.MIN_MINUTES}..{routes.MAX_MINUTES} minutes, default {routes.DEFAULT_MINUTES}"
    )
    return _throttling_rows() + (
        Entry(
            "token lifetime (`expiresInMinutes`)",
            minutes,
            DOCUMENTED,
            SPEC
            + "2023-10-01/CommunicationIdentity.json (minimum, maximum, default); "
            + IDENTITY_MODEL,
        ),
        Entry(
            "revoking tokens",
            "takes effect at once",
            LAB,
            "Azure documents up to 15 minutes to propagate (" + IDENTITY_MODEL + "); at once "
            "is what a lesson can show",
        ),
        Entry(
            "signed-request clock window (`x-ms-date`)",
            f"±{int(auth.MAX_SKEW.total_seconds() // 60)} minutes, else 401 Denied",
            LAB,
            "not documented for Identity; ACS Email errors report 5 minutes, Azure App "
            "Configuration (same HMAC scheme) documents 15: the lab takes the lenient one for "
            "classroom laptops with drifting clocks",
        ),
        Entry(
            "signed host (`host` in the HMAC string-to-sign)",
            " or ".join(f"`{h}`" for h in auth.signed_hosts("<Host header>")),
            LAB,
            "Azure's rule is not documented or recorded for a trailing slash; the Python SDK "
            'signs its endpoint minus the scheme, so `CommunicationIdentityClient("https://h/", '
            "AzureKeyCredential(key))` signs `h/` while sending `Host: h` (the JS SDK and "
            "connection strings sign `h`); the lab accepts what the official SDK signs, the "
            "signature still checked in full",
        ),
        Entry(
            "bearer (Entra ID) token lifetime accepted",
            f"at most {auth.MAX_BEARER_LIFETIME // 3600} h",
            LAB,
            "the local Entra ID mints 1-hour tokens; longer ones are refused as forged",
        ),
        Entry(
            "Teams user token lifetime accepted by the exchange",
            f"at most {entra.TEAMS_MAX_MINUTES} minutes",
            LAB,
            "Entra ID tokens live about an hour; a day is a generous ceiling",
        ),
        Entry(
            "request body",
            f"at most {_kib(routes.MAX_BODY)}, else 413",
            LAB,
            "the SDK's largest body is under 1 KiB",
        ),
        Entry(
            "request head",
            f"at most {_kib(routes.MAX_HEADERS)} (431 envelope); reading stops at "
            f"{_kib(server.HEAD_LIMIT)}",
            LAB,
            "the SDK sends under 2 KiB, a bearer token adds about 2 KiB",
        ),
        Entry(
            "request bodies held in memory, all connections together",
            f"at most {_kib(routes.BODY_BUDGET)}, else 503 ServerBusy",
            LAB,
            "the service lives in the learner's kernel",
        ),
        Entry(
            "idle connection / slow body",
            f"closed after {server.IDLE_TIMEOUT:g} s / {server.BODY_TIMEOUT:g} s",
            LAB,
            "slow or silent clients cannot hold sockets for long",
        ),
    )


def api_version_entries() -> tuple[Entry, ...]:
    return (
        Entry(
            "`api-supported-versions` header",
            routes.SUPPORTED_VERSIONS_HEADER,
            RECORDED,
            PY_REC + "* (2023-10-01 test-proxy recordings)",
        ),
        Entry(
            "api-versions accepted",
            ", ".join(routes.API_VERSIONS),
            LAB,
            "the recorded list, plus the stable versions of the REST spec not in it: 2023-08-01 "
            "(" + SPEC + "2023-08-01/) and 2025-06-30, 2026-07-22, 2026-09-23 (" + SPEC + "<"
            "version>/CommunicationIdentity.json: the identity and Teams-user routes and models "
            "are 2023-10-01's, so those rules apply; their Teams Phone routes, "
            "/access/teamsExtension/..., are not served)",
        ),
        Entry(
            "the rules of each api-version (scopes, expiresInMinutes, Teams exchange)",
            "as docs/entra-and-teams-offline.md tabulates",
            DOCUMENTED,
            SPEC + "<version>/CommunicationIdentity.json; unrecorded previews follow their date "
            "(the lab's choice)",
        ),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows, answer=lambda e: e.shown_answer()) -> list[str]:
    lines = ["| Situation | Answer | Provenance | Source, or why |", "|---|---|---|---|"]
    lines += [
        f"| {_cell(e.situation)} | {_cell(answer(e))} | {e.kind} | {_cell(e.source)} |"
        for e in rows
    ]
    return lines


def render_markdown() -> str:
    """docs/service-provenance.md, generated from the tables above."""
    answers = ERRORS + CHAT_ERRORS
    counts = {k: sum(e.kind == k for e in answers) for k in (RECORDED, DOCUMENTED, LAB)}
    lines = [
        "# Where the local service's answers come from",
        "",
        "<!-- Generated by `python -m helpers.emulator.provenance > docs/service-provenance.md`"
        " from helpers/emulator/provenance.py; tests/emulator/test_provenance.py checks it. -->",
        "",
        "The local ACS Identity service uses Azure's paths, request and response shapes and the",
        "SDKs' expected status codes. Each error and limit it answers with is one of:",
        "",
        "- **recorded**: Azure's own answer, seen in the SDKs' recordings of real traffic;",
        "- **documented**: stated on a Microsoft Learn page or in the REST spec;",
        "- **lab's choice**: neither says; the lab chose, for the reason given.",
        "",
        f"Errors (identity and chat): {counts[RECORDED]} recorded, {counts[DOCUMENTED]} "
        f"documented, {counts[LAB]} the lab's choice.",
        "",
        '## Errors (the ACS envelope `{"error": {"code", "message", "target"}}`)',
        "",
        *_table(ERRORS),
        "",
        "## The local Entra ID's managed-identity endpoint",
        "",
        *_table(entry for _status, entry in MANAGED_IDENTITY),
        "",
        "## Limits",
        "",
        *_table(limit_entries()),
        "",
        "## api-versions",
        "",
        *_table(api_version_entries()),
        "",
        "## Chat (`/chat/...`, helpers/emulator/chat/)",
        "",
        "### Chat answers",
        "",
        *_table(chat_entries()),
        "",
        "### Chat limits",
        "",
        *_table(chat_limit_entries()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
