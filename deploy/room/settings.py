"""The room's settings: HUB_* variables checked (one line per mistake), secrets made once and
kept private, free internal ports, and the checks a room run as root needs before it opens."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import socket
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from helpers.atomic import write_atomic

from . import accounts
from .layout import (
    ATTENDEES,
    DEFAULT_ADMIN,
    DEFAULT_CULL_IDLE,
    DEFAULT_PORT,
    REPO,
    ROOM_FILE,
    SECRETS_FILE,
    RoomError,
    check_name,
    private_dir,
    room_dir,
)

MIN_PASSWORD = 8  # JupyterHub's SharedPasswordAuthenticator refuses shorter workshop passwords
SHARED_OPT_IN = "HUB_ALLOW_SHARED_ACCOUNT"  # the knowing opt-in: a network room without accounts
YES = {"1", "yes", "true", "on"}


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
    cull_idle: int = DEFAULT_CULL_IDLE
    runtime: str = ""  # kernels' runtime files: one 0700 folder per attendee inside
    accounts: bool = False  # one system account per attendee (the room runs as root)
    ssl_cert: str = ""
    ssl_key: str = ""
    notes: tuple[str, ...] = field(default=())  # what preparing changed, for the banner

    def __repr__(self) -> str:  # never the passwords or the token
        return f"Room(folder={str(self.folder)!r}, url={self.url!r}, admin={self.admin!r})"

    @property
    def private(self) -> Path:
        return private_dir(self.folder)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        scheme = "https" if self.ssl_cert else "http"
        return f"{scheme}://{host}:{self.port}/"

    @property
    def api_url(self) -> str:
        """The hub's REST API on its internal loopback port (plain HTTP, never the network)."""
        return f"http://127.0.0.1:{self.internal_port}/hub/api"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.ip)

    def environment(self) -> dict[str, str]:
        """The variables deploy/room/configurer.py reads in the hub's process."""
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
            "HUB_ACCOUNTS": "yes" if self.accounts else "no",
            "HUB_SSL_CERT": self.ssl_cert,
            "HUB_SSL_KEY": self.ssl_key,
        }


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def room_secrets(room: Path) -> dict[str, str]:
    """The room's generated passwords and trainer token, made once and kept (0600, in the 0700
    private folder) so a restart doesn't change the password already on the whiteboard."""
    path = private_dir(room) / SECRETS_FILE
    earlier = room / SECRETS_FILE  # where rooms made before private/ kept them: same passwords
    if earlier.exists() and not path.exists():
        os.replace(earlier, path)
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
    write_atomic(path, json.dumps(data, indent=1).encode(), mode=0o600)
    return data


def make_folders(room: Path, shared: bool) -> None:
    """The room folder and its parts with the modes in layout.py. With accounts (`shared`),
    attendees may pass through the room folder to their home, but list nothing in it."""
    for folder, mode in (
        (room, 0o711 if shared else 0o700),
        (private_dir(room), 0o700),
        (room / ATTENDEES, 0o711 if shared else 0o700),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)


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


def default_proxy() -> Path:
    return Path(sys.prefix) / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


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


def _int_setting(environ, name: str, default: int, low: int, high: int) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise RoomError(f"{name} must be a whole number from {low} to {high} (got {raw!r})")
    return int(raw)


def _ssl(environ) -> tuple[str, str]:
    cert, key = (environ.get(n, "").strip() for n in ("HUB_SSL_CERT", "HUB_SSL_KEY"))
    if bool(cert) != bool(key):
        raise RoomError("HUB_SSL_CERT and HUB_SSL_KEY go together: set both (PEM files) or neither")
    for name, value in (("HUB_SSL_CERT", cert), ("HUB_SSL_KEY", key)):
        if value and not os.access(value, os.R_OK):
            raise RoomError(f"{name}: no readable file at {value} (a PEM file is expected)")
    if cert and "BEGIN CERTIFICATE" not in Path(cert).read_text(errors="replace"):
        raise RoomError(f"HUB_SSL_CERT: {cert} is not a PEM certificate")
    return (str(Path(cert).resolve()), str(Path(key).resolve())) if cert else ("", "")


