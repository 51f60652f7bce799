"""Fuzzing: generated requests (hypothesis); no 5xx, every error an ACS envelope."""

from __future__ import annotations

import email.utils
import http.client
import json
import ssl
import time
from collections import Counter, defaultdict
from urllib.parse import quote

from benchmarks.probes.client import ERROR_CT, RawClient
from helpers.emulator import sign_request


def _fuzz_strategies():
    from hypothesis import strategies as st

    json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    json_any = st.recursive(
        json_leaf,
        lambda kids: st.lists(kids, max_size=4)
        | st.dictionaries(st.text(max_size=10), kids, max_size=4),
        max_leaves=12,
    )  # fmt: skip
    scope_val = st.sampled_from(
        ["chat", "voip", "chat.join", "voip.join", "", "CHAT", "x" * 300]
    ) | st.text(max_size=20)
    minutes = st.one_of(
        st.integers(-(2**70), 2**70), st.sampled_from([59, 60, 1440, 1441]),
        st.floats(allow_nan=True), st.booleans(), st.text(max_size=5), st.none(),
    )  # fmt: skip
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "scopes": st.lists(scope_val, max_size=5) | json_any,
            "createTokenWithScopes": st.lists(scope_val, max_size=5) | json_any,
            "expiresInMinutes": minutes,
            "token": st.text(max_size=50) | json_any,
        },
    )
    body = st.one_of(
        st.just(b""),
        st.binary(max_size=300),
        json_any.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
        st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
    id_text = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=40
    )  # fmt: skip
    ident = st.one_of(
        st.sampled_from(["{live}", "{deleted}", "{other}", "%ZZ", "%C3%28", "..%2F..", "%2F",
                         "8%3Aacs%3A", "%00", "x" * 5000, "8:acs:" + "a" * 300]),
        id_text.map(lambda t: quote(t, safe="")),
        id_text.map(lambda t: quote(t, safe=":@!$&'()*+,;=-._~")),
    )  # fmt: skip
    route = st.sampled_from([
        "/identities", "/identities/{id}", "/identities/{id}/:issueAccessToken",
        "/identities/{id}/:revokeAccessTokens", "/identities/{id}/:unknownAction",
        "/teamsUser/:exchangeAccessToken", "/_emulator/health", "/_emulator/identities",
        "/_emulator/tokens:introspect", "/_emulator/reset", "/_emulator/{id}", "/", "/{id}",
    ])  # fmt: skip
    version = st.sampled_from(
        ["2023-10-01", "2021-03-07", "2022-10-01", "2020-01-01", "", "2023-10-01-preview"]
    ) | st.text(max_size=15)  # fmt: skip
    query = st.lists(
        st.one_of(
            version.map(lambda v: "api-version=" + quote(v, safe="")),
            st.just("api-version"),
            st.text(max_size=10).map(lambda t: quote(t, safe="=&")),
        ),
        max_size=3,
    ).map(lambda parts: "&".join(parts))
    # "" = the route's own method (most cases), so requests get past routing into validation.
    method = st.one_of(
        st.just(""),
        st.just(""),
        st.just(""),
        st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        st.from_regex(r"\A[A-Z]{1,10}\Z"),
    )
    header_text = st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=60,
    )
    auth = st.one_of(
        st.just(("signed", None, None)),
        st.just(("signed", None, None)),
        st.just(("signed", None, None)),
        st.tuples(st.just("tamper"), st.sampled_from(["x-ms-date", "x-ms-content-sha256", "Authorization", "Host"]), header_text),  # noqa: E501
        st.tuples(st.just("drop"), st.sampled_from(["x-ms-date", "x-ms-content-sha256", "Authorization"]), st.none()),  # noqa: E501
        st.tuples(st.just("date"), st.integers(-3 * 3600, 3 * 3600), st.none()),
        st.tuples(st.just("bearer"), st.none(), header_text),
        st.just(("none", None, None)),
    )  # fmt: skip
    content_type = st.sampled_from(
        [None, "application/json", "text/plain", "application/json; charset=latin-1"]
    ) | header_text  # fmt: skip
    extra = st.dictionaries(
        st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z"), header_text, max_size=3
    )  # fmt: skip
    return st.fixed_dictionaries(
        {"method": method, "route": route, "id": ident, "query": query, "body": body,
         "auth": auth, "content_type": content_type, "extra": extra}
    )  # fmt: skip


ROUTE_METHOD = defaultdict(lambda: "POST", {
    "/identities/{id}": "DELETE", "/_emulator/health": "GET", "/_emulator/identities": "GET",
    "/": "GET", "/{id}": "GET",
})  # fmt: skip


