"""Load: mixed operations from SDK and raw clients, latency per operation."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from benchmarks.probes.client import SCOPES, RawClient, pct


@dataclass
class LoadResult:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expected: Counter = field(default_factory=Counter)  # e.g. 404 after our own delete
    unexpected: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latency.values())

    def merge(self, other: LoadResult) -> None:
        for op, xs in other.latency.items():
            self.latency[op].extend(xs)
        self.expected.update(other.expected)
        self.unexpected.extend(other.unexpected)

    def rows(self) -> list[tuple[str, int, float, float]]:
        return [(op, len(xs), pct(xs, 50), pct(xs, 99)) for op, xs in sorted(self.latency.items())]


def _pick_op(rng: random.Random, live: list[str]) -> str:
    if len(live) < 2:
        return "create"
    return rng.choices(
        ["create", "issue", "refresh", "revoke", "delete"], weights=[20, 30, 20, 15, 15]
    )[0]


def _raw_worker(port, key, ca, count, deadline, seed, out: LoadResult, stub=False) -> None:
    """Mixed operations over one keep-alive connection. With stub=True, statuses are not
    checked (the stub answers 200 to every POST) and a fixed made-up id is used."""
    rng = random.Random(seed)
    cli = RawClient(port, key, ca)
    live: list[str] = []
    fake = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            op = _pick_op(rng, live if not stub else [fake, fake])
            ident = fake if stub else (rng.choice(live) if live else None)
            t0 = time.perf_counter()
            if op == "create":
                status, body = cli.create(with_token=rng.random() < 0.5)
                ok = 201
            elif op in ("issue", "refresh"):
                status, body = cli.issue(ident)
                ok = 200
            elif op == "revoke":
                status, body = cli.revoke(ident)
                ok = 204
            else:
                status, body = cli.delete(ident)
                ok = 204
            out.latency[op].append(time.perf_counter() - t0)
            if stub:
                continue
            if status != ok:
                out.unexpected.append(f"raw {op}: {status} {body}")
                continue
            if op == "create":
                live.append(body["identity"]["id"])
            elif op == "delete":
                live.remove(ident)
                if rng.random() < 0.5:  # by design: the deleted id is now a 404
                    t0 = time.perf_counter()
                    status, body = cli.issue(ident)
                    out.latency["issue-after-delete"].append(time.perf_counter() - t0)
                    if status == 404 and body["error"]["code"] == "IdentityNotFound":
                        out.expected["404 after delete"] += 1
                    else:
                        out.unexpected.append(f"raw issue after delete: {status} {body}")
    except Exception as exc:  # recorded, and the run then fails
        out.unexpected.append(f"raw: {type(exc).__name__}: {exc}"[:300])
    finally:
        cli.close()


def _sdk_worker(conn_str, bundle, count, deadline, seed, out: LoadResult) -> None:
    from azure.communication.identity import CommunicationIdentityClient
    from azure.core.exceptions import ResourceNotFoundError

    rng = random.Random(seed)
    client = CommunicationIdentityClient.from_connection_string(
        conn_str, connection_verify=bundle, retry_total=0
    )
    live: list = []
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            op = _pick_op(rng, live)
            user = rng.choice(live) if live else None
            t0 = time.perf_counter()
            try:
                if op == "create":
                    if rng.random() < 0.5:
                        live.append(client.create_user_and_token(SCOPES)[0])
                    else:
                        live.append(client.create_user())
                elif op in ("issue", "refresh"):
                    client.get_token(user, SCOPES)
                elif op == "revoke":
                    client.revoke_tokens(user)
                else:
                    client.delete_user(user)
                    live.remove(user)
                out.latency[op].append(time.perf_counter() - t0)
            except Exception as exc:  # every failure is recorded, none hidden
                out.unexpected.append(f"sdk {op}: {type(exc).__name__}: {exc}"[:300])
                continue
            if op == "delete" and rng.random() < 0.5:
                t0 = time.perf_counter()
                try:
                    client.get_token(user, SCOPES)
                    out.unexpected.append("sdk issue after delete succeeded")
                except ResourceNotFoundError as exc:
                    if exc.error and exc.error.code == "IdentityNotFound":
                        out.expected["404 after delete"] += 1
                    else:
                        out.unexpected.append(f"sdk issue after delete: {exc}"[:300])
                out.latency["issue-after-delete"].append(time.perf_counter() - t0)
    finally:
        client._identity_service_client.close()  # the generated client owns the pool


def run_load(
    port: int,
    key: str,
    ca_cert: str,
    bundle: str,
    *,
    sdk_clients: int,
    raw_clients: int,
    count: int,
    max_seconds: float,
    stub: bool = False,
    seed: int = 1,
) -> LoadResult:
    """K SDK threads and K raw threads doing mixed operations, each for `count` operations
    or until `max_seconds` have passed, whichever comes first."""
    conn_str = f"endpoint=https://127.0.0.1:{port}/;accesskey={key}"
    deadline = time.monotonic() + max_seconds
    parts = [LoadResult() for _ in range(sdk_clients + raw_clients)]
    threads = []
    for i in range(sdk_clients):
        args = (conn_str, bundle, count, deadline, seed * 100 + i, parts[i])
        threads.append(threading.Thread(target=_sdk_worker, args=args, daemon=True))
    for j in range(raw_clients):
        i = sdk_clients + j
        args = (port, key, ca_cert, count, deadline, seed * 100 + i, parts[i], stub)
        threads.append(threading.Thread(target=_raw_worker, args=args, daemon=True))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 30)
    result = LoadResult(wall=time.perf_counter() - t0)
    for p in parts:
        result.merge(p)
    if any(t.is_alive() for t in threads):
        result.unexpected.append("a load thread did not finish in time")
    return result
