"""The committed notebooks are clean, complete, safe to publish, and really checked by nbval."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.lessons import LESSONS, WITH_PRACTICE

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TUTORIAL = [p for p in NOTEBOOKS if re.match(r"\d\d-", p.name)]
ACCESS_KEY = re.compile(r"accesskey=(?!\*\*\*)[A-Za-z0-9+/=]{16,}", re.IGNORECASE)
FULL_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_the_tutorial_has_the_quickstart_sections_in_order():
    # The order and names are declared once, in helpers.lessons (tests/unit/test_lessons.py).
    assert [p.stem for p in TUTORIAL] == [entry.stem for entry in LESSONS]
    assert TUTORIAL[2].stem == "02-create-an-identity"  # the quickstart's section, by its name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_json_is_clean(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "saved widget state: re-run tools.refresh_notebooks"
    for cell in nb["cells"]:
        assert not {"ExecuteTime", "execution", "scrolled"} & set(cell.get("metadata", {}))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_come_from_one_complete_run(path):
    cells = code_cells(load(path))
    counts = [c["execution_count"] for c in cells]
    # Unexecuted cells would make nbval skip their comparison silently.
    assert counts == list(range(1, len(cells) + 1)), counts
    for cell in cells:
        for out in cell["outputs"]:
            assert out["output_type"] != "error", source(cell)
            assert WIDGET_VIEW not in out.get("data", {}), "widget views need saved state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_only_widget_cells_skip_output_comparison(path):
    for cell in code_cells(load(path)):
        tags = cell.get("metadata", {}).get("tags", [])
        text = source(cell)
        if "nbval-ignore-output" in tags or "NBVAL_IGNORE_OUTPUT" in text:
            widget = r"forms\.\w+\(.*\)|quiz\.show\(\"\d\d\"\)"
            assert re.fullmatch(widget, text.strip()), text
        assert "NBVAL_SKIP" not in text and "nbval-skip" not in tags


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_access_key_or_full_token_is_committed(path):
    text = path.read_text(encoding="utf-8")
    assert not ACCESS_KEY.search(text)
    assert not FULL_TOKEN.search(text)


@pytest.mark.parametrize("path", TUTORIAL, ids=lambda p: p.stem)
def test_every_notebook_follows_the_skeleton(path):
    nb = load(path)
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert source(nb["cells"][0]).startswith(f"# {path.name[:2]} · ")
    for heading in ("## Overview", "## Prerequisites", "**Time to learn**", "## Summary"):
        assert heading in markdown, heading
    assert "## What's next" in markdown
    assert "connect()" in "".join(source(c) for c in code_cells(nb))
    assert any("forms." in source(c) for c in code_cells(nb)), "no form in this notebook"
    for link in re.findall(r"\]\(([^)#]+\.ipynb)\)", markdown):
        assert (path.parent / link).is_file(), f"broken link to {link}"


def test_the_sanitizer_replaces_identity_ids_before_guids():
    text = (ROOT / "tests" / "nbval-sanitize.cfg").read_text()
    assert text.index("8:acs:") < text.index("[guid]")


def test_nbval_fails_when_a_stored_output_is_wrong(tmp_path):
    """A control: the notebook suite would catch a changed result."""
    original = ROOT / "notebooks" / "02-create-an-identity.ipynb"
    nb = load(original)
    for cell in code_cells(nb):
        for out in cell["outputs"]:
            if out.get("name") == "stdout" and "Same identity?" in "".join(out["text"]):
                out["text"] = ["Same identity? True\n"]
    broken = tmp_path / original.name
    broken.write_text(json.dumps(nb))
    shutil.copy(ROOT / "tests" / "nbval-sanitize.cfg", tmp_path / "sanitize.cfg")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval"]
        + ["--nbval-current-env", "--nbval-sanitize-with", "sanitize.cfg", broken.name]
        + ["-o", "addopts=", "--rootdir", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed" in result.stdout


# --------------------------------------------------------------------------- exercises and quizzes

PRACTICE = set(WITH_PRACTICE)
LESSONS_WITH_PRACTICE = [p for p in TUTORIAL if p.name[:2] in PRACTICE]
CHECK_CALL = re.compile(r'^exercises\.check\("(?P<id>[\w-]+)", lab_client(, \w+=\w+)*\)$', re.M)


def tags_of(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", LESSONS_WITH_PRACTICE, ids=lambda p: p.stem)
def test_every_exercise_is_followed_by_its_check_and_a_solution_loaded_on_request(path):
    cells = load(path)["cells"]
    exercise_at = [i for i, c in enumerate(cells) if "exercise" in tags_of(c)]
    assert exercise_at, "no cell tagged exercise"
    for i in exercise_at:
        checker, solution = cells[i + 1], cells[i + 3]
        check = CHECK_CALL.fullmatch(source(checker).strip())
        assert check, f"no exercises.check(...) right after the exercise cell: {source(checker)}"
        assert check["id"].startswith(path.name[:2]), check["id"]
        assert cells[i + 2]["cell_type"] == "markdown"
        assert "solution" in tags_of(solution)
        # Only a comment until the learner deletes the `# `: Run All never solves the exercise.
        assert source(solution).strip() == f"# %load solutions/{check['id']}.py"
        assert not solution["outputs"]
        # The file runs the same check (tests/lessons proves it says ✓ on every commit).
        loaded = (path.parent / "solutions" / f"{check['id']}.py").read_text()
        assert loaded.rstrip().endswith(source(checker).strip())
        assert "".join(checker["outputs"][0]["text"]).startswith("✗ ")
    assert all(("exercise" in tags_of(c)) == (i in exercise_at) for i, c in enumerate(cells))


@pytest.mark.parametrize("path", LESSONS_WITH_PRACTICE, ids=lambda p: p.stem)
def test_every_lesson_has_its_quiz(path):
    quizzes = [c for c in code_cells(load(path)) if "quiz" in tags_of(c)]
    assert len(quizzes) == 1
    assert source(quizzes[0]).strip() == f'quiz.show("{path.name[:2]}")'
    assert "nbval-ignore-output" in tags_of(quizzes[0])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_practice_code_cells_hold_no_english_prose(path):
    """Exercise, checker and quiz cells are the same bytes in every language edition."""
    for cell in code_cells(load(path)):
        text = source(cell)
        if "exercise" in tags_of(cell) or "quiz" in tags_of(cell) or CHECK_CALL.search(text):
            assert "#" not in text, f"a comment in a practice cell: {text}"
            assert not re.search(r"[\"'][A-Za-z]+[ :]", text), f"prose in a practice cell: {text}"
