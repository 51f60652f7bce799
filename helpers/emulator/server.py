"""Run the emulator: in a background thread (`start`) or in the foreground (`serve_forever`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import json
import logging
import os
import select
import shlex
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
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
from .routes import TRANSPORT_LIMIT, Service, make_app
from .state import PID_FILE, StateError, ensure_state, state_root, write_atomic
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


class _HeadLimitStream(SSLIOStream):
    """tornado closes a connection whose request head passes HEAD_LIMIT without a word; this
    stream first tries to send the 431 envelope. Best effort: a client that has sent its whole
    head reads it, one still sending may see a reset."""

    def close(self, exc_info=False) -> None:
        head_read = getattr(self, "_read_regex", None) is not None
        if isinstance(exc_info, UnsatisfiableReadError) and head_read and not self.closed():
            body = errors.RequestHeadersTooLarge().body()
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self.socket.send((_HEAD_TOO_LARGE % len(body)) + body)
                # Read what has already arrived: closing with unread bytes would make the
                # kernel send a reset, which can destroy the answer on its way.
                for _ in range(16):
                    if not self.socket.recv(65536):
                        break
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
    """tornado's HTTPServer, plus: the 431 stream, and freed memory handed back to the system
    after a burst of connections (glibc otherwise keeps freed heap pages resident)."""

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


# What a damaged or unusable state dir raises while it is read (files missing or unreadable,
# JSON, PEM or certificate content broken, a database file that is not SQLite).
STATE_ERRORS = (StateError, OSError, ValueError, KeyError, TypeError, sqlite3.Error)


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


def cli_error(text: str) -> int:
    """Print one line for the console user (no traceback) and return the exit code, 2."""
    print(f"acs-emulator: {' '.join(text.split())}", file=sys.stderr, flush=True)
    return 2


def state_dir_error(state_dir, exc: BaseException) -> int:
    if isinstance(exc, StateError):
        return cli_error(str(exc))  # already says what is wrong and how to recover
    root = state_root(state_dir)
    return cli_error(
        f"can't use the state dir {root}: {type(exc).__name__}: {exc}; fix it, or move it "
        "away to start afresh (new keys), or pass another --state-dir"
    )


# --- `serve` as a process: pid file, background start, stop, env -------------------------


def _pid_is_a_service(pid: int) -> bool:
    """True while `pid` is alive and (where /proc tells) an acs-emulator process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's: never treat it as stale
    except OSError:
        return False
    if not Path("/proc/self/cmdline").exists():
        return True  # no /proc (macOS, Windows): trust the pid
    try:
        text = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    # A pid reused by an unrelated program is not our service.
    return b"helpers.emulator" in text or b"acs-emulator" in text


