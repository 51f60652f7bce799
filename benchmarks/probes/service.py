"""A real `acs-emulator serve` in a subprocess, for the probes that kill, damage or
measure it (its environment: no Azure variables, throttling off)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.probes.client import EXPORTED, parse_export

ROOT = Path(__file__).resolve().parents[2]
# The probes measure the service itself, not its request limits: throttling off (the agreed
# switch; harmless on a service that doesn't throttle).
UNTHROTTLED = {"ACS_EMULATOR_THROTTLING": "off"}


def service_env() -> dict[str, str]:
    """The environment of a `serve` subprocess: this checkout's code, no Azure variables
    (a connection string in the shell must not point the probes at Azure), throttling off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(UNTHROTTLED)
    return env


@contextlib.contextmanager
def unthrottled() -> Iterator[None]:
    """Throttling off for services started in this process (or forked from it) meanwhile."""
    saved = {name: os.environ.get(name) for name in UNTHROTTLED}
    os.environ.update(UNTHROTTLED)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ServeProcess:
    """`python -m helpers.emulator serve` in a subprocess; reads its export lines."""

    def __init__(self, state_dir: Path, port: int = 0) -> None:
        self.state_dir, self.port = Path(state_dir), port
        self.proc: subprocess.Popen | None = None
        self.exports: dict[str, str] = {}
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def start(self, timeout: float = 30.0) -> ServeProcess:
        for port in (self.port, 0) if self.port else (0,):
            if self._try_start(port, timeout):
                return self
        raise RuntimeError("the service did not start: " + self.stderr_tail())

    def _try_start(self, port: int, timeout: float) -> bool:
        env = service_env()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.emulator", "serve", "--port", str(port),
             "--state-dir", str(self.state_dir)],
            stdout=subprocess.PIPE, stderr=self.stderr_file, env=env, bufsize=0,
        )  # fmt: skip
        # Unbuffered bytes: select() then sees every line that is still unread.
        deadline = time.monotonic() + timeout
        self.exports = {}
        while not set(EXPORTED) <= set(self.exports) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                line = self.proc.stdout.readline().decode()
                if not line:
                    break  # exited (e.g. the port was taken)
                pair = parse_export(line)
                if pair:
                    self.exports[pair[0]] = pair[1]
        if not set(EXPORTED) <= set(self.exports):
            self.kill()
            return False
        conn = self.exports["COMMUNICATION_SERVICES_CONNECTION_STRING"]
        self.port = int(re.search(r"127\.0\.0\.1:(\d+)", conn).group(1))
        self.key = conn.split("accesskey=", 1)[1]
        self.ca_cert = self.exports["NODE_EXTRA_CA_CERTS"]
        self.bundle = self.exports["REQUESTS_CA_BUNDLE"]
        return True

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.kill()

    def close(self) -> None:
        self.stop()
        self.stderr_file.close()

    def stderr_tail(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read()[-2000:].decode("utf-8", "replace")
