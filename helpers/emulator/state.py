"""The state directory: one folder holding keys, certificates and the database."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import sqlite3
import stat
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.atomic import write_atomic  # re-exported: the emulator's callers import it here

from . import tls

RESOURCE_FILE = "resource.json"
ACCESS_KEY_FILE = "access-key"
TOKEN_KEY_FILE = "token-signing-key.pem"
ENTRA_KEY_FILE = "entra-signing-key.pem"
DB_FILE = "identities.sqlite3"
LAST_SERVE_FILE = "last-serve.json"
PID_FILE = "serve.pid"
LOCK_FILE = ".init.lock"
PRIVATE_FILES = (ACCESS_KEY_FILE, TOKEN_KEY_FILE, ENTRA_KEY_FILE, tls.CA_KEY, tls.SERVER_KEY)
# An HMAC-SHA256 key shorter than this is too easy to guess; an empty one is no key at all.
MIN_KEY_BYTES = 32
_RESET_HINT = "run `acs-emulator reset` to set it aside and start with no identities"


class StateError(Exception):
    """The state dir can't be used safely. The message is one line: what is wrong and how to
    recover. The service refuses to start rather than start afresh silently."""


class DamagedDatabase(StateError):
    """The identity database is missing, empty or damaged while the keys exist."""


# What a damaged or unusable state dir raises while it is read (files missing or unreadable,
# JSON, PEM or certificate content broken, a database file that is not SQLite).
STATE_ERRORS = (StateError, OSError, ValueError, KeyError, TypeError, sqlite3.Error)


def default_state_dir() -> Path:
    """$ACS_EMULATOR_HOME, else $XDG_STATE_HOME/acs-identity-lab/emulator, else ~/.local/state/…
    (on Windows, %LOCALAPPDATA%/acs-identity-lab/emulator)."""
    home = os.environ.get("ACS_EMULATOR_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg:
        base = Path(xdg).expanduser()
    elif os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path.home() / ".local" / "state"
    return base / "acs-identity-lab" / "emulator"


def state_root(state_dir: str | os.PathLike | None = None) -> Path:
    """The folder a state_dir argument means (None: the default one)."""
    return Path(state_dir).expanduser() if state_dir else default_state_dir()


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Exclusive cross-process lock for initialisation of one state dir."""
    with open(state_dir / LOCK_FILE, "a+b") as fh:
        if os.name == "nt":  # learners on Windows run the lab too
            import msvcrt

            fh.seek(0)
            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)  # retries ~10 s itself
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _new_rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class State:
    """Paths and identity of one emulated resource (the key is loaded lazily by callers)."""

    root: Path
    resource_id: str

    @property
    def db_path(self) -> Path:
        return self.root / DB_FILE

    @property
    def token_key_path(self) -> Path:
        return self.root / TOKEN_KEY_FILE

    @property
    def entra_key_path(self) -> Path:
        return self.root / ENTRA_KEY_FILE

    @property
    def ca_cert(self) -> Path:
        return self.root / tls.CA_CERT

    @property
    def ca_bundle(self) -> Path:
        return self.root / tls.CA_BUNDLE

    @property
    def server_cert(self) -> Path:
        return self.root / tls.SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.root / tls.SERVER_KEY

    def access_key(self) -> str:
        return (self.root / ACCESS_KEY_FILE).read_text().strip()

    def read_last_serve(self) -> dict | None:
        try:
            return json.loads((self.root / LAST_SERVE_FILE).read_text())
        except (OSError, ValueError):
            return None

    def write_last_serve(self, info: dict) -> None:
        write_atomic(self.root / LAST_SERVE_FILE, json.dumps(info).encode())

    def __repr__(self) -> str:
        return f"State(root={str(self.root)!r}, resource_id={self.resource_id!r})"


def _check_folder(root: Path) -> None:
    """Refuse a state dir another user owns or can write to: they could swap the keys or the
    CA (POSIX only; on Windows the user's profile folder protects it)."""
    if not hasattr(os, "getuid"):
        return
    info = root.stat()
    if info.st_uid != os.getuid():
        raise StateError(
            f"the state dir {root} belongs to another user (uid {info.st_uid}); use a folder of "
            "your own (--state-dir, or ACS_EMULATOR_HOME)"
        )
    if info.st_mode & 0o022:
        raise StateError(
            f"the state dir {root} can be written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); run `chmod go-w {root}`, or use another state dir"
        )


def _check_private_files(root: Path) -> None:
    if not hasattr(os, "getuid"):
        return
    for name in PRIVATE_FILES:
        path = root / name
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise StateError(
                f"{path} is not a file of yours; restore it from a backup, or delete it to have "
                "a new one made (for the access key: clients then need the new connection string)"
            )
        if info.st_mode & 0o077:
            raise StateError(
                f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run `chmod 600 {path}`, and if others may have read it, delete it to have a "
                "new one made"
            )


