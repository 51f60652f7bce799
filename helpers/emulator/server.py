"""Run the emulator: in a background thread (`start`) or in the foreground (`serve_forever`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import os
import shlex
import ssl
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from tornado.httpserver import HTTPServer
from tornado.iostream import SSLIOStream, UnsatisfiableReadError
from tornado.netutil import bind_sockets

from ..settings import CONNECTION_STRING_VAR, is_loopback
from . import errors
from .auth import decode_key
from .chat import install_chat
from .entra import LocalEntraID, ManagedIdentityEndpoint
from .linger import LingeringSSLIOStream, close_lingering
from .routes import TRANSPORT_LIMIT, Service, make_app
from .state import ensure_state
from .store import Store
from .tokens import TokenService

log = logging.getLogger("helpers.emulator")

# A connection must deliver a complete request head within IDLE_TIMEOUT of connecting (TLS
# handshake included) or of its previous response, and a declared body within BODY_TIMEOUT;
# otherwise it is closed. Slow or silent clients therefore cannot hold sockets for long (they
# never block other clients: the server is asynchronous).
IDLE_TIMEOUT = 30.0
BODY_TIMEOUT = 30.0
# tornado stops reading a request head at this size (what a silent connection can make the
# service hold); heads between routes.MAX_HEADERS and this get the 431 envelope from the
# handler, longer ones a best-effort 431 (see _HeadLimitStream).
HEAD_LIMIT = 32 * 1024


class _HeaderSafeLog(logging.Filter):
    """tornado logs a malformed request as "Malformed HTTP message from <peer>: <error>", and
    the error quotes the offending header value in full: a bearer token or an HMAC signature
    with one control byte in it would reach the console. Keep the line, drop the value."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Malformed HTTP message"):
            peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "Malformed HTTP message from %s (answered 400; details not logged)"
            record.args = (peer,)
        return True


_header_safe_log = _HeaderSafeLog()
logging.getLogger("tornado.general").addFilter(_header_safe_log)

_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: " + errors.ERROR_CONTENT_TYPE.encode() + b"\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n"
)


class _HeadLimitStream(LingeringSSLIOStream):
    """tornado closes a connection whose request head passes HEAD_LIMIT without a word; this
    stream first sends the 431 envelope, then closes by lingering (linger.py), so a client
    still sending its head reads the answer instead of a reset."""

    def close(self, exc_info=False) -> None:
        head_read = getattr(self, "_read_regex", None) is not None
        if isinstance(exc_info, UnsatisfiableReadError) and head_read and not self.closed():
            body = errors.RequestHeadersTooLarge().body()
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self.socket.send((_HEAD_TOO_LARGE % len(body)) + body)
        super().close(exc_info)


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere (musl, macOS, Windows)."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError, ImportError):
        return None


_TRIM = _malloc_trim()
# After a burst of at least this many connections has mostly closed, hand freed memory back.
TRIM_AFTER = 64


class _Server(HTTPServer):
    """tornado's HTTPServer, plus: the 431 stream (which also closes by lingering, so a last
    answer is never destroyed by a reset: linger.py), and freed memory handed back to the
    system after a burst of connections (glibc otherwise keeps freed heap pages resident)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._open = self._peak = 0

    def handle_stream(self, stream, address) -> None:
        if type(stream) is SSLIOStream:
            stream.__class__ = _HeadLimitStream
        self._open += 1
        self._peak = max(self._peak, self._open)
        super().handle_stream(stream, address)

    def on_close(self, server_conn) -> None:
        super().on_close(server_conn)
        self._open -= 1
        if self._peak >= TRIM_AFTER and self._open <= self._peak // 4:
            self._peak = self._open
            if _TRIM is not None:
                gc.collect()  # connections hold reference cycles: free them first
                _TRIM(0)


class ListenError(OSError):
    """The server could not bind its address (port in use, address not available, ...)."""


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
        # Checked first: the socket layer would wrap 70000 round to 4464.
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, not {port!r}")
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
        server = _Server(
            install_chat(make_app(service), service),  # chat hook: helpers/emulator/chat
            ssl_options=self._ssl_context(),
            max_body_size=TRANSPORT_LIMIT,
            max_header_size=HEAD_LIMIT,
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
            close_lingering()

    def start(self) -> Emulator:
        """Start serving in a daemon thread; returns once the socket is listening."""
        if self._thread is not None:
            return self
        warning = remote_access_warning(self.host)
        if warning:
            log.warning("%s", warning)
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


def remote_access_warning(host: str) -> str | None:
    """The warning for a bind address other machines can reach (None for loopback)."""
    if is_loopback(host):
        return None
    return (
        f"listening on {host}, which other machines can reach; anyone there who "
        "learns the access key can use this service. It is meant for local use only "
        "(host 127.0.0.1)."
    )


def export_values(emu: Emulator, managed_identity: dict[str, str] | None = None) -> dict[str, str]:
    """The variables that point the SDKs (sync, aio, JS) at this emulator, in print order.

    `managed_identity` gives the local Entra ID's variables for a service running in another
    process (read from its pid file); by default they come from `emu` itself.
    """
    if managed_identity is None:
        running = emu.managed_identity
        managed_identity = running.variables() if running is not None else {}
    return {
        CONNECTION_STRING_VAR: emu.connection_string,
        "REQUESTS_CA_BUNDLE": emu.ca_bundle,
        "SSL_CERT_FILE": emu.ca_bundle,
        "NODE_EXTRA_CA_CERTS": emu.ca_cert,
        # Entra ID offline: the endpoint alone, plus the managed-identity variables that
        # DefaultAzureCredential reads (entra.py).
        "COMMUNICATION_SERVICES_ENDPOINT": emu.endpoint,
        **managed_identity,
    }


def exports(emu: Emulator, managed_identity: dict[str, str] | None = None) -> str:
    """`export NAME=value` lines, each value shell-quoted: safe to `eval` whatever the paths
    hold (spaces, quotes, `$(...)`)."""
    return "\n".join(
        f"export {name}={shlex.quote(value)}"
        for name, value in export_values(emu, managed_identity).items()
    )
