"""The stress probes start services that measure the service itself: throttling off, no Azure."""

import os

from benchmarks.probes import service


def test_a_serve_subprocess_gets_throttling_off_and_no_azure_variables(monkeypatch):
    monkeypatch.setenv("COMMUNICATION_SERVICES_CONNECTION_STRING", "endpoint=https://x;accesskey=k")
    monkeypatch.setenv("ACS_EMULATOR_THROTTLING", "on")
    env = service.service_env()
    assert env["ACS_EMULATOR_THROTTLING"] == "off"
    assert not [name for name in env if name.startswith("COMMUNICATION_")]
    assert env["PYTHONPATH"] == str(service.ROOT)
    assert os.environ["ACS_EMULATOR_THROTTLING"] == "on"  # the caller's own is untouched


def test_unthrottled_sets_the_switch_for_in_process_services_and_restores_it(monkeypatch):
    monkeypatch.delenv("ACS_EMULATOR_THROTTLING", raising=False)
    with service.unthrottled():
        assert os.environ["ACS_EMULATOR_THROTTLING"] == "off"
    assert "ACS_EMULATOR_THROTTLING" not in os.environ
    monkeypatch.setenv("ACS_EMULATOR_THROTTLING", "on")
    with service.unthrottled():
        assert os.environ["ACS_EMULATOR_THROTTLING"] == "off"
    assert os.environ["ACS_EMULATOR_THROTTLING"] == "on"
