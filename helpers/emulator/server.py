"""Run the emulator: in a background thread (`start`) or in the foreground (`serve_forever`)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import sqlite3
import ssl
import sys
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..settings import is_loopback
from .auth import decode_key
from .entra import LocalEntraID, ManagedIdentityEndpoint
from .routes import TRANSPORT_LIMIT, Service, make_app
from .state import default_state_dir, ensure_state
from .store import Store
from .tokens import TokenService

log = logging.getLogger("helpers.emulator")

# A connection must deliver a complete request head within IDLE_TIMEOUT of connecting (TLS
# handshake included) or of its previous response, and a declared body within BODY_TIMEOUT;
# otherwise it is closed. Slow or silent clients therefore cannot hold sockets for long (they
# never block other clients: the server is asynchronous).
IDLE_TIMEOUT = 30.0
BODY_TIMEOUT = 30.0


class ListenError(OSError):
    """The server could not bind its address (port in use, address not available, ...)."""


# What a damaged or unusable state dir raises while it is read (files missing or unreadable,
# JSON, PEM or certificate content broken, a database file that is not SQLite).
STATE_ERRORS = (OSError, ValueError, KeyError, TypeError, sqlite3.Error)


def _url_host(host: str) -> str:
    """The host to put in URLs: wildcard binds are reached through loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


class Emulator:
    """A running emulator; use `start()` to get one. Stops on `.stop()` or leaving `with`."""

    def __init__(self, state_dir=None, port: int = 0, host: str = "127.0.0.1") -> None:
        self._state = ensure_state(state_dir)
        self.state_dir: Path = self._state.root
        self.resource_id: str = self._state.resource_id
        self.access_key: str = self._state.access_key()
        self.ca_bundle: str = str(self._state.ca_bundle)
        self.ca_cert: str = str(self._state.ca_cert)
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        # The local Entra ID's managed-identity endpoint (entra.py), once started.
        self.managed_identity: ManagedIdentityEndpoint | None = None

    @property
    def endpoint(self) -> str:
        return f"https://{_url_host(self.host)}:{self.port}/"

    @property
    def connection_string(self) -> str:
        return f"endpoint={self.endpoint};accesskey={self.access_key}"

    def __repr__(self) -> str:
        # Never the access key (nor the connection string, which carries it).
        return (
            f"Emulator(endpoint={self.endpoint!r}, resource_id={self.resource_id!r}, "
            f"state_dir={str(self.state_dir)!r})"
        )

    def _service(self) -> Service:
        st = self._state
        entra = serialization.load_pem_private_key(st.entra_key_path.read_bytes(), password=None)
        return Service(
            store=Store(st.db_path, st.resource_id),
            tokens=TokenService(st.token_key_path, st.resource_id),
            hmac_key=decode_key(self.access_key),
            entra_public_key=entra.public_key(),
            entra_private_key=entra,
            resource_id=st.resource_id,
        )

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self._state.server_cert, self._state.server_key)
        return ctx

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        service = None
        try:
            service = self._service()
            loop.run_until_complete(self._main(service))
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            if service is not None:
                service.store.close()
            loop.close()

    async def _main(self, service: Service) -> None:
        self._stop_event = asyncio.Event()
        # Everything that can fail without a socket comes first, so a failure leaks none.
        server = HTTPServer(
            make_app(service),
            ssl_options=self._ssl_context(),
            max_body_size=TRANSPORT_LIMIT,
            idle_connection_timeout=IDLE_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
        )
        try:
            sockets = bind_sockets(self.port, address=self.host)
        except OSError as exc:
            raise ListenError(exc.errno, exc.strerror or str(exc)) from exc
        try:
            server.add_sockets(sockets)
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        identity = ManagedIdentityEndpoint(
            LocalEntraID(service.entra_private_key, service.resource_id)
        )
        try:  # from here on server.stop() closes the sockets
            self.port = sockets[0].getsockname()[1]
            identity.listen()
            self.managed_identity = identity
            self._state.write_last_serve({"endpoint": self.endpoint, "pid": os.getpid()})
            self._ready.set()
            await self._stop_event.wait()
        finally:
            server.stop()
            await identity.close()
            await server.close_all_connections()

    def start(self) -> Emulator:
        """Start serving in a daemon thread; returns once the socket is listening."""
        if self._thread is not None:
            return self
        # A restart after stop(): wait for the new server, and report its own failure only.
        self._ready.clear()
        self._error = None
        self._loop = self._stop_event = None
        self._thread = threading.Thread(target=self._run, name="acs-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish. Safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(state_dir=None, port: int = 0, host: str = "127.0.0.1") -> Emulator:
    """Start an emulator in a background thread and return it once it is listening."""
    return Emulator(state_dir=state_dir, port=port, host=host).start()


def exports(emu: Emulator) -> str:
    """Shell lines that point the SDKs (sync, aio, JS) at this emulator."""
    return "\n".join(
        [
            f"export COMMUNICATION_SERVICES_CONNECTION_STRING='{emu.connection_string}'",
            f"export REQUESTS_CA_BUNDLE='{emu.ca_bundle}'",
            f"export SSL_CERT_FILE='{emu.ca_bundle}'",
            f"export NODE_EXTRA_CA_CERTS='{emu.ca_cert}'",
            # Entra ID offline: the endpoint alone, plus the managed-identity variables that
            # DefaultAzureCredential reads (entra.py).
            f"export COMMUNICATION_SERVICES_ENDPOINT='{emu.endpoint}'",
            *(f"export {k}='{v}'" for k, v in emu.managed_identity.variables().items()),
        ]
    )


def cli_error(text: str) -> int:
    """Print one line for the console user (no traceback) and return the exit code, 2."""
    print(f"acs-emulator: {' '.join(text.split())}", file=sys.stderr, flush=True)
    return 2


def state_dir_error(state_dir, exc: BaseException) -> int:
    root = Path(state_dir).expanduser() if state_dir else default_state_dir()
    return cli_error(
        f"can't use the state dir {root}: {type(exc).__name__}: {exc}; fix it, or move it "
        "away to start afresh (new keys), or pass another --state-dir"
    )


def serve_forever(host: str = "127.0.0.1", port: int = 0, state_dir=None) -> int:
    """Serve until SIGINT/SIGTERM; print the export lines first. Returns the exit code."""
    if not is_loopback(host):
        print(
            f"warning: listening on {host}, which is reachable from other machines; "
            "the emulator is meant for local use only.",
            file=sys.stderr,
            flush=True,
        )
    stop = threading.Event()

    def _on_signal(signum, frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emu = start(state_dir=state_dir, port=port, host=host)
        except ListenError as exc:
            return cli_error(f"can't listen on {host}:{port}: {exc.strerror}; pick another --port")
        except STATE_ERRORS as exc:
            return state_dir_error(state_dir, exc)
        try:
            print(exports(emu), flush=True)
            log.info("serving %s (resource %s)", emu.endpoint, emu.resource_id)
            while not stop.wait(0.5):
                pass
        finally:
            emu.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
