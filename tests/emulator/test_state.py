"""Revocation, deletion, reset and restart, proven through introspection; shared state dirs."""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import stat
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.emulator import AdminClient, AdminError, Emulator, default_state_dir, start
from helpers.emulator.state import ensure_state
from helpers.emulator.tokens import _check_payload
from tests.support import sdk_client


def _client(emu):
    return sdk_client(emu.connection_string, emu.ca_bundle)


def test_revoke_then_issue_within_one_second(client, admin):
    user = client.create_user()
    old = client.get_token(user, ["voip"]).token
    assert admin.introspect(old)["status"] == "valid"
    client.revoke_tokens(user)
    new = client.get_token(user, ["voip"]).token
    assert admin.introspect(old)["status"] == "revoked"
    assert admin.introspect(new)["status"] == "valid"
    client.delete_user(user)
    report = admin.introspect(new)
    assert report["status"] == "identityDeleted"
    assert report["identity"] == user.properties["id"] and report["scopes"] == ["voip"]
    assert set(report) == {"status", "identity", "scopes", "issuedAt", "expiresAt", "reason"}


def test_introspect_other_statuses(emu, client, admin, tmp_path):
    _, tok = client.create_user_and_token(["chat"])
    head, payload, sig = tok.token.split(".")
    claims = json.loads(base64.b64decode(payload + "=="))
    claims["acsScope"] = "chat,voip"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert admin.introspect(f"{head}.{forged}.{sig}")["status"] == "badSignature"
    assert admin.introspect("abc")["status"] == "malformed"
    assert admin.introspect("a.b.c")["status"] == "malformed"
    with start(tmp_path / "other") as other:
        _, foreign = _client(other).create_user_and_token(["chat"])
    assert admin.introspect(foreign.token)["status"] == "otherResource"
    # Expiry cannot be waited for; ask the service directly with a clock two days ahead.
    from helpers.emulator.store import Store
    from helpers.emulator.tokens import TokenService

    svc = TokenService(emu.state_dir / "token-signing-key.pem", emu.resource_id)
    store = Store(emu.state_dir / "identities.sqlite3", emu.resource_id)
    assert svc.introspect(tok.token, store, now=time.time() + 2 * 86400)["status"] == "expired"
    store.close()


NONE_HEADER = "eyJhbGciOiJub25lIn0"
OUT_OF_RANGE = [
    {"iat": 1e300},
    {"exp": 10**30},
    {"iat": -(10**30)},
    {"exp": -1e300},
    {"iat": float("inf")},
    {"exp": float("-inf")},
    {"iat": float("nan")},
    {"iatNs": float("inf")},
    {"iat": 253402300800},  # the first second of year 10000
]


@pytest.mark.parametrize("change", OUT_OF_RANGE, ids=lambda c: json.dumps(c, allow_nan=True))
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_introspect_out_of_range_times_is_malformed(emu, admin, change, signed):
    iat = int(time.time())
    claims = {"skypeid": f"acs:{emu.resource_id}_x", "scp": 1792, "iat": iat, "exp": iat + 3600,
              "acsScope": "chat", "resourceId": emu.resource_id, **change}  # fmt: skip
    raw = json.dumps(claims).encode()  # json writes Infinity and NaN, as a forger could
    if signed:  # with the service's own key: only the claims are wrong
        key = serialization.load_pem_private_key(
            (emu.state_dir / "token-signing-key.pem").read_bytes(), password=None
        )
        token = jwt.api_jws.encode(raw, key, algorithm="RS256")
    else:  # {"alg":"none"}, and no signature
        token = f"{NONE_HEADER}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.sig"
    report = admin.introspect(token)  # the admin client raises on any non-2xx answer
    assert report["status"] == "malformed"
    assert report["reason"] == "The token's times (iat, exp, iatNs) are not valid timestamps."
    assert report["issuedAt"] is None and report["expiresAt"] is None