class Fuzzer:
    """Sends generated requests and checks every answer against the service's contract."""

    def __init__(self, port: int, key: str, ca_cert: str, ids: dict[str, str]) -> None:
        self.port, self.key, self.ids = port, key, ids
        self.ctx = ssl.create_default_context(cafile=ca_cert)
        self.conn: http.client.HTTPSConnection | None = None
        self.sent = 0
        self.statuses: Counter = Counter()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def build(self, case: dict) -> tuple[str, str, bytes, dict]:
        ident = case["id"].format(**self.ids)
        target = case["route"].replace("{id}", ident) + (
            "?" + case["query"] if case["query"] else ""
        )
        method, body = case["method"] or ROUTE_METHOD[case["route"]], case["body"]
        headers = {"Host": f"127.0.0.1:{self.port}"}
        mode, name, value = case["auth"]
        if mode in ("signed", "tamper", "drop", "date"):
            date = None
            if mode == "date":
                date = email.utils.formatdate(time.time() + name, usegmt=True)
            headers = sign_request(method, f"https://127.0.0.1:{self.port}{target}", body, self.key, date=date)  # fmt: skip # noqa: E501
            if mode == "tamper":
                headers[name] = value if value != headers[name] else value + "x"
            elif mode == "drop":
                del headers[name]
        elif mode == "bearer":
            headers["Authorization"] = "Bearer " + value
        if case["content_type"] is not None:
            headers["Content-Type"] = case["content_type"]
        headers.update(case["extra"])
        return method, target, body, headers

    def send(self, case: dict) -> None:
        method, target, body, headers = self.build(case)
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, context=self.ctx, timeout=15
                )
            try:
                self.conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for k, v in headers.items():
                    self.conn.putheader(k, v)
                self.conn.putheader("Content-Length", str(len(body)))
                self.conn.endheaders(body)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected, ssl.SSLEOFError):
                self.close()  # a kept-alive connection the server closed; once more
                if attempt:
                    raise
        self.sent += 1
        self.statuses[resp.status] += 1
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        self.check(case, method, resp, data)

    def check(self, case, method, resp, data) -> None:
        where = f"{method} {case['route']} auth={case['auth'][0]} {case}"[:600]
        assert resp.status < 500, f"{resp.status} for {where}: {data[:200]!r}"
        mode = case["auth"][0]
        if mode == "signed" and resp.status == 401 and b'"Denied"' in data:
            # (401 IdentityNotOwned for another resource's id is by design.)
            raise AssertionError(f"a correctly signed request was Denied: {where}")
        if mode in ("tamper", "drop", "bearer", "none"):
            assert not 200 <= resp.status < 300, f"{resp.status} without valid auth: {where}"
        if 200 <= resp.status < 300 or resp.status == 304:
            return
        ctype = resp.getheader("Content-Type", "")
        if case["auth"][:2] == ("tamper", "Host") and resp.status == 400 and not ctype:
            # tornado itself refuses a malformed Host header (bare 400, connection closed)
            # before any handler runs: documented in docs/reliability.md.
            self.statuses["400 bare (bad Host)"] += 1
            return
        assert ctype == ERROR_CT, f"{resp.status} with Content-Type {ctype!r}: {where}"
        if method == "HEAD":
            assert data == b"", where  # HTTP forbids a body; the headers still say JSON
            return
        err = json.loads(data)["error"]
        assert isinstance(err["code"], str) and err["code"], where
        assert isinstance(err["message"], str) and err["message"], where


def run_fuzz(port: int, key: str, ca_cert: str, examples: int, seed: int | None = None,
             ids: dict[str, str] | None = None) -> Fuzzer:  # fmt: skip
    """Send `examples` generated requests through hypothesis; raise on the first violation."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    fuzzer = Fuzzer(port, key, ca_cert, ids or {})

    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=seed is None,
        suppress_health_check=list(HealthCheck), phases=("explicit", "generate", "shrink"),
    )  # fmt: skip
    @given(_fuzz_strategies())
    def one(case):
        fuzzer.send(case)

    if seed is not None:
        one = hseed(seed)(one)
    try:
        one()
    finally:
        fuzzer.close()
    return fuzzer


def fuzz_ids(client_port: int, key: str, ca_cert: str) -> dict[str, str]:
    """A live id, a deleted id and an id of another resource, for the {…} placeholders."""
    cli = RawClient(client_port, key, ca_cert)
    try:
        live = cli.create(False)[1]["identity"]["id"]
        gone = cli.create(False)[1]["identity"]["id"]
        cli.delete(gone)
    finally:
        cli.close()
    other = "8:acs:11111111-2222-3333-4444-555555555555_00000000-0000-0000-0000-000000000001"
    return {
        k: quote(v, safe="") for k, v in {"live": live, "deleted": gone, "other": other}.items()
    }