def attendee_reach_fixes(folder: Path) -> dict[str, list[Path]]:
    """What attendees' accounts (not root, in no group of ours) lack to run the lab, as
    {chmod mode: paths}: every folder from / down to the Python interpreter (and its standard
    library), the venv, the repository and the room needs o+x (pass through, not list); the
    interpreter, the lab's code, the notebooks and the `start` script also o+r."""
    python = Path(sys.executable).resolve()
    needs: dict[Path, int] = {}
    for target in (python.parent, Path(sys.base_prefix), Path(sys.prefix), REPO, folder.parent):
        for parent in [target, *target.parents]:  # the room folder itself: make_folders
            needs[parent] = needs.get(parent, 0) | stat.S_IXOTH
    lab = (python, Path(sys.prefix), REPO / "start", REPO / "helpers", REPO / "notebooks")
    for readable in lab:
        needs[readable] = needs.get(readable, 0) | stat.S_IROTH | stat.S_IXOTH
    fixes: dict[str, list[Path]] = {}
    for path, bits in sorted(needs.items()):
        if stat.S_IMODE(path.stat().st_mode) & bits != bits:
            fixes.setdefault("o+rx" if bits & stat.S_IROTH else "o+x", []).append(path)
    return fixes


def trainer_homes(environ) -> list[Path]:
    homes = {Path(environ.get("HOME") or "/root")}
    if environ.get("SUDO_USER"):
        import pwd

        with contextlib.suppress(KeyError):
            homes.add(Path(pwd.getpwnam(environ["SUDO_USER"]).pw_dir))
    return sorted(h for h in homes if h.is_dir())


def lock_down(environ, folder: Path) -> list[str]:
    """A room with accounts: refuse what would leave the trainer's secrets in reach, tighten
    the repository's .env (the trainer's own key file) to 0600, and say what was changed."""
    for home in trainer_homes(environ):
        mode = stat.S_IMODE(home.stat().st_mode)
        if mode & stat.S_IROTH:
            raise RoomError(
                f"attendees could list your home folder {home} (mode {mode:04o}): "
                f"chmod o-r {home} first (o+x is enough if the lab lives inside it)"
            )
    fixes = attendee_reach_fixes(folder)
    if fixes:
        command = "; ".join(f"chmod {m} {' '.join(map(str, ps))}" for m, ps in fixes.items())
        raise RoomError(
            f"attendees' accounts can't reach the lab's Python or files: `{command}` lets them "
            "pass through (not list) those folders; make hub doesn't change them for you"
        )
    notes = []
    dotenv = REPO / ".env"
    if dotenv.exists():
        mode = stat.S_IMODE(dotenv.stat().st_mode)
        if mode & 0o077:
            os.chmod(dotenv, 0o600)
            notes.append(f"{dotenv} was mode {mode:04o}, now 0600 (yours only)")
    return notes


def prepare(environ=os.environ, *, check_port: bool = True) -> Room:
    """Validate the HUB_* settings, make the room folder and its secrets, pick internal ports."""
    folder = room_dir(environ)
    port = _int_setting(environ, "HUB_PORT", DEFAULT_PORT, 1, 65535)
    cull = _int_setting(environ, "HUB_CULL_IDLE", DEFAULT_CULL_IDLE, 60, 7 * 24 * 3600)
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
    with_accounts = accounts.enabled(environ)
    if not with_accounts and not is_loopback(ip) and environ.get(SHARED_OPT_IN, "") not in YES:
        raise RoomError(
            f"HUB_IP={ip} opens the room to the network, but without per-attendee accounts every "
            "attendee's code runs as your own user and can read your files and each other's: "
            f"run `make hub` as root (one account per attendee), or set {SHARED_OPT_IN}=yes "
            "to open it anyway"
        )
    cert, key = _ssl(environ)
    if check_port and _port_in_use(ip, port):
        raise RoomError(f"port {port} is already in use; choose another: make hub HUB_PORT=8010")
    notes = lock_down(environ, folder) if with_accounts else []
    make_folders(folder, shared=with_accounts)
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
        accounts=with_accounts,
        ssl_cert=cert,
        ssl_key=key,
        notes=tuple(notes),
    )
    if room.password == room.admin_password:
        raise RoomError("HUB_PASSWORD must differ from the trainer's admin password")
    _write_room_file(room)
    return room


def _write_room_file(room: Room) -> None:
    """What the trainer commands need to find the running hub (private, like the secrets)."""
    info = {
        "url": room.url,
        "api_url": room.api_url,
        "admin": room.admin,
        "runtime": room.runtime,
        "cull_idle": room.cull_idle,
    }
    write_atomic(room.private / ROOM_FILE, json.dumps(info).encode(), mode=0o600)


def with_runtime(room: Room) -> Room:
    """The room with a fresh folder for kernels' runtime files: a random name made atomically
    by mkdtemp (nobody can make it first, and nobody but us can write in it), short because a
    kernel's unix socket path must stay under about 100 characters. Attendees may pass through
    it (0711) to their own 0700 folder inside; `processes.serve` and `processes.stop` remove it."""
    from dataclasses import replace

    runtime = tempfile.mkdtemp(prefix="acs-room-")
    os.chmod(runtime, 0o711 if room.accounts else 0o700)
    room = replace(room, runtime=runtime)
    _write_room_file(room)
    return room
