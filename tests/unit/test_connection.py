"""connect(): the right backend from configuration, one honest line, the local service reused
while alive and restarted when it died, and the local CA trusted alongside the public ones."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import certifi
import pytest

from helpers import connection, settings
from helpers.settings import SettingsError

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5YWJjZGVm"
AZURE = "https://contoso.communication.azure.com/"
TRUST_VARS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A learner's situation: nothing configured, no .env, a private state dir; the whole
    environment is restored afterwards (connect() writes to it)."""
    saved = dict(os.environ)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "no-project")
    for name in (*TRUST_VARS, "ACS_LAB_BACKEND", "COMMUNICATION_SERVICES_ENDPOINT"):
        os.environ.pop(name, None)
    os.environ.pop("COMMUNICATION_SERVICES_CONNECTION_STRING", None)
    os.environ["ACS_EMULATOR_HOME"] = str(tmp_path / "state")
    connection.stop_embedded_service()
    yield tmp_path
    connection.stop_embedded_service()
    os.environ.clear()
    os.environ.update(saved)


def test_no_configuration_starts_the_local_service_and_says_so(isolated, capsys):
    client = connection.connect()
    line = capsys.readouterr().out.strip()
    assert line.startswith("Using the local ACS Identity service at https://127.0.0.1:")
    assert "\n" not in line
    conn = os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"]
    key = settings.parse_connection_string(conn).access_key
    assert key not in line
    backend = connection.backend_of(client)
    assert backend.kind == "emulator" and key not in repr(backend)
    assert os.environ["REQUESTS_CA_BUNDLE"] == os.environ["SSL_CERT_FILE"]
    assert Path(os.environ["NODE_EXTRA_CA_CERTS"]).is_file()
    assert client.create_user().properties["id"].startswith("8:acs:")


def test_the_quickstart_code_works_with_what_connect_set_up(isolated):
    from azure.communication.identity import CommunicationIdentityClient

    connection.connect(quiet=True)
    client = CommunicationIdentityClient.from_connection_string(
        os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"]
    )
    user = client.create_user()
    assert client.get_token(user, ["voip"]).token.startswith("eyJ")


def test_the_trusted_bundle_still_holds_the_public_cas(isolated):
    connection.connect(quiet=True)
    bundle = Path(os.environ["REQUESTS_CA_BUNDLE"]).read_text()
    public = Path(certifi.where()).read_text()
    first_public_cert = public[public.index("-----BEGIN CERTIFICATE-----") :].split("-----END")[0]
    assert first_public_cert in bundle  # a real Azure call in the same kernel still works


def test_a_second_connect_reuses_the_running_service(isolated):
    first = connection.backend_of(connection.connect(quiet=True))
    second = connection.backend_of(connection.connect(quiet=True))
    assert first.endpoint == second.endpoint


def test_a_dead_service_is_restarted_with_its_identities(isolated):
    from helpers.identity import issue_token

    client = connection.connect(quiet=True)
    user_id = client.create_user().properties["id"]
    connection._embedded.stop()  # the service dies under the learner's feet
    client = connection.connect(quiet=True)
    assert issue_token(client, user_id, ["chat"]).identity_id == user_id


def test_an_async_client_works_against_the_local_service(isolated):
    client = connection.connect(use_async=True, quiet=True)

    async def create():
        async with client:
            return (await client.create_user()).properties["id"]

    assert asyncio.run(create()).startswith("8:acs:")


def test_a_connection_string_means_that_resource(isolated, monkeypatch, capsys):
    monkeypatch.setenv(
        "COMMUNICATION_SERVICES_CONNECTION_STRING", f"endpoint={AZURE};accesskey={KEY}"
    )
    client = connection.connect()  # no request is made until a method is called
    out = capsys.readouterr().out
    assert out.strip() == f"Using Azure Communication Services at {AZURE} (access key)."
    assert KEY not in out
    backend = connection.backend_of(client)
    assert backend.kind == "azure" and backend.admin() is None
    assert connection._embedded is None, "no local service is started for Azure"


