"""connect() and Entra ID offline: it exports what `acs-emulator serve` prints, so the docs'
Entra ID snippet runs unchanged, and `connect(entra_id=True)` signs in that same way."""

from __future__ import annotations

import asyncio
import os

from azure.core.pipeline.policies import BearerTokenCredentialPolicy

from helpers import connection

from .test_connection import isolated  # noqa: F401 - the learner's clean situation

MI_VARS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET")


def _policy(client):
    return client._identity_service_client._config.authentication_policy


def test_connect_exports_the_endpoint_and_the_managed_identity(isolated):  # noqa: F811
    connection.connect(quiet=True)
    service = connection._embedded
    assert os.environ["COMMUNICATION_SERVICES_ENDPOINT"] == service.endpoint
    assert {k: os.environ[k] for k in MI_VARS} == service.managed_identity.variables()


def test_the_docs_entra_snippet_runs_unchanged_after_connect(isolated):  # noqa: F811
    from azure.communication.identity import CommunicationIdentityClient
    from azure.identity import DefaultAzureCredential

    connection.connect(quiet=True)
    endpoint = os.environ["COMMUNICATION_SERVICES_ENDPOINT"]
    client = CommunicationIdentityClient(endpoint, DefaultAzureCredential())
    assert isinstance(_policy(client), BearerTokenCredentialPolicy)
    assert client.create_user().properties["id"].startswith("8:acs:")


def test_entra_id_offline_is_a_connect_argument(isolated, capsys):  # noqa: F811
    client = connection.connect(entra_id=True)
    line = capsys.readouterr().out.strip()
    assert line.startswith("Using the local ACS Identity service at https://127.0.0.1:")
    assert line.endswith("(offline, Entra ID authentication).")
    backend = connection.backend_of(client)
    assert (backend.kind, backend.auth) == ("emulator", "Entra ID")
    assert isinstance(_policy(client), BearerTokenCredentialPolicy)
    user_id = client.create_user().properties["id"]
    # The emulator's extras still work (they sign with the key behind the scenes).
    assert any(row["id"] == user_id for row in backend.admin().identities())


def test_entra_id_offline_works_for_the_async_client(isolated):  # noqa: F811
    client = connection.connect(entra_id=True, use_async=True, quiet=True)

    async def create():
        async with client:
            return (await client.create_user()).properties["id"]

    assert asyncio.run(create()).startswith("8:acs:")


def test_a_loopback_endpoint_means_a_separately_served_local_service(isolated, monkeypatch):  # noqa: F811
    from helpers.emulator import start

    with start(isolated / "state") as served:
        monkeypatch.setenv("COMMUNICATION_SERVICES_ENDPOINT", served.endpoint)
        for name, value in served.managed_identity.variables().items():
            monkeypatch.setenv(name, value)
        client = connection.connect(quiet=True)
        backend = connection.backend_of(client)
        assert (backend.kind, backend.auth) == ("emulator", "Entra ID")
        assert client.create_user().properties["id"].startswith("8:acs:")
        assert connection._embedded is None


def test_stopping_forgets_what_connect_exported_and_keeps_the_learners_own(isolated):  # noqa: F811
    connection.connect(quiet=True)
    os.environ["MSI_SECRET"] = "the learner's own value"
    connection.stop_embedded_service()
    assert not any(
        name in os.environ
        for name in ("COMMUNICATION_SERVICES_ENDPOINT", "IDENTITY_ENDPOINT", "IDENTITY_HEADER")
    )
    assert os.environ["MSI_SECRET"] == "the learner's own value"


MACHINE = {
    "IDENTITY_ENDPOINT": "http://169.254.169.254/msi/token",  # as Azure ML compute sets them
    "IDENTITY_HEADER": "the-machine's-own-header",
    "MSI_ENDPOINT": "http://169.254.169.254/msi/token",
    "MSI_SECRET": "the-machine's-own-secret",
}


def test_a_machines_own_managed_identity_is_left_as_it_was(isolated, capsys):  # noqa: F811
    os.environ.update(MACHINE)
    client = connection.connect()
    out = capsys.readouterr().out
    assert {k: os.environ[k] for k in MI_VARS} == MACHINE
    assert (
        "has a managed identity of its own (IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT" in out
    )
    assert client.create_user().properties["id"].startswith("8:acs:")  # the key still works
    # connect(entra_id=True) still signs in to the local Entra ID (without the variables).
    entra = connection.connect(entra_id=True, quiet=True)
    assert isinstance(_policy(entra), BearerTokenCredentialPolicy)
    assert entra.create_user().properties["id"].startswith("8:acs:")
    connection.stop_embedded_service()
    assert {k: os.environ[k] for k in MI_VARS} == MACHINE


def test_one_own_variable_is_enough_to_leave_all_four_alone(isolated):  # noqa: F811
    os.environ["MSI_ENDPOINT"] = MACHINE["MSI_ENDPOINT"]
    connection.connect(quiet=True)
    assert os.environ["MSI_ENDPOINT"] == MACHINE["MSI_ENDPOINT"]
    assert not any(name in os.environ for name in MI_VARS if name != "MSI_ENDPOINT")
    asynchronous = connection.connect(entra_id=True, use_async=True, quiet=True)

    async def create():
        async with asynchronous:
            return (await asynchronous.create_user()).properties["id"]

    assert asyncio.run(create()).startswith("8:acs:")


def test_an_empty_variable_is_overwritten_and_put_back_on_stop(isolated):  # noqa: F811
    os.environ["IDENTITY_ENDPOINT"] = ""
    connection.connect(quiet=True)
    assert os.environ["IDENTITY_ENDPOINT"] == connection._embedded.managed_identity.url
    connection.stop_embedded_service()
    assert os.environ["IDENTITY_ENDPOINT"] == ""
