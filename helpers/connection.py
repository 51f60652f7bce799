"""`connect()`: one call that gives a learner a working `CommunicationIdentityClient`.

* ``COMMUNICATION_SERVICES_CONNECTION_STRING`` set (environment or `.env`): a client for it.
* ``COMMUNICATION_SERVICES_ENDPOINT`` set: a client using Entra ID (`DefaultAzureCredential`).
* Neither: the embedded local ACS Identity service is started (or reused) in this process, what
  `acs-emulator serve` prints is put in ``os.environ`` (the connection string, the endpoint and
  the local Entra ID's managed-identity variables) and its certificate authority is trusted, so
  the quickstart's own code - ``from_connection_string(os.environ[...])``, or the endpoint with
  ``DefaultAzureCredential()`` - works unchanged. ``connect(entra_id=True)`` signs in that way.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from azure.communication.identity import CommunicationIdentityClient
from azure.core.pipeline.policies import SansIOHTTPPolicy

from .atomic import write_atomic
from .i18n import N_, _
from .settings import CONNECTION_STRING_VAR, ENDPOINT_VAR, is_loopback, load_settings

_lock = threading.Lock()
_embedded = None  # the Emulator this process started, if any
_backends: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_last_backend: Backend | None = None
# Backend.auth values; they appear in learner-facing lines, so they are translated on display.
AUTH_NAMES = (N_("access key"), N_("Entra ID"))
_KEPT_MANAGED_IDENTITY = N_(
    "This machine has a managed identity of its own ({names}); connect() left it as it was, "
    "so DefaultAzureCredential() in your own code signs in to Azure, not to the local service. "
    "connect(entra_id=True) signs in to the local service."
)
# What connect() itself put in os.environ for the local service (name -> value): the next
# connect() must not take its own export for the learner's configuration.
_exported: dict[str, str] = {}
# What those variables held before (None: unset), put back when the service stops.
_before: dict[str, str | None] = {}
# The variables DefaultAzureCredential reads for a managed identity (App Service, Azure ML
# compute). connect() points them at the local Entra ID only on a machine that has none.
MANAGED_IDENTITY_VARS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET")


@dataclass(frozen=True)
class Backend:
    """Where a client talks to. `connection_string` is secret: it is never part of repr/str."""

    kind: str  # "emulator" or "azure"
    endpoint: str
    auth: str  # "access key" or "Entra ID"
    connection_string: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None

    def describe(self) -> str:
        """One line for the learner: which backend, which endpoint, which auth. Never the key."""
        auth = _(self.auth)  # "access key" / "Entra ID", marked in AUTH_NAMES
        if self.kind == "emulator":
            return _(
                "Using the local ACS Identity service at {endpoint} "
                "(offline, {auth} authentication)."
            ).format(endpoint=self.endpoint, auth=auth)
        if self.auth == "Entra ID":
            # The quickstart cells read the connection string, as the docs' quickstart does.
            return _(
                "Using Azure Communication Services at {endpoint} (Entra ID); the notebooks' "
                "quickstart cells also need COMMUNICATION_SERVICES_CONNECTION_STRING."
            ).format(endpoint=self.endpoint)
        return _("Using Azure Communication Services at {endpoint} ({auth}).").format(
            endpoint=self.endpoint, auth=auth
        )

    def admin(self):
        """The admin client for the emulator's extras (introspection, listing), made once per
        backend; None on Azure, which has no such API."""
        if self.kind != "emulator" or not self.connection_string:
            return None
        if "_admin" not in self.__dict__:
            from .emulator import AdminClient

            # Frozen dataclass: a cache, not a field, so equality and hashing are unchanged.
            object.__setattr__(self, "_admin", AdminClient(self.connection_string, self.ca_bundle))
        return self.__dict__["_admin"]

    def __str__(self) -> str:
        return self.describe()


def _combined_bundle(ca_bundle: str, ca_cert: str | None, variable: str) -> str:
    """Trust the local CA *in addition to* whatever this process already trusts.

    The emulator's bundle already holds certifi's public CAs. If the learner set their own
    REQUESTS_CA_BUNDLE or SSL_CERT_FILE (a corporate proxy, say), append the local CA to a copy
    of theirs.
    """
    current = os.environ.get(variable)
    if not current or not Path(current).is_file():
        return ca_bundle
    if Path(current).resolve() == Path(ca_bundle).resolve():
        return ca_bundle
    local_ca = Path(ca_cert).read_text() if ca_cert else Path(ca_bundle).read_text()
    theirs = Path(current).read_text()
    if local_ca.strip() in theirs:  # already trusted (connect() called again)
        return current
    combined = Path(ca_bundle).with_name(f"ca-bundle-with-your-{variable.lower()}.pem")
    # Atomic: kernels sharing one state dir may write it at once while another reads it.
    write_atomic(combined, (theirs.rstrip() + "\n" + local_ca).encode("utf-8"))
    return str(combined)


def trust_local_ca(ca_bundle: str, ca_cert: str | None = None) -> str:
    """Make this process (and programs it starts) trust the local service's certificate.

    Sync client (requests) reads REQUESTS_CA_BUNDLE; the async client (aiohttp) reads
    SSL_CERT_FILE - but only when aiohttp is first imported, so `connect(use_async=True)` also
    passes the bundle explicitly. Node reads NODE_EXTRA_CA_CERTS (the local CA alone).
    """
    bundle = os.environ["REQUESTS_CA_BUNDLE"] = _combined_bundle(
        ca_bundle, ca_cert, "REQUESTS_CA_BUNDLE"
    )
    os.environ["SSL_CERT_FILE"] = _combined_bundle(ca_bundle, ca_cert, "SSL_CERT_FILE")
    if ca_cert:
        os.environ["NODE_EXTRA_CA_CERTS"] = ca_cert
    return bundle


def _embedded_alive(emulator) -> bool:
    """True while the service still accepts connections (a stopped or crashed one does not)."""
    try:
        with socket.create_connection(("127.0.0.1", int(emulator.port)), timeout=0.5):
            return True
    except (OSError, ValueError, AttributeError):
        return False


def embedded_service(state_dir: str | os.PathLike | None = None):
    """Start the embedded service for this process, or reuse it while it is still serving.

    A service that died (stopped, crashed) is replaced by a fresh one on the same state dir, so
    the identities made before are still there.
    """
    global _embedded
    from . import emulator

    with _lock:
        if _embedded is not None and _embedded_alive(_embedded):
            wanted = Path(state_dir).resolve() if state_dir else None
            if wanted is None or Path(_embedded.state_dir).resolve() == wanted:
                return _embedded
        if _embedded is not None:
            with contextlib.suppress(Exception):  # already gone; nothing to release
                _embedded.stop()
        _embedded = emulator.start(state_dir=state_dir)
        return _embedded


def stop_embedded_service() -> None:
    """Stop the service `connect()` started in this process (the next `connect()` restarts it)."""
    global _embedded
    with _lock:
        if _embedded is not None:
            _embedded.stop()
            _embedded = None
        _forget_exported_variables()


def local_service_variables(service) -> dict[str, str]:
    """What `acs-emulator serve` prints for a service, minus the CA variables (set apart)."""
    variables = {CONNECTION_STRING_VAR: service.connection_string, ENDPOINT_VAR: service.endpoint}
    identity = getattr(service, "managed_identity", None)
    if identity is not None:
        variables.update(identity.variables())
    return variables


def machine_managed_identity() -> tuple[str, ...]:
    """The managed-identity variables this process has of its own (set by the machine, e.g.
    Azure ML compute or App Service, or by the learner), not by connect()."""
    return tuple(
        name
        for name in MANAGED_IDENTITY_VARS
        if os.environ.get(name) and os.environ.get(name) != _exported.get(name)
    )


def _export_local_service_variables(service) -> tuple[str, ...]:
    """Put the local service's variables in os.environ; returns the machine's own
    managed-identity variables, which are left as they are (none of the four is set then)."""
    own = machine_managed_identity()
    for name, value in local_service_variables(service).items():
        if own and name in MANAGED_IDENTITY_VARS:
            continue
        if name not in _exported:
            _before[name] = os.environ.get(name)
        os.environ[name] = _exported[name] = value
    return own


def _forget_exported_variables() -> None:
    """Take back what connect() exported for the local service - a variable that held something
    before gets that back - so the next connect() decides afresh (restart the service, or use
    a .env written since). A value changed since connect() is the learner's and stays."""
    for name, value in _exported.items():
        if os.environ.get(name) == value:
            previous = _before.get(name)
            if previous is None:
                del os.environ[name]
            else:
                os.environ[name] = previous
    _exported.clear()
    _before.clear()


