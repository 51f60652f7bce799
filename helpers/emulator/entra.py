"""The local Entra ID: a managed-identity endpoint and Teams users' Entra tokens, offline.

Two things Azure's Entra ID (Azure AD) does for ACS, done here with the state dir's own Entra
signing key:

* **Managed identity, App Service style.** `acs-emulator serve` (and `connect()`) run a token
  endpoint on loopback HTTP and export the variables App Service sets: ``IDENTITY_ENDPOINT`` +
  ``IDENTITY_HEADER`` (api-version 2019-08-01; azure-identity for Python, @azure/identity 4.x)
  and the older ``MSI_ENDPOINT`` + ``MSI_SECRET`` (api-version 2017-09-01; @azure/identity 1.x).
  So the unmodified ``DefaultAzureCredential`` gets a bearer token, for the resource
  ``https://communication.azure.com`` only, that the service's bearer mode accepts.
* **Teams users.** `teams_user_token()` mints the Entra token a Teams user would get from MSAL
  for the ACS app (audience ``https://auth.msft.communication.azure.com``, delegated scopes
  Teams.ManageCalls and Teams.ManageChats); the service's Teams exchange validates it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler, stream_request_body

from ..settings import is_loopback
from . import errors
from .auth import ENTRA_AUDIENCE, ENTRA_ISSUER
from .linger import LingeringIOStream
from .state import ensure_state

log = logging.getLogger("helpers.emulator")

# --- what a real Entra ID would put in these tokens ----------------------------------------
TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"
TEAMS_SCOPES = ("Teams.ManageCalls", "Teams.ManageChats")
# The ACS scopes a Teams user's ACS token carries, per delegated Entra scope (lab's choice:
# the claims of exchanged tokens are not documented).
ACS_SCOPE_OF = {"Teams.ManageCalls": "voip", "Teams.ManageChats": "chat"}
MANAGED_IDENTITY_LIFETIME = 75 * 60  # Entra access tokens live 60-90 minutes
TEAMS_DEFAULT_MINUTES = 60
TEAMS_MAX_MINUTES = 24 * 60  # the service refuses longer-lived Entra tokens
SERVED_RESOURCES = (ENTRA_AUDIENCE, ENTRA_AUDIENCE + "/")

# --- the App Service endpoint's wire contract ----------------------------------------------
TOKEN_PATH = "/msi/token"
API_2019 = "2019-08-01"  # IDENTITY_ENDPOINT, header X-IDENTITY-HEADER, expires_on in epoch s
API_2017 = "2017-09-01"  # MSI_ENDPOINT, header "secret", expires_on as "MM/DD/YYYY hh:mm:ss +00:00"
SECRET_HEADER = {API_2019: "X-IDENTITY-HEADER", API_2017: "secret"}
EXPORTED_VARIABLES = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET")
# The endpoint answers GET, which has no body: any body is read and thrown away, never stored.
# A declared body over MAX_BODY is answered 413 at once; tornado's own cap (what a chunked body
# may reach) is TRANSPORT_LIMIT instead of its default 100 MB, held by nobody either way.
MAX_BODY = 64 * 1024
TRANSPORT_LIMIT = 1024 * 1024
HEAD_LIMIT = 16 * 1024

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Names ids derived from the resource id (uuid5), so they are stable per state dir.
_LAB_NAMESPACE = uuid.UUID("5b1f1d3e-6a8e-4a43-9a2c-a0c51ab00000")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def local_tenant_id(resource_id: str) -> str:
    """The local Entra tenant's id: stable per state dir, and not the resource's own id."""
    return str(uuid.uuid5(_LAB_NAMESPACE, f"tenant:{resource_id.lower()}"))


def managed_identity_ids(resource_id: str) -> tuple[str, str]:
    """(client id, object id) of the state dir's system-assigned managed identity."""
    rid = resource_id.lower()
    return (
        str(uuid.uuid5(_LAB_NAMESPACE, f"mi-client:{rid}")),
        str(uuid.uuid5(_LAB_NAMESPACE, f"mi-object:{rid}")),
    )


class EntraError(ValueError):
    """A request the local Entra ID refuses; `str()` is one line saying why and what to do."""


