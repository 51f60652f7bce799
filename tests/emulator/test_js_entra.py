"""The published JavaScript quickstart's way of signing in, offline: `DefaultAzureCredential` and
`COMMUNICATION_SERVICES_ENDPOINT`, with nothing but the lines `acs-emulator serve` prints.

Our own program (js/entra-id.js) authenticates exactly as Azure-Samples'
`access-tokens-quickstart/issue-access-token.js` does. It runs with the SDK versions that
sample's package.json allows (@azure/identity ^1.5.1, @azure/communication-identity ^1.2.0,
@azure/communication-common ^1.1.0: npm picks the newest match), and with @azure/identity 4.x,
which the sample's README installs (`npm install @azure/identity`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.support import node_against_a_fresh_service, npm_packages

HERE = Path(__file__).parent / "js"
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    # What the sample's package.json allows.
    "sample-package-json": [
        "@azure/identity@^1.5.1",
        "@azure/communication-identity@^1.2.0",
        "@azure/communication-common@^1.1.0",
    ],
    # What its README's `npm install` gets today; 4.13.1 is the newest 4.x for Node 20.
    "identity-4": ["@azure/identity@4.13.1", "@azure/communication-identity@^1.2.0"],
}


@pytest.fixture(scope="module", params=list(PACKAGES))
def js_packages(request) -> Path:
    """Each package set installed once into the test environment."""
    home = Path(sys.prefix) / f"acs-lab-js-entra-{request.param}"
    return npm_packages(home, PACKAGES[request.param], "@azure/identity")


def test_default_azure_credential_signs_in_with_only_the_exported_lines(js_packages, tmp_path):
    run = node_against_a_fresh_service(
        HERE / "entra-id.js", js_packages / "node_modules", tmp_path / "s"
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    major = "1" if "sample" in js_packages.name else "4"
    assert re.search(rf"^@azure/identity {major}\.\d+\.\d+$", out, re.M), out
    assert re.search(r"Entra token for https://communication.azure.com, valid for about 7\d", out)
    assert "Created an identity with ID: 8:acs:" in out
    assert re.search(r"Issued a 'voip' token \(3 parts\) expiring \d{4}-", out)
    assert "Deleted the identity with ID: 8:acs:" in out
    assert "Graph token refused, naming the served resource: true" in out
