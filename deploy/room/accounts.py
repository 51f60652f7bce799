"""One unprivileged system account per attendee, for a room run as root.

The model is The Littlest JupyterHub's (tljh/user.py, tljh/normalize.py): every hub user is a
system user made with `useradd`, their home readable by them only, long names shortened with a
hash. The lab goes further where a room of strangers needs it: the accounts are system
accounts with no login shell, no password and no group but their own (so no sudo); the name
carries a prefix; an account that exists already and that this room did not make is never
adopted; and every account the room makes is written down (private/accounts.json), so
`hub-reset-room` removes exactly those.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from helpers.atomic import write_atomic

from .layout import ACCOUNTS_FILE, RoomError, check_name, private_dir

PREFIX = "acslab-"
MAX_NAME = 32  # useradd's limit on Linux
NOLOGIN = next(
    (p for p in ("/usr/sbin/nologin", "/sbin/nologin") if os.path.exists(p)), "/bin/false"
)


OFF = "HUB_ACCOUNTS"  # =off: a root room without accounts (every server as root; loopback only)


def enabled(environ=os.environ) -> bool:
    """Per-attendee accounts need root (to create them and to start servers as them)."""
    return os.geteuid() == 0 and environ.get(OFF, "").strip().lower() != "off"


def system_name(name: str) -> str:
    """`acslab-<name>`; a name too long for that keeps 19 characters and gets 5 of its sha256,
    as TLJH does. Two hub names that still meet in one account are refused by `ensure`."""
    check_name(name)
    whole = PREFIX + name
    if len(whole) <= MAX_NAME:
        return whole
    digest = hashlib.sha256(name.encode()).hexdigest()[:5]
    return f"{PREFIX}{name[: MAX_NAME - len(PREFIX) - 6]}-{digest}"


def _record_path(room: Path) -> Path:
    return private_dir(room) / ACCOUNTS_FILE


def recorded(room: Path) -> dict[str, str]:
    """hub name -> system account, for every account this room created and still has."""
    path = _record_path(room)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            return data
    except ValueError:
        pass
    # Fail closed: without the record we can't tell our accounts from anyone else's.
    raise RoomError(f"{path} is damaged; fix or remove it by hand (it lists the room's accounts)")


def _write_record(room: Path, data: dict[str, str]) -> None:
    write_atomic(_record_path(room), json.dumps(data, indent=1).encode(), mode=0o600)


def _exists(account: str) -> bool:
    try:
        pwd.getpwnam(account)
    except KeyError:
        return False
    return True


def ensure(room: Path, name: str, home: Path) -> pwd.struct_passwd:
    """The attendee's account, made on their first sign-in (server start)."""
    account = system_name(name)
    record = recorded(room)
    if record.get(name) != account:
        others = [n for n, a in record.items() if a == account]
        if others:
            raise RoomError(
                f"{name!r} and {others[0]!r} would share {account}; choose another name"
            )
        if _exists(account):
            raise RoomError(
                f"a system account {account} exists already and this room didn't make it: "
                "refusing to run an attendee as it"
            )
    if not _exists(account):
        try:
            subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home"]
                + ["--home-dir", str(home), "--shell", NOLOGIN]
                + ["--comment", f"ACS Identity Lab attendee {name}", account],
                check=True,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as err:
            raise RoomError(f"useradd {account} failed: {err.stderr.strip()}") from None
        record[name] = account
        _write_record(room, record)
    return pwd.getpwnam(account)


def give(path: Path, user: pwd.struct_passwd) -> None:
    """Hand `path` and everything under it to the account (after the hub, as root, wrote there)."""
    for folder, dirs, files in os.walk(path):
        for entry in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(entry, user.pw_uid, user.pw_gid)


def home(path: Path, user: pwd.struct_passwd) -> Path:
    """The attendee's home: made 0700 for them; one the hub (root) made before is handed over;
    one owned by anybody else is refused."""
    if not path.exists():
        path.mkdir(mode=0o700)
    owner = path.lstat().st_uid
    if path.is_symlink() or owner not in (0, user.pw_uid):
        raise RoomError(f"{path} belongs to uid {owner}, not to {user.pw_name}: refusing it")
    if owner == 0:
        give(path, user)
    os.chmod(path, 0o700)
    return path


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
    return found


def remove(room: Path, names: list[str]) -> list[str]:
    """Delete the accounts this room made for `names` (others are left alone): their last
    processes are ended first, as `userdel` refuses an account that still runs something."""
    record = recorded(room)
    removed = []
    for name in names:
        account = record.get(name)
        if account is None:
            continue
        if _exists(account):
            uid = pwd.getpwnam(account).pw_uid
            for pid in processes_of(uid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while processes_of(uid) and time.monotonic() < deadline:
                time.sleep(0.1)
            done = subprocess.run(["userdel", account], capture_output=True, text=True)
            if done.returncode not in (0, 6):  # 6: it was gone already
                raise RoomError(f"userdel {account} failed: {done.stderr.strip()}")
        del record[name]
        _write_record(room, record)
        removed.append(account)
    return removed
