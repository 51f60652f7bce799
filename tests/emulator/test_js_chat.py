"""The JavaScript chat SDK (`@azure/communication-chat`, npm), unmodified, against
`acs-emulator serve` with only its exports: the same chat rules as for the Python SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import npm_packages

from .test_chat import no_errors_logged, serve, stop

HERE = Path(__file__).parent / "js"
PACKAGES = [
    "@azure/communication-chat@1.6.0",
    "@azure/communication-common@2.5.0",
    "@azure/communication-identity@1.3.1",
]


@pytest.fixture(scope="module")
def js_chat() -> Path:
    home = Path(sys.prefix) / "acs-lab-js-chat"
    return npm_packages(home, PACKAGES, "@azure/communication-chat")


def test_the_javascript_chat_sdk_chats_with_lab_tokens(js_chat, tmp_path):
    served = serve(tmp_path / "state", tmp_path / "serve.log")
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("COMMUNICATION_", "NODE_EXTRA_CA"))}  # fmt: skip
        env.update(served.exports)
        env["NODE_PATH"] = str(js_chat / "node_modules")
        run = subprocess.run(
            ["node", str(HERE / "chat.js")], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        stop(served)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "@azure/communication-chat 1.6.0" in out
    assert "Alice sent message <id>" in out
    assert "Bob read: Hello Bob (from Alice)" in out
    assert "Participants: -, Bob" in out
    assert "Topic: Lunch" in out
    assert "voip token: 401 Unauthorized" in out
    assert "stranger: 403 Forbidden" in out
    assert "revoked token: 401 Unauthorized" in out
    assert "deleted identity: 401 Unauthorized" in out
    assert "Alice deleted the thread with a new token" in out
    no_errors_logged(served)
