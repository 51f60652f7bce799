"""issueAccessToken throughput and latency: the emulator vs a do-nothing TLS stub.

Each server runs in its own process (so it does not share the GIL with the clients); clients
are N threads using the real sync SDK, then N threads with raw keep-alive http.client and
HMAC-signed requests. 127.0.0.1 only; bounded by --requests per client and --max-seconds.

    .venv/bin/python benchmarks/bench_emulator.py [--clients 4] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.emulator import sign_request, start

CANNED = json.dumps(
    {
        "token": "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln",
        "expiresOn": "2026-11-24T10:00:00.0000000+00:00",
    }
).encode()


def _serve_emulator(state_dir: str, q) -> None:
    # A benchmark measures the service, not Azure's request limits (limits.py): off.
    os.environ["ACS_EMULATOR_THROTTLING"] = "off"
    emu = start(state_dir)
    q.put(emu.port)
    threading.Event().wait()


def _serve_stub(state_dir: str, q) -> None:
    import asyncio

    from tornado.httpserver import HTTPServer
    from tornado.web import Application, RequestHandler

    class Canned(RequestHandler):
        def post(self, *args) -> None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(CANNED)

    async def main() -> None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(Path(state_dir) / "server-cert.pem", Path(state_dir) / "server-key.pem")
        app = Application([(r"/.*", Canned)], log_function=lambda h: None)
        server = HTTPServer(app, ssl_options=ctx)
        server.listen(0, "127.0.0.1")
        q.put(next(iter(server._sockets.values())).getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


def _spawn(target, state_dir: str) -> tuple[mp.Process, int]:
    q = mp.Queue()
    proc = mp.Process(target=target, args=(state_dir, q), daemon=True)
    proc.start()
    return proc, q.get(timeout=30)


def _run_threads(n: int, work) -> tuple[list[float], float]:
    lat: list[list[float]] = [[] for _ in range(n)]
    barrier = threading.Barrier(n + 1)
    threads = [threading.Thread(target=work, args=(i, lat[i], barrier)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [x for xs in lat for x in xs], wall


def sdk_run(port, key, bundle, user_id, n, count, deadline):
    from azure.communication.identity import (
        CommunicationIdentityClient,
        CommunicationUserIdentifier,
    )

    conn = f"endpoint=https://127.0.0.1:{port}/;accesskey={key}"
    user = CommunicationUserIdentifier(user_id)

    def work(i, out, barrier):
        c = CommunicationIdentityClient.from_connection_string(conn, connection_verify=bundle)
        for _ in range(5):  # warm the connection pool
            c.get_token(user, ["voip"])
        barrier.wait()
        end = time.perf_counter() + deadline
        for _ in range(count):
            t = time.perf_counter()
            c.get_token(user, ["voip"])
            out.append(time.perf_counter() - t)
            if t > end:
                break

    return _run_threads(n, work)


def raw_run(port, key, ca_cert, user_id, n, count, deadline):
    target = f"/identities/{user_id.replace(':', '%3A')}/:issueAccessToken?api-version=2023-10-01"
    url = f"https://127.0.0.1:{port}{target}"
    body = b'{"scopes": ["voip"]}'
    ctx = ssl.create_default_context(cafile=ca_cert)

    def one(conn):
        headers = sign_request("POST", url, body, key)
        headers["Content-Type"] = "application/json"
        conn.request("POST", target, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, resp.status

    def work(i, out, barrier):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        for _ in range(5):
            one(conn)
        barrier.wait()
        end = time.perf_counter() + deadline
        for _ in range(count):
            t = time.perf_counter()
            one(conn)
            out.append(time.perf_counter() - t)
            if t > end:
                break
        conn.close()

    return _run_threads(n, work)


def _summary(lat: list[float], wall: float) -> dict:
    qs = statistics.quantiles(lat, n=100)
    return {"n": len(lat), "rps": len(lat) / wall, "p50": qs[49] * 1e3, "p99": qs[98] * 1e3}


def breakdown(state_dir: str, rounds: int = 300) -> dict:
    """In-process cost of the two expensive steps of one issue: SQLite commit and RSA signing."""
    from helpers.emulator.state import ensure_state
    from helpers.emulator.store import Store
    from helpers.emulator.tokens import TokenService

    st = ensure_state(state_dir)
    store, svc = Store(st.db_path, st.resource_id), TokenService(st.token_key_path, st.resource_id)
    uid, _ = store.create()
    t = time.perf_counter()
    for _ in range(rounds):
        ns = store.issue(uid)
    t_store = (time.perf_counter() - t) / rounds
    t = time.perf_counter()
    for _ in range(rounds):
        svc.mint(uid, ["voip"], 1440, ns)
    t_sign = (time.perf_counter() - t) / rounds
    store.close()
    return {"sqlite_issue_ms": t_store * 1e3, "rsa_mint_ms": t_sign * 1e3}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=200, help="per client and run")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="per run")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as state_dir:
        with start(state_dir) as emu:  # creates the state dir and one identity
            from azure.communication.identity import CommunicationIdentityClient

            c = CommunicationIdentityClient.from_connection_string(
                emu.connection_string, connection_verify=emu.ca_bundle
            )
            user_id = c.create_user().properties["id"]
            key, bundle, ca_cert = emu.access_key, emu.ca_bundle, emu.ca_cert
        servers = {
            "emulator": _spawn(_serve_emulator, state_dir),
            "stub": _spawn(_serve_stub, state_dir),
        }
        results = {}
        try:
            for kind, runner, trust in (("sdk", sdk_run, bundle), ("raw", raw_run, ca_cert)):
                for name, (_, port) in servers.items():
                    lat, wall = runner(
                        port, key, trust, user_id, args.clients, args.requests, args.max_seconds
                    )
                    results[(kind, name)] = _summary(lat, wall)
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.join()
        parts = breakdown(state_dir)

    print(f"issueAccessToken, {args.clients} concurrent clients, 127.0.0.1, HTTPS keep-alive")
    print(f"{'client':6} {'server':9} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for (kind, name), r in results.items():
        print(f"{kind:6} {name:9} {r['n']:8d} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f}")
    for kind in ("sdk", "raw"):
        e, s = results[(kind, "emulator")], results[(kind, "stub")]
        print(
            f"{kind}: emulator adds {e['p50'] - s['p50']:+.2f} ms p50, "
            f"{e['p99'] - s['p99']:+.2f} ms p99; throughput {e['rps'] / s['rps']:.0%} of stub"
        )
    print(
        "in-process per issue (1 thread): SQLite issue+commit "
        f"{parts['sqlite_issue_ms']:.3f} ms, RSA-2048 mint {parts['rsa_mint_ms']:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
