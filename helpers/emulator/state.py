"""The state directory: one folder holding keys, certificates and the database."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import tls

RESOURCE_FILE = "resource.json"
ACCESS_KEY_FILE = "access-key"
TOKEN_KEY_FILE = "token-signing-key.pem"
ENTRA_KEY_FILE = "entra-signing-key.pem"
DB_FILE = "identities.sqlite3"
LAST_SERVE_FILE = "last-serve.json"
LOCK_FILE = ".init.lock"


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


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temp file + rename so readers never see a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # Before any byte is written, so a key is never readable by others, even briefly.
        # (Windows has no fchmod, nor POSIX modes: there the user's profile folder protects it.)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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


def ensure_state(state_dir: str | os.PathLike | None = None) -> State:
    """Create any missing piece of the state dir (race-safe) and return it."""
    root = Path(state_dir).expanduser() if state_dir else default_state_dir()
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
    with locked(root):
        res_path = root / RESOURCE_FILE
        if not res_path.exists():
            write_atomic(res_path, json.dumps({"resourceId": str(uuid.uuid4())}).encode())
        resource_id = json.loads(res_path.read_text())["resourceId"]
        key_path = root / ACCESS_KEY_FILE
        if not key_path.exists():
            # Same shape as a real ACS key: base64 of 64 random bytes.
            key = base64.b64encode(secrets.token_bytes(64))
            write_atomic(key_path, key + b"\n", 0o600)
        for name in (TOKEN_KEY_FILE, ENTRA_KEY_FILE):
            if not (root / name).exists():
                write_atomic(root / name, _new_rsa_pem(), 0o600)
        tls.ensure_certificates(root, write_atomic)
    return State(root=root, resource_id=resource_id)
