"""Early answers always arrive (issue 17).

A request with a wrong key is refused from its head: no body byte of an unauthenticated request
is ever held. A small body (at most routes.SMALL_BODY declared: every SDK call) is read, thrown
away, and then answered on a connection that stays open. A larger one is answered before its body
is read; the connection then closes only after the answer and the declared body, gracefully (TLS
close_notify, then FIN, while the rest is read and thrown away: linger.py). Either way the answer
must reach the client however it sends: the SDKs with retries off, alternating wrong and right
keys on one client, must see every 401.
"""

from __future__ import annotations

import base64
import collections
import json
import socket
import ssl
import sys
from pathlib import Path

from azure.communication.identity import CommunicationIdentityClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from helpers.emulator import routes
from tests.support import node_against_a_fresh_service, npm_packages

HERE = Path(__file__).parent / "js"
ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 300
WRONG_KEY = base64.b64encode(bytes(range(64))).decode()


def _endpoint_and_key(connection_string: str) -> tuple[str, str]:
    endpoint, key = connection_string.removeprefix("endpoint=").split(";accesskey=")
    return endpoint.rstrip("/"), key


def test_python_sdk_sees_every_401_with_retries_off_on_one_keep_alive_client(emu):
    endpoint, key = _endpoint_and_key(emu.connection_string)
    credential = AzureKeyCredential(key)
    client = CommunicationIdentityClient(
        endpoint, credential, connection_verify=emu.ca_bundle, retry_total=0
    )
    user = client.create_user()
    seen: collections.Counter[str] = collections.Counter()
    for _ in range(ROUNDS):
        credential.update(WRONG_KEY)
        try:
            client.get_token(user, ["chat"])
            seen["wrong key accepted"] += 1
        except HttpResponseError as exc:
            seen[f"wrong key: {exc.status_code} {exc.error.code if exc.error else ''}"] += 1
        except Exception as exc:  # noqa: BLE001 - a lost answer, whatever its type
            seen[f"wrong key: lost ({type(exc).__name__})"] += 1
        credential.update(key)
        try:
            client.get_token(user, ["chat"])
            seen["right key: 200"] += 1
        except Exception as exc:  # noqa: BLE001
            seen[f"right key: lost ({type(exc).__name__})"] += 1
    assert seen == {"wrong key: 401 Denied": ROUNDS, "right key: 200": ROUNDS}, seen


def _tls(emu) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=emu.ca_cert)
    raw = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def _wrong_key_head(port: int, length: int) -> bytes:
    return (
        f"POST /identities?api-version=2023-10-01 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&"
        "Signature=forged\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_the_early_answer_comes_first_then_a_graceful_close_after_the_body(emu):
    """The 401 arrives before any body byte is sent; once the declared body has come, the
    connection closes as its `Connection: close` says, with close_notify (a clean end of
    stream for the client, not a reset), and nothing else is sent."""
    length = 300_000
    with _tls(emu) as sock:
        sock.sendall(_wrong_key_head(emu.port, length))
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 401 ")
        assert b"\r\nConnection: close" in head
        declared = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < declared:
            body += sock.recv(65536)
        assert json.loads(body)["error"]["code"] == "Denied"
        sock.sendall(b" " * length)  # the body, thrown away by the service
        assert sock.recv(65536) == b""  # close_notify: a clean end, within the timeout


def test_a_client_still_sending_after_the_close_reads_the_answer(emu):
    """More bytes than declared (or a next request) after an early answer: the service has
    closed its side, but reads and throws away what still comes for a while, so the answer
    the client has not read yet is not destroyed by a reset."""
    with _tls(emu) as sock:
        # A declared body over routes.SMALL_BODY is answered early (a smaller one is read first).
        length = routes.SMALL_BODY + 1
        sock.sendall(_wrong_key_head(emu.port, length) + b"x" * length)
        # Keep sending without reading, as a pipelining client would.
        for _ in range(20):
            try:
                sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
            except (ssl.SSLError, OSError):
                break
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 401 ") and data.count(b"HTTP/1.1") == 1, data[:200]


JS_ROUNDS = 150


def test_js_sdk_sees_every_401_with_retries_off(tmp_path):
    """@azure/communication-identity with retryOptions {maxRetries: 0}: used to get
    `socket hang up` instead of 401 Denied."""
    home = Path(sys.prefix) / "acs-lab-js-early-answers"
    packages = npm_packages(
        home,
        ["@azure/communication-identity@^1.2.0", "@azure/core-auth@^1.5.0"],
        "@azure/core-auth",
    )
    run = node_against_a_fresh_service(
        HERE / "early-answers.js",
        packages / "node_modules",
        tmp_path / "s",
        str(JS_ROUNDS),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert counts == {"wrong key: 401 Denied": JS_ROUNDS, "right key: 200": JS_ROUNDS}, counts


def test_a_small_refused_request_is_answered_after_its_body_on_a_connection_that_stays_open(emu):
    """Every SDK call has a small body (or none): its refusal is answered once the request is in,
    and the connection stays open, so a client reusing it is never cut off (answering such a
    request before tornado had read it closed the connection unannounced: under load the SDKs
    then reported "Remote end closed connection without response")."""
    with _tls(emu) as sock:
        sock.sendall(_wrong_key_head(emu.port, 10) + b"x" * 10)
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed: {data[:300]!r}"
            data += chunk
    assert data.startswith(b"HTTP/1.1 401 ") and b"Connection: close" not in data, data[:300]
