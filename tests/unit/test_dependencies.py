"""pyproject.toml and environment.yml must describe the same environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CONDA_ONLY = {"python", "pip"}


def _requirements(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        req = Requirement(line)
        out[canonicalize_name(req.name)] = str(req.specifier)
    return out


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return _requirements(project["dependencies"] + extras["dev"] + extras["hub"])


def environment_requirements() -> tuple[dict[str, str], str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    plain, python = [], ""
    for item in env["dependencies"]:
        if isinstance(item, dict):
            plain.extend(item["pip"])
        elif Requirement(item).name in CONDA_ONLY:
            python = str(Requirement(item).specifier) if item.startswith("python") else python
        else:
            plain.append(item)
    return _requirements(plain), python


def test_environment_yml_lists_the_same_packages_and_pins_as_pyproject():
    conda, _ = environment_requirements()
    pip = pyproject_requirements()
    assert sorted(conda) == sorted(pip), "package sets differ"
    different = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert not different, f"pins differ (pyproject, environment.yml): {different}"


def test_python_floor_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    _, python = environment_requirements()
    assert project["requires-python"] == python


def test_the_sdk_is_pinned_exactly():
    # The notebooks teach this SDK's API; a silent upgrade could change what learners see.
    assert pyproject_requirements()["azure-communication-identity"] == "==1.5.0"
    assert pyproject_requirements()["nbval"] == "==0.11.0"


def test_the_parallel_runner_make_test_uses_is_a_dev_dependency():
    assert "pytest-xdist" in pyproject_requirements()
    assert "-n auto" in (ROOT / "Makefile").read_text()


def test_no_jupyter_process_pays_for_an_iri_parser_on_import():
    """jsonschema 4.24+ imports rfc3987-syntax (its format-nongpl extra), which builds a parser
    on import: 1.4 s of CPU per Jupyter server or hub start here. The pin keeps it out."""
    code = "import sys, jsonschema; print(sorted(m for m in sys.modules if 'rfc3987' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "rfc3987_syntax" not in done.stdout, done.stdout
