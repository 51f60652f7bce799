"""Raw HTTP to the session's service (`emu`, `client`: tests/conftest.py)."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass

from helpers.emulator import sign_request


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
