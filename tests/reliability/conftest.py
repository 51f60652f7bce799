"""The reliability tests' own service, logging at DEBUG from its first line (test_secrets scans
every line it ever wrote), apart from the session's `emu` (tests/conftest.py)."""

from __future__ import annotations

import logging

import pytest

from helpers.emulator import start


class Capture(logging.Handler):
    """Keeps every formatted record (DEBUG and up) so tests can scan them for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


LOGGERS = ("helpers", "tornado")


@pytest.fixture(scope="session")
def captured_logs():
    cap = Capture()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(cap)
    yield cap
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(cap)
        logging.getLogger(name).setLevel(saved[name])


@pytest.fixture(scope="session")
def rel_emu(tmp_path_factory, captured_logs):
    """The service under test; any ERROR it logs (a 500 path) fails the session."""
    # Load, fuzz and hostile runs go past Azure's request limits on purpose: throttling off.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACS_EMULATOR_THROTTLING", "off")
        emu = start(tmp_path_factory.mktemp("rel-state"))
    with emu:
        yield emu
    errors = [line for line in captured_logs.lines if " ERROR " in line]
    assert not errors, errors


def health_ok(emu) -> bool:
    """The service still answers a signed health check."""
    from helpers.emulator import AdminClient

    with AdminClient(emu.connection_string, ca_bundle=emu.ca_bundle) as admin:
        return admin.health()["status"] == "ok"