def running_service(state_dir) -> dict | None:
    """What the pid file says about the `serve` process for this state dir, if it still runs:
    {"pid", "host", "port", "managed_identity"}. A stale pid file (process gone) counts as none."""
    try:
        info = json.loads((state_root(state_dir) / PID_FILE).read_text())
        pid, host, port = int(info["pid"]), str(info["host"]), int(info["port"])
        managed_identity = {str(k): str(v) for k, v in info.get("managed_identity", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if pid == os.getpid() or not _pid_is_a_service(pid):
        return None
    return {"pid": pid, "host": host, "port": port, "managed_identity": managed_identity}


def _write_pid_file(emu: Emulator) -> None:
    # The local Entra ID's URL and secret change on every start and live only in this process:
    # `acs-emulator env` reads them here. The file is the owner's only, like the access key.
    identity = emu.managed_identity.variables() if emu.managed_identity is not None else {}
    info = {"pid": os.getpid(), "host": emu.host, "port": emu.port, "managed_identity": identity}
    write_atomic(emu.state_dir / PID_FILE, json.dumps(info).encode(), mode=0o600)


def _remove_pid_file(emu: Emulator) -> None:
    path = emu.state_dir / PID_FILE
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(path.read_text())["pid"] == os.getpid():
            path.unlink()


def _raise_open_file_limit() -> None:
    """Each connection is a file descriptor: allow as many as the system lets this user have,
    so a burst of connections is served (or timed out) instead of failing accept()."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass  # Windows, or not allowed: the default limit stays


def serve_forever(
    host: str = "127.0.0.1", port: int = 0, state_dir=None, detached: bool = False
) -> int:
    """Serve until SIGINT/SIGTERM; print the export lines first. Returns the exit code.

    One `serve` per state dir: its pid file lets `acs-emulator env` and `stop` find it.
    `detached` (the child that `serve --background` starts) closes stdout after the export
    lines, which tells the waiting parent that the service is up.
    """
    stop = threading.Event()

    def _on_signal(signum, frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        other = running_service(state_dir)
        if other:
            return cli_error(
                f"a service for the state dir {state_root(state_dir)} is already running "
                f"(pid {other['pid']}, port {other['port']}); `acs-emulator env` prints its "
                "variables, `acs-emulator stop` stops it"
            )
        _raise_open_file_limit()
        try:
            emu = start(state_dir=state_dir, port=port, host=host)
        except ListenError as exc:
            return cli_error(f"can't listen on {host}:{port}: {exc.strerror}; pick another --port")
        except STATE_ERRORS as exc:
            return state_dir_error(state_dir, exc)
        try:
            _write_pid_file(emu)
            print(exports(emu), flush=True)
            if detached:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), sys.stdout.fileno())
            log.info("serving %s (resource %s)", emu.endpoint, emu.resource_id)
            while not stop.wait(0.5):
                pass
        finally:
            _remove_pid_file(emu)
            emu.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


SERVE_LOG = "serve.log"


def serve_background(host: str = "127.0.0.1", port: int = 0, state_dir=None,
                     timeout: float = 60.0) -> int:  # fmt: skip
    """Start `serve` as a detached process; print its export lines once it is serving, then
    return (so `eval "$(acs-emulator serve --background)"` returns too). Its log goes to
    serve.log in the state dir; `acs-emulator stop` ends it."""
    try:
        root = ensure_state(state_dir).root
    except STATE_ERRORS as exc:
        return state_dir_error(state_dir, exc)
    log_path = root / SERVE_LOG
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    offset = os.lseek(fd, 0, os.SEEK_END)
    command = [sys.executable, "-m", "helpers.emulator", "serve", "--host", host,
               "--port", str(port), "--state-dir", str(root), "--detached"]  # fmt: skip
    extra = {"start_new_session": True} if os.name != "nt" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
    }  # fmt: skip
    try:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=fd, **extra
        )
    finally:
        os.close(fd)
    out = b""
    deadline = time.monotonic() + timeout
    with child.stdout:
        while time.monotonic() < deadline:  # until the child closes stdout, or exits
            if os.name != "nt":
                ready, _, _ = select.select([child.stdout], [], [], 0.5)
                if not ready:
                    continue
            piece = child.stdout.read1(65536)
            if not piece:
                break
            out += piece
    if child.poll() is None and out.startswith(b"export "):
        sys.stdout.write(out.decode())
        sys.stdout.flush()
        print(f"acs-emulator: serving in the background (pid {child.pid}, log {log_path}); "
              "`acs-emulator stop` stops it", file=sys.stderr, flush=True)  # fmt: skip
        return 0
    if child.poll() is None:
        child.kill()
    code = child.wait(10)
    with open(log_path, "rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode("utf-8", "replace").strip().splitlines()
    said = [ln for ln in lines if ln.startswith("acs-emulator: ")]
    if said:
        print(said[-1], file=sys.stderr, flush=True)
        return code or 2
    return cli_error(f"the service did not start within {timeout:.0f} s; see {log_path}")


def stop_service(state_dir=None, timeout: float = 15.0) -> int:
    """SIGTERM the `serve` process of this state dir and wait for it to exit."""
    root = state_root(state_dir)
    info = running_service(state_dir)
    if info is None:
        with contextlib.suppress(OSError):
            (root / PID_FILE).unlink()  # stale, if there was one
        print(f"acs-emulator: no service is running for the state dir {root}", file=sys.stderr)
        return 0
    try:
        os.kill(info["pid"], signal.SIGTERM)
    except PermissionError:
        return cli_error(f"the service (pid {info['pid']}) belongs to another user; not stopped")
    except ProcessLookupError:
        return 0  # it ended meanwhile
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_is_a_service(info["pid"]):
            print(f"acs-emulator: stopped the service (pid {info['pid']})", file=sys.stderr)
            return 0
        time.sleep(0.1)
    return cli_error(f"the service (pid {info['pid']}) did not stop within {timeout:.0f} s")


def print_env(state_dir=None) -> int:
    """Print the export lines of the `serve` process running for this state dir."""
    info = running_service(state_dir)
    if info is None:
        return cli_error(
            f"no service is running for the state dir {state_root(state_dir)}; start one with "
            "`acs-emulator serve --background`"
        )
    try:
        emu = Emulator(state_dir=state_dir, host=info["host"], port=info["port"])
    except STATE_ERRORS as exc:
        return state_dir_error(state_dir, exc)
    print(exports(emu, info["managed_identity"]), flush=True)
    return 0
