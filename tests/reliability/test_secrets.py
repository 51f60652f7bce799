"""Secrets: keys and full tokens never reach logs, CLI output, errors or reprs; key files are
0600; the service listens on loopback. (Committed notebooks are scanned by tests/unit.)"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.probes.fuzz import fuzz_ids, run_fuzz
from benchmarks.probes.hostile import time_to_413
from benchmarks.probes.service import ROOT
from helpers import identity
from helpers.connection import Backend
from helpers.emulator import AdminClient, AdminError
from helpers.emulator.auth import decode_key
from helpers.emulator.state import ensure_state
from helpers.emulator.tokens import TokenService
from tests.support import sdk_client

KEY_FILES = ("access-key", "token-signing-key.pem", "entra-signing-key.pem", "ca-key.pem",
             "server-key.pem")  # fmt: skip


def secrets_of(state_dir: Path) -> list[str]:
    """The strings that must never appear: the access key, and every private key's body."""
    found = [(state_dir / "access-key").read_text().strip()]
    for name in KEY_FILES[1:]:
        body = [ln for ln in (state_dir / name).read_text().splitlines() if "-----" not in ln]
        found.append("".join(body)[:40])  # any 40 chars of the key body would be a leak
        found.append(body[1])
    return found


def assert_clean(text: str, secrets: list[str], tokens: list[str], where: str) -> None:
    for s in secrets:
        assert s not in text, f"a key leaked into {where}"
    for t in tokens:
        assert t not in text, f"a full token leaked into {where}"
        assert t.split(".")[2] not in text, f"a token signature leaked into {where}"


def test_full_run_logs_errors_and_reprs_hold_no_secrets(rel_emu, captured_logs):
    secrets = secrets_of(Path(rel_emu.state_dir))
    tokens: list[str] = []
    texts: list[tuple[str, str]] = []
    client = sdk_client(rel_emu.connection_string, rel_emu.ca_bundle)
    who, tok = identity.create_identity_and_token(client, ["chat", "voip"])
    tokens.append(tok.token)
    tokens.append(identity.issue_token(client, who, ["voip"], 90).token)
    identity.revoke_tokens(client, who)
    texts.append(("IssuedToken repr", repr(tok) + str(tok)))
    minted = TokenService(Path(rel_emu.state_dir) / "token-signing-key.pem", rel_emu.resource_id)
    raw = minted.mint(who.id, ["chat"], 60, 1_700_000_000_000_000_000)
    tokens.append(raw.token)
    texts.append(("emulator IssuedToken repr", repr(raw) + str(raw)))
    texts.append(("Emulator repr", repr(rel_emu) + str(rel_emu)))
    texts.append(("State repr", repr(ensure_state(rel_emu.state_dir))))
    backend = Backend("emulator", rel_emu.endpoint, "access key", rel_emu.connection_string)
    texts.append(("Backend repr", repr(backend) + str(backend) + backend.describe()))
    admin = AdminClient(rel_emu.connection_string, ca_bundle=rel_emu.ca_bundle)
    texts.append(("AdminClient repr", repr(admin)))
    assert identity.check_token(client, tokens[0], admin=admin).status == "revoked"

    # Errors of every kind, raw and translated.
    wrong = base64.b64encode(b"w" * 64).decode()
    bad_conn = rel_emu.connection_string.replace(rel_emu.access_key, wrong)
    bad_client = sdk_client(bad_conn, rel_emu.ca_bundle)
    failures = [
        lambda: identity.create_identity(bad_client),
        lambda: identity.issue_token(client, tokens[0], ["chat"]),  # a token pasted as an id
        lambda: identity.issue_token(client, who.id + "x" * 300, ["chat"]),
        lambda: identity.delete_identity(client, who.id.replace("_", "_0")),
        lambda: identity.check_token(
            client, tokens[0] + "x", admin=AdminClient(bad_conn, rel_emu.ca_bundle)
        ),
        lambda: bad_client.create_user(),
        lambda: client.get_token(who, ["nope"]),
        lambda: AdminClient(bad_conn, rel_emu.ca_bundle).introspect(tokens[0]),
    ]
    for fail in failures:
        with pytest.raises(Exception) as info:  # each one is some failure
            fail()
        err = info.value
        texts.append((f"{type(err).__name__}", f"{err}\n{err!r}\n{getattr(err, 'message', '')}"))
        if not isinstance(err, identity.LabError | AdminError):
            lab = identity.describe_error(err, client)
            texts.append(("LabError", f"{lab}\n{lab!r}"))

    # Hostile traffic as well, so error paths log what they log.
    args = (rel_emu.port, rel_emu.access_key, rel_emu.ca_cert)
    run_fuzz(*args, 150, seed=3, ids=fuzz_ids(*args))
    time_to_413(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert, 3 * 2**20)

    assert captured_logs.lines, "the emulator logged nothing at DEBUG: capture is broken"
    texts.append(("emulator logs at DEBUG", "\n".join(captured_logs.lines)))
    for where, text in texts:
        assert_clean(text, secrets, tokens, where)


def test_service_repr_holds_no_key(rel_emu):
    service = rel_emu._service()
    try:
        text = repr(service)
    finally:
        service.store.close()
    key = decode_key(rel_emu.access_key)
    assert "resource_id=" in text  # a real dataclass repr, not an empty one
    for shown in (repr(key), repr(key)[2:42], key.hex(), rel_emu.access_key):
        assert shown not in text


def _cli(*args, state_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "helpers.emulator", *args, "--state-dir", str(state_dir)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cli_output_holds_no_secrets_and_key_files_are_private(tmp_path):
    state = tmp_path / "state"
    outputs = [_cli("info", state_dir=state), _cli("reset", state_dir=state),
               _cli("info", state_dir=state)]  # fmt: skip
    secrets = secrets_of(state)
    for run in outputs:
        assert run.returncode == 0, run.stderr
        assert_clean(run.stdout + run.stderr, secrets, [], "CLI output")
    for name in KEY_FILES:
        mode = stat.S_IMODE((state / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def _listening(port: int) -> set[str]:
    """Local addresses in LISTEN state for `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, _, state = line.split()[1:4]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_service_listens_on_loopback_only(rel_emu):
    assert _listening(rel_emu.port) == {"0100007F"}  # 127.0.0.1, little-endian hex
    # The local Entra ID's managed-identity endpoint too.
    assert _listening(rel_emu.managed_identity.port) == {"0100007F"}
