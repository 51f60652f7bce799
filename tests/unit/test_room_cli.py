"""deploy.room without a running hub: settings checked with one-line errors, secrets kept private
and stable, and the file side of a reset (fresh copy, empty service state, exports gone)."""

from __future__ import annotations

import json
import socket
import stat

import pytest

from deploy import room as hub_room


@pytest.fixture
def env(tmp_path):
    proxy = tmp_path / "configurable-http-proxy"
    proxy.write_text("#!/bin/sh\n")
    proxy.chmod(0o755)
    return {
        "HUB_ROOM": str(tmp_path / "room"),
        "HUB_PROXY_COMMAND": str(proxy),
        "HUB_PORT": str(hub_room.free_port()),
    }


def test_a_room_gets_generated_passwords_kept_private_and_stable_across_restarts(env):
    first = hub_room.prepare(env)
    again = hub_room.prepare(env)
    secrets_file = first.folder / hub_room.SECRETS_FILE
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.folder.stat().st_mode) == 0o700
    assert (first.password, first.admin_password, first.token) == (
        again.password,
        again.admin_password,
        again.token,
    )
    assert len(first.password) >= hub_room.MIN_PASSWORD
    assert len(first.admin_password) >= 32  # JupyterHub's minimum for the admin password
    assert first.password != first.admin_password
    # The internal ports differ per start; the public one is the trainer's.
    assert first.url == f"http://127.0.0.1:{env['HUB_PORT']}/"


def test_the_room_repr_never_shows_a_password_or_the_token(env):
    room = hub_room.prepare(env)
    shown = repr(room)
    for secret in (room.password, room.admin_password, room.token):
        assert secret not in shown


def test_hub_password_from_the_environment_wins_and_a_short_one_is_refused_without_echo(env):
    assert hub_room.prepare({**env, "HUB_PASSWORD": "lab-room-7"}).password == "lab-room-7"
    with pytest.raises(hub_room.RoomError) as raised:
        hub_room.prepare({**env, "HUB_PASSWORD": "short"})
    assert "HUB_PASSWORD must be at least 8 characters (it has 5)" in str(raised.value)
    assert "short" not in str(raised.value).replace("HUB_PASSWORD", "")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HUB_PORT", "eighty", "HUB_PORT must be a whole number from 1 to 65535"),
        ("HUB_PORT", "70000", "HUB_PORT must be a whole number from 1 to 65535"),
        ("HUB_CULL_IDLE", "5", "HUB_CULL_IDLE must be a whole number from 60"),
        ("HUB_ADMIN", "../root", "HUB_ADMIN: '../root' is not an attendee name"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(env, name, value, expected):
    with pytest.raises(hub_room.RoomError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        hub_room.prepare({**env, name: value})


def test_a_port_in_use_says_how_to_choose_another(env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(hub_room.RoomError, match=f"port {port} is already in use.*HUB_PORT="):
            hub_room.prepare({**env, "HUB_PORT": str(port)})


def test_a_missing_proxy_says_make_hub_installs_it(env, tmp_path):
    with pytest.raises(hub_room.RoomError, match="configurable-http-proxy not found.*make hub"):
        hub_room.prepare({**env, "HUB_PROXY_COMMAND": str(tmp_path / "nothing")})


def test_damaged_room_secrets_fail_closed(env):
    room = hub_room.prepare(env)
    (room.folder / hub_room.SECRETS_FILE).write_text("{not json")
    with pytest.raises(hub_room.RoomError, match="damaged; delete it"):
        hub_room.prepare(env)


@pytest.mark.parametrize("name", ["../etc", "Ada", "", "a" * 33, "-dash", "a b"])
def test_attendee_names_that_are_not_plain_folder_names_are_refused(name):
    with pytest.raises(hub_room.RoomError, match="is not an attendee name"):
        hub_room.check_name(name)


def test_reset_files_gives_a_fresh_copy_empties_the_service_and_removes_exports(tmp_path):
    home = tmp_path / "ada"
    copy = home / hub_room.COPY
    copy.mkdir(parents=True)
    (copy / "08-run-the-code.ipynb").write_text("my edited version")
    export = "attendee,identity_id,scopes,expires_on,status\n1,8:acs:x,chat,2026,ok\n"
    (copy / "room.csv").write_text(export)
    (home / "acs-identity-lab-exports").mkdir()
    (home / "acs-identity-lab-exports" / "attendees.csv").write_text(export)
    (home / "acs-identity-lab-exports" / "my-own.csv").write_text("a,b\n1,2\n")
    (home / hub_room.SERVICE_STATE).mkdir()
    (home / hub_room.SERVICE_STATE / "access-key").write_text("secret")
    summary = hub_room.reset_files(home)
    assert "empty ACS service state" in summary and "exported CSV" in summary
    assert not (home / hub_room.SERVICE_STATE).exists()
    assert not list(copy.rglob("*.csv"))
    assert "2 exported CSV file(s) removed" in summary
    # Only the lab's own exports go: a CSV the attendee wrote themselves stays.
    assert [p.name for p in (home / "acs-identity-lab-exports").iterdir()] == ["my-own.csv"]
    fresh = (copy / "08-run-the-code.ipynb").read_text()
    assert fresh != "my edited version" and json.loads(fresh)["cells"]
    kept = list((copy / "previous-copies").glob("*/08-run-the-code.ipynb"))
    assert [p.read_text() for p in kept] == ["my edited version"]


def test_trainer_commands_without_a_room_say_to_start_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUB_ROOM", str(tmp_path / "none"))
    assert hub_room.main(["attendees"]) == 2
    assert "no room at" in capsys.readouterr().err
    assert hub_room.main(["dance"]) == 2
    assert "usage: python -m deploy.room" in capsys.readouterr().err
