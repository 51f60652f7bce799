"""`python -m helpers.emulator serve` plus an unmodified quickstart in a separate process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.probes.client import EXPORTED, parse_export

ROOT = Path(__file__).resolve().parents[2]

QUICKSTART = """
import os
import pytest
from datetime import timedelta
from azure.communication.identity import CommunicationIdentityClient

client = CommunicationIdentityClient.from_connection_string(
    os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"])
identity = client.create_user()
print("Created an identity with ID: " + identity.properties["id"])
token_result = client.get_token(identity, ["voip"])
print("Issued an access token with 'voip' scope that expires at " + token_result.expires_on + ":")
token_result = client.get_token(identity, ["voip"], token_expires_in=timedelta(hours=1))
client.revoke_tokens(identity)
client.delete_user(identity)
print("Deleted the identity")
"""


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REQUESTS_CA", "SSL_CERT"))}
    env.pop("COMMUNICATION_SERVICES_CONNECTION_STRING", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_serve_quickstart_and_sigterm(tmp_path):
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.emulator",
            "serve",
            "--port",
            "0",
            "--state-dir",
            str(state),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    try:
        exports = {}
        while not set(EXPORTED) <= set(exports):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            pair = parse_export(line)
            if pair:
                exports[pair[0]] = pair[1]
        assert exports["NODE_EXTRA_CA_CERTS"].endswith("ca-cert.pem")
        assert exports["SSL_CERT_FILE"] == exports["REQUESTS_CA_BUNDLE"]
        run = subprocess.run(
            [sys.executable, "-c", QUICKSTART],
            env=_env(**exports),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert "Created an identity with ID: 8:acs:" in run.stdout
        assert re.search(r"expires at \S+\.\d{7}\+00:00:", run.stdout)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        err = proc.stderr.read()
        key = exports["COMMUNICATION_SERVICES_CONNECTION_STRING"].split("accesskey=")[1]
        assert key not in err and "eyJ" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    info = subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "info", "--state-dir", str(state)],
        env=_env(), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert info.returncode == 0
    assert "1 deleted" in info.stdout and key not in info.stdout
    assert "https://127.0.0.1:" in info.stdout
    reset = subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "reset", "--state-dir", str(state)],
        env=_env(), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert reset.returncode == 0


def test_non_loopback_host_warns(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--host", "0.0.0.0",
         "--state-dir", str(tmp_path / "s")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        warning = proc.stderr.readline()
        assert "WARNING listening on 0.0.0.0, which other machines can reach" in warning
        assert proc.stdout.readline().startswith("export COMMUNICATION_SERVICES_CONNECTION_STRING=")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _one_line_exit_2(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    assert out == "" and "Traceback" not in err and err.count("\n") == 1, err
    return err


def cli(*args, state) -> subprocess.Popen:
    """`acs-emulator ARGS --state-dir STATE` started (several run at once: each is a start-up)."""
    return subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", *args, "--state-dir", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip


def test_port_in_use_and_a_damaged_state_dir_are_one_line_and_exit_2(tmp_path):
    from helpers.emulator.state import ensure_state

    good, bad_json, bad_key = (tmp_path / n for n in ("good", "bad-json", "bad-key"))
    for state in (good, bad_json, bad_key):
        ensure_state(state)
    (bad_json / "resource.json").write_text("{not json")
    (bad_key / "token-signing-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # All at once: each is a Python start-up.
        procs = {
            "in use": cli("serve", "--port", str(port), state=good),
            "bad json": cli("serve", state=bad_json),
            "bad key": cli("serve", state=bad_key),
            "info on a file": cli("info", state=a_file),
            "reset bad json": cli("reset", state=bad_json),
        }
        errs = {name: _one_line_exit_2(proc) for name, proc in procs.items()}
    assert errs["in use"] == (
        f"acs-emulator: can't listen on 127.0.0.1:{port}: Address already in use; "
        "pick another --port\n"
    )
    for name, state in (("bad json", bad_json), ("bad key", bad_key),
                        ("info on a file", a_file), ("reset bad json", bad_json)):  # fmt: skip
        assert errs[name].startswith(f"acs-emulator: can't use the state dir {state}: "), errs
    assert "JSONDecodeError" in errs["bad json"] and "FileExistsError" in errs["info on a file"]


def test_a_port_out_of_range_is_one_line_and_exit_2_never_another_port(tmp_path):
    """`--port 70000` used to serve on 4464 (the socket layer wraps round) and a 20-digit
    port printed an OverflowError traceback."""
    state = tmp_path / "s"
    cases = ("70000", "65536", "12345678901234567890", "-1", "80.5", "eighty", "")
    procs = {
        (port, mode): cli("serve", *mode, f"--port={port}", state=state)
        for port in cases
        for mode in ((), ("--background",))
    }
    for (port, _mode), proc in procs.items():
        err = _one_line_exit_2(proc)
        assert err.startswith("acs-emulator: --port must be a whole number from 0 to 65535"), err
        assert repr(port[:20]) in err
    assert not (state / "serve.pid").exists()


def test_emulator_refuses_a_port_the_socket_layer_would_wrap():
    from helpers.emulator import Emulator

    for port in (70000, -1, 2**70, True, "4464"):
        with pytest.raises(ValueError, match="port must be a whole number from 0 to 65535"):
            Emulator(port=port)
