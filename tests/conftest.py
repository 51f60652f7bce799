"""Fixtures shared by every suite. The environment set-up and the tier markers are in the root
conftest.py (it also applies to a run of notebooks/ alone)."""

from __future__ import annotations

import logging

import pytest

# --------------------------------------------------------------------------- the local service
# One real local service per test session (per xdist worker): starting one costs ~0.5 s plus
# its TLS set-up, and most tests only need it to answer. A test that needs an empty service asks
# for `fresh_emu` instead; one that must kill or damage a service starts its own.


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
    """One running service; any ERROR it logs (i.e. a 500 path) fails the session."""
    from helpers import emulator

    catcher = _ErrorCatcher()
    loggers = [logging.getLogger(name) for name in ("helpers.emulator", "tornado")]
    for logger in loggers:
        logger.addHandler(catcher)
    try:
        with emulator.start(state_dir=tmp_path_factory.mktemp("acs-state")) as running:
            yield running
    finally:
        for logger in loggers:
            logger.removeHandler(catcher)
    assert not catcher.records, [r.getMessage() for r in catcher.records]


@pytest.fixture(scope="session")
def client(emu):
    """The sync SDK client (default api-version), no retries so failures are immediate."""
    from tests.support import sdk_client

    return sdk_client(emu.connection_string, emu.ca_bundle)


@pytest.fixture(scope="session")
def admin(emu):
    from helpers import emulator

    with emulator.AdminClient(emu.connection_string, ca_bundle=emu.ca_bundle) as admin_client:
        yield admin_client


@pytest.fixture
def fresh_emu(emu, admin):
    """The session's service, emptied first: for a test that counts or lists everything."""
    admin.reset()
    return emu