def check_access_key(path: Path) -> None:
    """Refuse an access key that is not base64 or shorter than MIN_KEY_BYTES (an empty file
    would otherwise turn authentication off: anyone could sign with the empty key)."""
    text = path.read_text().strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raw = None
    if raw is None or len(raw) < MIN_KEY_BYTES:
        what = "is not base64" if raw is None else (
            "is empty" if not raw else f"has only {len(raw)} bytes"
        )  # fmt: skip
        raise StateError(
            f"the access key in {path} {what} (at least {MIN_KEY_BYTES} random bytes, base64, "
            "are needed); restore it from a backup, or delete the file to have a new key made "
            "at the next start (clients then need the new connection string)"
        )


def database_problem(db_path: Path) -> str | None:
    """Why the identity database can't be trusted, or None. Missing and 0-byte files count:
    next to existing keys they mean identities were lost, not that this is a first start."""
    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    if size == 0:
        return "is empty (0 bytes)"
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return f"can't be opened ({exc})"
    try:
        db.execute("PRAGMA busy_timeout=30000")
        verdict = db.execute("PRAGMA quick_check").fetchall()
        if verdict != [("ok",)]:
            return f"is damaged (quick_check: {str(verdict[0][0])[:120]})"
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "identities" not in names:
            return "holds no identity table"
    except sqlite3.Error as exc:
        return f"is damaged ({exc})"
    finally:
        db.close()
    return None


def _create_database(db_path: Path) -> None:
    """Make an empty identity database at `db_path`, atomically: it is built under a temporary
    name and renamed into place once complete, so a start killed meanwhile leaves no database
    (the next start is still a first start), never an empty or half-made one."""
    from .store import SCHEMA

    fd, tmp = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.", suffix=".new")
    os.close(fd)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
        finally:
            db.close()  # the last connection: checkpoints the WAL into the file, removes it
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db_path)
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def _is_unfinished_first_database(db_path: Path) -> bool:
    """True for what an interrupted first start of an older version left: a database file
    that holds nothing at all (0 bytes, or SQLite with no table). Such a file never held an
    identity, so replacing it loses nothing; anything with content is judged as usual."""
    try:
        size = db_path.stat().st_size
        wal = Path(f"{db_path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return False  # content waiting in the log: judged as usual
    except FileNotFoundError:
        return False
    if size == 0:
        return True
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return False
    try:
        return db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    except sqlite3.Error:
        return False  # damaged: fail closed (database_problem says how)
    finally:
        db.close()


def set_database_aside(root: Path) -> Path | None:
    """Move a damaged database (and its WAL files) to identities.sqlite3.damaged-<time> and
    make an empty one; return the new name of the old file (None if there was none)."""
    with locked(root):
        db = root / DB_FILE
        stamp = time.strftime("%Y%m%dT%H%M%S")
        moved = None
        for suffix in ("", "-wal", "-shm"):
            src = root / (DB_FILE + suffix)
            if src.exists():
                dest = root / f"{DB_FILE}.damaged-{stamp}{suffix}"
                os.replace(src, dest)
                moved = moved or dest
        _create_database(db)
        return moved


def ensure_state(state_dir: str | os.PathLike | None = None) -> State:
    """Create any missing piece of the state dir (race-safe), check the rest, return it.

    Raises StateError (one line: what is wrong, how to recover) rather than start afresh on
    anything damaged: a folder others own or can write, a weak access key, a database that is
    missing, empty or fails quick_check next to existing keys.
    """
    root = state_root(state_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        root.mkdir()
    except FileExistsError:
        if not root.is_dir():
            raise
    else:
        # Only a folder made here: an existing one (`--state-dir .`, ACS_EMULATOR_HOME=~) is
        # the user's, and keeps its mode. The key files are 0600 either way.
        os.chmod(root, 0o700)
    _check_folder(root)
    with locked(root):
        _check_private_files(root)
        res_path = root / RESOURCE_FILE
        first_start = not res_path.exists()
        # The database first and resource.json last: resource.json marks a state dir whose
        # database must exist from then on. (A database already there is judged below.)
        if first_start:
            # What a first start killed meanwhile left: its unfinished database (older
            # versions made it in place), or the temporary file it was being built in.
            leftovers = list(root.glob(f".{DB_FILE}.*.new*"))
            if _is_unfinished_first_database(root / DB_FILE):
                leftovers += [root / (DB_FILE + suffix) for suffix in ("", "-wal", "-shm")]
            for leftover in leftovers:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
        if first_start and not (root / DB_FILE).exists():
            _create_database(root / DB_FILE)
        key_path = root / ACCESS_KEY_FILE
        if not key_path.exists():
            # Same shape as a real ACS key: base64 of 64 random bytes.
            key = base64.b64encode(secrets.token_bytes(64))
            write_atomic(key_path, key + b"\n", 0o600)
        check_access_key(key_path)
        for name in (TOKEN_KEY_FILE, ENTRA_KEY_FILE):
            if not (root / name).exists():
                write_atomic(root / name, _new_rsa_pem(), 0o600)
        tls.ensure_certificates(root, write_atomic)
        if first_start:
            write_atomic(res_path, json.dumps({"resourceId": str(uuid.uuid4())}).encode())
        resource_id = json.loads(res_path.read_text())["resourceId"]
        problem = database_problem(root / DB_FILE)
        if problem:
            raise DamagedDatabase(
                f"the identity database {root / DB_FILE} {problem}; restore it from a backup, "
                f"or {_RESET_HINT}"
            )
    return State(root=root, resource_id=resource_id)
