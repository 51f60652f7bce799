"""A learner's working copy, started as `make lab` starts it, in headless Chromium (German 06).

Opened: not marked changed and no kernel chooser (the copy carries this machine's language_info
and is trusted). Run All, save: the saved file holds no widget view, a hint where the form was.
Reopened: still unchanged, the hint shows instead of "Error displaying widget: model not found".
The German form's labels are whole ("oder ID einfügen" not clipped), and the lesson's outputs
hold none of the service's English status sentences.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.conftest import CLOSE_ALL_JS, open_notebook
from tests.browser.test_notebooks_in_lab import run_all_cells, wait_until
from tests.lessons.lab_process import make_lab

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LESSON = "de/06-revoke-access-tokens.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def made_lab(browser_available, tmp_path):
    """`make lab` on a fresh working copy, with private Jupyter dirs; yields (base, token, copy)."""
    extra = "--LabApp.expose_app_in_browser=True --LabApp.news_url=None"
    with make_lab(tmp_path, extra) as lab:
        yield lab.base, lab.token, lab.work
    assert "without encryption" not in lab.output, lab.output[-2000:]
    assert "is not trusted" not in lab.output, lab.output[-2000:]


def open_lesson(page, base: str, token: str) -> None:
    """From the URL `make lab` opens, in a fresh page."""
    page.goto(f"{base}/lab/tree/{LESSON}?reset&token={token}")
    expect_unchanged_and_no_dialog(page)


def reopen_lesson(page) -> None:
    """Closed and opened again from the saved file, in the same page (a second JupyterLab start
    in the page would only cost time: the notebook is read and rendered anew either way)."""
    assert page.evaluate(CLOSE_ALL_JS) == 0
    open_notebook(page, LESSON)
    expect_unchanged_and_no_dialog(page)


def expect_unchanged_and_no_dialog(page) -> None:
    wait_until(page, lambda s: s["ready"], "the kernel to connect", timeout=120)
    page.wait_for_timeout(1500)  # time for Lab to write kernel metadata (what used to dirty it)
    assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel chooser?) opened"
    dirty = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")
    assert dirty is False, "the notebook is marked changed right after opening"


def test_a_working_copy_opens_unchanged_saves_no_widget_views_and_speaks_german(made_lab, page):
    from playwright.sync_api import expect

    base, token, copy = made_lab
    open_lesson(page, base, token)
    run_all_cells(page)
    label = page.locator(".widget-label", has_text="oder ID einfügen").first
    expect(label).to_be_visible()
    clipped = label.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert not clipped, "the German label 'oder ID einfügen' is cut off"
    outputs = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
    assert "were revoked after" not in outputs and "is signed by this resource" not in outputs

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
    ):
        page.wait_for_timeout(200)
    saved = json.loads((copy / LESSON).read_text())
    outputs_saved = [o for c in saved["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs_saved if WIDGET_VIEW in o.get("data", {})]
    assert any(
        "Führen Sie die Zelle aus" in "".join(o.get("data", {}).get("text/plain", ""))
        for o in outputs_saved
    ), "no hint where the forms were"

    reopen_lesson(page)  # still unchanged, the hint instead of an error
    text = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
    assert "model not found" not in text
    assert "Dieses Formular wird nicht mit dem Notebook gespeichert" in text
