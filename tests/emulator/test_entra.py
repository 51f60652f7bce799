"""The local Entra ID: its managed-identity endpoint, the unmodified DefaultAzureCredential over
it, and `acs-emulator teams-token`."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jwt
import pytest

from benchmarks.probes.client import parse_export
from helpers.emulator import start
from helpers.emulator.auth import verify_bearer
from helpers.emulator.entra import LocalEntraID, teams_user_token, verify_teams_token
from tests.support import bare_env, read_exports

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
USER_OID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"
ACS = "https://communication.azure.com/"


def mi_get(emu, query: dict, headers: dict | None = None):
    """A raw GET to the managed-identity endpoint; (status, json body)."""
    url = urlsplit(emu.managed_identity.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", f"{url.path}?{urlencode(query)}", headers=headers or {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def secret(emu) -> dict:
    return {"X-IDENTITY-HEADER": emu.managed_identity.secret}


def test_exports_name_the_endpoint_and_both_managed_identity_forms(emu):
    from helpers.emulator.server import exports

    lines = dict(filter(None, map(parse_export, exports(emu).splitlines())))
    mi = emu.managed_identity
    assert lines["COMMUNICATION_SERVICES_ENDPOINT"] == emu.endpoint
    assert lines["IDENTITY_ENDPOINT"] == lines["MSI_ENDPOINT"] == mi.url
    assert lines["IDENTITY_HEADER"] == lines["MSI_SECRET"] == mi.secret
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/msi/token", mi.url)


def test_the_2019_form_returns_a_bearer_token_the_service_accepts(emu, client):
    status, body = mi_get(emu, {"api-version": "2019-08-01", "resource": ACS}, secret(emu))
    assert status == 200, body
    assert body["resource"] == ACS and body["token_type"] == "Bearer"
    claims = verify_bearer(body["access_token"], LocalEntraID.from_state(emu.state_dir).public_key)
    assert int(body["expires_on"]) == claims["exp"]
    # A realistic Entra lifetime (60-90 minutes), with iat and nbf.
    assert claims["nbf"] == claims["iat"] and 3600 <= claims["exp"] - claims["iat"] <= 5400
    assert claims["aud"] == "https://communication.azure.com"


def test_the_2017_form_uses_the_secret_header_and_app_services_date_format(emu):
    status, body = mi_get(
        emu,
        {"resource": ACS, "api-version": "2017-09-01"},
        {"secret": emu.managed_identity.secret},
    )
    assert status == 200, body
    when = datetime.strptime(body["expires_on"], "%m/%d/%Y %H:%M:%S +00:00")
    exp = jwt.decode(body["access_token"], options={"verify_signature": False})["exp"]
    assert when.replace(tzinfo=timezone.utc).timestamp() == exp


@pytest.mark.parametrize(
    "query, headers, status, says",
    [
        ({"api-version": "2019-08-01", "resource": ACS}, {}, 401, "X-IDENTITY-HEADER"),
        ({"api-version": "2019-08-01", "resource": ACS}, {"X-IDENTITY-HEADER": "guess"}, 401,
         "IDENTITY_HEADER"),
        ({"api-version": "2017-09-01", "resource": ACS}, {"secret": "guess"}, 401, "MSI_SECRET"),
        ({"api-version": "2018-02-01", "resource": ACS}, None, 400, "2019-08-01"),
        ({"api-version": "2019-08-01"}, None, 400, "'resource' is required"),
        ({"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}, None, 403,
         "for the resource https://communication.azure.com only, not for "
         "'https://graph.microsoft.com'"),
    ],
    ids=["no secret", "wrong secret", "wrong 2017 secret", "other api-version", "no resource",
         "another resource"],
)  # fmt: skip
def test_refusals_say_what_is_wrong(emu, query, headers, status, says):
    got, body = mi_get(emu, query, secret(emu) if headers is None else headers)
    assert got == status
    assert body["statusCode"] == status and says in body["message"]
    assert body["error_description"] == body["message"]
    assert "access_token" not in body


@pytest.mark.parametrize("method, path", [("POST", "/msi/token"), ("GET", "/elsewhere")])
def test_other_methods_and_paths_get_the_same_json_shape(emu, method, path):
    url = urlsplit(emu.managed_identity.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == (405 if method == "POST" else 404)
    assert body["message"] == "The managed identity endpoint answers GET /msi/token only."
    assert resp.headers["Content-Type"].startswith("application/json")


def test_only_loopback_host_names_are_answered(emu):
    headers = {**secret(emu), "Host": "attacker.example"}
    status, body = mi_get(emu, {"api-version": "2019-08-01", "resource": ACS}, headers)
    assert status == 400 and "loopback" in body["message"]


def test_the_endpoint_listens_on_loopback_even_when_the_service_does_not(tmp_path):
    with start(tmp_path / "state", host="0.0.0.0") as emu:
        sockets = emu.managed_identity._server._sockets.values()
        assert sockets and all(s.getsockname()[0] == "127.0.0.1" for s in sockets)


def test_each_start_has_a_new_secret_and_old_tokens_stay_valid(tmp_path):
    with start(tmp_path / "state") as first:
        old_secret = first.managed_identity.secret
        _, body = mi_get(first, {"api-version": "2019-08-01", "resource": ACS}, secret(first))
    with start(tmp_path / "state") as second:
        assert second.managed_identity.secret != old_secret
        status, _ = mi_get(
            second,
            {"api-version": "2019-08-01", "resource": ACS},
            {"X-IDENTITY-HEADER": old_secret},
        )
        assert status == 401
        from azure.communication.identity import CommunicationIdentityClient
        from azure.core.credentials import AccessToken

        class Fixed:
            def get_token(self, *scopes, **kwargs):
                return AccessToken(body["access_token"], int(body["expires_on"]))

        bearer_client = CommunicationIdentityClient(
            second.endpoint, Fixed(), connection_verify=second.ca_bundle, retry_total=0
        )
        assert bearer_client.create_user().properties["id"].startswith("8:acs:")


DOCS_SNIPPET = """
import os
from azure.communication.identity import CommunicationIdentityClient
from azure.identity import DefaultAzureCredential

