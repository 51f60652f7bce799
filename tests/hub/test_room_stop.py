"""Stopping `make hub` (Ctrl+C, or SIGTERM from a service manager) stops the hub and everything
it started, and removes the random runtime folder (/tmp/acs-room-XXXXXXXX) the room made."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from deploy import room as hub_room
from tests.hub.test_room import _missing

pytestmark = pytest.mark.hub
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def hub_installed():
    problem = _missing()
    if problem:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the hub test is required in CI: {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_make_hub_removes_its_runtime_folder_and_leaves_no_process(signum):
    folder = Path(tempfile.mkdtemp(prefix="acs-hub-stop-test-"))
    env = {
        **os.environ,
        "HUB_ROOM": str(folder),
        "HUB_PORT": str(hub_room.free_port()),
        "HUB_ACCOUNTS": "off",  # the runtime folder is the same with accounts; lighter without
        "PYTHONPATH": str(ROOT),
    }
    log = folder / "serve.log"
    with log.open("w") as out:  # what `make hub` runs
        serve = subprocess.Popen(
            [sys.executable, "-m", "deploy.room", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        room_file = folder / "private" / hub_room.layout.ROOM_FILE
        deadline = time.monotonic() + 60
        # The file is written twice: when the settings are read (no runtime folder yet), then
        # with the runtime folder just made. Wait for the second.
        info: dict = {}
        while not info.get("runtime") and time.monotonic() < deadline:
            time.sleep(0.2)
            if room_file.exists():
                info = json.loads(room_file.read_text())
        runtime = Path(info["runtime"])
        assert runtime.is_dir() and runtime.name.startswith("acs-room-")
        settings = hub_room.prepare(env)
        hub_room.wait_until_up(settings, serve, timeout=120)
        assert len(hub_room.processes.room_processes(folder)) >= 2  # the hub and its proxy

        serve.send_signal(signum)
        assert serve.wait(timeout=60) == 0, log.read_text()[-3000:]
        assert not runtime.exists(), f"{runtime} was left behind"
        assert hub_room.processes.room_processes(folder) == []
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in hub_room.processes.room_processes(folder):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