class LocalEntraID:
    """Mints Entra tokens with one state dir's Entra signing key (see module docstring)."""

    def __init__(self, private_key, resource_id: str) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.resource_id = resource_id.lower()
        self.tenant_id = local_tenant_id(resource_id)
        self.client_id, self.object_id = managed_identity_ids(resource_id)

    @classmethod
    def from_state(cls, state_dir: str | Path | None = None) -> LocalEntraID:
        state = ensure_state(state_dir)
        key = serialization.load_pem_private_key(state.entra_key_path.read_bytes(), None)
        return cls(key, state.resource_id)

    def __repr__(self) -> str:
        return f"LocalEntraID(tenant_id={self.tenant_id!r})"

    def _sign(self, claims: dict) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"typ": "JWT"})

    def managed_identity_token(self, resource: str, now: float | None = None) -> tuple[str, int]:
        """(token, exp) for the managed identity; raises EntraError for another resource."""
        if resource not in SERVED_RESOURCES:
            shown = resource if len(resource) <= 100 else resource[:100] + "…"
            raise EntraError(
                f"The local Entra ID issues tokens for the resource {ENTRA_AUDIENCE} only, "
                f"not for {shown!r}; request the scope {ENTRA_AUDIENCE}//.default."
            )
        iat = int(time.time() if now is None else now)
        exp = iat + MANAGED_IDENTITY_LIFETIME
        claims = {
            "aud": ENTRA_AUDIENCE,
            "iss": ENTRA_ISSUER,
            "iat": iat,
            "nbf": iat,
            "exp": exp,
            "appid": self.client_id,
            "oid": self.object_id,
            "sub": self.object_id,
            "tid": self.tenant_id,
            "idtyp": "app",
            "ver": "1.0",
            "jti": str(uuid.uuid4()),
        }
        return self._sign(claims), exp

    def teams_user_token(
        self,
        user_object_id: str,
        client_id: str,
        minutes: int = TEAMS_DEFAULT_MINUTES,
        *,
        now: float | None = None,
    ) -> str:
        """The Entra access token a Teams user gets for the ACS app `client_id`.

        `now` moves the issue time (tests use it for an already expired token).
        """
        if not is_guid(user_object_id):
            raise EntraError(
                f"user object id {str(user_object_id)[:60]!r} is not a GUID; an Entra user's "
                "object id looks like 32c0a5db-05ec-78ea-51ab-3f06b329397e."
            )
        if not is_guid(client_id):
            raise EntraError(
                f"client id {str(client_id)[:60]!r} is not a GUID; an application (client) id "
                "looks like 2c3e1e83-8fd7-4615-ad2b-b8c1229845ac."
            )
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise EntraError(f"minutes must be a whole number, not {minutes!r}.")
        if not 1 <= minutes <= TEAMS_MAX_MINUTES:
            raise EntraError(f"minutes must be within 1..{TEAMS_MAX_MINUTES}, not {minutes}.")
        iat = int(time.time() if now is None else now)
        claims = {
            "aud": TEAMS_AUDIENCE,
            "iss": ENTRA_ISSUER,
            "iat": iat,
            "nbf": iat,
            "exp": iat + minutes * 60,
            "appid": client_id.lower(),
            "oid": user_object_id.lower(),
            "sub": str(uuid.uuid5(_LAB_NAMESPACE, f"sub:{client_id}:{user_object_id}".lower())),
            "tid": self.tenant_id,
            "scp": " ".join(TEAMS_SCOPES),
            "idtyp": "user",
            "ver": "1.0",
            "jti": str(uuid.uuid4()),
        }
        return self._sign(claims)


def teams_user_token(
    user_object_id: str,
    client_id: str,
    minutes: int = TEAMS_DEFAULT_MINUTES,
    *,
    state_dir: str | Path | None = None,
) -> str:
    """A Teams user's Entra token from the local Entra ID of `state_dir` (default state dir).

    Only the local service that shares that state dir accepts it, in the Teams exchange
    (`get_token_for_teams_user(token, client_id, user_object_id)`).
    """
    return LocalEntraID.from_state(state_dir).teams_user_token(user_object_id, client_id, minutes)


@dataclass(frozen=True)
class SimulatedSignIn:
    """What MSAL's `acquire_token_interactive` returns for a Teams user, simulated offline.

    Indexable like MSAL's result dict (`result["access_token"]`, `result["id_token_claims"]`).
    """

    access_token: str = field(repr=False)
    expires_in: int
    id_token_claims: dict

    def __getitem__(self, key: str):
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "id_token_claims": self.id_token_claims,
        }[key]


