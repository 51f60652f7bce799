"""Lesson 08's program runs as saved: the quickstart cell, verbatim, as a file, with python.

The lab ships that file (`issue-access-tokens.py`, next to lesson 08 in each edition, copied into
the git-ignored working copy); it must be the cell's text exactly, and it must run against
`acs-emulator serve --background` with the variables `acs-emulator env` prints.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import working_copy
from helpers.quickstart_output import compare_with_docs

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = [sys.executable, "-m", "helpers.emulator"]


def quickstart_cell(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    (cell,) = [c for c in code if "Access Tokens Quickstart" in c.source]
    return cell.source


@pytest.mark.parametrize("edition", [".", "de"])
def test_the_shipped_script_is_the_quickstart_cell_verbatim(edition):
    folder = ROOT / "notebooks" / edition
    cell = quickstart_cell(folder / "08-run-the-code.ipynb")
    assert not cell.startswith("%"), "the cell must be plain Python to run as a file"
    assert (folder / "issue-access-tokens.py").read_text() == cell + "\n"
    assert Path(edition, "issue-access-tokens.py") in working_copy.originals()


def exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            found[name] = value
    return found


def test_the_quickstart_cell_saved_as_a_file_runs_with_python(tmp_path):
    script = tmp_path / "issue-access-tokens.py"
    script.write_text(quickstart_cell(ROOT / "notebooks" / "08-run-the-code.ipynb"))
    state = ["--state-dir", str(tmp_path / "state")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_SERVICES")}
    served = subprocess.run(
        [*EMULATOR, *state, "serve", "--background"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert served.returncode == 0, served.stderr
    try:
        printed = subprocess.run(
            [*EMULATOR, *state, "env"], capture_output=True, text=True, timeout=30, env=env
        )
        variables = exports(printed.stdout)
        assert "COMMUNICATION_SERVICES_CONNECTION_STRING" in variables, printed.stdout
        # Run from the file's own folder, as a learner would: not the repository's root.
        run = subprocess.run(
            [sys.executable, script.name],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**env, **variables},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert compare_with_docs(run.stdout).ok, str(compare_with_docs(run.stdout))
    finally:
        subprocess.run([*EMULATOR, *state, "stop"], capture_output=True, timeout=30, env=env)
