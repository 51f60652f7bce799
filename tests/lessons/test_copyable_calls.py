"""The call a form shows runs where the learner pastes it: in its own lesson.

Each lesson with a form is run with nbclient; then, in the same kernel, a cell clicks each of the
lesson's forms (after making an identity for it to act on) and runs the line the form shows in
the lesson's namespace, exactly as a pasted code cell would. A missing import is a NameError.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


LESSONS = [
    p
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if form_classes(nbformat.read(p, as_version=4))
]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_forms_shown_call_runs_when_pasted_into_its_lesson(path):
    nb = nbformat.read(path, as_version=4)
    classes = form_classes(nb)
    pasted = [nbformat.v4.new_code_cell(PASTE.format(form=name)) for name in classes]
    nb.cells += pasted
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for name, cell in zip(classes, pasted, strict=True):
        text = "".join(out.get("text", "") for out in cell.outputs)
        assert text.startswith("ran: client."), f"{name}: {text or cell.outputs}"
