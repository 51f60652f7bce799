"""deploy/z2jh/values.yaml against the Zero to JupyterHub chart's real values schema.

The chart ships a JSON schema that `helm install` checks the merged values against (the chart's
defaults with ours on top). The schema and the defaults of the chart version the values file
names are vendored in deploy/z2jh/chart-<version>/ (SOURCE.md says where from), and this test
does what helm does with them, with `jsonschema`. Kubernetes itself can't run here.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from deploy import room as hub_room

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"
CHART_VERSION = re.search(r"--version (\S+)", VALUES.read_text()).group(1)
CHART = ROOT / "deploy" / "z2jh" / f"chart-{CHART_VERSION}"


def merged(defaults: dict, ours: dict) -> dict:
    """Helm's coalescing of a values file onto the chart's defaults: maps merge key by key,
    anything else replaces, and a null removes the chart's key."""
    out = copy.deepcopy(defaults)
    for key, value in ours.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def schema_errors(ours: dict) -> list[str]:
    """What `helm install` would refuse: one 'where: what' line per schema error."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return sorted(
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(merged(defaults, ours))
    )


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def test_the_chart_schema_of_the_named_version_is_vendored_with_its_source():
    assert (CHART / "values.schema.json").is_file() and (CHART / "values.yaml").is_file()
    source = (CHART / "SOURCE.md").read_text()
    assert f"tag `{CHART_VERSION}`" in source
    assert f"chart {CHART_VERSION}" in VALUES.read_text()
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_the_chart_defaults_alone_pass_their_own_schema():
    assert schema_errors({}) == []


def test_the_values_file_passes_the_chart_schema(values):
    assert schema_errors(values) == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"singleuser": {"memry": {"limit": "1G"}}}, "'memry' was unexpected"),
        ({"cull": {"enabled": "yes"}}, "cull.enabled: 'yes' is not of type 'boolean'"),
        ({"singleuser": {"storage": {"type": "nfs"}}}, "singleuser.storage.type: 'nfs' is not"),
        ({"singleuser": {"image": {"tag": 1}}}, "singleuser.image.tag: 1 is not of type"),
        ({"hub": {"config": {"authenticator_class": "x"}}}, "hub.config"),
        ({"singleuser": {"networkPolicy": {"enabled": "on"}}}, "is not of type 'boolean'"),
    ],
)
def test_the_check_catches_what_helm_would_refuse(values, broken, expected):
    errors = schema_errors(merged(values, broken))
    assert any(expected in line for line in errors), errors


def test_kubernetes_gives_each_attendee_the_same_isolated_lab_as_make_hub(values):
    hub_config = values["hub"]["config"]
    single = values["singleuser"]
    assert hub_config["JupyterHub"]["authenticator_class"] == "shared-password"
    # No password in the repository: they come from --set-string at install time.
    assert "SharedPasswordAuthenticator" not in hub_config
    env = single["extraEnv"]
    home = single["storage"]["homeMountPath"]
    assert single["storage"]["type"] == "dynamic"  # one volume per attendee
    assert single["networkPolicy"]["enabled"] is True
    assert env["ACS_EMULATOR_HOME"].startswith(home + "/")  # own service state, on own volume
    assert env["ACS_LAB_WORKING_COPY"].startswith(home + "/")
    assert hub_config["KubeSpawner"]["notebook_dir"] == env["ACS_LAB_WORKING_COPY"]
    assert env["ACS_LAB_BACKEND"] == "emulator"
    assert values["cull"]["enabled"] is True and values["cull"]["users"] is False
    assert single["memory"]["limit"] and single["cpu"]["limit"]


def test_the_one_machine_hub_and_kubernetes_agree_on_names_and_culling(values):
    pattern = values["hub"]["config"]["Authenticator"]["username_pattern"]
    assert pattern == hub_room.NAME_PATTERN.pattern
    assert values["cull"]["timeout"] == hub_room.DEFAULT_CULL_IDLE
