"""`make lab` - the README's first command - serves JupyterLab on the learner's working copy."""

from __future__ import annotations

import http.client
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


def tracked_notebooks() -> dict[str, bytes]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_bytes() for p in ROOT.glob("notebooks/**/*.ipynb")
    }


@pytest.mark.skipif(
    not (Path(sys.prefix) / ".installed").exists(),
    reason="runs only in the environment `make` built (.venv/.installed marks it)",
)
def test_make_lab_serves_the_working_copy_and_a_save_never_touches_the_originals(tmp_path):
    port = free_port()
    token = "make-lab-test"
    work = tmp_path / "my-notebooks"
    before = tracked_notebooks()
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    args = f"--no-browser --IdentityProvider.token={token} --ServerApp.ip=127.0.0.1"
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"LAB_PORT={port}"]
        + [f"LAB_ARGS={args}", f"WORK={work}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole make -> jupyter tree can be stopped
    )
    base = f"http://127.0.0.1:{port}/api/contents"
    try:
        deadline = time.monotonic() + 60
        listing = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}?token={token}", timeout=2) as resp:
                    listing = json.load(resp)
                    break
            except OSError:
                time.sleep(0.3)
        assert listing is not None, proc.stdout.read().decode(errors="replace")[-2000:]
        names = {item["name"] for item in listing["content"]}
        expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
        assert expected <= names, "the lab's root folder is not the working copy"

        # What autosave does after Run All: write the notebook back through the contents API.
        name = "00-set-up-your-environment.ipynb"
        with urllib.request.urlopen(f"{base}/{name}?token={token}", timeout=10) as resp:
            model = json.load(resp)
        model["content"]["cells"][0]["source"] = "# my own notes"
        body = json.dumps({"type": "notebook", "format": "json", "content": model["content"]})
        save = urllib.request.Request(
            f"{base}/{name}?token={token}", data=body.encode(), method="PUT"
        )
        with urllib.request.urlopen(save, timeout=10) as resp:
            assert resp.status == 200
        assert "# my own notes" in (work / name).read_text()
        assert tracked_notebooks() == before, "saving in the lab changed notebooks/"

        # The lab opens on lesson 00, not the Launcher: its front door sends you there.
        front = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        front.request("GET", f"/?token={token}")
        reply = front.getresponse()
        assert reply.status in (301, 302), reply.status
        assert reply.getheader("Location").startswith("/lab/tree/00-set-up-your-environment.ipynb")
        front.close()
    finally:
        stop_group(proc)
    output = proc.stdout.read().decode(errors="replace")
    # A quiet start: the URL box, none of the warning boxes a learner can't act on.
    assert "DeprecationWarning" not in output
    assert "!!" not in output


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
