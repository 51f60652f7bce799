"""Test-session set-up shared by every suite, including nbval's notebook kernels.

The suite must never reach Azure, and must not touch the learner's own local-service state: so
it forces the local backend and gives the whole session a private, empty state dir. Kernels that
nbval starts inherit this environment.
"""

from __future__ import annotations

import os
import tempfile

os.environ["ACS_LAB_BACKEND"] = "emulator"
os.environ.setdefault("ACS_EMULATOR_HOME", tempfile.mkdtemp(prefix="acs-lab-tests-"))
for _name in ("COMMUNICATION_SERVICES_CONNECTION_STRING", "COMMUNICATION_SERVICES_ENDPOINT"):
    os.environ.pop(_name, None)
