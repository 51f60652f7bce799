"""Azure's documented Identity limits: 429 with Retry-After beyond them, carried by SDK retries."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import HttpResponseError

from helpers.emulator import errors, limits, start
from helpers.emulator.limits import Limits, Rule, ThrottlingSettingError, throttling_enabled
from tests.support import read_exports, sdk_client

from .conftest import raw_request
from .test_js_quickstart import js_sdk  # noqa: F401 - the JS SDK, installed once

API = "api-version=2023-10-01"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def small(limit: int = 5, window_s: float = 10) -> Limits:
    rules = {name: Rule(r.operation, limit, window_s) for name, r in limits.RULES.items()}
    return Limits(rules, clock=FakeClock())


# --------------------------------------------------------------------------- the counters


def test_the_documented_numbers_are_the_defaults():
    got = {name: (r.operation, r.limit, r.window_s) for name, r in limits.RULES.items()}
    assert got == {
        "create": ("Create identity", 1000, 30),
        "create_with_token": ("createUserAndToken", 1000, 30),
        "issue": ("Issue access token", 1000, 30),
        "delete": ("Delete identity", 500, 30),
        "revoke": ("Revoke access token", 500, 30),
        "exchange": ("exchangeTokens", 500, 30),
    }


def test_the_limit_plus_one_is_refused_with_the_time_until_a_slot_frees():
    lim = small(limit=5, window_s=10)
    clock = lim._clock
    for _ in range(5):
        clock.now += 1  # requests at 1001..1005
        lim.admit("create")
    clock.now += 0.5
    with pytest.raises(errors.TooManyRequests) as caught:
        lim.admit("create")
    # The oldest (1001) leaves the window at 1011: 5.5 s from 1005.5, rounded up.
    assert caught.value.retry_after_s == 6
    assert caught.value.headers() == {"Retry-After": "6"}
    assert caught.value.status == 429 and caught.value.code == "TooManyRequests"


def test_the_window_slides_and_refused_requests_do_not_count():
    lim = small(limit=2, window_s=10)
    clock = lim._clock
    lim.admit("delete")
    clock.now += 6
    lim.admit("delete")
    for _ in range(50):  # hammering while refused does not push the wait further out
        with pytest.raises(errors.TooManyRequests):
            lim.admit("delete")
    clock.now += 4  # the first left the window; one slot is free, not two
    lim.admit("delete")
    with pytest.raises(errors.TooManyRequests) as caught:
        lim.admit("delete")
    assert caught.value.retry_after_s == 6


def test_families_count_apart_and_off_means_no_limit():
    lim = small(limit=1)
    lim.admit("create")
    lim.admit("create_with_token")
    lim.admit("issue")
    with pytest.raises(errors.TooManyRequests):
        lim.admit("create")
    off = Limits(small(limit=1).rules, enabled=False)
    for _ in range(10):
        off.admit("create")


def test_scaled_keeps_the_limits_and_shrinks_the_windows():
    assert Limits().scaled(0.1).rules["revoke"] == Rule("Revoke access token", 500, 3)


@pytest.mark.parametrize(
    ("value", "on"), [(None, True), ("", True), ("on", True), (" ON ", True), ("off", False)]
)
def test_the_switch(value, on):
    env = {} if value is None else {limits.ENV_VAR: value}
    assert throttling_enabled(env) is on


def test_a_wrong_switch_value_says_what_is_allowed():
    with pytest.raises(ThrottlingSettingError, match="must be 'on' or 'off'"):
        throttling_enabled({limits.ENV_VAR: "sometimes"})


def test_serve_refuses_a_wrong_switch_in_one_line(tmp_path):
    env = {**os.environ, limits.ENV_VAR: "maybe"}
    run = subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "serve", "--state-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    err = run.stderr.strip()
    assert run.returncode == 2 and run.stdout == ""
    assert err.count("\n") == 0 and "ACS_EMULATOR_THROTTLING must be 'on' or 'off'" in err


def test_serve_throttling_off_serves_past_the_documented_limit(tmp_path):
    """`acs-emulator serve --throttling off` (the env var saying on): 1,001 creates in a burst,
    no 429."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
    env[limits.ENV_VAR] = "on"
    serve = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--port", "0", "--throttling", "off",
         "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        exports = read_exports(serve)
        client = sdk_client(
            exports["COMMUNICATION_SERVICES_CONNECTION_STRING"], exports["REQUESTS_CA_BUNDLE"]
        )
        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(lambda _: client.create_user().properties["id"], range(1001)))
    finally:
        serve.terminate()
        serve.wait(timeout=15)
    assert len(ids) == 1001


