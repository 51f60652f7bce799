"""A workshop room on JupyterHub (`make hub`), in parts:

- layout.py: where the room keeps what; names; private folders
- settings.py: HUB_* variables checked, secrets, ports, the checks before a room opens
- accounts.py: one system account per attendee when the room runs as root
- configurer.py: `apply(c, environ)`, the hub's whole configuration (jupyterhub_config.py)
- spawner.py: how an attendee's server is started (only the hub's process imports it)
- processes.py: the hub as a process: start, wait, stop
- hub_api.py: the hub's REST API for the trainer commands
- resets.py, seats.py: the trainer commands (seats: warm seats); cli.py: `python -m deploy.room`
"""

from .cli import banner, main
from .hub_api import Hub, server_state
from .layout import (
    ACCOUNTS_FILE,
    ATTENDEES,
    COPY,
    DEFAULT_CULL_IDLE,
    NAME_PATTERN,
    PREVIOUS_GROUPS,
    ROOM_FILE,
    SECRETS_FILE,
    SERVICE_STATE,
    RoomError,
    attendee_home,
    check_name,
    private_dir,
    private_folder,
    room_dir,
)
from .processes import room_processes, start, stop, wait_until_up
from .resets import attendees, reset_attendee, reset_files, reset_room
from .seats import warm
from .settings import MIN_PASSWORD, Room, default_proxy, free_port, prepare, with_runtime

__all__ = [
    "ACCOUNTS_FILE",
    "ATTENDEES",
    "COPY",
    "DEFAULT_CULL_IDLE",
    "MIN_PASSWORD",
    "NAME_PATTERN",
    "PREVIOUS_GROUPS",
    "ROOM_FILE",
    "SECRETS_FILE",
    "SERVICE_STATE",
    "Hub",
    "Room",
    "RoomError",
    "attendee_home",
    "attendees",
    "banner",
    "check_name",
    "default_proxy",
    "free_port",
    "main",
    "prepare",
    "private_dir",
    "private_folder",
    "reset_attendee",
    "reset_files",
    "reset_room",
    "room_dir",
    "room_processes",
    "server_state",
    "start",
    "stop",
    "wait_until_up",
    "warm",
    "with_runtime",
]
