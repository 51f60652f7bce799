"""A learner's working copy, started as `make lab` starts it, in headless Chromium (German 06).

Opened: not marked changed and no kernel chooser (the copy carries this machine's language_info
and is trusted). Run All, save: the saved file holds no widget view, a hint where the form was.
Reopened: still unchanged, the hint shows instead of "Error displaying widget: model not found".
The German form's labels are whole ("oder ID einfügen" not clipped), and the lesson's outputs
hold none of the service's English status sentences.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.test_notebooks_in_lab import run_all_cells, wait_until
from tests.unit.test_make_lab import free_port, stop_group

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LESSON = "de/06-revoke-access-tokens.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def made_lab(browser_available, tmp_path):
    """`make lab` on a fresh working copy, with private Jupyter dirs; yields (base, token, copy)."""
    port, token = free_port(), "learner-copy"
    work = tmp_path / "my-notebooks"
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    env["JUPYTER_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="rt-", dir="/tmp")  # short: ipc sockets
    args = (
        f"--no-browser --IdentityProvider.token={token} --ServerApp.ip=127.0.0.1 "
        "--LabApp.expose_app_in_browser=True --LabApp.news_url=None"
    )
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"LAB_PORT={port}"]
        + [f"LAB_ARGS={args}", f"WORK={work}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield base, token, work
    finally:
        stop_group(proc)
        shutil.rmtree(env["JUPYTER_RUNTIME_DIR"], ignore_errors=True)
    log = proc.stdout.read().decode(errors="replace")
    assert "without encryption" not in log and "is not trusted" not in log, log[-2000:]


def open_lesson(page, base: str, token: str) -> None:
    page.goto(f"{base}/lab/tree/{LESSON}?reset&token={token}")
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

    open_lesson(page, base, token)  # reopen: still unchanged, the hint instead of an error
    text = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
    assert "model not found" not in text
    assert "Dieses Formular wird nicht mit dem Notebook gespeichert" in text
