"""Test-session set-up shared by every suite, including nbval's notebook kernels.

The suite must never reach Azure, and must not touch the learner's own local-service state: so
it forces the local backend and gives the whole session a private, empty state dir. Kernels that
nbval starts inherit this environment.
"""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ["ACS_LAB_BACKEND"] = "emulator"
os.environ.setdefault("ACS_EMULATOR_HOME", tempfile.mkdtemp(prefix="acs-lab-tests-"))
# Kernels pick their language from their notebook's folder (helpers.i18n); no override leaks in.
for _name in (
    "COMMUNICATION_SERVICES_CONNECTION_STRING",
    "COMMUNICATION_SERVICES_ENDPOINT",
    "ACS_LAB_LANGUAGE",
    "JPY_SESSION_NAME",
):
    os.environ.pop(_name, None)


# A real local service per test module, for suites that need one and don't define their own
# (tests/emulator and tests/reliability do: they watch its logs or kill it).


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    from helpers import emulator

    with emulator.start(state_dir=tmp_path_factory.mktemp("acs-state")) as running:
        yield running


@pytest.fixture(scope="module")
def client(emu):
    from tests.support import sdk_client

    return sdk_client(emu.connection_string, emu.ca_bundle)


@pytest.fixture(scope="module")
def admin(emu):
    from helpers import emulator

    with emulator.AdminClient(emu.connection_string, ca_bundle=emu.ca_bundle) as admin_client:
        yield admin_client
