"""Fixtures: an emulator per test session (fresh identities per test), clients, raw HTTP."""

from __future__ import annotations

import http.client
import json
import logging
import ssl
from dataclasses import dataclass

import pytest

from helpers.emulator import sign_request, start
from tests.support import sdk_client


class _ErrorCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A damaged database is a state, reported once by design (test_hardening makes one);
        # any other ERROR is a 500 path.
        if not getattr(record, "acs_storage_error", False):
            self.records.append(record)


@pytest.fixture(scope="session")
def emu(tmp_path_factory):
    """One running emulator; any logged ERROR (i.e. a 500 path) fails the session."""
    catcher = _ErrorCatcher()
    logging.getLogger("helpers.emulator").addHandler(catcher)
    logging.getLogger("tornado").addHandler(catcher)
    with start(tmp_path_factory.mktemp("emu-state")) as emulator:
        yield emulator
    logging.getLogger("helpers.emulator").removeHandler(catcher)
    logging.getLogger("tornado").removeHandler(catcher)
    assert not catcher.records, [r.getMessage() for r in catcher.records]


@pytest.fixture(scope="session")
def client(emu):
    """Sync SDK client (default api-version), no retries so failures are immediate."""
    return sdk_client(emu.connection_string, emu.ca_bundle)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def raw_request(
    emu,
    method: str,
    target: str,
    body: bytes = b"",
    *,
    headers: dict | None = None,
    sign: bool = True,
    drop: tuple[str, ...] = (),
) -> Reply:
    """Send exactly `target` as the request line; sign it unless told not to."""
    ctx = ssl.create_default_context(cafile=emu.ca_cert)
    conn = http.client.HTTPSConnection("127.0.0.1", emu.port, context=ctx, timeout=30)
    all_headers = {}
    if sign:
        all_headers.update(
            sign_request(method, emu.endpoint.rstrip("/") + target, body, emu.access_key)
        )
    all_headers.update(headers or {})
    for name in drop:
        all_headers.pop(name, None)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in all_headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()
