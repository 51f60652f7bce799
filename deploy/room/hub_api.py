"""The running hub's REST API, with the trainer service's token (the trainer commands use it).

It talks to the hub on its internal loopback port (written to private/room.json at start), so it
works the same whether the room faces the network over HTTPS or not."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from .layout import DEFAULT_CULL_IDLE, ROOM_FILE, RoomError, private_dir
from .settings import room_secrets


class Hub:
    def __init__(self, room: Path):
        self.room = room
        try:
            info = json.loads((private_dir(room) / ROOM_FILE).read_text())
            token = room_secrets(room)["token"]
        except (OSError, ValueError):
            raise RoomError(f"no room at {room}: start it with `make hub` first") from None
        self.api_url = info["api_url"]
        self.admin = info["admin"]
        self.runtime = info.get("runtime") or ""
        self.cull_idle = int(info.get("cull_idle") or DEFAULT_CULL_IDLE)
        self.token = token  # the trainer's: also reaches attendees' servers (access:servers)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def call(self, method: str, path: str, ok=(200, 201, 202, 204)) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.api_url}{path}", timeout=30)
        except requests.ConnectionError:
            raise RoomError("the room's hub isn't running; start it with `make hub`") from None
        if response.status_code not in ok:
            raise RoomError(f"the hub answered {response.status_code} to {method} {path}")
        return response

    def users(self) -> list[dict]:
        return self.call("GET", "/users").json()

    def user(self, name: str) -> dict | None:
        response = self.call("GET", f"/users/{name}", ok=(200, 404))
        return response.json() if response.status_code == 200 else None

    def stop(self, names: list[str], timeout: float = 60) -> None:
        """Stop these attendees' servers and wait until every one has stopped."""
        for name in names:
            self.call("DELETE", f"/users/{name}/server", ok=(202, 204, 400))
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            waiting = [n for n in waiting if (self.user(n) or {}).get("servers")]
            if waiting and time.monotonic() > deadline:
                raise RoomError(f"servers still stopping after {timeout:.0f} s: {waiting}")
            time.sleep(0.3)

    def start(self, name: str) -> None:
        self.call("POST", f"/users/{name}/server", ok=(201, 202, 400))

    def server_address(self, name: str) -> str:
        """Where the attendee's running server answers on loopback (the proxy's route target),
        so the trainer commands reach it the same way whether the room uses HTTPS or not."""
        route = self.call("GET", "/proxy").json().get(f"/user/{name}/")
        if not route:
            raise RoomError(f"{name}'s server has no route in the proxy; is it running?")
        return f"{route['target'].rstrip('/')}/user/{name}/"

    def delete(self, name: str) -> None:
        self.call("DELETE", f"/users/{name}", ok=(204, 404))


def server_state(user: dict) -> str:
    server = (user.get("servers") or {}).get("")
    if not server:
        return "stopped"
    if server.get("ready"):
        return "running"
    return server.get("pending") or "starting"
