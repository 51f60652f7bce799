"""No "Select Kernel" dialog in front of a lesson, even when the server is slow to list kernels.

JupyterLab 4.6 starts a notebook's kernel by itself only if the kernel-spec list has arrived;
on a busy server (a room of twenty) it can arrive after the notebook opened, and the attendee
saw "Select Kernel". JupyterLab waits for that first request, but when it fails (a 503 from an
overloaded server) it opens the notebook without the list and asks. helpers.setup_lab installs
share/jupyter/labextensions/acs-lab-kernel-wait, which holds the notebook back and asks again
until the list is there. Both tests run a real `jupyter lab` whose /api/kernelspecs answers after
DELAY seconds with 503 (tests/hub/slow_kernelspecs.py), and open lesson 08 in Chromium: without
the extension the dialog shows (the bug reproduced); with it, after one failed request, the kernel
starts and no dialog ever appears.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import setup_lab
from tests.browser.conftest import (
    BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    _free_port,
    _in_ci,
    _missing_browser,
    _stop,
    _wait_for_http,
)
from tests.kernels import IPC_KERNELS, short_runtime_dir

pytestmark = pytest.mark.browser

LESSON = "08-run-the-code.ipynb"
DELAY = 3  # seconds each /api/kernelspecs request waits; the first one then fails (503)
# Records the text of the first dialog that ever appears (set before any page script runs).
SEE_DIALOGS = """
new MutationObserver(() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog && window.__firstDialog === undefined) {
    window.__firstDialog = dialog.textContent.slice(0, 300);
  }
}).observe(document, {subtree: true, childList: true});
"""
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
    && widget.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""


@pytest.fixture(autouse=True)
def browser():
    problem = _missing_browser()
    if problem:
        if _in_ci():
            pytest.fail(f"browser tests are required in CI: {problem}", pytrace=False)
        pytest.skip(problem)


def open_lesson_on_a_slow_server(
    tmp_path: Path, with_extension: bool, wait: float, failures: int = 1
) -> dict:
    """Serve lesson 08 with slow kernelspecs, open it in Chromium; what happened within `wait` s."""
    prefix = tmp_path / "prefix"
    if with_extension:
        assert setup_lab.install_extension(str(prefix)) is not None
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / LESSON, root / LESSON)
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH"}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        (tmp_path / name.lower()).mkdir(exist_ok=True)
        env[name] = str(tmp_path / name.lower())
    env["JUPYTER_RUNTIME_DIR"] = short_runtime_dir()  # kernels over ipc, as in a room
    if not with_extension:
        # The lab's own environment has it installed (helpers.setup_lab): switch it off here,
        # the way `jupyter labextension disable` does, so the control shows JupyterLab alone.
        labconfig = tmp_path / "jupyter_config_dir" / "labconfig"
        labconfig.mkdir(parents=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"acs-lab-kernel-wait": True}})
        )
    env.update(
        JUPYTER_PATH=str(prefix / "share" / "jupyter"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        ACS_TEST_KERNELSPECS_DELAY=str(DELAY),
        ACS_TEST_KERNELSPECS_FAILURES=str(failures),
    )
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions=tests.hub.slow_kernelspecs=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        IPC_KERNELS,
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyter-lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    from playwright.sync_api import sync_playwright

    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{base}/api/status?token={token}", proc, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                page.add_init_script(SEE_DIALOGS)
                started = time.monotonic()
                page.goto(f"{base}/lab/tree/{LESSON}?reset&token={token}")
                idle_after = None
                deadline = started + wait
                while time.monotonic() < deadline:
                    if idle_after is None and page.evaluate(KERNEL_IDLE):
                        idle_after = time.monotonic() - started
                        deadline = min(deadline, time.monotonic() + 3)  # a late dialog?
                    if page.evaluate("() => window.__firstDialog !== undefined"):
                        break
                    page.wait_for_timeout(250)
                dialog = page.evaluate("() => window.__firstDialog")
            finally:
                browser.close()
        return {"dialog": dialog, "idle_after": idle_after, "log": log.read_text()}
    finally:
        _stop(proc)


def test_without_the_extension_a_slow_kernel_list_brings_the_select_kernel_dialog(tmp_path):
    # Every request fails here: on a loaded machine something may ask again before the notebook
    # opens, and this test is about what JupyterLab does while it has no list.
    seen = open_lesson_on_a_slow_server(
        tmp_path, with_extension=False, wait=DELAY + 60, failures=99
    )
    assert seen["dialog"] and "select kernel" in seen["dialog"].lower(), seen["log"][-2000:]


def test_with_the_extension_the_lessons_kernel_starts_and_no_dialog_appears(tmp_path):
    seen = open_lesson_on_a_slow_server(tmp_path, with_extension=True, wait=DELAY + 120)
    assert seen["dialog"] is None, f"a dialog opened: {seen['dialog']!r}"
    assert seen["idle_after"] is not None, f"the kernel never started:\n{seen['log'][-2000:]}"
    assert seen["idle_after"] >= 2 * DELAY, "the kernel list came early: the test's delay failed"
