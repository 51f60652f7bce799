"""Hostile input: oversized bodies, slow and silent connections, replayed requests."""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import socket
import statistics
import time

import pytest
import requests

from benchmarks.probes.client import API, RawClient, read_head, tls_socket
from benchmarks.probes.hostile import slowloris, time_to_413
from helpers.emulator import routes, sign_request

from .conftest import health_ok

MiB = 2**20


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_gets_413_at_once_and_the_rest_is_thrown_away(rel_emu, chunked):
    args = (rel_emu.port, rel_emu.access_key, rel_emu.ca_cert)
    times = {}
    for size in (2 * MiB, 16 * MiB, 64 * MiB):
        runs = [time_to_413(*args, size, chunked) for _ in range(3)]
        for _, head, _, sent in runs:
            assert head.startswith(b"HTTP/1.1 413 "), head[:80]
            assert b"connection: close" in head.lower()
            # The server read (and discarded) the rest, so the client could finish writing
            # instead of being reset.
            assert sent >= size
        times[size] = statistics.median(r[0] for r in runs)
    print("\nmedian seconds to 413:", times)
    assert health_ok(rel_emu)


@pytest.mark.parametrize("auth", ["signed", "unsigned"])
def test_early_answers_come_before_any_body_byte(rel_emu, auth):
    """A declared 1 GiB body (413), or a body over routes.SMALL_BODY from a request that is not
    authenticated (401): the answer comes from the head alone, with not one body byte sent. (A
    smaller refused body is read, thrown away and then answered on a connection that stays
    open: tests/emulator/test_early_answers.py.)"""
    target = f"/identities?{API}"
    url = f"https://127.0.0.1:{rel_emu.port}{target}"
    headers = sign_request("POST", url, b"", rel_emu.access_key) if auth == "signed" else {
        "Host": f"127.0.0.1:{rel_emu.port}"
    }  # fmt: skip
    declared = 2**30 if auth == "signed" else routes.SMALL_BODY + 1
    sock = tls_socket(rel_emu.port, rel_emu.ca_cert)
    try:
        head = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall((head + f"Content-Length: {declared}\r\n\r\n").encode())
        reply = read_head(sock)
    finally:
        sock.close()
    status = b"413" if auth == "signed" else b"401"
    assert reply.startswith(b"HTTP/1.1 " + status), reply[:80]
    assert b"connection: close" in reply.lower()


@pytest.mark.parametrize("mib", [2, 10, 64])
def test_requests_sees_the_413_whatever_the_body_size(rel_emu, mib):
    """requests writes the whole body before it reads: it used to get an SSLError above
    about 6 MiB, because the server closed the connection while it was still writing."""
    body = b"x" * (mib * MiB)
    url = rel_emu.endpoint + "identities?" + API
    headers = sign_request("POST", url, body, rel_emu.access_key)
    del headers["Host"]
    reply = requests.post(url, data=body, headers=headers, verify=rel_emu.ca_bundle, timeout=60)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "RequestEntityTooLarge"


def test_413_body_is_the_envelope(rel_emu):
    _, response, _, _ = time_to_413(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert, 5 * MiB)
    headers, _, body = response.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 413 ")
    assert re.search(rb"(?im)^content-type: application/json\r?$", headers)  # no charset
    length = re.search(rb"(?im)^content-length: *(\d+)", headers)
    assert length and len(body) == int(length.group(1)) > 0  # read to the announced end
    assert json.loads(body)["error"]["code"] == "RequestEntityTooLarge"


def test_slow_and_silent_connections_do_not_block_others(rel_emu):
    s = slowloris(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert, rel_emu.ca_bundle, 40, 2.0)
    print("\nslowloris:", s)
    assert s["held"] >= 38
    assert s["requests"] >= 5
    assert s["max_s"] < 1.0


def test_idle_and_half_open_connections_are_closed(tmp_path, monkeypatch):
    from helpers.emulator import server, start

    monkeypatch.setattr(server, "IDLE_TIMEOUT", 1.0)
    with start(tmp_path) as emu:
        silent = socket.create_connection(("127.0.0.1", emu.port), timeout=5)  # no TLS at all
        half = tls_socket(emu.port, emu.ca_cert, timeout=5)
        half.sendall(b"POST /identities HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        t0 = time.perf_counter()
        assert silent.recv(10) == b""  # closed by the server
        with contextlib.suppress(ConnectionError):  # a reset is as good as a close
            assert half.recv(10) == b""
        assert time.perf_counter() - t0 < 4
        silent.close()
        half.close()


def test_replayed_request_with_stale_date_is_401(rel_emu):
    cli = RawClient(rel_emu.port, rel_emu.access_key, rel_emu.ca_cert)
    try:
        status, body = cli.create(with_token=False)
        assert status == 201
    finally:
        cli.close()
    target = f"/identities?{API}"
    url = f"https://127.0.0.1:{rel_emu.port}{target}"

    def send(headers):
        sock = tls_socket(rel_emu.port, rel_emu.ca_cert)
        try:
            head = f"POST {target} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()
            )
            sock.sendall((head + "Content-Length: 0\r\nConnection: close\r\n\r\n").encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            return data
        finally:
            sock.close()

    fresh = sign_request("POST", url, b"", rel_emu.access_key)
    assert b" 201 " in send(fresh).split(b"\r\n", 1)[0]
    # The very same captured request, replayed: still within the window, so it is accepted
    # (HMAC has no nonce) and creates another identity - the window is what bounds replay.
    assert b" 201 " in send(fresh).split(b"\r\n", 1)[0]
    for minutes in (-16, 16, -60 * 24):
        date = email.utils.formatdate(time.time() + minutes * 60, usegmt=True)
        stale = sign_request("POST", url, b"", rel_emu.access_key, date=date)
        reply = send(stale)
        assert b" 401 " in reply.split(b"\r\n", 1)[0], (minutes, reply[:100])
        assert b'"code": "Denied"' in reply
