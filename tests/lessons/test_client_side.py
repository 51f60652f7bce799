"""Lesson 05's client side: the real CommunicationTokenCredential with a refresher."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from azure.communication.chat import CommunicationTokenCredential

from helpers import client_side
from helpers.tokens import TokenFormatError, decode_token


@pytest.fixture
def identity(client):
    return client.create_user()


def test_to_access_token_gives_epoch_seconds(client, identity):
    result = client.get_token(identity, ["chat"], token_expires_in=timedelta(hours=1))
    converted = client_side.to_access_token(result)
    assert converted.token == result.token
    assert isinstance(converted.expires_on, int)
    assert abs(converted.expires_on - (time.time() + 3600)) < 60


def test_to_access_token_refuses_other_things():
    with pytest.raises(TypeError, match="result of get_token"):
        client_side.to_access_token("eyJ...")


def test_aged_copy_moves_only_the_expiry(client, identity):
    token = client.get_token(identity, ["chat"]).token
    aged = client_side.aged_copy(token, minutes_left=5, now=2_000_000_000)
    before, after = decode_token(token), decode_token(aged)
    assert after.claims["exp"] == 2_000_000_300
    assert {k: v for k, v in after.claims.items() if k != "exp"} == {
        k: v for k, v in before.claims.items() if k != "exp"
    }
    assert aged.split(".")[2] == token.split(".")[2]


def test_aged_copy_refuses_a_non_token():
    with pytest.raises(TokenFormatError):
        client_side.aged_copy("not a token", 5)


def test_the_credential_refreshes_an_expiring_token_through_the_refresher(client, admin, identity):
    calls = []

    def token_refresher():
        calls.append(1)
        return client_side.to_access_token(client.get_token(identity, ["chat"]))

    fresh = client.get_token(identity, ["chat"]).token
    with CommunicationTokenCredential(
        fresh, token_refresher=token_refresher, proactive_refresh=True
    ) as credential:
        assert credential.get_token().token == fresh
    assert calls == []

    expiring = client_side.aged_copy(fresh, minutes_left=5)
    with CommunicationTokenCredential(
        expiring, token_refresher=token_refresher, proactive_refresh=True
    ) as credential:
        renewed = credential.get_token().token
    assert len(calls) == 1
    assert renewed != expiring
    assert admin.introspect(renewed)["status"] == "valid"
    # The aged copy's signature no longer matches: the service would refuse it.
    assert admin.introspect(expiring)["status"] == "badSignature"
