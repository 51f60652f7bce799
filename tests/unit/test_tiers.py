"""Test tiers: one hook (the root conftest.py) marks every test; pyproject and Makefile agree."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import conftest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYTEST_INI = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]


def declared_markers() -> set[str]:
    return {line.split(":")[0] for line in PYTEST_INI["markers"]}


def needs(where: str, *fixtures: str, name: str = "test_x") -> set[str]:
    item = SimpleNamespace(fixturenames=list(fixtures), name=name, originalname=name)
    return conftest._needs(item, where)


def test_every_marker_the_hook_sets_is_declared_in_pyproject():
    tables = (
        conftest.NEEDS_BY_FOLDER,
        conftest.NEEDS_BY_FIXTURE,
        conftest.NEEDS_BY_MODULE,
        conftest.NEEDS_BY_TEST,
    )
    used = {mark for table in tables for marks in table.values() for mark in marks}
    assert used | set(conftest.QUICK_EXCLUDES) <= declared_markers()


def test_every_file_or_test_the_tables_name_exists():
    for key in [*conftest.NEEDS_BY_MODULE, *conftest.NEEDS_BY_TEST, *conftest.MOSTLY_WAITING]:
        path, _, test = key.partition("::")
        assert (ROOT / path).is_file(), f"{path} is gone: update conftest.py"
        if test:
            assert re.search(rf"^def {test}\(", (ROOT / path).read_text(), re.M), key


def test_make_check_runs_the_quick_tier_and_make_test_everything_with_nbval():
    makefile = (ROOT / "Makefile").read_text()
    quick = re.search(r"^QUICK := not \((.+)\)$", makefile, re.M).group(1).split(" or ")
    assert quick == list(conftest.QUICK_EXCLUDES)
    check = makefile.split("\ncheck:")[1].split("\n\n")[0]
    assert '-m "$(QUICK)"' in check and "ruff check" in check and "ruff format --check" in check
    test = makefile.split("\ntest:")[1].split("\n\n")[0]
    assert "--nbval" in test and '-m "' not in test and "--durations" in test
    # A notebook's cells share one kernel: they must all run on the same xdist worker.
    assert "--dist loadfile" in makefile


def test_make_test_runs_one_worker_more_than_there_are_cores_and_make_check_one_per_core():
    def pytest_command(target: str) -> str:
        stamps = [
            f"-o.venv/{stamp}" for stamp in (".installed", ".installed-dev", ".installed-hub")
        ]
        # Not the settings of a `make` this test may run under (`make test TEST_WORKERS=2`).
        outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TEST_WORKERS", "TEST_XDIST", "XDIST")
        env = {k: v for k, v in os.environ.items() if k not in outer}
        dry = subprocess.run(
            ["make", "-n", *stamps, target],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        (command,) = [line for line in dry.stdout.splitlines() if " -m pytest " in line]
        return command

    workers = (os.cpu_count() or 1) + 1
    assert f" -n {workers} --dist loadfile " in pytest_command("test")
    assert " -n auto --dist loadfile " in pytest_command("check")


def test_addopts_leave_the_cache_on_and_nbval_to_the_caller():
    addopts = PYTEST_INI["addopts"].split()
    assert "no:cacheprovider" not in addopts and "--nbval" not in addopts
    assert ".pytest_cache/" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_new_file_is_classified_by_its_folder_and_its_fixtures():
    assert {"browser", "kernel"} <= needs("tests/browser/test_new.py")
    assert "hub" in needs("tests/hub/test_new.py")
    assert "service" in needs("tests/unit/test_new.py", "tmp_path", "client")
    assert needs("tests/unit/test_new.py", "tmp_path") == set()
    assert "kernel" in needs("notebooks/de/99-new.ipynb")


def fake_item(path: str, *marks: str):
    markers = [SimpleNamespace(name=mark) for mark in marks]
    return SimpleNamespace(path=Path(path), iter_markers=lambda: iter(markers), name=path)


def test_the_schedule_starts_heavy_files_first_and_keeps_files_whole():
    items = [
        fake_item("quick_a.py"),
        fake_item("slow_a.py", "slow"),
        fake_item("kernel_a.py", "kernel"),
        fake_item("quick_a.py"),
        fake_item("slow_b.py", "service", "slow"),
        fake_item("browser_a.py", "browser", "kernel"),
        fake_item("kernel_a.py", "kernel"),
        fake_item("hub_a.py", "hub", "slow"),
        fake_item("install_a.py", "install"),
    ]
    order = [item.path.name for item in conftest._schedule(items)]
    # install, hub, browser, kernel, slow, quick; a file's tests together and in their order.
    assert order == [
        "install_a.py", "hub_a.py", "browser_a.py", "kernel_a.py", "kernel_a.py",
        "slow_a.py", "slow_b.py", "quick_a.py", "quick_a.py",
    ]  # fmt: skip
    assert sorted(map(id, conftest._schedule(items))) == sorted(map(id, items))


class FakeWorker:
    """What xdist's scheduler uses of a worker: its name, the test indexes it is sent, its
    shutdown."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_one_worker_at_a_time_runs_the_waiting_files_while_the_other_runs_the_rest():
    from tests.scheduling import WaitingFilesAlongside

    collection = [
        "busy_1.py::a", "busy_1.py::b", "busy_1.py::c",
        "wait_1.py::a", "wait_1.py::b",
        "busy_2.py::a",
        "wait_2.py::a",
        "busy_3.py::a",
    ]  # fmt: skip
    # What `make test` passes: two workers, files in the order the workers collected them.
    config = SimpleNamespace(
        getvalue={"tx": ["2*popen"]}.get, option=SimpleNamespace(loadscopereorder=False)
    )
    scheduler = WaitingFilesAlongside(config, None, waits=lambda file: file.startswith("wait"))
    one, two = FakeWorker("one"), FakeWorker("two")
    for worker in (one, two):
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()

    def file_of(index: int) -> str:
        return collection[index].split("::")[0]

    def files(worker: FakeWorker) -> list[str]:
        return list(dict.fromkeys(map(file_of, worker.sent)))

    def finish(worker: FakeWorker, count: int) -> None:
        work = scheduler.assigned_work[worker]
        pending = [i for i in worker.sent if not work[file_of(i)][collection[i]]]
        for index in pending[:count]:
            scheduler.mark_test_complete(worker, index)

    # No one waits yet: the first worker takes the first waiting file, the second the first
    # other one; neither is sent a second file while it has two tests or more to run.
    assert (files(one), files(two)) == (["wait_1.py"], ["busy_1.py"])
    finish(two, 2)  # busy_1's last test: the other worker is still on wait_1
    assert files(two) == ["busy_1.py", "busy_2.py"]
    finish(one, 1)  # wait_1's last test: nobody else waits, so the next waiting file
    assert files(one) == ["wait_1.py", "wait_2.py"]
    finish(two, 2)  # a worker takes a waiting file only when no other worker has one
    assert files(two) == ["busy_1.py", "busy_2.py", "busy_3.py"]
    finish(one, 2)
    finish(two, 1)
    assert not scheduler.workqueue and one.shutting_down and two.shutting_down
    assert sorted(one.sent + two.sent) == list(range(len(collection)))


def test_make_test_hands_out_files_with_the_waiting_ones_apart():
    from tests.scheduling import WaitingFilesAlongside

    config = SimpleNamespace(getvalue={"dist": "loadfile", "tx": ["2*popen"]}.get)
    scheduler = conftest.pytest_xdist_make_scheduler(config, None)
    assert isinstance(scheduler, WaitingFilesAlongside)
    assert scheduler.waits("tests/emulator/test_throttling.py")
    assert not scheduler.waits("tests/hub/test_room.py")
    other = SimpleNamespace(getvalue={"dist": "load", "tx": ["2*popen"]}.get)
    assert conftest.pytest_xdist_make_scheduler(other, None) is None
