"""deploy/z2jh/values.yaml sets only keys that the Zero to JupyterHub chart accepts, with the types
it accepts, and keeps the room's isolation, culling and resource limits.

Kubernetes can't run here, so the facts below are read from the chart's published values schema,
`jupyterhub/values.schema.yaml` of jupyterhub/zero-to-jupyterhub-k8s at tag 4.3.2 (the chart
version the values file names; it ships JupyterHub 5.4.3). Only the keys this values file relies
on are written down, each with the JSON types the schema allows; "closed" marks objects whose
schema says `additionalProperties: false`, so a misspelled key there is an error, as helm says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"
CHART_VERSION = "4.3.2"

# Facts from the chart 4.3.2 values schema: dotted key -> allowed JSON types.
TYPES = {
    "hub": {"object"},
    "hub.config": {"object"},
    "singleuser": {"object"},
    "singleuser.image": {"object"},
    "singleuser.image.name": {"string"},
    "singleuser.image.tag": {"string"},
    "singleuser.defaultUrl": {"string", "null"},
    "singleuser.extraEnv": {"object", "array"},
    "singleuser.storage": {"object"},
    "singleuser.storage.type": {"string"},  # enum below
    "singleuser.storage.capacity": {"string", "null"},
    "singleuser.storage.homeMountPath": {"string"},
    "singleuser.networkPolicy": {"object"},
    "singleuser.networkPolicy.enabled": {"boolean"},
    "singleuser.memory": {"object"},
    "singleuser.memory.limit": {"number", "string", "null"},
    "singleuser.memory.guarantee": {"number", "string", "null"},
    "singleuser.cpu": {"object"},
    "singleuser.cpu.limit": {"number", "null"},
    "singleuser.cpu.guarantee": {"number", "null"},
    "singleuser.startTimeout": {"integer", "null"},
    "cull": {"object"},
    "cull.enabled": {"boolean"},
    "cull.timeout": {"integer", "null"},
    "cull.every": {"integer", "null"},
    "cull.users": {"boolean", "null"},
    "cull.maxAge": {"integer", "null"},
}
ENUMS = {"singleuser.storage.type": {"dynamic", "static", "none"}}
# additionalProperties: false in the schema (the top level too): only listed children allowed.
CLOSED = {
    "",
    "hub",
    "singleuser",
    "singleuser.image",
    "singleuser.storage",
    "singleuser.networkPolicy",
    "singleuser.memory",
    "singleuser.cpu",
    "cull",
}
# (`hub` also requires `baseUrl`, which the chart's own values.yaml sets to "/": helm checks
# the merged values, so a values file need not repeat it. We set the others ourselves.)
REQUIRED = {
    "singleuser.image": {"name", "tag"},
    "singleuser.storage": {"type", "homeMountPath"},
    "cull": {"enabled"},
}
# hub.config: closed too, but with patternProperties `^[A-Z].*$` -> object with
# additionalProperties: true (traitlets config of a class: any trait name passes the schema).
CLASS_CONFIG = re.compile(r"^[A-Z].*$")
OPEN = {"singleuser.extraEnv"}  # additionalProperties: true


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def schema_problems(values: dict) -> list[str]:
    """Every way `values` breaks the facts above, as 'key: what is wrong' lines."""
    problems = []

    def walk(path: str, value) -> None:
        kind = json_type(value)
        if path:
            allowed = TYPES.get(path)
            if allowed is None:
                problems.append(f"{path}: not a key the chart {CHART_VERSION} schema knows")
                return
            # JSON Schema: an integer is a number too.
            if kind not in allowed and not (kind == "integer" and "number" in allowed):
                problems.append(f"{path}: {kind}, the schema allows {sorted(allowed)}")
                return
            if path in ENUMS and value not in ENUMS[path]:
                problems.append(f"{path}: {value!r} is not one of {sorted(ENUMS[path])}")
        missing = REQUIRED.get(path, set()) - set(value or {}) if kind == "object" else set()
        problems.extend(f"{path}.{key}: required by the schema" for key in sorted(missing))
        if kind != "object" or path in OPEN:
            return
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if path == "hub.config":
                if not CLASS_CONFIG.match(key) or json_type(child) != "object":
                    problems.append(f"{child_path}: hub.config keys are class names -> objects")
                continue  # pass-through traitlets config
            if path in CLOSED or path == "":
                walk(child_path, child)

    walk("", values)
    return problems


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def test_the_values_file_names_the_chart_version_its_keys_are_checked_against():
    assert f"chart {CHART_VERSION}" in VALUES.read_text()
    assert f"--version {CHART_VERSION}" in VALUES.read_text()


def test_every_key_the_values_file_sets_is_in_the_chart_schema_with_its_type(values):
    assert schema_problems(values) == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"singleuser": {"memry": {"limit": "1G"}}}, "singleuser.memry: not a key"),
        ({"cull": {"enabled": "yes"}}, "cull.enabled: string"),
        ({"cull": {"timeout": 60}}, "cull.enabled: required"),
        ({"singleuser": {"storage": {"type": "nfs", "homeMountPath": "/h"}}}, "not one of"),
        ({"singleuser": {"image": {"name": "x", "tag": 1}}}, "singleuser.image.tag: integer"),
        ({"hub": {"config": {"authenticator_class": "x"}}}, "class names"),
    ],
)
def test_the_check_catches_what_helm_would_refuse(broken, expected):
    assert any(expected in line for line in schema_problems(broken)), schema_problems(broken)


def test_kubernetes_gives_each_attendee_the_same_isolated_lab_as_make_hub(values):
    hub_config = values["hub"]["config"]
    single = values["singleuser"]
    assert hub_config["JupyterHub"]["authenticator_class"] == "shared-password"
    # No password in the repository: they come from --set-string at install time.
    assert "SharedPasswordAuthenticator" not in hub_config
    env = single["extraEnv"]
    home = single["storage"]["homeMountPath"]
    assert single["storage"]["type"] == "dynamic"  # one volume per attendee
    assert env["ACS_EMULATOR_HOME"].startswith(home + "/")  # own service state, on own volume
    assert env["ACS_LAB_WORKING_COPY"].startswith(home + "/")
    assert hub_config["KubeSpawner"]["notebook_dir"] == env["ACS_LAB_WORKING_COPY"]
    assert env["ACS_LAB_BACKEND"] == "emulator"
    assert values["cull"]["enabled"] is True and values["cull"]["users"] is False
    assert single["memory"]["limit"] and single["cpu"]["limit"]


def test_the_one_machine_hub_and_kubernetes_agree_on_names_and_culling(values):
    config = (ROOT / "deploy" / "jupyterhub_config.py").read_text()
    pattern = values["hub"]["config"]["Authenticator"]["username_pattern"]
    assert f'r"{pattern}"' in config
    assert "HUB_CULL_IDLE', '3600'" in config and values["cull"]["timeout"] == 3600