def test_introspect_deeply_nested_claims_is_malformed(admin):
    b64 = base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
    assert admin.introspect(f"{NONE_HEADER}.{b64}.sig")["status"] == "malformed"


def test_admin_errors_are_raised(emu, admin):
    with pytest.raises(AdminError) as exc:
        admin._call("POST", "/_emulator/tokens:introspect", {"token": 5})
    assert exc.value.status == 400


@pytest.mark.parametrize(
    "conn, problem",
    [
        ("", "is empty"),
        ("accesskey=c2VjcmV0LWtleQ==", "has no 'endpoint=' part"),
        ("endpoint=https://127.0.0.1:1/", "has no 'accesskey=' part"),
        ("endpoint=http://127.0.0.1:1/;accesskey=c2VjcmV0LWtleQ==", "has an http:// endpoint"),
        ("endpoint=https://127.0.0.1:1/;accesskey=not base64!", "is not base64"),
    ],
)
def test_admin_client_refuses_a_malformed_connection_string(conn, problem):
    with pytest.raises(ValueError) as exc:
        AdminClient(conn)
    assert str(exc.value).startswith("The connection string ") and problem in str(exc.value)
    assert "c2VjcmV0LWtleQ" not in str(exc.value) and "not base64!" not in str(exc.value)


def test_identities_listing_and_reset_never_reuses_ids(tmp_path):
    with start(tmp_path / "s") as emu, AdminClient(emu.connection_string, emu.ca_bundle) as adm:
        c = _client(emu)
        ids = {c.create_user().properties["id"] for _ in range(3)}
        user, tok = c.create_user_and_token(["chat"])
        c.revoke_tokens(user)
        c.delete_user(user)
        rows = {r["id"]: r for r in adm.identities()}
        assert set(rows) == ids | {user.properties["id"]}
        row = rows[user.properties["id"]]
        assert row["revokedAt"] and row["deletedAt"] and row["lastTokenIssuedAt"]
        assert adm.health() == {"status": "ok", "resourceId": emu.resource_id}
        adm.reset()
        assert adm.identities() == []
        assert adm.introspect(tok.token)["status"] == "identityDeleted"
        new = {c.create_user().properties["id"] for _ in range(3)}
        assert not new & (ids | {user.properties["id"]})


def test_restart_keeps_identities_and_revocations(tmp_path):
    state = tmp_path / "s"
    with start(state) as emu:
        c = _client(emu)
        user = c.create_user()
        old = c.get_token(user, ["chat"]).token
        c.revoke_tokens(user)
        key, resource = emu.access_key, emu.resource_id
    with start(state) as emu, AdminClient(emu.connection_string, emu.ca_bundle) as adm:
        assert (emu.access_key, emu.resource_id) == (key, resource)
        assert adm.introspect(old)["status"] == "revoked"
        new = _client(emu).get_token(user, ["chat"]).token
        assert adm.introspect(new)["status"] == "valid"


def test_start_after_stop_waits_until_listening_and_reports_a_bind_failure(tmp_path):
    emu = start(tmp_path)
    port = emu.port
    emu.stop()
    emu.start()  # same port again
    try:
        with AdminClient(emu.connection_string, emu.ca_bundle) as adm:
            assert adm.health()["status"] == "ok"  # at once: start() waited for the listener
    finally:
        emu.stop()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(OSError):
            emu.start()
    assert emu._thread is None
    emu.start()  # the port is free again: the earlier failure is not reported twice
    emu.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_failed_start_leaves_no_socket_bound(tmp_path, monkeypatch):
    port = _free_port()
    emu = Emulator(tmp_path, port=port)

    def broken_ssl_context(self):
        raise ssl.SSLError("no certificate")

    monkeypatch.setattr(Emulator, "_ssl_context", broken_ssl_context)
    with pytest.raises(ssl.SSLError) as exc:
        emu.start()
    assert _port_is_free(port), exc.value  # (exc keeps the failed frame, and its locals, alive)
    monkeypatch.undo()
    (tmp_path / "last-serve.json").mkdir()  # now it fails after the bind, in write_last_serve
    with pytest.raises(OSError) as exc:
        emu.start()
    assert _port_is_free(port), exc.value


