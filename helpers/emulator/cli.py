"""The `acs-emulator` console commands: serve (foreground or --background), env, stop, info,
reset, teams-token, and the pid file that lets `env` and `stop` find a running `serve`.

The one front door for the console: nothing in the service (server, routes, entra, store, ...)
imports this module; `__main__.py` only calls `main()`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .entra import TEAMS_DEFAULT_MINUTES, TEAMS_MAX_MINUTES, EntraError, LocalEntraID
from .limits import ENV_VAR, SWITCH_VALUES, ThrottlingSettingError, throttling_enabled
from .server import Emulator, ListenError, exports, start
from .state import (
    PID_FILE,
    STATE_ERRORS,
    DamagedDatabase,
    StateError,
    default_state_dir,
    ensure_state,
    set_database_aside,
    state_root,
    write_atomic,
)
from .store import Store

log = logging.getLogger("helpers.emulator")


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


# --- info, reset -----------------------------------------------------------------------


def _info(state_dir) -> int:
    st = ensure_state(state_dir)
    rows = Store(st.db_path, st.resource_id).list()
    deleted = sum(1 for r in rows if r.deleted_ns is not None)
    last = st.read_last_serve() or {}
    print(f"state dir:    {st.root}")
    print(f"resource id:  {st.resource_id}")
    print(f"last endpoint: {last.get('endpoint', 'unknown')}")
    print(f"identities:   {len(rows) - deleted} active, {deleted} deleted")
    print(f"CA bundle:    {st.ca_bundle}")
    return 0


def _reset(state_dir) -> int:
    try:
        st = ensure_state(state_dir)
    except DamagedDatabase:
        # The one repair `reset` does: keep the damaged file for inspection, start empty.
        moved = set_database_aside(state_root(state_dir))
        st = ensure_state(state_dir)
        where = f"moved to {moved}" if moved else "was missing"
        print(f"reset: the damaged identity database {where}; {st.root} now has no identities")
        return 0
    Store(st.db_path, st.resource_id).reset()
    print(
        f"reset: all identities, chat threads and messages in {st.root} forgotten"
        " (ids are never reused)"
    )
    return 0


# --- `acs-emulator teams-token` -------------------------------------------------------------


def add_teams_token_command(subparsers) -> None:
    cmd = subparsers.add_parser(
        "teams-token",
        help="print a Teams user's Entra ID token for the Teams exchange (only the token)",
    )
    cmd.add_argument(
        "--user-object-id", required=True, metavar="OID", help="the Teams user's object id (GUID)"
    )
    cmd.add_argument(
        "--client-id", required=True, metavar="CID", help="the Entra app's client id (GUID)"
    )
    cmd.add_argument(
        "--minutes",
        type=int,
        default=TEAMS_DEFAULT_MINUTES,
        help=f"lifetime, 1..{TEAMS_MAX_MINUTES} (default {TEAMS_DEFAULT_MINUTES})",
    )
    cmd.add_argument("--state-dir", dest="sub_state_dir", default=None)


def teams_token_command(args, state_dir) -> int:
    """Print only the token (so `$(acs-emulator teams-token ...)` captures it); errors: exit 2."""
    try:
        issuer = LocalEntraID.from_state(state_dir)
    except STATE_ERRORS as exc:
        return state_dir_error(state_dir, exc)
    try:
        token = issuer.teams_user_token(args.user_object_id, args.client_id, args.minutes)
    except EntraError as exc:
        return cli_error(f"teams-token: {exc}")
    sys.stdout.write(token + "\n")
    return 0


# --- the command line ------------------------------------------------------------------------


def parse_port(text: str, option: str) -> int:
    """A TCP port from the command line: 0 (any free port) to 65535. Anything else is a
    ValueError saying so (the socket layer would wrap 70000 round to 4464, and overflow on
    longer numbers)."""
    value = text.strip()
    if value.isascii() and value.isdigit() and len(value) <= 5 and int(value) <= 65535:
        return int(value)
    shown = value if len(value) <= 20 else value[:20] + "…"
    raise ValueError(
        f"{option} must be a whole number from 0 to 65535 (0 picks a free port), not {shown!r}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="acs-emulator", description="Local Azure Communication Services Identity service."
    )
    parser.add_argument(
        "--state-dir", default=None, help=f"state directory (default: {default_state_dir()})"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve HTTPS until interrupted (or in the background)")
    serve.add_argument("--host", default="127.0.0.1")
    # Checked below, not by argparse: one line and exit 2, whatever was typed.
    serve.add_argument("--port", default="0", help="TCP port, 1..65535 (default 0: a free one)")
    serve.add_argument(
        "--background",
        action="store_true",
        help="start detached, print the export lines once it serves, and return",
    )
    serve.add_argument(
        "--throttling",
        choices=SWITCH_VALUES,
        default=None,
        help=f"Azure's documented request limits (429 beyond them); default on, or {ENV_VAR}",
    )
    serve.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument("--state-dir", dest="sub_state_dir", default=None)
    for name, text in (
        ("env", "print the export lines of the service running for the state dir"),
        ("stop", "stop the service `serve` started for the state dir"),
        ("info", "show the state (never the key)"),
        ("reset", "forget identities (or set a damaged database aside)"),
    ):
        sub.add_parser(name, help=text).add_argument(
            "--state-dir", dest="sub_state_dir", default=None
        )
    add_teams_token_command(sub)
    args = parser.parse_args(argv)
    state_dir = args.sub_state_dir or args.state_dir
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # tornado's access log would print every request line; not needed on a console.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    if args.command == "serve":
        try:
            args.port = parse_port(args.port, "--port")
        except ValueError as exc:
            return cli_error(str(exc))
        if args.throttling:  # the environment carries it (also into a --background child)
            os.environ[ENV_VAR] = args.throttling
        try:
            throttling_enabled()
        except ThrottlingSettingError as exc:
            return cli_error(str(exc))
        if args.background:
            return serve_background(host=args.host, port=args.port, state_dir=state_dir)
        return serve_forever(
            host=args.host, port=args.port, state_dir=state_dir, detached=args.detached
        )
    if args.command == "env":
        return print_env(state_dir)
    if args.command == "stop":
        return stop_service(state_dir)
    if args.command == "teams-token":
        return teams_token_command(args, state_dir)
    try:
        if args.command == "info":
            return _info(state_dir)
        return _reset(state_dir)
    except STATE_ERRORS as exc:
        return state_dir_error(state_dir, exc)
