"""What every pytest run in this project needs, the notebooks (nbval) included - pytest loads a
conftest.py only for the folders it collects, so this one sits at the root:

* The suite must never reach Azure, and must not touch the learner's own local-service state: it
  forces the local backend and gives each test process a private, empty state dir. Kernels that
  nbval starts inherit this environment.
* Tiers: every test is marked here, in one place, by what it needs (`NEEDS_BY_*`); `make check`
  runs the quick tier (`-m "not (kernel or browser or hub or install or slow)"`), `make test`
  everything. The shared fixtures (the local service) are in tests/conftest.py.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ["ACS_LAB_BACKEND"] = "emulator"
# One private state dir per process, never an inherited one: xdist workers inherit the
# controller's environment, and two notebooks on two workers sharing one identity database saw
# each other's identities (lesson 09's "Identities left" count, lesson 02's delete: 404).
os.environ["ACS_EMULATOR_HOME"] = tempfile.mkdtemp(prefix="acs-lab-tests-")
# Kernels pick their language from their notebook's folder (helpers.i18n); no override leaks in.
for _name in (
    "COMMUNICATION_SERVICES_CONNECTION_STRING",
    "COMMUNICATION_SERVICES_ENDPOINT",
    "ACS_LAB_LANGUAGE",
    "JPY_SESSION_NAME",
):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- tiers (markers)
# The markers themselves are declared in pyproject.toml. A test gets the markers of every
# rule that knows it: its folder, the fixtures it asks for, its module, its own name - so a
# new test file in tests/browser/, or one that asks for `emu`, is classified without a line here.
QUICK_EXCLUDES = ("kernel", "browser", "hub", "install", "slow")
NEEDS_BY_FOLDER = {
    "tests/browser": ("browser", "kernel", "service"),
    "tests/hub": ("hub", "kernel", "service", "slow"),
    "tests/emulator": ("service",),
    "tests/reliability": ("service",),
    "notebooks": ("kernel", "service"),  # nbval: one kernel per notebook
}
NEEDS_BY_FIXTURE = {
    "emu": ("service",),
    "fresh_emu": ("service",),
    "client": ("service",),
    "admin": ("service",),
    "rel_emu": ("service",),
    "lab_server": ("browser", "kernel"),
    "voila_server": ("browser", "kernel"),
    "page": ("browser",),
    "lab_page": ("browser", "kernel"),
}
NEEDS_BY_MODULE = {
    # A fresh venv, `pip install`, a wheelhouse: a minute or more.
    "tests/unit/test_wheelhouse.py": ("install", "slow"),
    # `make lab`: a real JupyterLab server, its kernels.
    "tests/unit/test_make_lab.py": ("kernel",),
    # nbclient runs lessons 02-07, 10 and 12 with their solutions and forms' calls typed in.
    "tests/lessons/test_completed_lessons.py": ("kernel",),
    # npm install of the JS SDK into the venv on first use, then Node against the service.
    "tests/emulator/test_js_entra.py": ("install",),
    "tests/emulator/test_js_quickstart.py": ("install",),
    # Load, faults, fuzzing and memory under stalled connections: seconds each, by design.
    "tests/reliability/test_load.py": ("slow",),
    "tests/reliability/test_faults.py": ("slow",),
    "tests/reliability/test_fuzz.py": ("slow",),
    "tests/reliability/test_memory.py": ("slow",),
    "tests/reliability/test_hostile.py": ("slow",),
    # Modules that start their own service (not through a fixture).
    "tests/unit/test_connection.py": ("service",),
    "tests/unit/test_connection_entra.py": ("service",),
}
# Tests that run console commands (`python -m helpers.emulator ...`, a quickstart) in child
# Pythons and wait for them to start, stop or time out: 3-20 s each on a busy 2-core machine.
CHILD_PROCESS_TESTS = (
    "tests/emulator/test_cli.py",
    "tests/emulator/test_hardening.py::test_background_serve_refuses_a_second_one_and_env_and_stop_say_when_nothing_runs",
    "tests/emulator/test_hardening.py::test_the_readme_background_example_returns_and_works_as_written",
    "tests/emulator/test_hardening.py::test_garbage_in_middle_pages_is_refused_and_reset_sets_it_aside",
    "tests/emulator/test_hardening.py::test_a_storage_error_at_run_time_is_a_503_envelope_logged_once",
    "tests/emulator/test_hardening.py::test_background_serve_passes_on_a_start_failure_as_one_line",
    "tests/emulator/test_hardening.py::test_a_zero_byte_database_is_refused_not_started_empty",
    "tests/emulator/test_hardening.py::test_serve_console_never_shows_a_header_value",
    "tests/emulator/test_hardening.py::test_a_weak_access_key_stops_the_service_from_starting",
    "tests/emulator/test_hardening.py::test_a_state_dir_others_can_write_or_own_is_refused",
    "tests/emulator/test_hardening.py::test_export_lines_are_safe_to_eval_whatever_the_state_dir_path_holds",
    "tests/emulator/test_entra.py::test_the_docs_python_entra_snippet_runs_with_only_the_exported_lines",
    "tests/emulator/test_entra.py::test_teams_token_cli_prints_only_a_token_the_exchange_accepts",
    "tests/emulator/test_entra.py::test_teams_token_cli_refuses_bad_input_in_one_line",
    "tests/reliability/test_secrets.py::test_full_run_logs_errors_and_reprs_hold_no_secrets",
    "tests/reliability/test_secrets.py::test_cli_output_holds_no_secrets_and_key_files_are_private",
)
# Quick-tier tests measured over the 5 s budget (QUICK_BUDGET_SECONDS) on this 2-core machine:
# 1,050-create bursts, 300 keep-alive rounds, waits for a throttling window to slide, lessons'
# code run in place.
OVER_THE_QUICK_BUDGET = (
    "tests/emulator/test_early_answers.py::test_python_sdk_sees_every_401_with_retries_off_on_one_keep_alive_client",
    "tests/emulator/test_throttling.py::test_serve_throttling_off_serves_past_the_documented_limit",
    "tests/unit/test_bulk_throttling.py::test_the_hand_out_finishes_and_says_the_sdk_waited_out_a_429",
    "tests/unit/test_bulk_throttling.py::test_an_asyncio_gather_fan_out_is_carried_through",
    "tests/lessons/test_quickstart_script.py::test_the_quickstart_cell_saved_as_a_file_runs_with_python",
    "tests/emulator/test_chat.py::test_every_refusal_reaches_a_client_with_retries_off_on_one_connection",
)
NEEDS_BY_TEST = {
    # Runs nbval in a child pytest on a broken copy of lesson 02.
    "tests/unit/test_notebooks.py::test_nbval_fails_when_a_stored_output_is_wrong": ("kernel",),
    # `make lab`: a real JupyterLab server.
    "tests/lessons/test_lab_calm.py::test_make_lab_starts_quietly_and_saves_no_widget_views": (
        "kernel",
    ),
    # npm install of the JS SDK on first use, then 150 rounds of Node against the service.
    "tests/emulator/test_early_answers.py::test_js_sdk_sees_every_401_with_retries_off": (
        "install",
        "slow",
    ),
    **dict.fromkeys(OVER_THE_QUICK_BUDGET, ("slow",)),
    **dict.fromkeys(CHILD_PROCESS_TESTS, ("slow",)),
}
# xdist: `make test` runs `-n auto --dist loadfile`: a notebook's cells share one kernel and a
# module its fixtures, so each file stays on one worker. (loadgroup with xdist_group marks split
# nbval's cells over both workers here: xdist 3.8, nbval 0.11.)
# A quick-tier test slower than this is named at the end of the run: it wants a marker above.
QUICK_BUDGET_SECONDS = 5.0


def _needs(item: pytest.Item, where: str) -> set[str]:
    needs: set[str] = set()
    for folder, marks in NEEDS_BY_FOLDER.items():
        if where == folder or where.startswith(folder + "/"):
            needs.update(marks)
    for fixture in getattr(item, "fixturenames", ()):
        needs.update(NEEDS_BY_FIXTURE.get(fixture, ()))
    needs.update(NEEDS_BY_MODULE.get(where, ()))
    needs.update(NEEDS_BY_TEST.get(where, ()))
    needs.update(NEEDS_BY_TEST.get(f"{where}::{getattr(item, 'originalname', item.name)}", ()))
    return needs


# Under xdist the heavy and slow runs start first, so that none of them is the last thing running
# (`make test` passes --no-loadscope-reorder: xdist takes files in the order the workers list them).
START_FIRST = ("install", "hub", "browser", "kernel", "slow")

# Files that mostly wait: for a throttling window to slide, npm to fetch the JavaScript SDKs,
# stalled connections to time out, a test server's late kernel list. Measured alone, the first
# ones used 0.26-0.40 CPU-seconds per second of their run, kernel_autostart about 0.66 (with 6 s
# of waits by design); the JavaScript checks wait on the npm registry in a fresh clone (js_entra:
# 13 s there, 3 s with its packages installed). Under xdist one worker at a time runs them,
# next to files that work (tests/scheduling.py).
MOSTLY_WAITING = frozenset(
    {
        "tests/emulator/test_throttling.py",
        "tests/unit/test_bulk_throttling.py",
        "tests/reliability/test_memory.py",
        "tests/hub/test_kernel_autostart.py",
        "tests/emulator/test_early_answers.py",
        "tests/emulator/test_js_entra.py",
        "tests/emulator/test_js_quickstart.py",
        "tests/emulator/test_js_chat.py",
    }
)


def _start_rank(item: pytest.Item) -> int:
    names = {mark.name for mark in item.iter_markers()}
    return next((i for i, name in enumerate(START_FIRST) if name in names), len(START_FIRST))


def _schedule(items: list[pytest.Item]) -> list[pytest.Item]:
    """Files in the order xdist should start them: install, hub, browser, kernel, slow, then the
    quick ones; each file's tests together and in their order."""
    rank: dict[Path, int] = {}
    for item in items:
        rank[item.path] = min(rank.get(item.path, len(START_FIRST)), _start_rank(item))
    # A file's tests are next to each other in the collection: a stable sort keeps them so.
    return sorted(items, key=lambda item: rank[item.path])


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with the waiting files run one at a time (tests/scheduling.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import WaitingFilesAlongside

    return WaitingFilesAlongside(config, log, waits=MOSTLY_WAITING.__contains__)


def pytest_configure(config):
    if config.getoption("nbval", default=False):
        from tests.kernels import use_for_nbval

        use_for_nbval()


def pytest_collection_modifyitems(config, items):
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        for name in sorted(_needs(item, where)):
            item.add_marker(name)
    if hasattr(config, "workerinput"):  # an xdist worker: its order is the schedule
        items[:] = _schedule(items)


def _is_quick(item_keywords) -> bool:
    return not any(name in item_keywords for name in QUICK_EXCLUDES)


def pytest_terminal_summary(terminalreporter):
    """Name quick-tier tests that took longer than the budget: they belong in a slower tier."""
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    slow = [
        (report.duration, report.nodeid)
        for report in reports
        if report.when == "call"
        and report.duration > QUICK_BUDGET_SECONDS
        and _is_quick(report.keywords)
    ]
    if slow:
        terminalreporter.write_line(
            f"quick-tier tests over {QUICK_BUDGET_SECONDS:.0f} s (add a marker in conftest.py):"
        )
        for duration, nodeid in sorted(slow, reverse=True)[:10]:
            terminalreporter.write_line(f"  {duration:6.1f} s  {nodeid}")
