"""A small client for the emulator-only `/_emulator/` endpoints (HMAC-signed)."""

from __future__ import annotations

import json

import requests

from ..settings import parse_connection_string
from .auth import sign_request


class AdminError(Exception):
    """A non-2xx answer from the emulator."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"emulator answered {status} {code}: {message}")


class AdminClient:
    """Health, identity listing, token introspection and reset for one emulator."""

    def __init__(self, connection_string: str, ca_bundle: str | None = None) -> None:
        # A malformed string raises settings.SettingsError (a ValueError) saying what is wrong.
        parsed = parse_connection_string(connection_string, variable="The connection string")
        self._endpoint, self._key = parsed.endpoint.rstrip("/"), parsed.access_key
        self._session = requests.Session()
        self._verify: str | bool = ca_bundle if ca_bundle else True

    def __repr__(self) -> str:
        return f"AdminClient(endpoint={self._endpoint!r})"

    def _call(self, method: str, path: str, payload: dict | None = None):
        url = self._endpoint + path
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = sign_request(method, url, body, self._key)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        resp = self._session.request(
            method, url, data=body, headers=headers, verify=self._verify, timeout=30
        )
        if not 200 <= resp.status_code < 300:
            try:
                err = resp.json()["error"]
                code, message = err.get("code", ""), err.get("message", "")
            except (ValueError, KeyError, TypeError):
                code, message = "", resp.text[:200]
            raise AdminError(resp.status_code, code, message)
        return resp.json() if resp.content else None

    def health(self) -> dict:
        return self._call("GET", "/_emulator/health")

    def identities(self) -> list[dict]:
        return self._call("GET", "/_emulator/identities")["value"]

    def introspect(self, token: str) -> dict:
        return self._call("POST", "/_emulator/tokens:introspect", {"token": token})

    def reset(self) -> None:
        self._call("POST", "/_emulator/reset")

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
