"""Memory before authentication is bounded: stalled connections cost the service little, and
what they cost comes back when they close. (The long form, 1,500 connections per kind, is
`make stress`; its numbers are in docs/reliability.md.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.probes.memory import stalled_memory
from benchmarks.probes.service import ServeProcess

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists() or sys.platform != "linux", reason="reads /proc RSS"
)

COUNT = 150


@pytest.mark.parametrize("kind", ["body", "head"])
def test_stalled_unauthenticated_connections_hold_little_memory(tmp_path, kind):
    """Each of these used to hold up to 1 MiB (its body, buffered before authentication):
    150 of them grew the service by ~150 MB. Now the answer (401) comes from the head and the
    body is thrown away as it arrives; an unfinished head is capped at 32 KiB."""
    srv = ServeProcess(tmp_path / "state").start()
    try:
        res = stalled_memory(srv, COUNT, kind)
    finally:
        srv.close()
    print("\n", res)
    assert res["connections"] == COUNT and res["served_meanwhile"]
    grew = res["peak_mb"] - res["before_mb"]
    assert grew < 40, f"{COUNT} stalled connections took {grew:.0f} MB"
    assert res["after_mb"] - res["before_mb"] < 25, "memory did not come back after closing"


MI_BODY = 48 * 1024 * 1024


def _send_mi_body(url: str, chunked: bool) -> bytes:
    """POST 48 MB to the managed-identity endpoint without its secret; return the answer's
    first bytes (the sending may be cut short once the service has answered and closed)."""
    import socket
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    piece = b"x" * 65536
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {MI_BODY}"
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{framing}\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sent = 0
        try:
            while sent < MI_BODY:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # answered and closed: what the answer says is checked below
        answer, deadline = b"", time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_managed_identity_port_holds_no_unauthenticated_body(tmp_path, chunked):
    """It kept tornado's default 100 MB body limit: 8 such connections took the service from
    57 to 817 MB. Now no body is stored at all (GET needs none): 4 bodies of 48 MB at once
    add < 64 MB, and each sender gets an answer (413 for a declared length over 64 KiB; a
    chunked body is cut at 1 MiB with tornado's 400)."""
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.probes.client import parse_export
    from benchmarks.probes.memory import rss_mb

    srv = ServeProcess(tmp_path / "state").start()
    try:
        while "IDENTITY_ENDPOINT" not in srv.exports:  # printed after the ACS lines
            pair = parse_export(srv.proc.stdout.readline().decode())
            if pair:
                srv.exports[pair[0]] = pair[1]
        url = srv.exports["IDENTITY_ENDPOINT"]
        before = rss_mb(srv.proc.pid)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: _send_mi_body(url, chunked), range(4)))
        peak = rss_mb(srv.proc.pid, "VmHWM")
        alive = srv.proc.poll() is None
    finally:
        srv.close()
    print(f"\nbefore {before:.0f} MB, peak {peak:.0f} MB")
    expected = b"HTTP/1.1 400 " if chunked else b"HTTP/1.1 413 "
    assert all(a.startswith(expected) for a in answers), [a[:80] for a in answers]
    assert alive
    assert peak - before < 64, f"4 bodies of 48 MB took {peak - before:.0f} MB"
