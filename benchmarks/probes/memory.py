"""Memory: the service's RSS while many stalled connections are held, and after."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

from benchmarks.probes.client import API, tls_socket
from benchmarks.probes.service import ServeProcess
from helpers.emulator import sign_request
from helpers.emulator.server import HEAD_LIMIT


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB (Linux /proc); VmHWM: its peak so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


STALL_KINDS = ("body", "signed-body", "head")


def _stalled(port: int, key: str, ca_cert: str, kind: str) -> ssl.SSLSocket:
    """One connection that stops before its request is complete, as an attacker's would:
    "body": a head with no valid authentication declaring 1 MiB, then all of it but one byte;
    "signed-body": the same, correctly signed (only a holder of the key can do this);
    "head": a request head that never ends, 4 KiB short of the service's limit."""
    target = f"/identities?{API}"
    sock = tls_socket(port, ca_cert, timeout=60)
    if kind == "head":
        sock.sendall(f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ".encode())
        sock.sendall(b"a" * (HEAD_LIMIT - 4096))
        return sock
    body = b"{" + b" " * (2**20 - 2) + b"}"
    if kind == "signed-body":
        headers = sign_request("POST", f"https://127.0.0.1:{port}{target}", body, key)
    else:
        headers = {"Host": f"127.0.0.1:{port}", "Authorization": "HMAC-SHA256 forged"}
    head = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode())
    sock.sendall(body[:-1])
    return sock


def stalled_memory(srv: ServeProcess, count: int, kind: str, settle: float = 3.0) -> dict:
    """Service memory (RSS, MB) before, while `count` stalled connections of one kind are held
    (and its peak), and after they close; and whether a normal request is served meanwhile.
    (Opening many takes longer than the service's 30 s timeouts on a busy machine: the first
    ones may be closed by then, which the peak still shows.)"""
    from helpers.emulator import AdminClient

    pid = srv.proc.pid
    with AdminClient(srv.exports["COMMUNICATION_SERVICES_CONNECTION_STRING"], srv.bundle) as adm:
        adm.health()
        before = rss_mb(pid)
        socks, t0 = [], time.perf_counter()
        try:
            for _ in range(count):
                socks.append(_stalled(srv.port, srv.key, srv.ca_cert, kind))
            opened_s = time.perf_counter() - t0
            time.sleep(1.0)  # let the service read what was sent
            held = rss_mb(pid)
            peak = rss_mb(pid, "VmHWM")
            served = adm.health()["status"] == "ok"
        finally:
            for sock in socks:
                sock.close()
        time.sleep(settle)
        adm.health()
        after = rss_mb(pid)
    return {"kind": kind, "connections": len(socks), "open_s": opened_s, "before_mb": before,
            "held_mb": held, "peak_mb": peak, "after_mb": after,
            "served_meanwhile": served}  # fmt: skip


def run_memory(state_dir: Path, count: int, kinds=STALL_KINDS) -> list[dict]:
    """`stalled_memory` for each kind, each against a fresh `serve` process."""
    results = []
    for kind in kinds:
        srv = ServeProcess(state_dir).start()
        try:
            results.append(stalled_memory(srv, count, kind))
        finally:
            srv.close()
    return results
