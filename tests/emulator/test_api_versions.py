"""Azure's recorded api-version list: accepted, and each version's rules follow its date."""

from __future__ import annotations

import json

import pytest

from .conftest import raw_request

AZURE_LIST = (
    "2020-07-20-preview2, 2021-02-22-preview1, 2021-03-07, 2021-10-31-preview, 2021-11-01, "
    "2022-06-01, 2022-10-01, 2023-10-01"
)
JSON = {"Content-Type": "application/json"}


def create(emu, version: str, body: dict | None = None):
    raw = json.dumps(body).encode() if body is not None else b""
    return raw_request(emu, "POST", f"/identities?api-version={version}", raw, headers=JSON)


@pytest.mark.parametrize("version", [*AZURE_LIST.split(", "), "2023-08-01"])
def test_every_listed_version_creates_an_identity(emu, version):
    reply = create(emu, version, {"createTokenWithScopes": ["chat"]})
    assert reply.status == 201, reply.body
    assert reply.headers["api-supported-versions"] == AZURE_LIST
    assert set(reply.json()) == {"identity", "accessToken"}


@pytest.mark.parametrize("version", ["2020-07-20-preview2", "2021-10-31-preview", "2021-11-01"])
def test_versions_before_2022_10_01_refuse_a_custom_expiry(emu, version):
    reply = create(emu, version, {"createTokenWithScopes": ["chat"], "expiresInMinutes": 60})
    assert reply.status == 400
    assert reply.json()["error"]["target"] == "expiresInMinutes"


@pytest.mark.parametrize("version", ["2021-02-22-preview1", "2021-11-01", "2023-08-01"])
def test_versions_before_2023_10_01_know_chat_and_voip_only(emu, version):
    reply = create(emu, version, {"createTokenWithScopes": ["chat.join"]})
    assert reply.status == 400
    assert reply.json()["error"]["message"].endswith("chat, voip.")


# Stable in the REST spec after 2023-10-01, with 2023-10-01's identity routes and models
# (specification/communication/data-plane/Identity/stable/<version>/CommunicationIdentity.json).
LATER_STABLE = ("2025-06-30", "2026-07-22", "2026-09-23")


@pytest.mark.parametrize("version", LATER_STABLE)
def test_later_stable_versions_have_the_2023_10_01_rules(emu, version):
    every_scope = ["chat", "voip", "chat.join", "chat.join.limited", "voip.join"]
    body = {"createTokenWithScopes": every_scope, "expiresInMinutes": 60}
    reply = create(emu, version, body)
    assert reply.status == 201, reply.body
    user = reply.json()["identity"]["id"]
    for minutes in (59, 1441):
        refused = create(
            emu, version, {"createTokenWithScopes": ["chat"], "expiresInMinutes": minutes}
        )
        assert refused.status == 400 and refused.json()["error"]["target"] == "ExpiresInMinutes"
    target = f"/identities/{user}/:issueAccessToken?api-version={version}"
    issued = raw_request(emu, "POST", target, b'{"scopes": ["voip.join"]}', headers=JSON)
    assert issued.status == 200 and set(issued.json()) == {"token", "expiresOn"}
    query = f"?api-version={version}"
    revoked = raw_request(emu, "POST", f"/identities/{user}/:revokeAccessTokens{query}")
    deleted = raw_request(emu, "DELETE", f"/identities/{user}{query}")
    assert (revoked.status, deleted.status) == (204, 204)


@pytest.mark.parametrize("version", LATER_STABLE)
def test_the_teams_phone_routes_of_later_versions_are_not_served(emu, version):
    """The lab has no Teams Phone extension: its routes answer 404, with the envelope."""
    reply = raw_request(
        emu,
        "POST",
        f"/access/teamsExtension/:exchangeAccessToken?api-version={version}",
        b"{}",
        headers=JSON,
    )
    assert reply.status == 404 and reply.json()["error"]["code"] == "NotFound"


@pytest.mark.parametrize("version", ["2020-01-01", "2023-10-01-preview", "2024-01-01"])
def test_other_versions_are_refused_and_the_answer_lists_azures(emu, version):
    reply = create(emu, version)
    assert reply.status == 400
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json()["error"]["code"] == "UnsupportedApiVersion"
    assert reply.headers["api-supported-versions"] == AZURE_LIST


def test_every_answer_carries_azures_front_end_headers(emu):
    for reply in (create(emu, "2023-10-01"), create(emu, "1999-01-01")):
        h = reply.headers
        assert h["Strict-Transport-Security"] == "max-age=2592000"
        assert h["Request-Context"] == "appId="
        assert h["X-Cache"] == "CONFIG_NOCACHE"
        assert len(h["X-Azure-Ref"]) > 20 and h["X-Azure-Ref"][:8].isdigit()
    assert create(emu, "2023-10-01").headers["X-Azure-Ref"] != reply.headers["X-Azure-Ref"]