def simulated_sign_in(
    client_id: str,
    user_object_id: str,
    user_name: str = "Teams user",
    minutes: int = TEAMS_DEFAULT_MINUTES,
    *,
    state_dir: str | Path | None = None,
) -> SimulatedSignIn:
    """A Teams user signing in to the app `client_id`, as the local Entra ID would answer."""
    entra = LocalEntraID.from_state(state_dir)
    token = entra.teams_user_token(user_object_id, client_id, minutes)
    claims = {"oid": user_object_id.lower(), "tid": entra.tenant_id, "name": user_name}
    return SimulatedSignIn(token, minutes * 60, claims)


# --- the Teams exchange's rules (the service calls these; HTTP stays in routes.py) -----------


@dataclass(frozen=True)
class TeamsExchange:
    """A validated exchange request: whose ACS token to mint and until when."""

    user_object_id: str
    tenant_id: str
    scopes: tuple[str, ...]
    expires_at_s: int


def verify_teams_token(token: str, public_key, now: float | None = None) -> dict:
    """The claims of a valid Teams user's Entra token; else errors.InvalidAccessToken."""
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            audience=TEAMS_AUDIENCE,
            issuer=ENTRA_ISSUER,
            options={"require": ["exp", "iat", "nbf", "aud", "iss"]},
        )
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise errors.InvalidAccessToken() from None
    times = [claims[name] for name in ("exp", "iat", "nbf")]
    # PyJWT accepts numeric strings here; the arithmetic below must not meet one.
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times):
        raise errors.InvalidAccessToken()
    scopes = str(claims.get("scp", "")).split()
    current = time.time() if now is None else now
    lifetime = claims["exp"] - max(claims["iat"], claims["nbf"])
    if (
        not all(s in scopes for s in TEAMS_SCOPES)
        or not is_guid(claims.get("appid"))
        or not is_guid(claims.get("oid"))
        or not is_guid(claims.get("tid"))
        or lifetime > TEAMS_MAX_MINUTES * 60
        or claims["exp"] <= current
    ):
        raise errors.InvalidAccessToken()
    return claims


