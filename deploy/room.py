"""A workshop room on JupyterHub: start the hub, list attendees, reset one attendee or the room.

    python -m deploy.room serve                # `make hub`: start it, print how to sign in
    python -m deploy.room attendees            # `make hub-attendees`: who, whose server runs
    python -m deploy.room reset-attendee NAME  # `make hub-reset-attendee NAME=ada`
    python -m deploy.room reset-room           # `make hub-reset-room`: between two groups

The hub itself is stock JupyterHub configured by deploy/jupyterhub_config.py; this module only
prepares the room folder (default `.hub/`, or HUB_ROOM), its passwords and free internal ports,
and talks to the hub's REST API with the trainer service's token for the trainer commands.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

from helpers import working_copy

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "deploy" / "jupyterhub_config.py"
DEFAULT_ROOM = REPO / ".hub"
DEFAULT_PORT = 8000
DEFAULT_ADMIN = "trainer"
# The same rule as the hub config's username_pattern: the name becomes a folder name.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MIN_PASSWORD = 8  # JupyterHub's SharedPasswordAuthenticator refuses shorter workshop passwords
SECRETS_FILE = "room-secrets.json"  # 0600: generated passwords and the trainer token
ROOM_FILE = "room.json"  # where the hub listens, so the trainer commands find it
ATTENDEES = "attendees"
PREVIOUS_GROUPS = "previous-groups"
COPY = "my-notebooks"
SERVICE_STATE = "acs-service"


class RoomError(Exception):
    """Something the trainer must fix; the message is one line saying what and how."""


# -- the room folder -------------------------------------------------------------------------


def room_dir(environ=os.environ) -> Path:
    return Path(environ.get("HUB_ROOM") or DEFAULT_ROOM).expanduser().resolve()


def attendee_home(room: Path, name: str) -> Path:
    return room / ATTENDEES / check_name(name)


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise RoomError(
            f"{name!r} is not an attendee name: use lowercase letters, digits, - or _ "
            "(at most 32 characters, starting with a letter or digit)"
        )
    return name


def _write_private(path: Path, data: dict) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(temporary, path)


def room_secrets(room: Path) -> dict[str, str]:
    """The room's generated passwords and trainer token, made once and kept (0600) so a hub
    restart doesn't change the password the room already has on the whiteboard."""
    path = room / SECRETS_FILE
    if path.exists():
        try:
            data = json.loads(path.read_text())
            if all(isinstance(data.get(k), str) for k in ("password", "admin_password", "token")):
                return data
        except ValueError:
            pass
        raise RoomError(f"{path} is damaged; delete it and run `make hub` again (new passwords)")
    data = {
        # Easy to read aloud and type: three short words' worth of lowercase letters and digits.
        "password": "-".join(secrets.token_hex(2) for _ in range(3)),
        "admin_password": secrets.token_urlsafe(32),  # JupyterHub wants >= 32 characters
        "token": secrets.token_hex(32),
    }
    room.mkdir(parents=True, exist_ok=True)
    os.chmod(room, 0o700)
    _write_private(path, data)
    return data


@dataclass(frozen=True)
class Room:
    """Everything `jupyterhub` needs from us: settings validated, ports free, proxy found."""

    folder: Path
    ip: str
    port: int
    admin: str
    password: str = ""
    admin_password: str = ""
    token: str = ""
    proxy: str = ""
    internal_port: int = 0
    proxy_api_port: int = 0
    cull_idle: int = 3600
    runtime: str = ""  # attendees' Jupyter runtime files (kernel sockets), under /tmp

    def __repr__(self) -> str:  # never the passwords or the token
        return f"Room(folder={str(self.folder)!r}, url={self.url!r}, admin={self.admin!r})"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}/"

    def environment(self) -> dict[str, str]:
        """The variables deploy/jupyterhub_config.py reads."""
        return {
            "HUB_ROOM": str(self.folder),
            "HUB_IP": self.ip,
            "HUB_PORT": str(self.port),
            "HUB_ADMIN": self.admin,
            "HUB_PASSWORD": self.password,
            "HUB_ADMIN_PASSWORD": self.admin_password,
            "HUB_TRAINER_TOKEN": self.token,
            "HUB_PROXY_COMMAND": self.proxy,
            "HUB_INTERNAL_PORT": str(self.internal_port),
            "HUB_PROXY_API_PORT": str(self.proxy_api_port),
            "HUB_CULL_IDLE": str(self.cull_idle),
            "HUB_RUNTIME": self.runtime,
        }


