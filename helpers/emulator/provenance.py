"""Where each answer and limit of the local service comes from: recorded, documented, or the
lab's choice. The one place that says so; docs/service-provenance.md is rendered from it.

    python -m helpers.emulator.provenance > docs/service-provenance.md

* RECORDED - Azure's own answer, seen in a recording of real traffic (the SDKs' test
  recordings in Azure/azure-sdk-for-python and Azure/azure-sdk-for-js);
* DOCUMENTED - stated by a Microsoft Learn page or the REST spec (Azure/azure-rest-api-specs);
* LAB - the lab's choice where neither says (why, in the entry).

tests/emulator/test_provenance.py checks that every error the service can raise has an entry,
that the limits shown are the constants the code uses, and that the doc matches this table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from . import auth, entra, errors, limits, routes

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
    )
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
    counts = {k: sum(e.kind == k for e in ERRORS) for k in (RECORDED, DOCUMENTED, LAB)}
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
        f"Errors: {counts[RECORDED]} recorded, {counts[DOCUMENTED]} documented, "
        f"{counts[LAB]} the lab's choice.",
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
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