def teams_exchange_request(body: dict, public_key, now: float | None = None) -> TeamsExchange:
    """Validate an :exchangeAccessToken body in the order Azure's recordings show."""
    for name in ("token", "appId", "userId"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise errors.InvalidRequestBody(f"The field '{name}' must be a string.", name)
    # The token first: with token "" and userId "" Azure answered 401, not 400.
    claims = verify_teams_token(body.get("token") or "", public_key, now)
    app_id, user_id = body.get("appId"), body.get("userId")
    if not app_id:
        raise errors.ValidationError("AppId: The AppId field is required.", "AppId")
    if not is_guid(app_id):
        raise errors.ValidationError("Provided AppId has invalid format.", "appId")
    if not user_id:
        raise errors.ValidationError("UserId: The UserId field is required.", "UserId")
    if not is_guid(user_id):
        raise errors.ValidationError("Provided UserId has invalid format.", "userId")
    if app_id.lower() != claims["appid"].lower():
        raise errors.ValidationError("AAD application is not the expected one.", "appId")
    if user_id.lower() != claims["oid"].lower():
        raise errors.ValidationError("Provided AAD token issued for unexpected user.", "userId")
    granted = str(claims["scp"]).split()
    scopes = tuple(ACS_SCOPE_OF[s] for s in TEAMS_SCOPES if s in granted)
    return TeamsExchange(claims["oid"].lower(), claims["tid"].lower(), scopes, int(claims["exp"]))


# --- the managed-identity endpoint (HTTP on loopback, like App Service's) --------------------


def _expires_on(exp: int, api_version: str) -> str:
    if api_version == API_2017:
        return dt.datetime.fromtimestamp(exp, dt.timezone.utc).strftime("%m/%d/%Y %H:%M:%S +00:00")
    return str(exp)


@stream_request_body
class ManagedIdentityHandler(RequestHandler):
    """GET /msi/token?api-version=…&resource=… with the secret header → an Entra token.

    Errors use App Service's shape, `{"statusCode": n, "message": "..."}`, which the SDKs show.
    """

    def initialize(self, endpoint: ManagedIdentityEndpoint) -> None:
        self.endpoint = endpoint

    def prepare(self) -> None:
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            # Before any body byte is read; the connection then closes by lingering
            # (linger.py), so the answer arrives even while the client is still sending.
            self._fail(
                413, f"The managed identity endpoint takes no request body (GET {TOKEN_PATH})."
            )

    def data_received(self, chunk: bytes) -> None:
        pass  # thrown away: GET needs no body, and none is ever held

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("Cache-Control", "no-store")

    def _fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        # App Service's fields (statusCode, message: MSAL reads them) plus OAuth's (error,
        # error_description: @azure/identity 1.x shows only those).
        error = {400: "invalid_request", 401: "unauthorized_client"}.get(status, "invalid_resource")
        self.finish(
            {"statusCode": status, "message": message, "error": error, "error_description": message}
        )

    def write_error(self, status_code: int, **kwargs) -> None:
        # Other methods (405) and anything unexpected: the same JSON shape, one line.
        self._fail(status_code, f"The managed identity endpoint answers GET {TOKEN_PATH} only.")

    def get(self) -> None:
        host = urlsplit(f"//{self.request.host}").hostname
        if not is_loopback(host):
            # A page elsewhere must not reach this endpoint through DNS rebinding.
            return self._fail(400, "The managed identity endpoint answers loopback hosts only.")
        version = self.get_query_argument("api-version", "")
        if version not in SECRET_HEADER:
            return self._fail(
                400,
                f"api-version must be {API_2019} (IDENTITY_ENDPOINT) or {API_2017} (MSI_ENDPOINT).",
            )
        header = SECRET_HEADER[version]
        given = self.request.headers.get(header, "")
        if not hmac.compare_digest(given.encode(), self.endpoint.secret.encode()):
            variable = "IDENTITY_HEADER" if version == API_2019 else "MSI_SECRET"
            return self._fail(
                401,
                f"The {header} header is missing or wrong: send the value of {variable} from "
                "the lines `acs-emulator serve` printed (it changes on every start).",
            )
        resource = self.get_query_argument("resource", "")
        if not resource:
            return self._fail(400, f"The query parameter 'resource' is required: {ENTRA_AUDIENCE}")
        try:
            token, exp = self.endpoint.issuer.managed_identity_token(resource)
        except EntraError as exc:
            return self._fail(403, str(exc))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(
            {
                "access_token": token,
                "expires_on": _expires_on(exp, version),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": self.endpoint.issuer.client_id,
            }
        )


class _ElsewhereHandler(ManagedIdentityHandler):
    """Any other path: 404 in the endpoint's JSON shape."""

    def prepare(self) -> None:
        self._fail(404, f"The managed identity endpoint answers GET {TOKEN_PATH} only.")


def _log_request(handler: RequestHandler) -> None:
    # Path only (the query is harmless, but headers carry the secret), at DEBUG: a refused
    # resource is the caller's answer, not a warning on the console.
    log.debug("managed identity %s %d", handler.request.path, handler.get_status())


class _LingeringServer(HTTPServer):
    """Its connections close by lingering (linger.py): a last answer is never lost to a reset."""

    def handle_stream(self, stream, address) -> None:
        if type(stream) is IOStream:
            stream.__class__ = LingeringIOStream
        super().handle_stream(stream, address)


class ManagedIdentityEndpoint:
    """The token endpoint, on 127.0.0.1 only, whatever address the ACS service listens on."""

    def __init__(self, issuer: LocalEntraID) -> None:
        self.issuer = issuer
        # App Service rotates its secret too; a fresh one per start.
        self.secret = secrets.token_urlsafe(32)
        self.port: int | None = None
        self._server: HTTPServer | None = None

    def __repr__(self) -> str:
        return f"ManagedIdentityEndpoint(url={self.url!r})"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{TOKEN_PATH}"

    def variables(self) -> dict[str, str]:
        """What App Service sets, both generations: same URL and secret, as App Service does."""
        return {
            "IDENTITY_ENDPOINT": self.url,
            "IDENTITY_HEADER": self.secret,
            "MSI_ENDPOINT": self.url,
            "MSI_SECRET": self.secret,
        }

    def listen(self) -> None:
        """Bind a free loopback port on the running event loop."""
        app = Application(
            [
                (TOKEN_PATH, ManagedIdentityHandler, {"endpoint": self}),
                (r".*", _ElsewhereHandler, {"endpoint": self}),
            ],
            log_function=_log_request,
        )
        server = _LingeringServer(
            app,
            idle_connection_timeout=30,
            body_timeout=30,
            max_body_size=TRANSPORT_LIMIT,
            max_header_size=HEAD_LIMIT,
        )
        sockets = bind_sockets(0, address="127.0.0.1")
        try:
            server.add_sockets(sockets)
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        self._server = server
        self.port = sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
