"""`make lab` - the README's first command - really serves JupyterLab on notebooks/."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    not (Path(sys.prefix) / ".installed").exists(),
    reason="runs only in the environment `make` built (.venv/.installed marks it)",
)
def test_make_lab_serves_jupyterlab_on_the_notebooks_folder(tmp_path):
    port = free_port()
    token = "make-lab-test"
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    args = f"--no-browser --IdentityProvider.token={token} --ServerApp.ip=127.0.0.1"
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"LAB_PORT={port}"]
        + [f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole make -> jupyter tree can be stopped
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=2) as resp:
                    status = json.load(resp)
                    break
            except OSError:
                time.sleep(0.3)
        assert status is not None, proc.stdout.read().decode(errors="replace")[-2000:]
        names = {item["name"] for item in status["content"]}
        expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
        assert expected <= names, "the lab's root folder is not notebooks/"
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the make -> jupyter process group, SIGKILL it if it lingers."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
