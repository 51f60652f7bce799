"""Fixtures for driving the forms headlessly against the local service."""

import logging

import pytest

from helpers import forms


@pytest.fixture(autouse=True)
def fresh_shared_session(monkeypatch):
    """Forms made without a session share the kernel's; each test starts with an empty one."""
    monkeypatch.setattr(forms.session, "_shared_session", None)


@pytest.fixture(autouse=True)
def fail_on_callback_errors(caplog):
    """ipywidgets swallows exceptions in click handlers and only logs them: make them fail."""
    caplog.set_level(logging.WARNING)
    yield
    # caplog.records would only hold teardown records here; look at the test body's.
    records = caplog.get_records("setup") + caplog.get_records("call")
    swallowed = [r for r in records if "Exception in callback" in r.getMessage()]
    if swallowed:
        pytest.fail(f"a widget callback raised: {swallowed[0].getMessage()}", pytrace=False)