def _entra_client(
    endpoint: str, ca_bundle: str | None, *, use_async: bool, local_state=None, **kwargs
):
    """The docs' Entra ID variant: the endpoint and `DefaultAzureCredential()`. Offline, the
    credential finds the local Entra ID through IDENTITY_ENDPOINT/IDENTITY_HEADER - except on a
    machine with a managed identity of its own (`local_state`: the embedded service's state
    dir), where the local Entra ID's credential is passed directly instead."""
    if use_async and ca_bundle:
        kwargs.setdefault("connection_verify", ca_bundle)
    if local_state is not None:
        from .emulator import AsyncLocalEntraCredential, LocalEntraCredential

        local = AsyncLocalEntraCredential if use_async else LocalEntraCredential
        credential = local(local_state)
    elif use_async:
        from azure.identity.aio import DefaultAzureCredential as AsyncDefault

        credential = AsyncDefault()
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return _make_client(endpoint, credential, use_async=use_async, **kwargs)


def _trust_separate_local_service() -> str | None:
    """A loopback connection string in .env points at `acs-emulator serve` run separately:
    trust its CA from the default state dir unless the learner exported REQUESTS_CA_BUNDLE."""
    if os.environ.get("REQUESTS_CA_BUNDLE"):
        return os.environ["REQUESTS_CA_BUNDLE"]
    from .emulator.state import default_state_dir
    from .emulator.tls import CA_BUNDLE, CA_CERT

    home = default_state_dir()
    if not (home / CA_BUNDLE).is_file():
        return None
    return trust_local_ca(str(home / CA_BUNDLE), str(home / CA_CERT))


