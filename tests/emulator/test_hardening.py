"""The hostile review's attacks (issue 13), each run again: refused, or harmless, with one clear
line where a person is involved. (Memory under stalled connections, the oversized bodies and
the SIGKILL runs are in tests/reliability; `make app` in tests/browser/test_app.py.)"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import os
import re
import shlex
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from benchmarks.probes.client import API, read_head, tls_socket
from helpers.emulator import AdminClient, AdminError, sign_request, start, tls
from helpers.emulator.auth import ENTRA_AUDIENCE, ENTRA_ISSUER
from helpers.emulator.server import exports
from helpers.emulator.state import DamagedDatabase, StateError, ensure_state
from tests.support import sdk_client

from .conftest import raw_request

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REQUESTS_CA", "SSL_CERT"))}
    env.pop("COMMUNICATION_SERVICES_CONNECTION_STRING", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _cli(*args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.emulator", *args],
        env=_env(), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _one_line_refusal(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == "", "nothing may be printed for eval when it refuses"
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    return run.stderr


# --- 2: an empty (or short) access key turned authentication off ----------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "is empty"), (b"\n", "is empty"), (base64.b64encode(b"k" * 16), "has only 16 bytes"),
     (b"not base64!", "is not base64")],
    ids=["empty", "newline", "16-bytes", "not-base64"],
)  # fmt: skip
def test_a_weak_access_key_stops_the_service_from_starting(tmp_path, content, says):
    ensure_state(tmp_path)
    (tmp_path / "access-key").write_bytes(content)
    with pytest.raises(StateError, match=says):
        start(tmp_path)
    err = _one_line_refusal(_cli("serve", "--state-dir", str(tmp_path)))
    assert says in err and "delete the file to have a new key made" in err
    assert "accesskey=" not in err


def test_deleting_a_refused_key_makes_a_new_one(tmp_path):
    ensure_state(tmp_path)
    (tmp_path / "access-key").write_text("")
    (tmp_path / "access-key").unlink()
    with start(tmp_path) as emu:
        assert len(base64.b64decode(emu.access_key)) == 64


# --- 3: export lines were not shell-quoted -----------------------------------------------------


def test_export_lines_are_safe_to_eval_whatever_the_state_dir_path_holds(tmp_path):
    canary = tmp_path / "pwned"
    hostile = tmp_path / f'it\'s $(touch {canary}) `touch {canary}`; "x" \\ end'
    with start(hostile) as emu:
        lines = exports(emu)
        script = lines + '\nprintf "%s\\n" "$REQUESTS_CA_BUNDLE" "$NODE_EXTRA_CA_CERTS"'
        run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines() == [emu.ca_bundle, emu.ca_cert]
        assert not canary.exists(), "a crafted folder name ran a command"
        for line in lines.splitlines():
            name, value = shlex.split(line)[1].split("=", 1)
            assert line == f"export {name}={shlex.quote(value)}"


# --- 4: `eval "$(acs-emulator serve ...)"` never returned -------------------------------------


def _readme_block() -> list[str]:
    """The commands of the README's `serve --background` example, as written."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(eval \"\$\(\.venv/bin/acs-emulator serve --background.*?)```",
                      text, re.S)  # fmt: skip
    assert block, "the README's background example is gone"
    return [ln.split("   #")[0].rstrip() for ln in block.group(1).splitlines() if ln.strip()]


def test_the_readme_background_example_returns_and_works_as_written(tmp_path):
    lines = _readme_block()
    assert lines[0].startswith('eval "$(.venv/bin/acs-emulator serve --background')
    assert any(ln.startswith(".venv/bin/acs-emulator stop") for ln in lines)
    quickstart = tmp_path / "quickstart.py"
    quickstart.write_text(
        "import os\nfrom azure.communication.identity import CommunicationIdentityClient\n"
        "c = CommunicationIdentityClient.from_connection_string("
        "os.environ['COMMUNICATION_SERVICES_CONNECTION_STRING'])\n"
        "u = c.create_user()\nprint('token', len(c.get_token(u, ['voip']).token) > 100)\n"
    )
    # The README's lines as written, from the repository root; the quickstart runs right after
    # the eval (where the README says "your program"). Only the venv path may differ in CI.
    venv_bin = ".venv/bin/"
    if (ROOT / ".venv" / "bin").resolve() != BIN.resolve():
        lines = [ln.replace(venv_bin, f"{BIN}/") for ln in lines]
    script = "set -e\n" + lines[0] + f"\n{sys.executable} {shlex.quote(str(quickstart))}\n"
    script += "\n".join(lines[1:]) + "\n"
    env = _env(ACS_EMULATOR_HOME=str(tmp_path / "state"))
    t0 = time.monotonic()
    run = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert time.monotonic() - t0 < 100
    assert "token True" in run.stdout
    assert "export COMMUNICATION_SERVICES_CONNECTION_STRING=" in run.stdout  # the env line
    assert "stopped the service" in run.stderr
    assert not (tmp_path / "state" / "serve.pid").exists()