def runtime_dir(folder: Path) -> Path:
    """Short on purpose: a kernel's unix socket path must stay under about 100 characters."""
    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / f"acs-room-{digest}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(ip: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip or "0.0.0.0", port))
        except OSError:
            return True
    return False


def proxy_command(environ=os.environ) -> str:
    """The npm `configurable-http-proxy` that `make hub` installed into the venv."""
    given = environ.get("HUB_PROXY_COMMAND")
    path = Path(given) if given else default_proxy()
    if not (path.is_file() and os.access(path, os.X_OK)):
        where = "HUB_PROXY_COMMAND" if given else str(path)
        raise RoomError(
            f"configurable-http-proxy not found at {where}; run `make hub` (it installs the proxy "
            "with npm; Node.js 18 or newer is needed)"
        )
    return str(path)


def default_proxy() -> Path:
    return Path(sys.prefix) / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


def _int_setting(environ, name: str, default: int, low: int, high: int) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise RoomError(f"{name} must be a whole number from {low} to {high} (got {raw!r})")
    return int(raw)


def prepare(environ=os.environ, *, check_port: bool = True) -> Room:
    """Validate the HUB_* settings, make the room folder and its secrets, pick internal ports."""
    folder = room_dir(environ)
    port = _int_setting(environ, "HUB_PORT", DEFAULT_PORT, 1, 65535)
    cull = _int_setting(environ, "HUB_CULL_IDLE", 3600, 60, 7 * 24 * 3600)
    ip = (environ.get("HUB_IP") or "127.0.0.1").strip()
    admin = (environ.get("HUB_ADMIN") or DEFAULT_ADMIN).strip()
    try:
        check_name(admin)
    except RoomError as err:
        raise RoomError(f"HUB_ADMIN: {err}") from None
    password = environ.get("HUB_PASSWORD")
    if password is not None and len(password) < MIN_PASSWORD:
        # Never echo it: the length is enough to act on.
        raise RoomError(
            f"HUB_PASSWORD must be at least {MIN_PASSWORD} characters (it has {len(password)}); "
            "or leave it unset and `make hub` makes one"
        )
    if check_port and _port_in_use(ip, port):
        raise RoomError(f"port {port} is already in use; choose another: make hub HUB_PORT=8010")
    stored = room_secrets(folder)
    room = Room(
        folder=folder,
        ip=ip,
        port=port,
        admin=admin,
        password=password or stored["password"],
        admin_password=stored["admin_password"],
        token=stored["token"],
        proxy=proxy_command(environ),
        internal_port=free_port(),
        proxy_api_port=free_port(),
        cull_idle=cull,
        runtime=str(runtime_dir(folder)),
    )
    if room.password == room.admin_password:
        raise RoomError("HUB_PASSWORD must differ from the trainer's admin password")
    (folder / ATTENDEES).mkdir(exist_ok=True)
    _write_private(folder / ROOM_FILE, {"url": room.url, "admin": admin})
    return room


def hub_command() -> list[str]:
    return [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)]


def start(room: Room, **popen) -> subprocess.Popen:
    """Start JupyterHub for `room` in the background (tests and the benchmark use this)."""
    env = {**os.environ, **room.environment()}
    return subprocess.Popen(
        hub_command(), cwd=room.folder, env=env, preexec_fn=_default_sigint, **popen
    )


def _default_sigint() -> None:
    """A hub started from a background job inherits an ignored SIGINT, and so would every server
    it starts: they then ignore the hub's polite SIGINT and take 15 s each to stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_up(room: Room, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until the login page answers through the proxy (the hub's start time)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise RoomError(f"jupyterhub exited with code {process.returncode} while starting")
        try:
            if requests.get(f"{room.url}hub/login", timeout=5).status_code == 200:
                return time.monotonic() - began
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RoomError(f"the hub didn't answer on {room.url} within {timeout:.0f} s")


def room_processes(room: Path) -> list[int]:
    """Processes that belong to this room: the hub, its proxy and culler (they inherit HUB_ROOM),
    and every attendee's server and kernels (their working copy lies in the room folder)."""
    marker = str(room).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if any(
            v.startswith(b"HUB_ROOM=" + marker) or marker + b"/" + ATTENDEES.encode() in v
            for v in environ.split(b"\0")
        ):
            found.append(int(entry.name))
    return found


