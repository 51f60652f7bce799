"""A simulated attendee, doing through the hub and its proxy what a person's browser does.

Sign in on the hub's login form with the workshop password, start their server, open a notebook
from their own working copy and run its code cells in a kernel over the same websocket JupyterLab
uses. The hub test and the room benchmark use it; a trainer can use it as a smoke test:

    python -m deploy.attendee http://127.0.0.1:8000/ smoke-test PASSWORD
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

NOTEBOOK_08 = "08-run-the-code.ipynb"


class AttendeeError(Exception):
    """A step an attendee would see fail; the message names the step."""


@dataclass
class CellResult:
    source: str
    status: str  # "ok" or "error"
    text: str  # everything the cell printed or displayed as text/plain, joined
    error: str = ""
    count: int = 0  # the execution count the kernel gave it: the [n] a notebook shows


class _OwnServer:
    """Requests to someone's own Jupyter server (`server_url`, with `session`'s credentials)."""

    name: str
    server_url: str
    session: requests.Session

    def server(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, f"{self.server_url}{path}", timeout=60, **kwargs)

    def notebook(self, path: str = NOTEBOOK_08) -> dict:
        response = self.server("GET", f"api/contents/{path}")
        if response.status_code != 200:
            raise AttendeeError(
                f"{self.name}: {path} not in their copy (HTTP {response.status_code})"
            )
        return response.json()


@dataclass
class ServerAccess(_OwnServer):
    """Someone's own Jupyter server at `server_url`, reached with `token`: the trainer's warm-seat
    command uses it (with the room's trainer token) on a seat's server directly."""

    name: str
    server_url: str
    token: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"token {self.token}"


@dataclass
class Attendee(_OwnServer):
    """One person in the room: a name, the hub's URL, and after sign-in an API token."""

    hub_url: str
    name: str
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    token: str = field(default="", repr=False)

    @property
    def server_url(self) -> str:
        return f"{self.hub_url}user/{self.name}/"

    def sign_in(self, password: str) -> None:
        """The login form, as a browser posts it (with the hub's XSRF cookie)."""
        login = f"{self.hub_url}hub/login"
        self.session.get(login, timeout=30).raise_for_status()
        xsrf = self.session.cookies.get("_xsrf", "")
        response = self.session.post(
            login,
            data={"username": self.name, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code != 302 or "jupyterhub-session-id" not in self.session.cookies:
            raise AttendeeError(f"{self.name}: sign-in refused (HTTP {response.status_code})")
        # A token for this attendee alone, made with their signed-in browser session: the
        # scripted steps below then use it instead of cookies (same routes, same proxy).
        made = self.session.post(
            f"{self.hub_url}hub/api/users/{self.name}/tokens",
            json={"note": "room simulation", "expires_in": 3600},
            headers={"X-XSRFToken": self.session.cookies.get("_xsrf", "")},
            timeout=60,
        )
        if made.status_code != 201:
            raise AttendeeError(f"{self.name}: could not get a token (HTTP {made.status_code})")
        self.token = made.json()["token"]
        self.session.headers["Authorization"] = f"token {self.token}"

    def hub(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, f"{self.hub_url}hub/api{path}", timeout=60, **kwargs)

    def start_server(self, timeout: float = 120) -> None:
        """Ask the hub for this attendee's server and wait until it is ready."""
        response = self.hub("POST", f"/users/{self.name}/server")
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise AttendeeError(f"{self.name}: server start refused (HTTP {response.status_code})")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = (self.hub("GET", f"/users/{self.name}").json().get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            if not server:
                raise AttendeeError(f"{self.name}: the server stopped while starting")
            time.sleep(0.5)
        raise AttendeeError(f"{self.name}: server not ready after {timeout:.0f} s")

    def run_notebook(self, path: str = NOTEBOOK_08, timeout: float = 120) -> list[CellResult]:
        """Open `path` from the attendee's copy in a new kernel and run every code cell."""
        cells = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in self.notebook(path)["content"]["cells"]
            if c["cell_type"] == "code"
        ]
        with self.kernel(path) as kernel:
            return asyncio.run(kernel.run(cells, timeout))

    def kernel(self, path: str) -> Kernel:
        return Kernel(self, path)

    def stop_server(self) -> None:
        self.hub("DELETE", f"/users/{self.name}/server")


class Kernel:
    """A notebook session (kernel started in the notebook's folder) driven over its websocket."""

    def __init__(self, attendee: Attendee | ServerAccess, path: str):
        self.attendee, self.path = attendee, path
        self.session_id = ""
        self.kernel_id = ""
        self.reused = False  # the notebook's session was already running (a warm seat's)

    def open(self) -> Kernel:
        """As JupyterLab opens a notebook: join the session already running for its path (with
        its kernel), else start one."""
        listed = self.attendee.server("GET", "api/sessions")
        if listed.status_code != 200:
            raise AttendeeError(
                f"{self.attendee.name}: no session list (HTTP {listed.status_code})"
            )
        found = [s for s in listed.json() if s.get("path") == self.path and s.get("kernel")]
        if found:
            self.reused, model = True, found[0]
        else:
            # As JupyterLab names it: JupyterLab drops the whole session list when one session
            # has no name (its model check wants a string), and then starts another kernel.
            name = self.path.rsplit("/", 1)[-1]
            made = self.attendee.server(
                "POST",
                "api/sessions",
                json={
                    "path": self.path,
                    "name": name,
                    "type": "notebook",
                    "kernel": {"name": "python3"},
                },
            )
            if made.status_code != 201:
                raise AttendeeError(f"{self.attendee.name}: no kernel (HTTP {made.status_code})")
            model = made.json()
        self.session_id, self.kernel_id = model["id"], model["kernel"]["id"]
        return self

    def close(self) -> None:
        """Shut the session and its kernel down."""
        self.attendee.server("DELETE", f"api/sessions/{self.session_id}")

    def __enter__(self) -> Kernel:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    async def run(
        self, cells: list[str], timeout: float, *, silent: bool = False
    ) -> list[CellResult]:
        """Run `cells` one after the other; `silent` ones leave no trace a learner could see:
        no execution count, no history, no input echoed to other clients."""
        parts = urlsplit(self.attendee.server_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = f"{scheme}://{parts.netloc}{parts.path}api/kernels/{self.kernel_id}/channels"
        request = HTTPRequest(
            url,
            headers={"Authorization": f"token {self.attendee.token}"},
            connect_timeout=30,
            request_timeout=timeout,
        )
        socket = await websocket_connect(request)
        try:
            return [
                await asyncio.wait_for(self._execute(socket, c, silent), timeout) for c in cells
            ]
        finally:
            socket.close()

    async def _execute(self, socket, code: str, silent: bool = False) -> CellResult:
        msg_id = uuid.uuid4().hex
        await socket.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": self.attendee.name,
                        "session": self.session_id,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": silent,
                        "store_history": not silent,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        text, status, error, idle, replied, count = [], "", "", False, False, 0
        while not (idle and replied):
            raw = await socket.read_message()
            if raw is None:
                raise AttendeeError(f"{self.attendee.name}: kernel connection closed")
            if isinstance(raw, bytes):
                continue  # binary frames carry widget buffers; nothing to read here
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied, status = True, content["status"]
                count = content.get("execution_count") or 0
        return CellResult(
            source=code, status=status, text="\n".join(text), error=error, count=count
        )

    def execute(self, code: str, timeout: float = 60) -> CellResult:
        """Run one snippet in this kernel (the hub test's isolation checks use it)."""

        async def once():
            results = await self.run([code], timeout)
            return results[0]

        return asyncio.run(once())


def failures(results: list[CellResult]) -> list[str]:
    """Cells that raised, or that caught an exception and printed it (as notebook 08 does)."""
    bad = []
    for number, cell in enumerate(results, 1):
        if cell.status != "ok":
            bad.append(f"cell {number}: {cell.error or cell.status}")
        elif "Exception:" in cell.text:
            bad.append(f"cell {number}: {cell.text.strip().splitlines()[-1]}")
    return bad


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m deploy.attendee HUB_URL NAME PASSWORD", file=sys.stderr)
        return 2
    hub_url, name, password = args
    attendee = Attendee(hub_url.rstrip("/") + "/", name)
    try:
        attendee.sign_in(password)
        attendee.start_server()
        bad = failures(attendee.run_notebook())
    except (AttendeeError, requests.RequestException) as err:
        print(f"attendee: {err}", file=sys.stderr)
        return 1
    print(f"{name}: notebook 08 " + ("ran" if not bad else "failed: " + "; ".join(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
