"""Test tiers: one hook (the root conftest.py) marks every test; pyproject and Makefile agree."""

from __future__ import annotations

import re
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
    for key in [*conftest.NEEDS_BY_MODULE, *conftest.NEEDS_BY_TEST]:
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


def test_the_schedule_pairs_each_heavy_file_with_a_slow_one_and_keeps_files_whole():
    items = [
        fake_item("quick_a.py"),
        fake_item("slow_a.py", "slow"),
        fake_item("kernel_a.py", "kernel"),
        fake_item("quick_a.py"),
        fake_item("slow_b.py", "service", "slow"),
        fake_item("browser_a.py", "browser", "kernel"),
        fake_item("kernel_a.py", "kernel"),
        fake_item("hub_a.py", "hub", "slow"),
        fake_item("slow_c.py", "slow"),
    ]
    order = [item.path.name for item in conftest._schedule(items)]
    # hub before browser before kernel, each followed by a slow file; what is left of the slow
    # files next, the quick ones last; a file's tests stay together and in their order.
    assert order == [
        "hub_a.py", "slow_a.py",
        "browser_a.py", "slow_b.py",
        "kernel_a.py", "kernel_a.py", "slow_c.py",
        "quick_a.py", "quick_a.py",
    ]  # fmt: skip
    assert sorted(map(id, conftest._schedule(items))) == sorted(map(id, items))
