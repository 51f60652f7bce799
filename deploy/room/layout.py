"""Where a room keeps what, and the rules for names and private folders.

<room>/                 the room folder (.hub/ or HUB_ROOM); 0711 with accounts, else 0700
  private/              0700, the hub's only: secrets, database, cookie secret, logs, records
  attendees/<name>/     one home per attendee (0700, owned by their account when there is one)
  previous-groups/      0700: what `hub-reset-room` kept of earlier groups
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ROOM = REPO / ".hub"
DEFAULT_PORT = 8000
DEFAULT_ADMIN = "trainer"
DEFAULT_CULL_IDLE = 3600
FIRST_LESSON = "00-set-up-your-environment.ipynb"  # where an attendee's lab opens
# JupyterHub lowercases the name at sign-in; the rest keeps it a plain folder name.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
PRIVATE = "private"
ATTENDEES = "attendees"
PREVIOUS_GROUPS = "previous-groups"
SECRETS_FILE = "room-secrets.json"  # generated passwords and the trainer token
ROOM_FILE = "room.json"  # where the hub answers, so the trainer commands find it
ACCOUNTS_FILE = "accounts.json"  # the system accounts this room created (and only those)
COPY = "my-notebooks"
SERVICE_STATE = "acs-service"


class RoomError(Exception):
    """Something the trainer must fix; the message is one line saying what and how."""


def room_dir(environ=os.environ) -> Path:
    return Path(environ.get("HUB_ROOM") or DEFAULT_ROOM).expanduser().resolve()


def private_dir(room: Path) -> Path:
    return room / PRIVATE


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise RoomError(
            f"{name!r} is not an attendee name: use lowercase letters, digits, - or _ "
            "(at most 32 characters, starting with a letter or digit)"
        )
    return name


def attendee_home(room: Path, name: str) -> Path:
    return room / ATTENDEES / check_name(name)


def private_folder(path: Path, uid: int, gid: int) -> Path:
    """`path` as a folder only `uid` can use (0700), made now or refused.

    A folder that already exists is used only if it is a real folder (no symlink) that `uid`
    owns with mode 0700: anything else may have been planted by someone else, who could then
    read or swap what we put there (kernel connection files, say)."""
    try:
        os.mkdir(path, 0o700)
        os.chown(path, uid, gid)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
        return path
    except FileExistsError:
        pass
    info = os.lstat(path)
    # (Jupyter adds the sticky bit to its runtime folder, so tmp cleaners leave it alone.)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o777 != 0o700:
        raise RoomError(
            f"{path} already exists and is not a private folder of uid {uid} (owner uid "
            f"{info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}): refusing to use it; "
            "remove it if you know what it is"
        )
    return path
