"""`make lab` as a learner starts it, for tests: private Jupyter dirs, a fresh working copy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.kernels import short_runtime_dir
from tests.unit.test_make_lab import free_port, stop_group

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class MadeLab:
    base: str
    token: str
    work: Path
    port: int
    output: str = ""  # the terminal's text, filled in when the lab has stopped


@contextmanager
def make_lab(tmp_path: Path, extra_args: str = "") -> Iterator[MadeLab]:
    """Run `make lab` on `tmp_path/my-notebooks` until the block ends; stop it by its group."""
    port, token = free_port(), "made-lab-test"
    lab = MadeLab(f"http://127.0.0.1:{port}", token, tmp_path / "my-notebooks", port)
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    # The kernels' ipc sockets: pytest's tmp_path is too long for a socket path, a learner's
    # ~/.local/share/jupyter/runtime is not.
    env["JUPYTER_RUNTIME_DIR"] = short_runtime_dir()
    args = f"--no-browser --IdentityProvider.token={token} --ServerApp.ip=127.0.0.1 {extra_args}"
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"LAB_PORT={port}"]
        + [f"LAB_ARGS={args.strip()}", f"WORK={lab.work}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole make -> jupyter tree can be stopped
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(f"{lab.base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield lab
    finally:
        stop_group(proc)
        lab.output = proc.stdout.read().decode(errors="replace")
