"""The hub as a process: start it (in the background for tests and the benchmark, or in the
foreground for `make hub`), wait until it answers, stop it and everything it started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import requests

from .layout import ATTENDEES, REPO, RoomError
from .settings import Room

CONFIG = REPO / "deploy" / "jupyterhub_config.py"


def hub_command() -> list[str]:
    return [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)]


def _in_hub_process() -> None:
    """Before `jupyterhub` runs: a default SIGINT (a hub started from a background job inherits
    an ignored one, and so would every server it starts: they then take 15 s each to stop), and
    umask 077, so the database and logs the hub writes are its own only."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.umask(0o077)


def start(room: Room, **popen) -> subprocess.Popen:
    """Start JupyterHub for `room` in the background (tests and the benchmark use this)."""
    env = {**os.environ, **room.environment()}
    return subprocess.Popen(
        hub_command(), cwd=room.private, env=env, preexec_fn=_in_hub_process, **popen
    )


def _in_own_group() -> None:
    """The foreground hub in its own process group: a Ctrl+C reaches it once, through us."""
    _in_hub_process()
    os.setpgid(0, 0)


def serve(room: Room, environ=os.environ) -> int:
    """Run `jupyterhub` until Ctrl+C (SIGINT) or SIGTERM, which are passed on to it; then remove
    what the room made for this run. What `make hub` does; returns the hub's exit code."""
    hub = subprocess.Popen(
        hub_command(),
        cwd=room.private,  # jupyterhub writes its proxy pid file in the working directory
        env={**environ, **room.environment()},
        preexec_fn=_in_own_group,
    )

    def pass_on(signum, _frame):  # SIGHUP (terminal closed) stops it the same orderly way
        with contextlib.suppress(ProcessLookupError):
            hub.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    try:
        return hub.wait()
    finally:
        remove_runtime(room)


def remove_runtime(room: Room) -> bool:
    """Remove this run's runtime folder (`settings.with_runtime`), only if it is still ours: a
    real folder (no symlink) that our user owns. Whether it was removed."""
    if not room.runtime:
        return False
    try:
        info = os.lstat(room.runtime)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    shutil.rmtree(room.runtime, ignore_errors=True)
    return not os.path.lexists(room.runtime)


def wait_until_up(room: Room, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until the login page answers through the proxy (the hub's start time)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise RoomError(f"jupyterhub exited with code {process.returncode} while starting")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Only "does it answer?": no secret is sent, so the room's own (perhaps
                # self-signed) certificate needn't be trusted here.
                answer = requests.get(f"{room.url}hub/login", timeout=5, verify=False)
            if answer.status_code == 200:
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
    remove_runtime(room)
    return left
