"""The exercises as a learner meets them, read from the notebooks as committed (no kernel here).

* Run All with nothing typed: the solutions stay unloaded (`# %load solutions/...` is a comment
  until the learner deletes the `# `), and every checker says ✗. The stored outputs are what Run
  All printed, and `make test`'s nbval runs every notebook, both editions, and compares each
  checker's fresh output with its stored one; so a stored ✗ line here is a proven ✗ line (this
  replaced an nbclient run of the English lessons, which nbval already made).
* The German edition loads its own solution files (German comments, the same code).
* Typing each solution in (every checker says ✓) runs in test_completed_lessons.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.lessons import LESSONS as ALL_LESSONS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = [entry.path() for entry in ALL_LESSONS if entry.practice]
WITH_PRACTICE = {path.stem for path in LESSONS}
EVERY_NOTEBOOK = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*/*.ipynb"))
CHECK_CALL = re.compile(r'^exercises\.check\(".+\)$', re.M)
# Cell tags with which nbval would not compare a cell's fresh output with its stored one.
NBVAL_SKIPS = {"nbval-skip", "nbval-ignore-output", "raises-exception", "skip-execution"}
LOAD = re.compile(r"^# %load (solutions/[\w.-]+\.py)$")


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def checker_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK_CALL.fullmatch(cell.source.strip()):
            text = "".join(out.get("text", "") for out in cell.outputs)
            assert text.count("\n") == 1, f"a checker printed more than one line: {text!r}"
            lines.append(text.strip())
    return lines


def solution_files(nb, folder: Path) -> dict[str, Path]:
    """Exercise cell id -> the solution file its `# %load` cell (the next solution) names."""
    found, exercise = {}, None
    for cell in nb.cells:
        if "exercise" in tags(cell):
            exercise = cell.id
        if "solution" in tags(cell):
            match = LOAD.fullmatch(cell.source.strip())
            assert match, f"solution cell {cell.id} does not load its file: {cell.source!r}"
            assert exercise is not None, f"solution cell {cell.id} comes before any exercise"
            found[exercise] = folder / match.group(1)
            exercise = None
    return found


def checker_output(nb) -> list[str]:
    """Every line printed by a cell that runs an exercise checker (or could: any `exercises.`)."""
    return [
        line
        for cell in nb.cells
        if cell.cell_type == "code" and "exercises." in cell.source
        for out in cell.outputs
        for line in out.get("text", "").splitlines()
    ]


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.relative_to(NOTEBOOKS).stem)
def test_run_all_with_nothing_typed_every_checker_says_not_yet(path):
    # The stored outputs come from Run All (tools.refresh_notebooks) and nbval re-proves them on
    # every commit: with nothing typed, every checker says ✗ in one line and none says ✓, in any
    # lesson or edition; and nbval compares every checker cell (none is skipped or ignored).
    nb = nbformat.read(path, as_version=4)
    lines = checker_lines(nb)
    if path.stem in WITH_PRACTICE:
        assert lines, "no checker ran"
    assert all(line.startswith("✗ ") for line in lines), lines
    assert not [line for line in checker_output(nb) if line.startswith("✓")]
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK_CALL.fullmatch(cell.source.strip()):
            assert not set(tags(cell)) & NBVAL_SKIPS, (cell.id, tags(cell))
    for cell in nb.cells:
        if "solution" in tags(cell):
            assert cell.source.startswith("# %load "), cell.id
            assert not cell.outputs and not cell.metadata.get("jupyter"), cell.id


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_edition_loads_a_solution_file_with_the_same_code(path):
    english = solution_files(nbformat.read(path, as_version=4), path.parent)
    assert english
    for language_folder in sorted(p for p in NOTEBOOKS.iterdir() if (p / path.name).exists()):
        translated = solution_files(
            nbformat.read(language_folder / path.name, as_version=4), language_folder
        )
        assert list(translated) == list(english)
        for cell_id, file in translated.items():
            code = [line for line in file.read_text().splitlines() if not line.startswith("#")]
            same = [
                line for line in english[cell_id].read_text().splitlines()
                if not line.startswith("#")
            ]  # fmt: skip
            assert code == same, file
