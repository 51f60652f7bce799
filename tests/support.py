"""Small helpers shared by several test suites."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from azure.communication.identity import CommunicationIdentityClient


def sdk_client(connection_string: str, ca_bundle) -> CommunicationIdentityClient:
    """The real sync SDK client, trusting the local CA, failing at once instead of retrying."""
    return CommunicationIdentityClient.from_connection_string(
        connection_string, connection_verify=ca_bundle, retry_total=0
    )


def npm_packages(home: Path, packages: list[str], marker: str) -> Path:
    """`packages` installed once into `home` (npm registry; a few seconds); skips without Node.
    `marker` is a folder under node_modules whose presence means they are there already."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js and npm are needed for the JavaScript checks")
    if not (home / "node_modules" / marker).is_dir():
        home.mkdir(exist_ok=True)
        (home / "package.json").write_text('{"name": "acs-lab-js-check", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *packages],
            cwd=home,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return home