def test_background_serve_refuses_a_second_one_and_env_and_stop_say_when_nothing_runs(tmp_path):
    state = str(tmp_path / "state")
    nothing = _cli("env", "--state-dir", state)
    assert nothing.returncode == 2 and "no service is running" in nothing.stderr
    first = _cli("serve", "--background", "--state-dir", state)
    assert first.returncode == 0, first.stderr
    try:
        pairs = dict(shlex.split(ln)[1].split("=", 1) for ln in first.stdout.splitlines())
        endpoint = re.search(r"endpoint=(\S+?);", pairs["COMMUNICATION_SERVICES_CONNECTION_STRING"])
        with AdminClient(pairs["COMMUNICATION_SERVICES_CONNECTION_STRING"],
                         pairs["REQUESTS_CA_BUNDLE"]) as admin:  # fmt: skip
            assert admin.health()["status"] == "ok", endpoint
        # `env` repeats every line, the local Entra ID's (read from the pid file) included.
        assert {"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_SECRET"} <= set(pairs)
        assert _cli("env", "--state-dir", state).stdout == first.stdout
        second = _cli("serve", "--background", "--state-dir", state)
        assert second.returncode == 2 and "already running" in second.stderr
        assert second.stdout == ""
    finally:
        stopped = _cli("stop", "--state-dir", state)
    assert stopped.returncode == 0 and "stopped the service" in stopped.stderr
    key = pairs["COMMUNICATION_SERVICES_CONNECTION_STRING"].split("accesskey=")[1]
    log = (tmp_path / "state" / "serve.log").read_text()
    assert "serving https://127.0.0.1:" in log and key not in log
    again = _cli("stop", "--state-dir", state)
    assert again.returncode == 0 and "no service is running" in again.stderr


def test_background_serve_passes_on_a_start_failure_as_one_line(tmp_path):
    ensure_state(tmp_path)
    (tmp_path / "access-key").write_text("")
    run = _cli("serve", "--background", "--state-dir", str(tmp_path))
    assert "access key" in _one_line_refusal(run)
    (tmp_path / "access-key").unlink()
    with socket.socket() as taken:  # a failure only the started process meets
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _cli("serve", "--background", "--port", str(port), "--state-dir", str(tmp_path))
    err = _one_line_refusal(run)
    assert (
        err == f"acs-emulator: can't listen on 127.0.0.1:{port}: Address already in use; "
        "pick another --port\n"
    )
    assert not (tmp_path / "serve.pid").exists()


# --- 5: damaged databases --------------------------------------------------------------------


