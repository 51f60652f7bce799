"""A lesson as a learner finishes it, run once with nbclient on a copy and checked for two claims:

* Each solution file typed into its exercise, as a learner would: every checker says ✓. So every
  solution is proven on every commit, although no notebook ever runs one by itself.
* The call each form shows runs where the learner pastes it: after the lesson, in its namespace,
  a cell clicks each form (after making an identity for it to act on) and runs the line the form
  shows, exactly as a pasted code cell would. A missing import is a NameError.

Both used to run the lesson separately; one run per lesson now carries both (the kernel work was
most of their time). Run All with nothing typed is proven by nbval on the stored outputs, see
test_lesson_notebooks.py.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.lessons import LESSONS as ALL_LESSONS
from tests.kernels import LocalSocketKernelManager
from tests.lessons.test_lesson_notebooks import CHECK_CALL, checker_lines, solution_files

ROOT = Path(__file__).resolve().parents[2]
FORM_CALL = re.compile(r"^forms\.(\w+Form)\(lab_client\)$", re.M)

PASTE = """
import html as _html, re as _re
from azure.core.exceptions import HttpResponseError as _ServiceSaidNo
from helpers import forms as _forms

_forms.CreateIdentityForm(lab_client).create_button.click()  # something for the form to act on
_form = _forms.{form}(lab_client)
if hasattr(_form, "scopes"):
    _form.scopes.tick(["chat"])
if hasattr(_form, "sign_in_button"):
    _form.sign_in_button.click()
for _name in ("create_button", "issue_button", "revoke_button", "delete_button", "exchange_button"):
    if hasattr(_form, _name):
        getattr(_form, _name).click()
        break
_line = _html.unescape(_re.findall(r"<pre>(.*?)</pre>", _form.code.value, flags=_re.S)[0])
try:
    exec(_line, get_ipython().user_ns)
    print("ran:", _line.split("(")[0])
except _ServiceSaidNo as _error:  # e.g. deleting what the form deleted: the line itself ran
    print("ran:", _line.split("(")[0], "- the service said", _error.status_code)
"""


def form_classes(nb) -> list[str]:
    return [
        m.group(1)
        for cell in nb.cells
        if cell.cell_type == "code"
        for m in FORM_CALL.finditer(cell.source)
    ]


WITH_PRACTICE = [entry.path() for entry in ALL_LESSONS if entry.practice]
WITH_FORMS = [
    p
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if form_classes(nbformat.read(p, as_version=4))
]


@functools.cache
def completed(path: Path):
    """The lesson run once with every solution typed in and every form's call pasted at the end:
    (the executed notebook, its solution files by exercise cell, [(form, pasted cell)])."""
    nb = nbformat.read(path, as_version=4)
    answers = solution_files(nb, path.parent)
    for cell in nb.cells:
        if cell.get("id") in answers:
            cell.source = CHECK_CALL.sub("", answers[cell.id].read_text()).strip()
    pasted = [
        (name, nbformat.v4.new_code_cell(PASTE.format(form=name))) for name in form_classes(nb)
    ]
    nb.cells += [cell for _, cell in pasted]
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        kernel_manager_class=LocalSocketKernelManager,
    ).execute()
    return nb, answers, pasted


@pytest.mark.parametrize("path", WITH_PRACTICE, ids=lambda p: p.stem)
def test_every_solution_typed_into_its_exercise_makes_its_checker_say_done(path):
    nb, answers, _ = completed(path)
    assert answers, "a lesson with practice has exercises with solution files"
    lines = checker_lines(nb)
    assert len(lines) == len(answers)
    assert all(line.startswith("✓ ") for line in lines), lines


@pytest.mark.parametrize("path", WITH_FORMS, ids=lambda p: p.stem)
def test_every_forms_shown_call_runs_when_pasted_into_its_lesson(path):
    _, _, pasted = completed(path)
    for name, cell in pasted:
        text = "".join(out.get("text", "") for out in cell.outputs)
        assert text.startswith("ran: client."), f"{name}: {text or cell.outputs}"