@pytest.mark.parametrize("lost", ["server-key.pem", "server-cert.pem"])
def test_a_lost_server_key_or_cert_is_made_again(tmp_path, lost):
    ensure_state(tmp_path)
    (tmp_path / lost).unlink()
    with start(tmp_path) as emu, AdminClient(emu.connection_string, emu.ca_bundle) as adm:
        assert adm.health()["status"] == "ok"
    assert (tmp_path / lost).exists()


def test_two_instances_on_one_state_dir_agree(tmp_path):
    state = tmp_path / "shared"
    with start(state) as a, start(state) as b:
        ca, cb = _client(a), _client(b)
        user = ca.create_user()
        tok = cb.get_token(user, ["voip"]).token  # created on A, used on B
        adm_a = AdminClient(a.connection_string, a.ca_bundle)
        assert adm_a.introspect(tok)["status"] == "valid"
        ca.revoke_tokens(user)
        assert AdminClient(b.connection_string, b.ca_bundle).introspect(tok)["status"] == "revoked"
        cb.delete_user(user)
        with pytest.raises(Exception) as exc:
            ca.get_token(user, ["voip"])
        assert exc.value.status_code == 404


def test_state_dir_files_and_permissions(emu):
    for name in ("access-key", "token-signing-key.pem", "entra-signing-key.pem", "ca-key.pem",
                 "server-key.pem"):  # fmt: skip
        assert stat.S_IMODE(os.stat(emu.state_dir / name).st_mode) == 0o600, name
    bundle = Path(emu.ca_bundle).read_text()
    assert Path(emu.ca_cert).read_text() in bundle and bundle.count("BEGIN CERTIFICATE") > 50
    assert emu.access_key not in repr(emu)
    assert emu.connection_string == f"endpoint={emu.endpoint};accesskey={emu.access_key}"


def test_store_create_records_a_token_issue_only_with_a_token(tmp_path):
    from helpers.emulator.store import Store

    store = Store(tmp_path / "db.sqlite3", "00000000-0000-0000-0000-0000000000aa")
    try:
        plain, created = store.create()
        with_token, issued = store.create(with_token=True)
        assert plain != with_token and issued >= created
        row, row_t = store.get(plain), store.get(with_token)
        assert (row.created_ns, row.last_token_ns) == (created, None)
        assert (row_t.created_ns, row_t.last_token_ns) == (issued, issued)
    finally:
        store.close()


def test_state_dir_mode_is_set_only_on_a_folder_it_creates(tmp_path):
    mine = tmp_path / "project"
    mine.mkdir()
    mine.chmod(0o755)
    ensure_state(mine)
    assert stat.S_IMODE(mine.stat().st_mode) == 0o755  # an existing folder is left alone
    made = tmp_path / "new" / "state"
    ensure_state(made)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    made.chmod(0o750)
    ensure_state(made)  # the second call found it: no chmod
    assert stat.S_IMODE(made.stat().st_mode) == 0o750


def test_default_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ACS_EMULATOR_HOME", str(tmp_path / "h"))
    assert default_state_dir() == tmp_path / "h"
    monkeypatch.delenv("ACS_EMULATOR_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "x"))
    assert default_state_dir() == tmp_path / "x" / "acs-identity-lab" / "emulator"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / ".local" / "state" / "acs-identity-lab" / "emulator"


def test_200_tokens_decode_like_the_sdk_and_verify(emu, client):
    key = serialization.load_pem_private_key(
        (emu.state_dir / "token-signing-key.pem").read_bytes(), password=None
    ).public_key()
    user = client.create_user()
    scopes_cycle = [["chat"], ["voip"], ["chat", "voip"], ["chat.join", "voip.join"]]
    for i in range(200):
        minutes = 60 + (i * 7) % 1381
        tok = client.get_token(
            user, scopes_cycle[i % 4], token_expires_in=timedelta(minutes=minutes)
        )
        payload = tok.token.split(".")[1]
        claims = json.loads(base64.b64decode(payload + "==").decode("ascii"))
        assert claims["exp"] - claims["iat"] == minutes * 60
        verified = jwt.decode(tok.token, key, algorithms=["RS256"])
        assert verified["skypeid"] == user.properties["id"][2:]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64).map(lambda b: bytes(x & 0x7F for x in b)))