def stop(room: Room, process: subprocess.Popen, timeout: float = 30) -> list[int]:
    """Stop a hub started with `start()`: SIGTERM lets it stop every server and the proxy.
    Returns what was still running afterwards (then ended too, so a failed test leaks nothing)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 10
    left = room_processes(room.folder)
    while left and time.monotonic() < deadline:  # servers may take a moment to exit
        time.sleep(0.2)
        left = room_processes(room.folder)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(room.runtime or runtime_dir(room.folder), ignore_errors=True)
    return left


def banner(room: Room) -> str:
    where = room.url
    if room.ip == "0.0.0.0":
        where = f"http://{socket.gethostname()}:{room.port}/ (every address of this machine)"
    return "\n".join(
        [
            "",
            f"ACS Identity Lab room: {where}",
            f"  Trainer:   sign in as {room.admin!r} with the admin password {room.admin_password}",
            "  Attendees: choose your own name (lowercase letters, digits, - or _) and use the "
            f"workshop password {room.password}",
            "  Controls:  make hub-attendees | make hub-reset-attendee NAME=... | "
            "make hub-reset-room",
            f"  Idle servers stop after {room.cull_idle // 60} minutes. Ctrl+C stops the hub "
            "and every attendee's server.",
            "  Only this machine can reach it: for the room's network, make hub HUB_IP=0.0.0.0"
            if room.ip.startswith("127.")
            else "  Reachable from the network: keep the workshop password to the room.",
            "",
        ]
    )


def serve(environ=os.environ) -> int:
    """`make hub`: print how to sign in, then become the `jupyterhub` process (Ctrl+C stops it)."""
    room = prepare(environ)
    print(banner(room), flush=True)
    os.chdir(room.folder)  # jupyterhub writes its proxy pid file in the working directory
    _default_sigint()
    os.execve(hub_command()[0], hub_command(), {**environ, **room.environment()})


# -- trainer controls over the hub's REST API ------------------------------------------------


class Hub:
    """The running hub's REST API, with the trainer service's token."""

    def __init__(self, room: Path):
        self.room = room
        try:
            info = json.loads((room / ROOM_FILE).read_text())
            token = room_secrets(room)["token"]
        except (OSError, ValueError):
            raise RoomError(f"no room at {room}: start it with `make hub` first") from None
        self.url = info["url"]
        self.admin = info["admin"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def call(self, method: str, path: str, ok=(200, 201, 202, 204)) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.url}hub/api{path}", timeout=30)
        except requests.ConnectionError:
            raise RoomError(
                f"the hub at {self.url} isn't running; start it with `make hub`"
            ) from None
        if response.status_code not in ok:
            raise RoomError(f"the hub answered {response.status_code} to {method} {path}")
        return response

    def users(self) -> list[dict]:
        return self.call("GET", "/users").json()

    def user(self, name: str) -> dict | None:
        response = self.call("GET", f"/users/{name}", ok=(200, 404))
        return response.json() if response.status_code == 200 else None

    def stop(self, names: list[str], timeout: float = 60) -> None:
        """Stop these attendees' servers and wait until every one has stopped."""
        for name in names:
            self.call("DELETE", f"/users/{name}/server", ok=(202, 204, 400))
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            waiting = [n for n in waiting if (self.user(n) or {}).get("servers")]
            if waiting and time.monotonic() > deadline:
                raise RoomError(f"servers still stopping after {timeout:.0f} s: {waiting}")
            time.sleep(0.3)

    def start(self, name: str) -> None:
        self.call("POST", f"/users/{name}/server", ok=(201, 202, 400))


def server_state(user: dict) -> str:
    server = (user.get("servers") or {}).get("")
    if not server:
        return "stopped"
    if server.get("ready"):
        return "running"
    return server.get("pending") or "starting"


def attendees(room: Path) -> list[tuple[str, str, str]]:
    """(name, server state, last activity) for every user the hub knows, trainer included."""
    hub = Hub(room)
    rows = []
    for user in sorted(hub.users(), key=lambda u: u["name"]):
        role = " (trainer)" if user.get("admin") else ""
        last = (user.get("last_activity") or "")[:16].replace("T", " ")
        rows.append((user["name"] + role, server_state(user), last or "-"))
    return rows


