"""Time the local Entra ID's two paths: the managed-identity token endpoint and the Teams exchange.

    .venv/bin/python benchmarks/bench_entra.py [--rounds N]

Prints the median and p95 in milliseconds of, each measured on the client side over HTTP(S) on
127.0.0.1 against an emulator in its own process:

* `mi-token`: one GET to IDENTITY_ENDPOINT (api-version 2019-08-01), as azure-identity sends it;
* `dac-first-token`: a fresh `DefaultAzureCredential().get_token(...)` (credential chain included);
* `teams-exchange`: `get_token_for_teams_user` through the sync SDK (HMAC), a valid token.

Results are recorded in docs/benchmarks.md; no test asserts on them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:16} n={len(ms):4}  p50 {statistics.median(ms):7.2f} ms  p95 {p95:7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix="acs-bench-entra-")
    serve = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--state-dir", state,
         "--throttling", "off"],  # measures the service, not Azure's request limits
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        exported: dict[str, str] = {}
        while len(exported) < 9:
            line = serve.stdout.readline()
            if line.startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                exported[name] = value
        os.environ.update(exported)
        from azure.communication.identity import CommunicationIdentityClient
        from azure.identity import DefaultAzureCredential

        from helpers.emulator import teams_user_token

        url = urlsplit(exported["IDENTITY_ENDPOINT"])
        query = urlencode(
            {"api-version": "2019-08-01", "resource": "https://communication.azure.com/"}
        )
        headers = {"X-IDENTITY-HEADER": exported["IDENTITY_HEADER"]}
        conn = http.client.HTTPConnection(url.hostname, url.port)
        mi = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            conn.request("GET", f"{url.path}?{query}", headers=headers)
            resp = conn.getresponse()
            resp.read()
            mi.append(time.perf_counter() - t0)
            assert resp.status == 200
        conn.close()

        dac = []
        for _ in range(max(5, args.rounds // 20)):
            t0 = time.perf_counter()
            DefaultAzureCredential().get_token("https://communication.azure.com//.default")
            dac.append(time.perf_counter() - t0)

        client = CommunicationIdentityClient.from_connection_string(
            exported["COMMUNICATION_SERVICES_CONNECTION_STRING"]
        )
        entra_token = teams_user_token(USER_OID, APP_ID, state_dir=state)
        client.get_token_for_teams_user(entra_token, APP_ID, USER_OID)  # warm-up
        exchange = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            client.get_token_for_teams_user(entra_token, APP_ID, USER_OID)
            exchange.append(time.perf_counter() - t0)
    finally:
        serve.terminate()
        serve.wait(timeout=15)
    print(_summary("mi-token", mi))
    print(_summary("dac-first-token", dac))
    print(_summary("teams-exchange", exchange))
    return 0


if __name__ == "__main__":
    sys.exit(main())