# The Retry-After seconds of each 429 the clients from connect() receive inside a
# `watch_throttling()` block (None outside one).
_throttled: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "acs_lab_throttled", default=None
)


class _ThrottleWatch(SansIOHTTPPolicy):
    """Sees every try (it sits after the SDK's RetryPolicy), so a 429 that the SDK then waits
    out and retries is noted too, for `watch_throttling()`."""

    def on_response(self, request, response) -> None:
        seen = _throttled.get()
        if seen is None or response.http_response.status_code != 429:
            return
        try:
            wait = float(response.http_response.headers.get("Retry-After", "0"))
        except ValueError:  # an HTTP date: not what the local service or ACS sends
            wait = 0.0
        seen.append(max(wait, 0.0))


@contextlib.contextmanager
def watch_throttling():
    """Collect the Retry-After seconds of every 429 that clients made by `connect()` receive
    in this block (this thread or task). The SDK's retry policy waits that long and retries."""
    seen: list[float] = []
    token = _throttled.set(seen)
    try:
        yield seen
    finally:
        _throttled.reset(token)


def _make_client(endpoint_or_conn: str, credential=None, *, use_async: bool, **kwargs):
    given = kwargs.get("per_retry_policies") or []
    given = list(given) if isinstance(given, list | tuple) else [given]
    kwargs["per_retry_policies"] = [*given, _ThrottleWatch()]
    if use_async:
        from azure.communication.identity.aio import (
            CommunicationIdentityClient as AsyncClient,
        )

        cls = AsyncClient
    else:
        cls = CommunicationIdentityClient
    if credential is None:
        return cls.from_connection_string(endpoint_or_conn, **kwargs)
    return cls(endpoint_or_conn, credential, **kwargs)


