"""The JavaScript SDK, unmodified, against `acs-emulator serve`: the same wire protocol serves
both SDKs (JS signs differently: compact JSON, percent-encoded ids, no client-request-id echo)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.stress import EXPORTED, parse_export

HERE = Path(__file__).parent / "js"
JS_SDK = "@azure/communication-identity@1.3.1"


@pytest.fixture(scope="module")
def js_sdk() -> Path:
    """The JS SDK installed once into the test environment (npm registry; a few seconds)."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js and npm are needed for the JavaScript SDK check")
    home = Path(sys.prefix) / "acs-lab-js-sdk"
    if not (home / "node_modules" / "@azure" / "communication-identity").is_dir():
        home.mkdir(exist_ok=True)
        (home / "package.json").write_text('{"name": "acs-lab-js-check", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", JS_SDK],
            cwd=home,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return home


def test_the_javascript_quickstart_runs_against_the_local_service(js_sdk, tmp_path):
    serve = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--port", "0"]
        + ["--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        exports = {}
        while not set(EXPORTED) <= set(exports):
            line = serve.stdout.readline()
            assert line, "the service stopped before printing its variables"
            pair = parse_export(line)
            if pair:
                exports[pair[0]] = pair[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
        env.update(exports)
        env["NODE_PATH"] = str(js_sdk / "node_modules")
        run = subprocess.run(
            ["node", str(HERE / "quickstart.js")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        serve.terminate()
        serve.wait(timeout=15)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "Created an identity with ID: 8:acs:" in out
    assert re.search(r"expires at \w{3} \w{3} \d\d \d{4} .*:\n\(\d+ chars, 3 parts\)", out)
    assert "One-hour token expires in 1 h" in out
    assert "Successfully revoked all access tokens" in out
    assert "After delete: 404 IdentityNotFound" in out
    assert "No scopes: 400 Invalid scopes - Scopes field is required." in out
