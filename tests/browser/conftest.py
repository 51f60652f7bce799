"""One real JupyterLab server, one `make app` Voila server and one headless Chromium for the suite.

All are package-scoped, so they stop when the browser tests are done: Playwright's sync API keeps
an asyncio loop running while it is open, which would break later tests that call asyncio.run().

Chromium is Debian's (/usr/bin/chromium); no browser is ever downloaded. Without it (or without
Playwright) the browser tests are skipped locally with a note, and fail in CI (CI=true).

Servers run with private Jupyter config/data/runtime/IPython dirs and serve a temporary copy of
notebooks/, so autosave can never touch the committed notebooks. They are stopped by their
process ids: SIGTERM, then SIGKILL if they linger.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.kernels import IPC_KERNELS, short_runtime_dir

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("ACS_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"
BIN = Path(sys.executable).parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen, group: bool = False) -> None:
    """SIGTERM the process (or its own process group), then SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    send = (lambda sig: os.killpg(proc.pid, sig)) if group else proc.send_signal
    try:
        send(signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} not listening after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def browser_available():
    problem = _missing_browser()
    if problem:
        if _in_ci():
            pytest.fail(f"browser tests are required in CI: {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.fixture(scope="package")
def jupyter_env(tmp_path_factory):
    """Private Jupyter/IPython dirs; the venv's kernels and lab extensions are still found
    (sys.prefix paths are always searched). The test session's ACS_* variables pass through."""
    home = tmp_path_factory.mktemp("jupyter-home")
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        path = home / name.lower()
        path.mkdir()
        env[name] = str(path)
    env["JUPYTER_RUNTIME_DIR"] = short_runtime_dir()  # kernels' ipc sockets
    env.pop("JUPYTER_PATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="package")
def lab_server(browser_available, jupyter_env, tmp_path_factory):
    """`jupyter lab` serving a copy of notebooks/; yields (base_url, token)."""
    root = tmp_path_factory.mktemp("lab-root")
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    for edition in NOTEBOOKS.glob("*/"):  # translated editions: notebooks/de/, ...
        if any(edition.glob("*.ipynb")):
            shutil.copytree(edition, root / edition.name, ignore=shutil.ignore_patterns(".*"))
    port, token = _free_port(), secrets.token_hex(16)
    log = root.parent / f"{root.name}-jupyter-lab.log"
    command = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        IPC_KERNELS,
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=jupyter_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{base}/api/status?token={token}", proc, log)
        yield base, token
    finally:
        _stop(proc)


class VoilaUrl(str):
    """The URL `make app` printed (with its token); `.log` is what it wrote to its terminal."""

    def __new__(cls, url: str, log: Path):
        made = super().__new__(cls, url)
        made.log = log
        return made


@pytest.fixture(scope="package")
def voila_server(browser_available, jupyter_env, tmp_path_factory):
    """`make app` on a free port (never reinstalling: the install stamp counts as up to date);
    yields the URL it prints, token included."""
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    stamp = BIN.parent / ".installed"
    command = ["make", "-s", "-o", str(stamp), "app", f"APP_PORT={port}", f"VENV={BIN.parent}"]
    with log.open("w") as out:
        # Its own process group: make → sh → voila all stop together.
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=jupyter_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, proc, log)
        yield VoilaUrl(_printed_url(port, proc, log), log)
    finally:
        _stop(proc, group=True)


def _printed_url(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The URL `make app` prints, with its token, as a person would copy it."""
    deadline = time.monotonic() + timeout
    pattern = re.compile(rf"http://127\.0\.0\.1:{port}/\?token=[0-9a-f]+")
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text())
        if found:
            return found.group(0)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"`make app` printed no URL with a token:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def browser(browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def new_page(browser):
    """A page in a context of its own, recording failed, error-logging and off-machine requests
    in `page.problems`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.problems = {"failed": [], "console": [], "external": []}
    page.on(
        "requestfailed",
        lambda r: page.problems["failed"].append(f"{r.url} ({r.failure})"),
    )
    page.on(
        "console",
        lambda m: page.problems["console"].append(m.text) if m.type == "error" else None,
    )
    page.on(
        "request",
        lambda r: (
            None
            if re.match(r"(https?|wss?)://127\.0\.0\.1[:/]|data:|blob:", r.url)
            else page.problems["external"].append(r.url)
        ),
    )
    return page


def failed_in_call(node) -> bool:
    report = getattr(node, "report_call", None)
    return report is not None and report.failed


def keep_failure_artifacts(page, node) -> None:
    """A screenshot and the page's problems in test-artifacts/ for a failed test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", node.name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.json").write_text(json.dumps(page.problems, indent=2))
    except Exception as err:  # a screenshot must not hide the real failure
        print(f"screenshot failed: {err}")


@pytest.fixture
def page(browser, request):
    """A fresh page (own context) per test; a screenshot lands in test-artifacts/ on failure."""
    page = new_page(browser)
    yield page
    if failed_in_call(request.node):
        keep_failure_artifacts(page, request.node)
    page.context.close()


def shutdown_kernels(base: str, token: str) -> None:
    """Every session of the lab server deleted: its kernels stop."""
    headers = {"Authorization": f"token {token}"}
    request = urllib.request.Request(f"{base}/api/sessions", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        delete = urllib.request.Request(
            f"{base}/api/sessions/{session['id']}", headers=headers, method="DELETE"
        )
        urllib.request.urlopen(delete, timeout=10).close()


# JupyterLab's start in a new page is most of a test's Chromium time (its bundles parsed and run
# again: ~5 s of CPU on this machine), so the tests that use a notebook in the lab share one page
# per test process: each opens its notebook there (`open_notebook`) and `lab_page` closes it
# after. A test that fails leaves the page to be replaced, so one failure can't carry into the
# next test. (Opening a notebook from its URL in a fresh page is what `make lab`'s tests do.)
OPEN_NOTEBOOK_JS = """
async (path) => {
  const app = window.jupyterapp;
  await app.restored;
  await app.commands.execute('docmanager:open', {path: path, factory: 'Notebook'});
}
"""
# Closed without the "save your changes?" dialog: the copies are the server's, Run All changed them.
CLOSE_ALL_JS = """
async () => {
  const app = window.jupyterapp;
  for (const widget of Array.from(app.shell.widgets('main'))) {
    if (widget.context) widget.context.model.dirty = false;
    widget.dispose();
  }
  return document.querySelectorAll('.jp-NotebookPanel').length;
}
"""


class SharedLabPage:
    def __init__(self, browser, base: str, token: str) -> None:
        self.browser, self.page = browser, None
        self.url = f"{base}/lab/workspaces/notebook-tests?reset&token={token}"

    def get(self):
        if self.page is None:
            self.page = new_page(self.browser)
            self.page.goto(self.url)
            self.page.wait_for_function("() => window.jupyterapp !== undefined")
        return self.page

    def discard(self) -> None:
        if self.page is not None:
            self.page.context.close()
            self.page = None


@pytest.fixture(scope="package")
def shared_lab_page(browser, lab_server):
    shared = SharedLabPage(browser, *lab_server)
    yield shared
    shared.discard()


@pytest.fixture
def lab_page(shared_lab_page, lab_server, request):
    """The shared JupyterLab page, with no notebook open; every notebook is closed and every
    kernel shut down after the test."""
    page = shared_lab_page.get()
    page.problems = {name: [] for name in page.problems}
    yield page
    if failed_in_call(request.node):
        keep_failure_artifacts(page, request.node)
        shared_lab_page.discard()
    else:
        try:
            assert page.evaluate(CLOSE_ALL_JS) == 0
        except Exception:
            shared_lab_page.discard()
            raise
    shutdown_kernels(*lab_server)


def open_notebook(page, path: str) -> None:
    """Open a notebook (its path in the lab's root, e.g. "de/03-....ipynb") in the shared page."""
    page.evaluate(OPEN_NOTEBOOK_JS, path)
