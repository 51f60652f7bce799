"""Small helpers shared by several test suites."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from azure.communication.identity import CommunicationIdentityClient

from benchmarks.probes.client import parse_export

ROOT = Path(__file__).resolve().parents[1]


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


def read_exports(proc: subprocess.Popen, count: int = 9) -> dict[str, str]:
    """The variables a `serve` process prints (all nine: connection string, CA, Entra ID)."""
    exported = {}
    while len(exported) < count:
        line = proc.stdout.readline()
        assert line, "the service stopped before printing its variables"
        pair = parse_export(line)
        if pair:
            exported[pair[0]] = pair[1]
    return exported


def bare_env(exported: dict[str, str]) -> dict[str, str]:
    """Only what the machine needs to run a program, plus the exported lines: no Azure settings."""
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    return {**{k: v for k, v in os.environ.items() if k in keep}, **exported}


def node_against_a_fresh_service(
    script: Path, node_modules: Path, state_dir: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Runs `node script args` with only what `acs-emulator serve` prints (a fresh service on
    `state_dir`, stopped afterwards) and the given packages: as a JavaScript user would."""
    serve = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        env = bare_env(read_exports(serve))
        env["NODE_PATH"] = str(node_modules)
        return subprocess.run(
            ["node", str(script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        serve.terminate()
        serve.wait(timeout=15)
