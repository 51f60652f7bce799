"""The JavaScript SDK, unmodified, against `acs-emulator serve`: the same wire protocol serves
both SDKs (JS signs differently: compact JSON, percent-encoded ids, no client-request-id echo)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.support import node_against_a_fresh_service, npm_packages

HERE = Path(__file__).parent / "js"
JS_SDK = "@azure/communication-identity@1.3.1"


@pytest.fixture(scope="module")
def js_sdk() -> Path:
    """The JS SDK installed once into the test environment."""
    home = Path(sys.prefix) / "acs-lab-js-sdk"
    return npm_packages(home, [JS_SDK], "@azure/communication-identity")


def test_the_javascript_quickstart_runs_against_the_local_service(js_sdk, tmp_path):
    run = node_against_a_fresh_service(
        HERE / "quickstart.js", js_sdk / "node_modules", tmp_path / "state", timeout=60
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "Created an identity with ID: 8:acs:" in out
    assert re.search(r"expires at \w{3} \w{3} \d\d \d{4} .*:\n\(\d+ chars, 3 parts\)", out)
    assert "One-hour token expires in 1 h" in out
    assert "Successfully revoked all access tokens" in out
    assert "After delete: 404 IdentityNotFound" in out
    assert "No scopes: 400 Invalid scopes - Scopes field is required." in out