endpoint = os.environ["COMMUNICATION_SERVICES_ENDPOINT"]
client = CommunicationIdentityClient(endpoint, DefaultAzureCredential())
user = client.create_user()
print("Created an identity with ID: " + user.properties["id"])
token_result = client.get_token(user, ["voip"])
print("Issued a token that expires at " + token_result.expires_on)
client.delete_user(user)
"""


def test_the_docs_python_entra_snippet_runs_with_only_the_exported_lines(tmp_path):
    serve = subprocess.Popen(
        [sys.executable, "-m", "helpers.emulator", "serve", "--state-dir", str(tmp_path / "s")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        exported = read_exports(serve)
        run = subprocess.run(
            [sys.executable, "-c", DOCS_SNIPPET],
            env=bare_env(exported), capture_output=True, text=True, timeout=90, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Created an identity with ID: 8:acs:" in run.stdout
        assert re.search(r"expires at \S+\.\d{7}\+00:00", run.stdout)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=15) == 0
        assert exported["IDENTITY_HEADER"] not in serve.stderr.read()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def _cli(*args, state):
    return subprocess.run(
        [sys.executable, "-m", "helpers.emulator", "teams-token", *args, "--state-dir", str(state)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip


def test_teams_token_cli_prints_only_a_token_the_exchange_accepts(tmp_path):
    state = tmp_path / "state"
    run = _cli("--user-object-id", USER_OID, "--client-id", APP_ID, "--minutes", "90", state=state)
    assert run.returncode == 0 and run.stderr == ""
    token = run.stdout.strip()
    assert run.stdout == token + "\n" and token.count(".") == 2
    claims = verify_teams_token(token, LocalEntraID.from_state(state).public_key)
    assert (claims["oid"], claims["appid"]) == (USER_OID, APP_ID)
    assert claims["scp"] == "Teams.ManageCalls Teams.ManageChats"
    assert claims["aud"] == "https://auth.msft.communication.azure.com"
    assert claims["exp"] - claims["iat"] == 90 * 60
    assert abs(claims["iat"] - time.time()) < 60


@pytest.mark.parametrize(
    "args, says",
    [
        (["--user-object-id", "alice", "--client-id", APP_ID], "object id 'alice' is not a GUID"),
        (["--user-object-id", USER_OID, "--client-id", "app"], "client id 'app' is not a GUID"),
        (["--user-object-id", USER_OID, "--client-id", APP_ID, "--minutes", "0"],
         "minutes must be within 1..1440, not 0"),
        (["--user-object-id", USER_OID, "--client-id", APP_ID, "--minutes", "1441"],
         "minutes must be within 1..1440, not 1441"),
    ],
)  # fmt: skip
def test_teams_token_cli_refuses_bad_input_in_one_line(tmp_path, args, says):
    run = _cli(*args, state=tmp_path / "state")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("acs-emulator: teams-token: ") and says in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


def test_python_api_mints_the_same_kind_of_token(tmp_path):
    token = teams_user_token(USER_OID, APP_ID, 60, state_dir=tmp_path / "state")
    claims = verify_teams_token(token, LocalEntraID.from_state(tmp_path / "state").public_key)
    assert claims["tid"] == LocalEntraID.from_state(tmp_path / "state").tenant_id
    assert repr(LocalEntraID.from_state(tmp_path / "state")).startswith("LocalEntraID(tenant_id=")
