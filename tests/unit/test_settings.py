"""Configuration: every malformed input gets a one-line message naming the variable and the
expected format, and the access key never appears in any message."""

from __future__ import annotations

import pytest

from helpers.settings import (
    CONNECTION_STRING_VAR,
    ENDPOINT_VAR,
    EXPECTED_FORMAT,
    SettingsError,
    load_settings,
    masked,
    parse_connection_string,
    parse_endpoint,
)

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5YWJjZGVm"  # base64, 42 bytes
ENDPOINT = "https://contoso.communication.azure.com/"
GOOD = f"endpoint={ENDPOINT};accesskey={KEY}"


def test_a_valid_connection_string_is_parsed_and_masked():
    conn = parse_connection_string(GOOD)
    assert conn.endpoint == ENDPOINT
    assert conn.access_key == KEY
    assert conn.masked() == f"endpoint={ENDPOINT};accesskey=***"
    assert KEY not in str(conn) and KEY not in repr(conn)


@pytest.mark.parametrize(
    "text",
    [
        f"accesskey={KEY};endpoint={ENDPOINT}",  # the Python SDK accepts either order
        f"EndPoint={ENDPOINT};AccessKey={KEY}",  # names are case-insensitive
        f"  endpoint={ENDPOINT};accesskey={KEY};  ",
        f'"endpoint={ENDPOINT};accesskey={KEY}"',  # quoted in .env
        f"endpoint=https://contoso.communication.azure.com;accesskey={KEY}",  # no trailing slash
    ],
)
def test_accepted_spellings(text):
    assert parse_connection_string(text).endpoint == ENDPOINT


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (f"accesskey={KEY}", "has no 'endpoint=' part"),
        (f"endpoint={ENDPOINT}", "has no 'accesskey=' part"),
        (f"endpoint={ENDPOINT};accesskey=", "has an empty accesskey"),
        (f"endpoint=;accesskey={KEY}", "has an empty endpoint"),
        (f"endpoint={ENDPOINT};accesskey=not base64!!{KEY}", "accesskey that is not base64"),
        (f"endpoint={ENDPOINT};accesskey={KEY}x", "accesskey that is not base64"),
        (f"endpoint=contoso.communication.azure.com;accesskey={KEY}", "not an https:// URL"),
        (f"endpoint=ftp://contoso/;accesskey={KEY}", "not an https:// URL"),
        (f"endpoint=http://127.0.0.1:8080/;accesskey={KEY}", "always connects with HTTPS"),
        (f"endpoint=https://host:port/;accesskey={KEY}", "not a valid URL"),
        (f"endpoint=https://contoso/some/path;accesskey={KEY}", "with a path or query"),
        (
            "endpoint=https://<resource>.communication.azure.com/;accesskey=<key>",
            "placeholder endpoint",
        ),
        (f"endpoint={ENDPOINT};accesskey=<key>", "placeholder key"),
    ],
)
def test_malformed_connection_strings_say_what_is_wrong_in_one_line(text, problem):
    with pytest.raises(SettingsError) as caught:
        parse_connection_string(text)
    message = str(caught.value)
    assert problem in message
    assert message.startswith(CONNECTION_STRING_VAR)
    assert EXPECTED_FORMAT in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        f"endpoint={ENDPOINT};accesskey={KEY}!",
        f"endpoint=http://x/;accesskey={KEY}",
        f"endpoint=https://x/{KEY};accesskey={KEY}",
        f"endpoint=https://x/accesskey={KEY}",  # a missing ';' glues the key to the endpoint
        f"accesskey={KEY}",
        f"endpoint=nope;accesskey={KEY}",
    ],
)
def test_no_message_ever_contains_the_key(text):
    with pytest.raises(SettingsError) as caught:
        parse_connection_string(text)
    assert KEY not in str(caught.value)
    assert KEY[:12] not in str(caught.value)


def test_masked_hides_the_key_even_in_a_malformed_string():
    assert masked(GOOD) == f"endpoint={ENDPOINT};accesskey=***"
    assert KEY not in masked(f"junk;AccessKey={KEY};more")
    assert masked("endpoint=x") == "endpoint=x"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("contoso.communication.azure.com", "not an https:// URL"),
        ("http://contoso.communication.azure.com/", "always connects with HTTPS"),
        (GOOD, "looks like a connection string"),
    ],
)
def test_entra_endpoint_validation(text, problem):
    with pytest.raises(SettingsError) as caught:
        parse_endpoint(text)
    assert problem in str(caught.value)
    assert str(caught.value).startswith(ENDPOINT_VAR)
    assert KEY not in str(caught.value)