def _remove_exports(home: Path) -> int:
    """The attendee's exported hand-out CSVs (tokens inside) go, whatever else is kept: those in
    the bulk form's default folder (in their home) and in their working copy. Only files in the
    lab's own export format are removed (helpers.bulk.remove_exports); returns how many went."""
    from helpers import bulk

    folders = [home / bulk.default_export_dir().name, home / COPY]
    return sum(len(bulk.remove_exports(folder).removed) for folder in folders)


def reset_files(home: Path) -> str:
    """Fresh notebook copies (the old ones kept aside) and an empty local service state."""
    copy = home / COPY
    removed = _remove_exports(home)
    done = working_copy.reset(copy=copy)
    shutil.rmtree(home / SERVICE_STATE, ignore_errors=True)
    parts = [f"{done.copied} fresh notebooks", "empty ACS service state"]
    if done.kept_in:
        parts.append(f"old copies kept in {done.kept_in.relative_to(home)}")
    if removed:
        parts.append(f"{removed} exported CSV file(s) removed")
    return ", ".join(parts)


def reset_attendee(room: Path, name: str) -> str:
    """Stop the attendee's server, reset their files, and start it again if it was running."""
    name = name.strip().lower()  # JupyterHub lowercases names at sign-in too
    home = attendee_home(room, name)
    hub = Hub(room)
    user = hub.user(name)
    if user is None and not home.exists():
        raise RoomError(f"no attendee called {name!r}; `make hub-attendees` lists them")
    was_running = bool(user and user.get("servers"))
    if was_running:
        hub.stop([name])
    summary = reset_files(home)
    if was_running:
        hub.start(name)
        summary += "; server started again (reload the browser tab)"
    return f"{name}: {summary}"


def reset_room(room: Path) -> str:
    """Between two groups: every attendee's server stopped, their name freed, their work moved
    to previous-groups/<time>/ without service state; the trainer's own lab reset too."""
    hub = Hub(room)
    users = hub.users()
    people = [u["name"] for u in users if not u.get("admin")]
    trainers = [u["name"] for u in users if u.get("admin")]
    hub.stop([u["name"] for u in users if u.get("servers")])
    kept = room / PREVIOUS_GROUPS / datetime.now().strftime("%Y-%m-%d_%H%M%S")
    moved = 0
    for folder in sorted((room / ATTENDEES).iterdir()) if (room / ATTENDEES).is_dir() else []:
        if folder.name in trainers:
            continue
        _remove_exports(folder / COPY)
        shutil.rmtree(folder / SERVICE_STATE, ignore_errors=True)
        kept.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), str(kept / folder.name))
        moved += 1
    for name in people:
        hub.call("DELETE", f"/users/{name}", ok=(204, 404))
    trainer_lab = ""
    for name in trainers:
        if attendee_home(room, name).exists():
            reset_files(attendee_home(room, name))
            trainer_lab = ", trainer's lab fresh"
    where = f"; their notebooks are in {kept}" if moved else ""
    return (
        f"room reset: {len(people)} attendee(s) signed out and removed, service state emptied"
        f"{trainer_lab}{where}"
    )


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return True
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("", [])
    try:
        if command == "serve":
            return serve()
        room = room_dir()
        if command == "attendees":
            rows = attendees(room)
            print(f"{'name':<34} {'server':<10} last activity (UTC)")
            for name, state, last in rows:
                print(f"{name:<34} {state:<10} {last}")
            print(f"{sum(1 for r in rows if '(trainer)' not in r[0])} attendee(s)")
            return 0
        if command == "reset-attendee" and len(rest) == 1:
            print(reset_attendee(room, rest[0]))
            return 0
        if command == "reset-room":
            if "--yes" not in rest and not _confirm(
                "Stop every server, free every attendee name and empty all ACS service state?"
            ):
                print("room left as it was")
                return 1
            print(reset_room(room))
            return 0
    except RoomError as err:
        print(f"hub: {err}", file=sys.stderr)
        return 2
    print(
        "usage: python -m deploy.room serve | attendees | reset-attendee NAME | reset-room [--yes]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
