"""The exercises as a learner meets them, run with nbclient on copies of lessons 02-07 and 10.

* Without the solution cells, every checker says ✗ (a checker that can't fail proves nothing).
* With the learner's own answer typed into the exercise cell (the solution's code, as a learner
  would write it) and the solution cells gone, every checker says ✓.

nbval already runs the notebooks *with* their solutions on every commit.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.lessons import LESSONS as ALL_LESSONS

LESSONS = [entry.path() for entry in ALL_LESSONS if entry.practice]
CHECK_CALL = re.compile(r'^exercises\.check\(".+\)$', re.M)


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def run(nb, where: Path) -> None:
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(where)}}
    )
    client.execute()


def checker_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK_CALL.fullmatch(cell.source.strip()):
            text = "".join(out.get("text", "") for out in cell.outputs)
            assert text.count("\n") == 1, f"a checker printed more than one line: {text!r}"
            lines.append(text.strip())
    return lines


def without_solutions(path: Path):
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "solution" not in tags(c)]
    return nb


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_checker_says_not_yet_when_the_solution_is_left_out(path):
    nb = without_solutions(path)
    run(nb, path.parent)
    lines = checker_lines(nb)
    assert lines, "no checker ran"
    assert all(line.startswith("✗ ") for line in lines), lines


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_checker_says_done_for_the_learners_own_answer(path):
    original = nbformat.read(path, as_version=4)
    answers = {}
    for i, cell in enumerate(original.cells):
        if "exercise" in tags(cell):
            solution = original.cells[i + 3]
            assert "solution" in tags(solution)
            answers[cell.id] = CHECK_CALL.sub("", solution.source).strip()
    nb = without_solutions(path)
    for cell in nb.cells:
        if cell.get("id") in answers:
            cell.source = answers[cell.id]
    run(nb, path.parent)
    lines = checker_lines(nb)
    assert len(lines) == len(answers)
    assert all(line.startswith("✓ ") for line in lines), lines