def test_payload_check_matches_base64url_fact(raw):
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=")
    urlsafe_chars = b"-" in encoded or b"_" in encoded
    try:
        _check_payload(raw)
        passed = True
    except RuntimeError:
        passed = False
    assert passed == (not urlsafe_chars)
    if passed:
        assert base64.b64decode(encoded + b"==") == raw


_KILLED_WHILE_CREATING = """
import os, sqlite3, sys
from helpers.emulator import state

real_connect = sqlite3.connect

class Dying:
    def __init__(self, *a, **k):
        self.db = real_connect(*a, **k)

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith("CREATE"):
            os._exit(9)  # as abrupt as a kill: no cleanup runs
        return self.db.execute(sql, *args)

    def close(self):
        self.db.close()

sqlite3.connect = Dying
state.ensure_state(sys.argv[1])
"""


def test_a_first_start_killed_while_making_the_database_stays_a_first_start(tmp_path):
    """Replayed: the process dies inside the database's creation. The next start is a first
    start (it used to find an empty database and refuse it as damaged)."""
    import subprocess
    import sys

    root = tmp_path / "state"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run([sys.executable, "-c", _KILLED_WHILE_CREATING, str(root)], env=env)
    assert run.returncode == 9
    assert not (root / "identities.sqlite3").exists()  # only its temporary file was made
    st = ensure_state(root)
    assert (root / "identities.sqlite3").is_file()
    assert list(root.glob(".identities*")) == []  # the unfinished temporary file is gone
    with start(root) as emu:
        assert _client(emu).create_user().properties["id"].startswith("8:acs:")
    assert ensure_state(root).resource_id == st.resource_id


def test_what_an_older_interrupted_first_start_left_is_replaced_but_content_never(tmp_path):
    """No resource.json yet means no start ever finished: a database with nothing in it (0
    bytes, or SQLite without a table) is what an interrupted first start of an older version
    left, and is made again. A database with content, or damaged, is judged as always."""
    import sqlite3

    from helpers.emulator.state import DamagedDatabase

    zero, no_table, garbage, kept = (tmp_path / n for n in ("zero", "no-table", "bad", "kept"))
    for root in (zero, no_table, garbage, kept):
        root.mkdir(mode=0o700)
    (zero / "identities.sqlite3").write_bytes(b"")
    sqlite3.connect(no_table / "identities.sqlite3").execute("PRAGMA user_version=1").close()
    (garbage / "identities.sqlite3").write_bytes(b"not a database" * 400)
    with start(tmp_path / "source") as emu:
        user = _client(emu).create_user().properties["id"]
    (kept / "identities.sqlite3").write_bytes(
        (tmp_path / "source" / "identities.sqlite3").read_bytes()
    )

    for root in (zero, no_table):
        with start(root) as emu, AdminClient(emu.connection_string, emu.ca_bundle) as adm:
            assert adm.identities() == []
    with pytest.raises(DamagedDatabase, match="identities.sqlite3"):
        ensure_state(garbage)
    assert (garbage / "identities.sqlite3").read_bytes().startswith(b"not a database")
    ensure_state(kept)
    db = sqlite3.connect(kept / "identities.sqlite3")
    assert db.execute("SELECT count(*) FROM identities").fetchone()[0] == 1, user
    db.close()