def _fill(state: Path, n: int) -> None:
    """`n` identities, all in the main database file (WAL checkpointed)."""
    with start(state) as emu:
        client = sdk_client(emu.connection_string, emu.ca_bundle)
        for _ in range(n):
            client.create_user()
    db = sqlite3.connect(state / "identities.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_a_zero_byte_database_is_refused_not_started_empty(tmp_path):
    _fill(tmp_path, 30)
    (tmp_path / "identities.sqlite3").write_bytes(b"")
    with pytest.raises(DamagedDatabase, match="is empty"):
        start(tmp_path)
    err = _one_line_refusal(_cli("serve", "--state-dir", str(tmp_path)))
    assert "restore it from a backup, or run `acs-emulator reset`" in err
    assert "empty" in _one_line_refusal(_cli("info", "--state-dir", str(tmp_path)))


def test_a_deleted_database_next_to_existing_keys_is_refused(tmp_path):
    _fill(tmp_path, 3)
    (tmp_path / "identities.sqlite3").unlink()
    with pytest.raises(DamagedDatabase, match="is missing"):
        start(tmp_path)


def test_garbage_in_middle_pages_is_refused_and_reset_sets_it_aside(tmp_path):
    _fill(tmp_path, 600)
    db = tmp_path / "identities.sqlite3"
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[3 * 4096 : 6 * 4096] = os.urandom(3 * 4096)
    db.write_bytes(bytes(data))
    with pytest.raises(DamagedDatabase, match="damaged"):
        start(tmp_path)
    reset = _cli("reset", "--state-dir", str(tmp_path))
    assert reset.returncode == 0, reset.stderr
    assert "moved to" in reset.stdout
    kept = [p for p in tmp_path.glob("identities.sqlite3.damaged-*") if p.suffix != ".sqlite3"]
    kept = [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
    assert kept and kept[0].read_bytes()[:4096] == bytes(data[:4096])
    with start(tmp_path) as emu, AdminClient(emu.connection_string, emu.ca_bundle) as admin:
        assert admin.identities() == []
        sdk_client(emu.connection_string, emu.ca_bundle).create_user()


def test_a_storage_error_at_run_time_is_a_503_envelope_logged_once(tmp_path, caplog):
    _fill(tmp_path, 600)
    db_path = tmp_path / "identities.sqlite3"
    with start(tmp_path) as emu, AdminClient(emu.connection_string, emu.ca_bundle) as admin:
        assert len(admin.identities()) == 600
        # Damage the file under the running service, then touch it from another connection
        # so the service's page cache is invalidated and it reads the garbage.
        size = db_path.stat().st_size
        with open(db_path, "r+b") as fh:
            fh.seek(4096)
            fh.write(os.urandom(size - 4096))
        other = sqlite3.connect(db_path)
        other.execute("PRAGMA user_version = 7")
        other.close()
        caplog.set_level(logging.ERROR, logger="helpers.emulator")
        statuses = []
        for _ in range(3):
            with pytest.raises(AdminError) as info:
                admin.identities()
            statuses.append((info.value.status, info.value.code))
        reply = raw_request(emu, "POST", f"/identities?{API}")
        assert reply.status == 503
        assert reply.headers["Content-Type"] == "application/json"  # errors: no charset, as Azure
        assert reply.json()["error"]["code"] == "ServiceUnavailable"
        assert "acs-emulator reset" in reply.json()["error"]["message"]
    assert statuses == [(503, "ServiceUnavailable")] * 3
    storage = [r for r in caplog.records if getattr(r, "acs_storage_error", False)]
    assert len(storage) >= 1
    assert len({r.getMessage() for r in storage}) == len(storage), "logged more than once"
    assert all("acs-emulator reset" in r.getMessage() for r in storage)


def test_bodies_held_at_once_are_bounded_and_released(tmp_path, monkeypatch):
    """Even correctly signed requests (from a holder of the key) can't pile up bodies: past the
    budget the answer is 503 ServerBusy, and a closed connection gives its share back."""
    from helpers.emulator import routes

    monkeypatch.setattr(routes, "BODY_BUDGET", 200 * 1024)
    body = b"{" + b" " * (150 * 1024 - 2) + b"}"
    target = f"/identities?{API}"

    def stalled(emu):
        url = f"https://127.0.0.1:{emu.port}{target}"
        headers = sign_request("POST", url, body, emu.access_key)
        sock = tls_socket(emu.port, emu.ca_cert)
        head = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:-1])
        return sock

    with start(tmp_path) as emu:
        first = stalled(emu)  # 150 KiB held, one byte short
        time.sleep(0.5)
        second = stalled(emu)  # would pass 200 KiB
        reply = read_head(second)
        assert reply.startswith(b"HTTP/1.1 503"), reply[:80]
        assert b'"ServerBusy"' in reply or b"ServerBusy" in second.recv(4096)
        second.close()
        first.sendall(body[-1:])  # the first one completes normally
        assert read_head(first).startswith(b"HTTP/1.1 201")
        first.close()
        third = stalled(emu)  # its share was given back
        third.sendall(body[-1:])
        assert read_head(third).startswith(b"HTTP/1.1 201")
        third.close()


# --- 7: header values in tornado's log ---------------------------------------------------------


def test_a_header_with_a_control_byte_does_not_put_its_value_in_the_log(emu, caplog):
    secret = "eyJhbGciOiJSUzI1NiJ9." + "s" * 300 + ".SIGNATURE-that-must-not-be-logged"
    caplog.set_level(logging.DEBUG)
    sock = tls_socket(emu.port, emu.ca_cert)
    try:
        sock.sendall(
            f"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {secret}\x01\r\n\r\n".encode()
        )
        reply = read_head(sock)
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 400")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Malformed HTTP message" in text  # the event is still logged...
    assert "SIGNATURE-that-must-not-be-logged" not in text and "sss" not in text  # ...not the value