def test_a_connection_string_in_dotenv_is_used(isolated, monkeypatch):
    (isolated / ".env").write_text(
        f"COMMUNICATION_SERVICES_CONNECTION_STRING=endpoint={AZURE};accesskey={KEY}\n"
    )
    backend = connection.backend_of(connection.connect(quiet=True))
    assert backend.endpoint == AZURE
    assert os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"].endswith(KEY)


def test_an_endpoint_alone_means_entra_id(isolated, monkeypatch, capsys):
    monkeypatch.setenv("COMMUNICATION_SERVICES_ENDPOINT", AZURE)
    backend = connection.backend_of(connection.connect())
    assert backend.auth == "Entra ID"
    line = capsys.readouterr().out.strip()
    assert "(Entra ID)" in line and "\n" not in line
    assert "also need COMMUNICATION_SERVICES_CONNECTION_STRING" in line


def test_a_malformed_setting_is_one_line_without_the_key(isolated, monkeypatch):
    monkeypatch.setenv("COMMUNICATION_SERVICES_CONNECTION_STRING", f"endpoint=oops;accesskey={KEY}")
    with pytest.raises(SettingsError) as caught:
        connection.connect()
    assert "COMMUNICATION_SERVICES_CONNECTION_STRING" in str(caught.value)
    assert KEY not in str(caught.value)


def test_a_custom_ca_bundle_is_kept_and_extended_once(isolated, monkeypatch):
    theirs = isolated / "corporate.pem"
    theirs.write_text(Path(certifi.where()).read_text())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(theirs))
    connection.connect(quiet=True)
    combined = Path(os.environ["REQUESTS_CA_BUNDLE"])
    assert combined != theirs and combined.read_text().startswith(theirs.read_text().rstrip())
    size = combined.stat().st_size
    connection.connect(quiet=True)
    assert Path(os.environ["REQUESTS_CA_BUNDLE"]).stat().st_size == size


def test_connect_after_stopping_the_service_starts_it_again(isolated):
    from helpers.identity import issue_token

    client = connection.connect(quiet=True)
    user_id = client.create_user().properties["id"]
    old_endpoint = connection.backend_of(client).endpoint
    connection.stop_embedded_service()
    client = connection.connect(quiet=True)
    assert connection.backend_of(client).kind == "emulator"
    assert os.environ["COMMUNICATION_SERVICES_CONNECTION_STRING"].startswith(
        f"endpoint={connection.backend_of(client).endpoint}"
    )
    assert issue_token(client, user_id, ["voip"]).identity_id == user_id
    assert connection._embedded is not None and old_endpoint  # a fresh service, same state


def test_a_dotenv_written_after_the_first_connect_wins_next_time(isolated):
    connection.connect(quiet=True)
    (isolated / ".env").write_text(
        f"COMMUNICATION_SERVICES_CONNECTION_STRING=endpoint={AZURE};accesskey={KEY}\n"
    )
    assert connection.backend_of(connection.connect(quiet=True)).kind == "azure"


def test_a_separately_served_local_service_is_trusted_from_its_state_dir(isolated, monkeypatch):
    from helpers import emulator

    with emulator.start(state_dir=os.environ["ACS_EMULATOR_HOME"]) as served:
        monkeypatch.setenv("COMMUNICATION_SERVICES_CONNECTION_STRING", served.connection_string)
        client = connection.connect(quiet=True)
        assert connection.backend_of(client).kind == "emulator"
        assert connection._embedded is None, "the separate service is used, none started"
        assert client.create_user().properties["id"].startswith("8:acs:")


def test_a_custom_ssl_cert_file_is_kept_too(isolated, monkeypatch):
    theirs = isolated / "their-ssl.pem"
    theirs.write_text(Path(certifi.where()).read_text())
    monkeypatch.setenv("SSL_CERT_FILE", str(theirs))
    connection.connect(quiet=True)
    combined = Path(os.environ["SSL_CERT_FILE"]).read_text()
    assert combined.startswith(theirs.read_text().rstrip())
    assert Path(os.environ["NODE_EXTRA_CA_CERTS"]).read_text().strip() in combined
