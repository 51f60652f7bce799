"""What every probe speaks: the raw signed HTTPS client, raw TLS sockets, the
`serve` export lines, and percentiles."""

from __future__ import annotations

import http.client
import json
import re
import shlex
import socket
import ssl
import statistics
import time
from urllib.parse import quote

from helpers.emulator import sign_request

API = "api-version=2023-10-01"
# Error answers say "application/json" without a charset, as Azure's do.
ERROR_CT = "application/json"
EXPORTED = ("COMMUNICATION_SERVICES_CONNECTION_STRING", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
            "NODE_EXTRA_CA_CERTS")  # fmt: skip


def parse_export(line: str) -> tuple[str, str] | None:
    """`export NAME=<shell-quoted value>` → (NAME, value); anything else → None."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if len(words) == 2 and words[0] == "export" and "=" in words[1]:
        name, value = words[1].split("=", 1)
        return name, value
    return None


SCOPES = ["chat", "voip"]


# --------------------------------------------------------------------------- raw client


class RawClient:
    """One keep-alive HTTPS connection that signs every request like the SDK does."""

    def __init__(self, port: int, key: str, ca_cert: str, timeout: float = 10.0) -> None:
        self.port, self.key, self.timeout = port, key, timeout
        self.ctx = ssl.create_default_context(cafile=ca_cert)
        self.base = f"https://127.0.0.1:{port}"
        self.conn: http.client.HTTPSConnection | None = None

    def _connection(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=self.ctx, timeout=self.timeout
            )
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method: str, target: str, payload=None) -> tuple[int, dict | None]:
        """(status, parsed JSON or None). Network failures raise OSError/HTTPException."""
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = sign_request(method, self.base + target, body, self.key)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        conn = self._connection()
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        is_json = "json" in (resp.getheader("Content-Type") or "")
        return resp.status, (json.loads(data) if data and is_json else None)

    # The ACS operations, each returning (status, body).
    def create(self, with_token: bool):
        return self.call("POST", f"/identities?{API}", {"createTokenWithScopes": SCOPES} if with_token else None)  # fmt: skip # noqa: E501

    def issue(self, ident: str):
        return self.call("POST", f"/identities/{quote(ident, safe='')}/:issueAccessToken?{API}", {"scopes": SCOPES})  # fmt: skip # noqa: E501

    def revoke(self, ident: str):
        return self.call("POST", f"/identities/{quote(ident, safe='')}/:revokeAccessTokens?{API}")

    def delete(self, ident: str):
        return self.call("DELETE", f"/identities/{quote(ident, safe='')}?{API}")

    def introspect(self, token: str) -> str:
        status, body = self.call("POST", "/_emulator/tokens:introspect", {"token": token})
        if status != 200:
            raise AssertionError(f"introspect answered {status}")
        return body["status"]


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1e3 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1e3


def tls_socket(port: int, ca_cert: str, timeout: float = 10.0) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=ca_cert)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_head(sock: ssl.SSLSocket, limit: float = 10.0) -> bytes:
    """Read until the end of the response head (or EOF)."""
    data = b""
    end = time.monotonic() + limit
    while b"\r\n\r\n" not in data and time.monotonic() < end:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def response_complete(data: bytes) -> bool:
    """The head has arrived, and the body its Content-Length announces (none: the head only)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:[ \t]*(\d+)", head)
    return m is None or len(body) >= int(m.group(1))
