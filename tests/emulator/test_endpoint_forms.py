"""Every way a Python user can point the real identity SDK at `acs-emulator serve` (endpoint with
or without a trailing slash, AzureKeyCredential or connection string, sync and aio) works with
the right key and is refused with a wrong one; the signature stays checked in full."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import hashlib
import hmac

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import (
    CommunicationIdentityClient as AsyncCommunicationIdentityClient,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import SansIOHTTPPolicy

from helpers.emulator.auth import verify_hmac_headers
from helpers.emulator.errors import Denied

from .test_chat import chat_service  # noqa: F401 - a fixture

WRONG_KEY = base64.b64encode(b"not the resource's key, 32 bytes").decode()


@pytest.fixture(scope="module")
def served(chat_service):  # noqa: F811 - the imported fixture
    """A `serve` process of this module's own, its CA variables exported."""
    return chat_service


def _key(served) -> str:
    parts = dict(p.split("=", 1) for p in served.connection_string.split(";") if p)
    return parts["accesskey"]


FORM_NAMES = (
    "key, slash",
    "key, no slash",
    "connection string, slash",
    "connection string, no slash",
)


def forms(served, key: str) -> dict[str, tuple[str, str, str | None]]:
    """name -> (constructor kind, endpoint or connection string, key): the four ways in."""
    base = served.endpoint.rstrip("/")  # https://127.0.0.1:PORT
    return dict(
        zip(
            FORM_NAMES,
            [
                ("key", base + "/", key),
                ("key", base, key),
                ("cs", f"endpoint={base}/;accesskey={key}", None),
                ("cs", f"endpoint={base};accesskey={key}", None),
            ],
            strict=True,
        )
    )


def make(cls, form: tuple[str, str, str | None]):
    kind, where, key = form
    if kind == "key":
        return cls(where, AzureKeyCredential(key), retry_total=0)
    return cls.from_connection_string(where, retry_total=0)


@pytest.mark.parametrize("form", FORM_NAMES)
def test_sync_client_works_in_every_form_and_a_wrong_key_is_refused(served, form):
    client = make(CommunicationIdentityClient, forms(served, _key(served))[form])
    user = client.create_user()
    assert user.properties["id"].startswith("8:acs:")
    # The sync client sends and signs the id percent-encoded: that verifies too.
    assert client.get_token(user, ["chat"]).token
    with pytest.raises(ClientAuthenticationError) as info:
        make(CommunicationIdentityClient, forms(served, WRONG_KEY)[form]).create_user()
    assert info.value.status_code == 401 and info.value.error.code == "Denied"


@pytest.mark.parametrize("form", FORM_NAMES)
def test_aio_client_works_in_every_form_and_a_wrong_key_is_refused(served, form):
    async def run(key: str):
        async with make(AsyncCommunicationIdentityClient, forms(served, key)[form]) as client:
            user = await client.create_user()
            # The aio client signs a decoded path: an id in the path must verify too.
            await client.get_token(user, ["chat"])
            return user

    assert asyncio.run(run(_key(served))).properties["id"].startswith("8:acs:")
    with pytest.raises(ClientAuthenticationError) as info:
        asyncio.run(run(WRONG_KEY))
    assert info.value.status_code == 401 and info.value.error.code == "Denied"


class Spy(SansIOHTTPPolicy):
    """Sees each request after the HMAC policy signed it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []

    def on_request(self, request):
        self.seen.append((request.http_request.url, dict(request.http_request.headers)))


def _sig(key: str, sts: str) -> str:
    mac = hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def test_what_the_sdk_sends_and_signs_with_a_trailing_slash(served):
    """The SDK sends `/identities` (no `//`) with Host `127.0.0.1:PORT`, and signs the host
    component `127.0.0.1:PORT/`: the slash is only in what it signs."""
    key = _key(served)
    spy = Spy()
    base = served.endpoint.rstrip("/")
    client = CommunicationIdentityClient(
        base + "/", AzureKeyCredential(key), retry_total=0, per_retry_policies=[spy]
    )
    client.create_user()
    (url, headers), = spy.seen  # fmt: skip
    assert url == base + "/identities?api-version=2023-10-01"
    host = base.removeprefix("https://")
    sts = (
        f"POST\n/identities?api-version=2023-10-01\n{headers['x-ms-date']};{{}};"
        + headers["x-ms-content-sha256"]
    )
    signature = headers["Authorization"].rsplit("Signature=", 1)[1]
    assert signature == _sig(key, sts.format(host + "/"))
    assert signature != _sig(key, sts.format(host))


def _headers(key: str, host: str, signed_host: str, target: str = "/identities?api-version=x"):
    date = email.utils.formatdate(usegmt=True)
    sha = base64.b64encode(hashlib.sha256(b"").digest()).decode()
    sig = _sig(key, f"POST\n{target}\n{date};{signed_host};{sha}")
    return {
        "Host": host,
        "x-ms-date": date,
        "x-ms-content-sha256": sha,
        "Authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
        f"&Signature={sig}",
    }


@pytest.mark.parametrize(
    ("signed_host", "accepted"),
    [
        ("h.example:443", True),
        ("h.example:443/", True),
        ("h.example:443//", False),
        ("h.example:443/prefix", False),
        ("h.example:443/prefix/", False),
        ("other.example:443/", False),
        ("h.example", False),
        ("", False),
    ],
)
def test_only_the_host_or_the_host_and_one_slash_are_accepted(signed_host, accepted):
    key = base64.b64encode(b"k" * 32).decode()
    headers = _headers(key, "h.example:443", signed_host)
    now = dt.datetime.now(dt.timezone.utc)
    if accepted:
        verify_hmac_headers(
            "POST", "/identities?api-version=x", headers, base64.b64decode(key), now
        )
    else:
        with pytest.raises(Denied):
            verify_hmac_headers(
                "POST", "/identities?api-version=x", headers, base64.b64decode(key), now
            )


def test_the_slash_does_not_loosen_anything_else():
    """With the host plus slash signed, the method, target and key are still checked."""
    key = base64.b64encode(b"k" * 32).decode()
    raw = base64.b64decode(key)
    now = dt.datetime.now(dt.timezone.utc)
    headers = _headers(key, "h.example:443", "h.example:443/")
    for method, target, k in [
        ("DELETE", "/identities?api-version=x", raw),
        ("POST", "/identities?api-version=y", raw),
        ("POST", "/identities?api-version=x", b"x" * 32),
    ]:
        with pytest.raises(Denied):
            verify_hmac_headers(method, target, headers, k, now)