# --------------------------------------------------------------------------- on the wire


@pytest.fixture
def scaled_emu(tmp_path, monkeypatch):
    """A service whose limits are 20 per 2 s (all families), so a burst is quick to make."""
    monkeypatch.delenv(limits.ENV_VAR, raising=False)
    rules = {name: Rule(r.operation, 20, 2.0) for name, r in limits.RULES.items()}
    monkeypatch.setattr(limits, "RULES", rules)
    with start(tmp_path / "state") as emu:
        yield emu


def test_the_429_is_the_envelope_with_retry_after(scaled_emu):
    for _ in range(20):
        assert raw_request(scaled_emu, "POST", "/identities?" + API).status == 201
    reply = raw_request(scaled_emu, "POST", "/identities?" + API)
    assert reply.status == 429
    assert reply.headers["Content-Type"] == "application/json"
    assert 1 <= int(reply.headers["Retry-After"]) <= 2
    body = reply.json()["error"]
    assert body["code"] == "TooManyRequests"
    assert "20 'Create identity' requests per 2 seconds" in body["message"]
    # Another family still has its whole allowance.
    body = b'{"createTokenWithScopes": ["chat"]}'
    headers = {"Content-Type": "application/json"}
    reply = raw_request(scaled_emu, "POST", "/identities?" + API, body, headers=headers)
    assert reply.status == 201


def test_without_retries_the_burst_sees_429s_and_with_default_retries_all_succeed(scaled_emu):
    no_retry = sdk_client(scaled_emu.connection_string, scaled_emu.ca_bundle)
    statuses = []
    for _ in range(25):
        try:
            no_retry.create_user()
            statuses.append(201)
        except HttpResponseError as err:
            statuses.append(err.status_code)
            assert err.response.headers["Retry-After"].isdigit()
    assert statuses.count(201) == 20 and statuses.count(429) == 5
    time.sleep(2.1)  # a fresh window
    default = CommunicationIdentityClient.from_connection_string(
        scaled_emu.connection_string, connection_verify=scaled_emu.ca_bundle
    )
    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(lambda _: default.create_user(), range(30)))
    assert len({u.properties["id"] for u in users}) == 30


BURST = 1050


def _burst(client: CommunicationIdentityClient) -> list[int | str]:
    def one(_: int) -> int | str:
        try:
            return client.create_user().properties["id"]
        except HttpResponseError as err:
            assert err.status_code == 429, err
            return int(err.response.headers["Retry-After"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(BURST)))


@pytest.mark.slow
def test_1050_creates_with_the_real_limits(tmp_path, monkeypatch):
    """The documented 1,000 per 30 s: retries off, 50 are refused with Retry-After <= 30;
    then (a fresh resource) the SDK's default retry policy carries all 1,050 through."""
    monkeypatch.delenv(limits.ENV_VAR, raising=False)
    with start(tmp_path / "a") as emu:
        got = _burst(sdk_client(emu.connection_string, emu.ca_bundle))
    waits = [g for g in got if isinstance(g, int)]
    assert len(waits) == BURST - 1000
    assert all(1 <= w <= 30 for w in waits)
    with start(tmp_path / "b") as emu:
        t0 = time.monotonic()
        default = CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle
        )
        got = _burst(default)
        took = time.monotonic() - t0
    assert all(isinstance(g, str) for g in got) and len(set(got)) == BURST
    assert took >= 20  # the 50 waited for the window to slide, as Retry-After said


@pytest.mark.parametrize(("retries", "expected"), [("0", 20), ("default", 30)])
def test_the_javascript_sdk_honours_retry_after(scaled_emu, js_sdk, retries, expected):  # noqa: F811
    """@azure/communication-identity: with retries off, 10 of a burst of 30 see 429 with
    Retry-After; with its default policy (which reads Retry-After) all 30 succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNICATION_")}
    env.update(
        COMMUNICATION_SERVICES_CONNECTION_STRING=scaled_emu.connection_string,
        NODE_EXTRA_CA_CERTS=scaled_emu.ca_cert,
        NODE_PATH=str(js_sdk / "node_modules"),
        BURST="30",
        MAX_RETRIES=retries,
    )
    run = subprocess.run(
        ["node", str(Path(__file__).parent / "js" / "throttling.js")],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    counts = json.loads(run.stdout)
    assert counts.pop("ok") == expected, counts
    assert sum(counts.values()) == 30 - expected
    assert all(re.fullmatch(r"429 after [12] s", outcome) for outcome in counts), counts
