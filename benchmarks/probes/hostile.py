"""Hostile input: oversized bodies (time to 413) and slow or silent connections."""

from __future__ import annotations

import socket
import ssl
import threading
import time

from benchmarks.probes.client import API, pct, response_complete, tls_socket
from helpers.emulator import sign_request


def time_to_413(port: int, key: str, ca_cert: str, declared: int, chunked: bool = False):
    """POST a body of `declared` bytes (Content-Length, or chunked with no length) and time
    the 413. A sender thread keeps pushing 64 KiB pieces while the main thread waits for the
    answer, so a server that read the whole body first would show up as a long time.
    Returns (seconds to the 413 head, the response: its head and as much body as its
    Content-Length announces, bytes sent when the head arrived, bytes sent in all)."""
    target = f"/identities?{API}"
    headers = sign_request("POST", f"https://127.0.0.1:{port}{target}", b"", key)
    lines = [f"POST {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    lines.append("Content-Type: application/json")
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {declared}")
    sock = tls_socket(port, ca_cert)
    piece = b"x" * 65536
    if chunked:
        piece = b"%x\r\n" % len(piece) + piece + b"\r\n"
    sent = [0]
    stop = threading.Event()
    lock = threading.Lock()  # one SSL object: never read and write at the same instant

    def push():
        # send(), not sendall(): the socket has a short timeout (for the reader), and a
        # timed-out sendall() would not say how much went out. A timed-out send() is retried
        # with the same bytes, as TLS requires.
        view, off = memoryview(piece), 0
        while sent[0] < declared and not stop.is_set():
            try:
                with lock:
                    off += sock.send(view[off:])
            except (TimeoutError, ssl.SSLWantWriteError):
                continue
            except (OSError, ssl.SSLError):
                return
            if off == len(view):
                off = 0
                sent[0] += 65536

    try:
        t0 = time.perf_counter()
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.settimeout(0.01)
        pusher = threading.Thread(target=push, daemon=True)
        pusher.start()
        head = b""
        elapsed = at_413 = None
        end = time.monotonic() + 20
        while not response_complete(head) and time.monotonic() < end:
            try:
                with lock:
                    chunk = sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError:
                break
            if not chunk:
                break
            head += chunk
            if elapsed is None and b"\r\n\r\n" in head:
                elapsed, at_413 = time.perf_counter() - t0, sent[0]
        if elapsed is None:  # no complete head at all
            elapsed, at_413 = time.perf_counter() - t0, sent[0]
        pusher.join(20)  # the rest of the body (the service reads and discards it)
        stop.set()
        pusher.join(5)  # never close the socket under a send: that would cut a TLS record
        return elapsed, head, at_413, sent[0]
    finally:
        stop.set()
        sock.close()


def slowloris(port: int, key: str, ca_cert: str, bundle: str, sockets: int, hold: float):
    """Hold `sockets` connections that send headers byte by byte (half of them) or nothing
    at all (the other half) for `hold` seconds; meanwhile time normal SDK requests."""
    from azure.communication.identity import CommunicationIdentityClient

    stop = threading.Event()
    opened: list[socket.socket] = []

    def dribble(sock):
        head = b"POST /identities?" + API.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        i = 0
        while not stop.is_set():
            try:
                sock.send(head[i % len(head) : i % len(head) + 1] if i < len(head) else b"a")
            except OSError:
                return
            i += 1
            stop.wait(0.2)

    threads = []
    for i in range(sockets):
        try:
            s = tls_socket(port, ca_cert) if i % 2 == 0 else socket.create_connection(
                ("127.0.0.1", port), timeout=5
            )  # fmt: skip
        except OSError:
            continue
        opened.append(s)
        if i % 2 == 0:
            t = threading.Thread(target=dribble, args=(s,), daemon=True)
            t.start()
            threads.append(t)
    conn_str = f"endpoint=https://127.0.0.1:{port}/;accesskey={key}"
    client = CommunicationIdentityClient.from_connection_string(
        conn_str, connection_verify=bundle, retry_total=0
    )
    lat = []
    end = time.monotonic() + hold
    try:
        while time.monotonic() < end and len(lat) < 200:
            t0 = time.perf_counter()
            user = client.create_user()
            client.get_token(user, ["chat"])
            lat.append(time.perf_counter() - t0)
    finally:
        stop.set()
        for t in threads:
            t.join(2)
        for s in opened:
            s.close()
    return {
        "held": len(opened),
        "requests": len(lat),
        "max_s": max(lat),
        "p50_s": pct(lat, 50) / 1e3,
    }