def test_entra_endpoint_is_normalised():
    assert parse_endpoint("https://contoso.communication.azure.com") == ENDPOINT


def test_env_file_is_read_and_the_real_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    other = "endpoint=https://other.communication.azure.com/;accesskey=" + KEY
    env_file.write_text(f"{CONNECTION_STRING_VAR}={other}\n")
    environ = {CONNECTION_STRING_VAR: GOOD}
    settings = load_settings(environ=environ, env_files=[env_file])
    assert settings.connection_string.endpoint == ENDPOINT
    assert settings.mode == "connection string"
    assert environ[CONNECTION_STRING_VAR] == GOOD


def test_env_file_values_are_applied_to_the_environment(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"{CONNECTION_STRING_VAR}='{GOOD}'\n")
    environ: dict[str, str] = {}
    settings = load_settings(environ=environ, env_files=[env_file])
    assert settings.connection_string.access_key == KEY
    assert environ[CONNECTION_STRING_VAR] == GOOD  # quickstart cells read os.environ


def test_nothing_configured_means_the_emulator(tmp_path):
    settings = load_settings(environ={}, env_files=[])
    assert settings.mode == "emulator"


def test_blank_values_count_as_unset(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"{CONNECTION_STRING_VAR}=\n{ENDPOINT_VAR}=\n")
    assert load_settings(environ={}, env_files=[env_file], apply=False).mode == "emulator"


def test_endpoint_alone_means_entra_id(tmp_path):
    settings = load_settings(environ={ENDPOINT_VAR: ENDPOINT}, env_files=[])
    assert settings.mode == "Entra ID"
    assert settings.endpoint == ENDPOINT


def test_a_bad_env_file_value_names_the_variable_not_the_key(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"{CONNECTION_STRING_VAR}=endpoint=oops;accesskey={KEY}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, env_files=[env_file], apply=False)
    assert CONNECTION_STRING_VAR in str(caught.value)
    assert KEY not in str(caught.value)


def test_the_nearest_env_file_is_found_from_the_notebook_folder(tmp_path, monkeypatch):
    from helpers import settings as settings_module

    project = tmp_path / "lab"
    notebooks = project / "notebooks"
    notebooks.mkdir(parents=True)
    (project / ".env").write_text(f"{CONNECTION_STRING_VAR}={GOOD}\n")
    monkeypatch.chdir(notebooks)
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", project)
    assert settings_module.find_env_files() == [project / ".env"]


def test_a_dotenv_above_the_project_is_never_read(tmp_path, monkeypatch):
    from helpers import settings as settings_module

    (tmp_path / ".env").write_text(f"{CONNECTION_STRING_VAR}={GOOD}\n")  # e.g. in $HOME
    project = tmp_path / "lab"
    (project / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", project)
    monkeypatch.chdir(project / "notebooks")
    assert settings_module.find_env_files() == []
    monkeypatch.chdir(tmp_path / "lab")
    assert settings_module.find_env_files() == []


def test_outside_the_project_only_the_working_folder_counts(tmp_path, monkeypatch):
    from helpers import settings as settings_module

    (tmp_path / ".env").write_text(f"{CONNECTION_STRING_VAR}={GOOD}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setattr(settings_module, "PROJECT_ROOT", tmp_path / "lab")
    monkeypatch.chdir(elsewhere)
    assert settings_module.find_env_files() == []
    (elsewhere / ".env").write_text(f"{CONNECTION_STRING_VAR}={GOOD}\n")
    assert settings_module.find_env_files() == [elsewhere / ".env"]


def test_errors_render_as_one_line_in_ipython():
    error = SettingsError(f"{CONNECTION_STRING_VAR} is empty. Expected format: x")
    assert error._render_traceback_() == [f"SettingsError: {error}"]


def test_the_backend_switch_forces_the_local_service(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"{CONNECTION_STRING_VAR}={GOOD}\n")
    environ = {"ACS_LAB_BACKEND": "emulator", ENDPOINT_VAR: ENDPOINT}
    assert load_settings(environ=environ, env_files=[env_file]).mode == "emulator"