def connect(
    *,
    use_async: bool = False,
    quiet: bool = False,
    state_dir: str | os.PathLike | None = None,
    entra_id: bool = False,
    **client_kwargs,
):
    """Return a `CommunicationIdentityClient` for Azure or for the local service.

    ``entra_id=True`` signs in with Entra ID (`DefaultAzureCredential`) instead of the access
    key; offline, through the local Entra ID's managed identity. Prints one line saying which
    backend is in use (unless ``quiet``); never prints the key. Extra keyword arguments go to
    the SDK client (e.g. ``retry_total=0``).
    """
    global _last_backend
    # Our own earlier export is not the learner's configuration: without this, a second
    # connect() would take it for one and never restart a local service that died.
    _forget_exported_variables()
    settings = load_settings()
    auth = "Entra ID" if entra_id else "access key"
    kept: tuple[str, ...] = ()  # the machine's own managed-identity variables, left alone
    if settings.connection_string is not None:
        conn = settings.connection_string
        local = is_loopback(urlsplit(conn.endpoint).hostname)
        backend = Backend(
            kind="emulator" if local else "azure",
            endpoint=conn.endpoint,
            auth=auth,
            connection_string=conn.raw,
            ca_bundle=_trust_separate_local_service() if local else None,
        )
        if entra_id:
            client = _entra_client(
                conn.endpoint, backend.ca_bundle, use_async=use_async, **client_kwargs
            )
        else:
            if use_async and backend.ca_bundle:
                client_kwargs.setdefault("connection_verify", backend.ca_bundle)
            client = _make_client(conn.raw, use_async=use_async, **client_kwargs)
    elif settings.endpoint is not None:
        # An endpoint alone is Entra ID; a loopback one is `acs-emulator serve` run separately
        # (its managed-identity variables come from the same printed lines).
        local = is_loopback(urlsplit(settings.endpoint).hostname)
        backend = Backend(
            kind="emulator" if local else "azure",
            endpoint=settings.endpoint,
            auth="Entra ID",
            ca_bundle=_trust_separate_local_service() if local else None,
        )
        client = _entra_client(
            settings.endpoint, backend.ca_bundle, use_async=use_async, **client_kwargs
        )
    else:
        service = embedded_service(state_dir)
        bundle = trust_local_ca(service.ca_bundle, getattr(service, "ca_cert", None))
        kept = _export_local_service_variables(service)
        backend = Backend(
            kind="emulator",
            endpoint=service.endpoint,
            auth=auth,
            connection_string=service.connection_string,
            ca_bundle=bundle,
        )
        if entra_id:
            client = _entra_client(
                service.endpoint,
                bundle,
                use_async=use_async,
                local_state=service.state_dir if kept else None,
                **client_kwargs,
            )
        else:
            if use_async:
                client_kwargs.setdefault("connection_verify", bundle)
            client = _make_client(service.connection_string, use_async=use_async, **client_kwargs)
    _backends[client] = backend
    _last_backend = backend
    if not quiet:
        print(backend.describe())
        if kept:
            print(_(_KEPT_MANAGED_IDENTITY).format(names=", ".join(kept)))
    return client


def backend_of(client) -> Backend | None:
    """The backend a client from `connect()` talks to (None for clients made elsewhere)."""
    try:
        return _backends.get(client)
    except TypeError:
        return None


def current_backend() -> Backend | None:
    """The backend of the most recent `connect()` in this process."""
    return _last_backend
