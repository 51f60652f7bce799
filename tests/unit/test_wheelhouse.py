"""`make wheelhouse` holds everything the lab needs: a fresh venv installs from it with the package
index switched off, and the installed lab then runs the quickstart against its local service.

This is the real install a trainer's room does (46 s here on 2 cores: `make wheelhouse` is pip
with its download cache, about 20 s; the offline install is uv, in parallel, the rest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(sys.prefix) / ".installed").exists(),
        reason="runs only in the environment `make` built (.venv/.installed marks it)",
    ),
]

QUICKSTART = """
from helpers import connect
client = connect()
print(client.create_user().properties["id"])
"""


def offline_env(tmp_path: Path) -> dict[str, str]:
    """pip with no configuration at all (this machine's pip.conf adds find-links and indexes)
    and an index address nothing listens on, in case anything still tried to reach one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        ACS_EMULATOR_HOME=str(tmp_path / "service"),
        ACS_LAB_BACKEND="emulator",
    )
    return env


def test_a_fresh_venv_installs_the_lab_from_the_wheelhouse_with_no_index(tmp_path):
    house = tmp_path / "wheelhouse"
    made = subprocess.run(
        # This venv counts as installed (-o): the test never reinstalls the one it runs in.
        ["make", "--no-print-directory", "-o", f"{sys.prefix}/.installed", "wheelhouse"]
        + [f"VENV={sys.prefix}", f"WHEELHOUSE={house}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    assert "install with: pip install --no-index --find-links" in made.stdout
    assert list(house.glob("acs_identity_lab-*.whl")), "the lab's own wheel is in it"

    # What the trainer guide tells a laptop with no network to run: `make`'s own install step,
    # with pip told to use the wheelhouse and no index.
    target = tmp_path / "offline-venv"
    env = offline_env(tmp_path)
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(house))
    install = subprocess.run(
        ["make", "--no-print-directory", "install", f"VENV={target}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout[-1000:] + install.stderr[-2000:]
    # The installer came from the wheelhouse too, and was told the index is off (make passes
    # pip's two variables on to uv, which reads no pip settings).
    assert (target / "bin" / "uv").exists(), "uv's wheel is in the wheelhouse"
    assert f'--no-index --find-links "{house}"' in install.stdout
    python = str(target / "bin" / "python")
    ran = subprocess.run(
        [python, "-c", QUICKSTART], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "Using the local ACS Identity service" in ran.stdout
    assert ran.stdout.strip().splitlines()[-1].startswith("8:acs:")
    lab = subprocess.run([str(target / "bin" / "jupyter-lab"), "--version"], capture_output=True)
    assert lab.returncode == 0, "JupyterLab came from the wheelhouse too"
