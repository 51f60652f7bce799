"""The command line of a room: `make hub` and the trainer controls.

python -m deploy.room serve                # `make hub`: start it, print how to sign in
python -m deploy.room attendees            # `make hub-attendees`: who, whose server runs
python -m deploy.room warm [--lesson F] NAME...  # `make hub-warm NAMES="ada grace"`: seats ready
python -m deploy.room reset-attendee NAME  # `make hub-reset-attendee NAME=ada`
python -m deploy.room reset-room           # `make hub-reset-room`: between two groups
"""

from __future__ import annotations

import os
import socket
import sys

from . import accounts, processes, resets, seats
from .layout import FIRST_LESSON, RoomError, room_dir
from .settings import SHARED_OPT_IN, Room, prepare, with_runtime

USAGE = (
    "usage: python -m deploy.room serve | attendees | warm [--lesson NOTEBOOK] NAME... | "
    "reset-attendee NAME | reset-room [--yes]"
)


def isolation_line(room: Room) -> str:
    """The one line that says which isolation this room has."""
    if room.accounts:
        return (
            "  Isolation: one system account per attendee (acslab-<name>, no shell, no sudo, "
            "home 0700): no attendee's code can read the hub's secrets or another's files"
        )
    import pwd

    who = pwd.getpwuid(os.getuid()).pw_name
    why = "HUB_ACCOUNTS=off" if os.getuid() == 0 else "no root, so no per-attendee accounts"
    return f"  Isolation: NONE between attendees' code: every server runs as {who} ({why})" + (
        f"; opened to the network by {SHARED_OPT_IN}" if not room.loopback else ""
    )


def banner(room: Room) -> str:
    where = room.url
    if room.ip == "0.0.0.0":
        scheme = "https" if room.ssl_cert else "http"
        where = f"{scheme}://{socket.gethostname()}:{room.port}/ (every address of this machine)"
    lines = [
        "",
        f"ACS Identity Lab room: {where}",
        f"  Trainer:   sign in as {room.admin!r} with the admin password {room.admin_password}",
        "  Attendees: choose your own name (lowercase letters, digits, - or _) and use the "
        f"workshop password {room.password}",
        "  Controls:  make hub-attendees | make hub-warm NAMES=... | "
        "make hub-reset-attendee NAME=... | make hub-reset-room",
        f"  Idle servers stop after {room.cull_idle // 60} minutes. Ctrl+C stops the hub "
        "and every attendee's server.",
        isolation_line(room),
    ]
    lines += [f"  Changed:   {note}" for note in room.notes]
    if room.loopback:
        lines.append("  Only this machine can reach it: for the room's network, HUB_IP=0.0.0.0")
    elif room.ssl_cert:
        lines.append("  Reachable from the network over HTTPS: keep the password to the room")
    else:
        lines.append(
            "  WARNING: reachable from the network over plain HTTP: anyone on it can read the "
            "passwords; set HUB_SSL_CERT and HUB_SSL_KEY for HTTPS"
        )
    return "\n".join([*lines, ""])


def serve(environ=os.environ) -> int:
    """`make hub`: print how to sign in, then run the hub until Ctrl+C and clean up after it."""
    room = with_runtime(prepare(environ))
    print(banner(room), flush=True)
    return processes.serve(room, environ)


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
            rows = resets.attendees(room)
            print(f"{'name':<34} {'server':<10} last activity (UTC)")
            for name, state, last in rows:
                print(f"{name:<34} {state:<10} {last}")
            print(f"{sum(1 for r in rows if '(trainer)' not in r[0])} attendee(s)")
            if accounts.enabled():
                print(f"{len(accounts.recorded(room))} system account(s) made by this room")
            return 0
        if command == "warm":
            # The lesson: --lesson, else HUB_WARM_LESSON (`make hub-warm ... HUB_WARM_LESSON=`).
            lesson = os.environ.get(seats.LESSON_VARIABLE) or FIRST_LESSON
            if rest[:1] == ["--lesson"] and len(rest) >= 2:
                lesson, rest = rest[1], rest[2:]
            if rest and not rest[0].startswith("-"):
                print(seats.warm(room, [n.strip().lower() for n in rest], lesson))
                return 0
        if command == "reset-attendee" and len(rest) == 1:
            print(resets.reset_attendee(room, rest[0]))
            return 0
        if command == "reset-room":
            if "--yes" not in rest and not _confirm(
                "Stop every server, free every attendee name and empty all ACS service state?"
            ):
                print("room left as it was")
                return 1
            print(resets.reset_room(room))
            return 0
    except RoomError as err:
        print(f"hub: {err}", file=sys.stderr)
        return 2
    print(USAGE, file=sys.stderr)
    return 2
