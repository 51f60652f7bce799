"""Warm seats (`make hub-warm NAMES=...`): before people arrive, each named attendee's server is
started and the room's first lesson is opened in a running kernel, so signing in costs neither.

A warm kernel is the notebook's own session (the path JupyterLab opens it by): JupyterLab, and
deploy/attendee.py as a browser would, join a session already running for a notebook's path
instead of starting another kernel. Besides starting, the warm kernel imports silently what every
lesson's first cell imports (PRELOAD); it runs no lesson cell, so the lesson's cells still run in
front of the learner, numbered from [1], with every output theirs.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tornado.httpclient import HTTPClientError

from ..attendee import AttendeeError, Kernel, ServerAccess
from .hub_api import Hub, server_state
from .layout import FIRST_LESSON, REPO, RoomError, check_name

LESSON_VARIABLE = "HUB_WARM_LESSON"
# Every lesson starts with `from helpers import connect, forms` and `connect()`, which loads the
# local service (helpers.emulator) and the SDK: about 0.6 s of CPU per kernel, measured in
# docs/benchmarks.md. Imported by module name, these bind no name in the learner's namespace and
# print nothing (helpers.forms makes one shared Layout model at import: state, no view).
PRELOAD = ("helpers.forms", "helpers.emulator", "azure.communication.identity")
PRELOAD_CODE = f"list(map(__import__, {list(PRELOAD)!r}))"


def lesson_path(lesson: str) -> str:
    """The lesson as its path in an attendee's copy (as in notebooks/), or a one-line error."""
    given = (lesson or "").strip()
    root = (REPO / "notebooks").resolve()
    path = (root / given).resolve()
    if not given.endswith(".ipynb") or root not in path.parents or not path.is_file():
        raise RoomError(
            f"{LESSON_VARIABLE}: {given!r} is not a lesson: give a notebook of notebooks/ by its "
            f"file name, such as {FIRST_LESSON} (the default) or de/{FIRST_LESSON}"
        )
    return path.relative_to(root).as_posix()


def warm(room: Path, names: list[str], lesson: str = FIRST_LESSON, timeout: float = 600) -> str:
    """Start each named attendee's server (their account, copy and service state made) and open
    `lesson` in a running kernel on it; returns when every seat is ready."""
    lesson = lesson_path(lesson)
    names = [check_name(name) for name in names]
    hub = Hub(room)
    for name in names:
        hub.call("POST", f"/users/{name}", ok=(201, 409))
        hub.start(name)
    deadline = time.monotonic() + timeout
    waiting = list(names)
    while waiting and time.monotonic() < deadline:
        waiting = [n for n in waiting if server_state(hub.user(n) or {}) != "running"]
        time.sleep(0.5)
    if waiting:
        raise RoomError(f"seats not ready after {timeout:.0f} s: {', '.join(waiting)}")
    # A few kernels at a time: all of them at once would only queue for the same cores.
    with ThreadPoolExecutor(max(2, os.cpu_count() or 1)) as pool:
        reused = list(pool.map(lambda n: warm_kernel(hub, n, lesson, deadline), names))
    already = f" ({sum(reused)} already had it)" if any(reused) else ""
    return (
        f"{len(names)} seat(s) ready, {lesson} open in a running kernel{already}: "
        f"{', '.join(names)}\nIdle servers stop after {hub.cull_idle // 60} minutes: warm the "
        "seats within that time before people arrive."
    )


def warm_kernel(hub: Hub, name: str, lesson: str, deadline: float) -> bool:
    """Open `lesson` on the attendee's running server (or find it open) and preload its imports;
    True if its session was already running."""
    seat = ServerAccess(name, hub.server_address(name), hub.token)
    left = max(30.0, deadline - time.monotonic())
    try:
        # As JupyterLab opens a notebook: read it (which also warms the server's notebook
        # validator, about 0.1 s of CPU on its first use), then its session.
        seat.notebook(lesson)
        kernel = Kernel(seat, lesson).open()
        [done] = asyncio.run(kernel.run([PRELOAD_CODE], left, silent=True))
    except (AttendeeError, HTTPClientError, OSError, TimeoutError) as err:
        raise RoomError(f"{name}: the kernel for {lesson} did not start: {err}") from None
    if done.status != "ok":
        raise RoomError(f"{name}: the kernel for {lesson} failed to import {PRELOAD}: {done.error}")
    return kernel.reused
