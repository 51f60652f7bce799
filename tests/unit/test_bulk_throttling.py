"""With throttling on (the default), the bulk hand-out and lesson 11's asyncio.gather fan-out
finish correctly: the SDK waits out each 429 as Retry-After says, and the learner sees one line."""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers import bulk, connection, forms
from helpers.emulator import limits
from helpers.emulator.limits import Rule

from .test_connection import isolated  # noqa: F401 - the learner's clean situation

SMALL = 5  # requests per family per WINDOW seconds, so a burst is quick to make
WINDOW = 2.0
NOTE = "Throttled by the service: "


@pytest.fixture
def small_limits(isolated, monkeypatch):  # noqa: F811
    """connect()'s embedded service with every limit at 5 per 2 s."""
    monkeypatch.delenv(limits.ENV_VAR, raising=False)
    rules = {name: Rule(r.operation, SMALL, WINDOW) for name, r in limits.RULES.items()}
    monkeypatch.setattr(limits, "RULES", rules)
    return isolated


def test_the_hand_out_finishes_and_says_the_sdk_waited_out_a_429(small_limits):
    client = connection.connect(quiet=True)  # the SDK's default retry policy
    result = bulk.provision(client, SMALL + 3, ["chat"], 60)
    assert len(result.succeeded) == SMALL + 3 and not result.failed
    note = result.throttle_note()
    assert note is not None and note.startswith(NOTE + "1 request got 429 Too Many Requests")
    assert "the SDK waited 2 s, as the service asked (Retry-After), and retried it." in note
    assert result.summary() == f"provision: {SMALL + 3} ok, 0 failed. {note}"
    revoked = bulk.revoke_all(client, result)
    deleted = bulk.delete_all(client, result)
    for done in (revoked, deleted):
        assert len(done.succeeded) == SMALL + 3 and not done.failed
        assert done.throttle_note().startswith(NOTE)


def test_without_retries_the_429s_are_failures_and_no_retry_is_claimed(small_limits):
    client = connection.connect(quiet=True, retry_total=0)
    result = bulk.provision(client, SMALL + 2, ["chat"], 60)
    assert len(result.succeeded) == SMALL and len(result.failed) == 2
    assert all("Too many requests" in o.error for o in result.failed)
    assert result.throttle_note() is None


def test_the_form_shows_the_learner_the_retried_429(small_limits, tmp_path):
    client = connection.connect(quiet=True)
    form = forms.BulkProvisioningForm(client, csv_path=str(tmp_path / "room.csv"))
    form.count.value = SMALL + 1
    form.provision_button.click()
    assert form.last_error == "", form.last_error
    assert f"{SMALL + 1} provisioned ok, 0 failed" in form.summary.value
    assert NOTE + "1 request got 429 Too Many Requests" in form.summary.value


def test_an_asyncio_gather_fan_out_is_carried_through(small_limits):
    """Lesson 11's pattern, three times the limit at once: every call succeeds."""
    client = connection.connect(quiet=True, use_async=True)

    async def fan_out():
        async with client:
            with connection.watch_throttling() as waits:
                results = await asyncio.gather(
                    *(client.create_user_and_token(["chat"]) for _ in range(3 * SMALL))
                )
        return results, waits

    t0 = time.monotonic()
    results, waits = asyncio.run(fan_out())
    assert len({user.properties["id"] for user, _token in results}) == 3 * SMALL
    assert waits and all(1 <= w <= WINDOW for w in waits)  # 429s happened, and were waited out
    assert time.monotonic() - t0 >= WINDOW


@pytest.mark.slow
def test_a_room_of_500_with_the_real_limits(isolated):  # noqa: F811
    """The documented limits: 500 attendees, then revoke all and delete all, all succeed."""
    client = connection.connect(quiet=True)
    result = bulk.provision(client, bulk.MAX_ATTENDEES, ["chat", "voip"], 60)
    assert len(result.succeeded) == bulk.MAX_ATTENDEES
    assert not bulk.revoke_all(client, result).failed
    assert not bulk.delete_all(client, result).failed
