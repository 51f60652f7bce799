"""The trainer's commands on a running room: who is there, one attendee reset, the whole room
reset between groups (warm seats: seats.py)."""

from __future__ import annotations

import pwd
import shutil
from datetime import datetime
from pathlib import Path

from helpers import working_copy

from . import accounts
from .hub_api import Hub, server_state
from .layout import (
    ATTENDEES,
    COPY,
    PREVIOUS_GROUPS,
    SERVICE_STATE,
    RoomError,
    attendee_home,
)


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
    """Fresh notebook copies (the old ones kept aside) and an empty local service state; when
    the home belongs to an attendee's account, what the reset wrote is handed back to it."""
    copy = home / COPY
    removed = _remove_exports(home)
    done = working_copy.reset(copy=copy)
    shutil.rmtree(home / SERVICE_STATE, ignore_errors=True)
    owner = home.stat().st_uid
    if owner != 0 and accounts.enabled():
        try:
            accounts.give(home, pwd.getpwuid(owner))
        except KeyError:
            raise RoomError(f"{home} belongs to uid {owner}, which has no account") from None
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
    to previous-groups/<time>/ without service state, the system accounts the room made for
    them removed; the trainer's own lab reset too."""
    hub = Hub(room)
    users = hub.users()
    people = [u["name"] for u in users if not u.get("admin")]
    trainers = [u["name"] for u in users if u.get("admin")]
    hub.stop([u["name"] for u in users if u.get("servers")])
    kept = room / PREVIOUS_GROUPS / datetime.now().strftime("%Y-%m-%d_%H%M%S")
    moved = 0
    homes = room / ATTENDEES
    for folder in sorted(homes.iterdir()) if homes.is_dir() else []:
        if folder.name in trainers:
            continue
        _remove_exports(folder)  # the attendee's home
        shutil.rmtree(folder / SERVICE_STATE, ignore_errors=True)
        kept.mkdir(parents=True, exist_ok=True)
        kept.parent.chmod(0o700)
        shutil.move(str(folder), str(kept / folder.name))
        if accounts.enabled():  # the account goes below; root keeps what it left behind
            accounts.give(kept / folder.name, pwd.getpwuid(0))
        moved += 1
    for name in people:
        hub.delete(name)
    gone = accounts.remove(room, [n for n in accounts.recorded(room) if n not in trainers])
    for account in gone:  # their kernels' runtime folders: the next owner of the name starts clean
        if hub.runtime:
            shutil.rmtree(Path(hub.runtime) / account, ignore_errors=True)
    trainer_lab = ""
    for name in trainers:
        if attendee_home(room, name).exists():
            reset_files(attendee_home(room, name))
            trainer_lab = ", trainer's lab fresh"
    where = f"; their notebooks are in {kept}" if moved else ""
    users_gone = f", {len(gone)} system account(s) removed" if gone else ""
    return (
        f"room reset: {len(people)} attendee(s) signed out and removed, service state emptied"
        f"{users_gone}{trainer_lab}{where}"
    )