def test_serve_console_never_shows_a_header_value(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", first).group(1))
        ca = str(tmp_path / "ca-cert.pem")
        for header in ("Authorization: Bearer eyJ-secret-token\x7f", "x-ms-date: \x00eyJ-secret"):
            sock = tls_socket(port, ca)
            try:
                sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n\r\n".encode())
                assert read_head(sock).startswith(b"HTTP/1.1 400")
            finally:
                sock.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "Malformed HTTP message" in err
    assert "eyJ-secret" not in err


# --- 8: the local CA could vouch for any name ---------------------------------------------------


def _leaf(state: Path, names: list[x509.GeneralName]) -> tuple[bytes, bytes]:
    """A server certificate for `names`, signed with the state dir's CA key."""
    ca = x509.load_pem_x509_certificate((state / tls.CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((state / tls.CA_KEY).read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _handshake(bundle: str, cert_pem: bytes, key_pem: bytes, hostname: str, tmp: Path) -> None:
    """A TLS handshake in memory: a client trusting `bundle` (as connect() sets it
    process-wide) against a server presenting `cert_pem`. Raises ssl.SSLError if refused."""
    (tmp / "leaf.pem").write_bytes(cert_pem)
    (tmp / "leaf-key.pem").write_bytes(key_pem)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp / "leaf.pem", tmp / "leaf-key.pem")
    client_ctx = ssl.create_default_context(cafile=bundle)
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, end in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        if c_out.pending:
            s_in.write(c_out.read())
        if s_out.pending:
            c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def test_the_local_ca_cannot_vouch_for_other_names(tmp_path):
    state = tmp_path / "state"
    st = ensure_state(state)
    bundle = str(st.ca_bundle)
    foreign = _leaf(state, [x509.DNSName("login.microsoftonline.com")])
    with pytest.raises(ssl.SSLCertVerificationError, match="(?i)name constraint|permitted"):
        _handshake(bundle, *foreign, "login.microsoftonline.com", tmp_path)
    outside_ip = _leaf(state, [x509.IPAddress(ipaddress.ip_address("10.0.0.1"))])
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(bundle, *outside_ip, "10.0.0.1", tmp_path)
    for name, host in ((x509.DNSName("localhost"), "localhost"),
                       (x509.IPAddress(ipaddress.ip_address("127.0.0.2")), "127.0.0.2"),
                       (x509.IPAddress(ipaddress.ip_address("::1")), "::1")):  # fmt: skip
        _handshake(bundle, *_leaf(state, [name]), host, tmp_path)  # still accepted


def test_the_ca_is_name_constrained_and_lives_months(emu):
    ca = x509.load_pem_x509_certificate(Path(emu.ca_cert).read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert set(constraints.value.permitted_subtrees) == {
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    }
    assert ca.not_valid_after_utc - ca.not_valid_before_utc <= dt.timedelta(days=181)
    server = x509.load_pem_x509_certificate((emu.state_dir / tls.SERVER_CERT).read_bytes())
    assert server.not_valid_after_utc <= ca.not_valid_after_utc


def _old_style_ca(state: Path, days: int, constrained: bool, age_days: int = 0) -> None:
    """Replace the state dir's CA with one made like an older version (or one near its end)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old local CA")])
    start_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=age_days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start_at)
        .not_valid_after(start_at + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    )
    if constrained:
        builder = builder.add_extension(tls.PERMITTED, critical=True)
    cert = builder.sign(key, hashes.SHA256())
    (state / tls.CA_KEY).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )  # fmt: skip
    )
    (state / tls.CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(state / tls.CA_KEY, 0o600)


def test_an_old_unconstrained_ten_year_ca_is_replaced_at_the_next_start(tmp_path):
    ensure_state(tmp_path)
    _old_style_ca(tmp_path, days=3650, constrained=False)
    old_pem = (tmp_path / tls.CA_CERT).read_bytes()
    with start(tmp_path) as emu:
        new_pem = Path(emu.ca_cert).read_bytes()
        assert new_pem != old_pem and old_pem not in Path(emu.ca_bundle).read_bytes()
        ca = x509.load_pem_x509_certificate(new_pem)
        assert ca.extensions.get_extension_for_class(x509.NameConstraints).critical
        assert new_pem.count(b"BEGIN CERTIFICATE") == 1  # the unconstrained one is not kept
        client = sdk_client(emu.connection_string, emu.ca_bundle)
        client.create_user()


def test_a_ca_near_its_end_is_renewed_and_a_service_started_before_stays_reachable(
    tmp_path, monkeypatch
):
    ensure_state(tmp_path)
    _old_style_ca(tmp_path, days=tls.CA_DAYS, constrained=True, age_days=tls.CA_DAYS - 40)
    (tmp_path / tls.SERVER_CERT).unlink()  # signed by the CA replaced above
    with start(tmp_path) as before:  # 40 days left: kept, and it signs the server certificate
        old_ca = x509.load_pem_x509_certificate(Path(before.ca_cert).read_bytes())
        assert old_ca.subject.rfc4514_string() == "CN=old local CA"
        # As if 15 days had passed: 25 days left, inside RENEW_BEFORE (30 days).
        monkeypatch.setattr(tls, "RENEW_BEFORE", dt.timedelta(days=45))
        ensure_state(tmp_path)  # any start now renews it
        monkeypatch.undo()
        pem = Path(before.ca_cert).read_bytes()
        assert pem.count(b"BEGIN CERTIFICATE") == 2
        new_ca = x509.load_pem_x509_certificate(pem)
        assert new_ca.subject != old_ca.subject
        left = new_ca.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
        assert left > dt.timedelta(days=170)
        client = sdk_client(before.connection_string, before.ca_bundle)
        client.create_user()  # the old CA stays trusted until it ends
    with start(tmp_path) as after:  # a new start gets a certificate from the new CA
        sdk_client(after.connection_string, after.ca_bundle).create_user()


# --- 9: bearer tokens of any lifetime -------------------------------------------------------------


def _bearer(state: Path, lifetime: int, **override) -> str:
    key = serialization.load_pem_private_key((state / "entra-signing-key.pem").read_bytes(), None)
    now = int(time.time())
    claims = {"aud": ENTRA_AUDIENCE, "iss": ENTRA_ISSUER, "iat": now, "nbf": now,
              "exp": now + lifetime, "oid": str(uuid.uuid4())}  # fmt: skip
    claims.update(override)
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.mark.parametrize(
    ("lifetime", "override", "status"),
    [(3600, {}, 200), (24 * 3600, {}, 200), (24 * 3600 + 1, {}, 401),
     (0, {"exp": 253402300799}, 401),  # 9999-12-31
     (3600, {"nbf": int(time.time()) - 30 * 3600}, 401),
     # Times as numeric strings: PyJWT takes them, the service must refuse them (was a 500).
     (3600, {"iat": str(int(time.time()))}, 401)],
    ids=["1h", "24h", "24h+1s", "year-9999", "nbf-30h-before", "iat-as-string"],
)  # fmt: skip
def test_bearer_tokens_live_no_longer_than_entra_gives(emu, lifetime, override, status):
    token = _bearer(emu.state_dir, lifetime, **override)
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    reply = raw_request(emu, "GET", "/_emulator/health", sign=False, headers=headers)
    assert reply.status == status, reply.body


# --- 10: start(host="0.0.0.0") bound silently -------------------------------------------------


def test_starting_on_a_wildcard_address_warns(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="helpers.emulator")
    with start(tmp_path, host="0.0.0.0"):
        pass
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "listening on 0.0.0.0, which other machines can reach" in text
    caplog.clear()
    with start(tmp_path):
        pass
    assert not caplog.records


# --- 11: over-long headers got no answer -------------------------------------------------------


@pytest.mark.parametrize("kib", [20, 63, 80])
def test_an_over_long_request_head_gets_a_431_envelope(emu, kib):
    sock = tls_socket(emu.port, emu.ca_cert)
    try:
        sock.sendall(
            f"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * kib * 1024}"
            "\r\n\r\n".encode()
        )
        data = read_head(sock)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
    finally:
        sock.close()
    assert head.startswith(b"HTTP/1.1 431"), data[:100]
    assert re.search(rb"(?i)content-type: application/json\r\n", head), head
    assert json.loads(body)["error"]["code"] == "RequestHeaderFieldsTooLarge"


# --- 12: a state dir made beforehand by someone else ------------------------------------------


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_state_dir_others_can_write_or_own_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(StateError, match="can be written by other users .mode 777.*chmod go-w"):
        ensure_state(shared)
    err = _one_line_refusal(_cli("serve", "--state-dir", str(shared)))
    assert "chmod go-w" in err
    if os.getuid() == 0:  # only root can give a folder away
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, 4242, 4242)
        with pytest.raises(StateError, match=r"belongs to another user \(uid 4242\)"):
            ensure_state(theirs)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_key_file_others_can_read_is_refused(tmp_path):
    ensure_state(tmp_path)
    (tmp_path / "ca-key.pem").chmod(0o644)
    with pytest.raises(StateError, match="ca-key.pem can be read by other users .mode 644"):
        ensure_state(tmp_path)
