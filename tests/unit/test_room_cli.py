"""deploy.room without a running hub: settings checked with one-line errors, secrets kept private
and stable, the hub configuration `apply()` makes, account names, private folders, and the file
side of a reset (fresh copy, empty service state, exports gone)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat

import pytest
from traitlets.config import Config

from deploy import room as hub_room
from deploy.room import accounts, configurer


@pytest.fixture
def env(tmp_path):
    proxy = tmp_path / "configurable-http-proxy"
    proxy.write_text("#!/bin/sh\n")
    proxy.chmod(0o755)
    return {
        "HUB_ROOM": str(tmp_path / "room"),
        "HUB_PROXY_COMMAND": str(proxy),
        "HUB_PORT": str(hub_room.free_port()),
        "HUB_ACCOUNTS": "off",  # as root too: these tests are about the settings, not accounts
    }


def test_a_room_gets_generated_passwords_kept_private_and_stable_across_restarts(env):
    first = hub_room.prepare(env)
    again = hub_room.prepare(env)
    secrets_file = first.private / hub_room.SECRETS_FILE
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.private.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.folder.stat().st_mode) == 0o700  # no accounts: nobody else enters
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


def test_a_room_made_before_the_private_folder_keeps_its_passwords(env):
    first = hub_room.prepare(env)
    os.replace(first.private / hub_room.SECRETS_FILE, first.folder / hub_room.SECRETS_FILE)
    again = hub_room.prepare(env)
    assert (again.password, again.admin_password) == (first.password, first.admin_password)
    assert not (first.folder / hub_room.SECRETS_FILE).exists()


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
    (room.private / hub_room.SECRETS_FILE).write_text("{not json")
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


# -- a room on the network, HTTPS --------------------------------------------------------------


def test_a_network_room_without_accounts_is_refused_in_one_line_naming_the_opt_in(env):
    with pytest.raises(hub_room.RoomError) as refused:
        hub_room.prepare({**env, "HUB_IP": "0.0.0.0"})
    line = str(refused.value)
    assert "\n" not in line and "HUB_ALLOW_SHARED_ACCOUNT=yes" in line and "as root" in line
    room = hub_room.prepare({**env, "HUB_IP": "0.0.0.0", "HUB_ALLOW_SHARED_ACCOUNT": "yes"})
    shown = hub_room.banner(room)
    assert "Isolation: NONE between attendees' code" in shown
    assert "WARNING: reachable from the network over plain HTTP" in shown
    assert "Isolation: NONE" in hub_room.banner(hub_room.prepare(env))  # loopback: fine, said
    assert "WARNING" not in hub_room.banner(hub_room.prepare(env))


def test_https_needs_both_files_and_a_certificate(env, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(hub_room.RoomError, match="HUB_SSL_CERT and HUB_SSL_KEY go together"):
        hub_room.prepare({**env, "HUB_SSL_KEY": str(key)})
    with pytest.raises(hub_room.RoomError, match="HUB_SSL_CERT: no readable file"):
        hub_room.prepare({**env, "HUB_SSL_CERT": str(cert), "HUB_SSL_KEY": str(key)})
    cert.write_text("not a certificate")
    with pytest.raises(hub_room.RoomError, match="is not a PEM certificate"):
        hub_room.prepare({**env, "HUB_SSL_CERT": str(cert), "HUB_SSL_KEY": str(key)})
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    room = hub_room.prepare(
        {**env, "HUB_SSL_CERT": str(cert), "HUB_SSL_KEY": str(key), "HUB_IP": "0.0.0.0"}
        | {"HUB_ALLOW_SHARED_ACCOUNT": "yes"}
    )
    assert room.url.startswith("https://")
    assert "over HTTPS" in hub_room.banner(room) and "WARNING" not in hub_room.banner(room)
    config = Config()
    configurer.apply(config, {**room.environment(), "HUB_RUNTIME": "/nowhere"})
    assert config.JupyterHub.ssl_cert == str(cert) and config.JupyterHub.ssl_key == str(key)


# -- the hub's configuration: one function ------------------------------------------------------


def test_apply_configures_the_hub_from_the_room_alone(env):
    room = hub_room.with_runtime(hub_room.prepare(env))
    try:
        config = Config()
        configurer.apply(config, room.environment())
    finally:
        shutil.rmtree(room.runtime)
    hub = config.JupyterHub
    assert (hub.ip, hub.port, hub.hub_port) == ("127.0.0.1", room.port, room.internal_port)
    # The hub's own state sits in the private folder, never beside the attendees' homes.
    for path in (hub.cookie_secret_file, hub.pid_file, hub.db_url.split("///")[1]):
        assert path.startswith(str(room.private) + "/"), path
    assert config.SharedPasswordAuthenticator.user_password == room.password
    assert config.SharedPasswordAuthenticator.admin_password == room.admin_password
    assert config.Authenticator.admin_users == {room.admin}
    assert config.Authenticator.username_pattern == hub_room.NAME_PATTERN.pattern
    assert hub.spawner_class.__name__ == "SharedSpawner"  # HUB_ACCOUNTS=off
    assert config.SharedSpawner.runtime == room.runtime
    args = config.Spawner.args
    assert "--KernelManager.transport=ipc" in args
    assert "--ServerApp.jpserver_extensions=jupyter_lsp=False" in args
    assert ("--allow-root" in args) == (os.geteuid() == 0)
    assert config.Spawner.http_timeout >= 300 and config.Spawner.start_timeout >= 600
    services = {s["name"]: s for s in hub.services}
    assert services["room-trainer"]["api_token"] == room.token
    assert f"--timeout={room.cull_idle}" in services["idle-culler"]["command"]


def test_the_runtime_folder_is_fresh_random_and_private(env):
    room = hub_room.prepare(env)
    first, second = hub_room.with_runtime(room), hub_room.with_runtime(room)
    try:
        assert first.runtime != second.runtime  # never a name someone could guess and make first
        assert stat.S_IMODE(os.stat(first.runtime).st_mode) == 0o700
        assert len(first.runtime) < 40  # room for a kernel's socket path (about 100 characters)
    finally:
        shutil.rmtree(first.runtime), shutil.rmtree(second.runtime)


# -- private folders and account names ----------------------------------------------------------


def test_a_private_folder_is_made_0700_and_one_that_is_not_ours_is_refused(tmp_path):
    me, group = os.getuid(), os.getgid()
    made = hub_room.private_folder(tmp_path / "mine", me, group)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert hub_room.private_folder(made, me, group) == made  # ours already: used
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)
    with pytest.raises(hub_room.RoomError, match="refusing to use it"):
        hub_room.private_folder(planted, me, group)
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(hub_room.RoomError, match="not a private folder"):
        hub_room.private_folder(tmp_path / "link", me, group)
    with pytest.raises(hub_room.RoomError, match="owner uid"):
        hub_room.private_folder(made, me + 1, group)  # someone else's


@pytest.mark.parametrize(
    ("name", "account"),
    [
        ("ada", "acslab-ada"),
        ("a" * 25, "acslab-" + "a" * 25),
        ("root", "acslab-root"),  # a real account's name still gets the prefix
    ],
)
def test_account_names_carry_the_prefix(name, account):
    assert accounts.system_name(name) == account


def test_long_names_are_shortened_with_a_hash_and_stay_distinct():
    long_a, long_b = "x" * 30 + "-a", "x" * 30 + "-b"
    names = {accounts.system_name(n) for n in (long_a, long_b)}
    assert len(names) == 2 and all(len(n) <= 32 and n.startswith("acslab-") for n in names)
    with pytest.raises(hub_room.RoomError, match="is not an attendee name"):
        accounts.system_name("../root")


def test_a_damaged_account_record_fails_closed(tmp_path):
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / hub_room.ACCOUNTS_FILE).write_text("[")
    with pytest.raises(hub_room.RoomError, match="accounts.json is damaged"):
        accounts.recorded(tmp_path)


def test_an_attendees_server_starts_without_the_slow_optional_iri_checker():
    """deploy/room/singleuser.py: jupyterhub-singleuser's imports, minus rfc3987_syntax (about
    2 s of CPU per server start), and nothing else left out."""
    import subprocess
    import sys

    script = configurer.Path(configurer.__file__).with_name("singleuser.py")
    config = Config()
    configurer.apply(config, {**_minimal_environment(), "HUB_RUNTIME": "/nowhere"})
    assert config.Spawner.cmd[-1] == str(script)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-500:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "jupyterhub.singleuser" in imported and "jupyter_server.serverapp" in imported
    assert "jsonschema._format" in imported  # the validator is there...
    # ...without its grammar-building IRI checker (the failed attempt itself is listed too).
    assert "rfc3987_syntax.syntax_helpers" not in imported and "lark" not in imported


def _minimal_environment() -> dict[str, str]:
    return {
        "HUB_ROOM": "/srv/room",
        "HUB_PORT": "8000",
        "HUB_INTERNAL_PORT": "8001",
        "HUB_PROXY_API_PORT": "8002",
        "HUB_PROXY_COMMAND": "/bin/true",
        "HUB_PASSWORD": "workshop-pw",
        "HUB_ADMIN_PASSWORD": "x" * 32,
        "HUB_ADMIN": "trainer",
        "HUB_TRAINER_TOKEN": "t" * 64,
        "HUB_ACCOUNTS": "yes",
    }


def test_apply_with_accounts_runs_servers_as_the_attendees_account():
    config = Config()
    configurer.apply(config, {**_minimal_environment(), "HUB_RUNTIME": "/run/r"})
    assert config.JupyterHub.spawner_class.__name__ == "AccountSpawner"
    assert config.AccountSpawner.room == "/srv/room" and config.AccountSpawner.runtime == "/run/r"
    assert "--allow-root" not in config.Spawner.args  # the server never runs as root


# -- before a root room opens -------------------------------------------------------------------


def test_a_room_with_accounts_refuses_a_trainer_home_others_can_list(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    with pytest.raises(hub_room.RoomError, match=r"could list your home folder .* chmod o-r"):
        hub_room.settings.lock_down({"HOME": str(home)}, tmp_path / "room")


def test_folders_attendees_cannot_pass_through_are_named_with_the_fix(tmp_path):
    closed = tmp_path / "closed"
    (closed / "inside").mkdir(parents=True)
    closed.chmod(0o700)
    fixes = hub_room.settings.attendee_reach_fixes(closed / "inside" / "room")
    assert closed in fixes["o+x"]
    assert closed / "inside" not in fixes.get("o+x", [])  # 0755 already: nothing to fix
    closed.chmod(0o711)
    assert closed not in hub_room.settings.attendee_reach_fixes(closed / "inside" / "room").get(
        "o+x", []
    )


def test_the_runtime_folder_is_removed_on_stop_only_while_it_is_still_ours(env, tmp_path):
    room = hub_room.with_runtime(hub_room.prepare(env))
    runtime = room.runtime
    os.mkdir(os.path.join(runtime, "ada"), 0o700)
    assert hub_room.processes.remove_runtime(room) and not os.path.lexists(runtime)
    assert not hub_room.processes.remove_runtime(room)  # already gone: nothing to do

    # Something else now at that name (a symlink to someone's folder): left as it is.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("not the room's")
    os.symlink(theirs, runtime)
    try:
        assert not hub_room.processes.remove_runtime(room)
        assert (theirs / "keep.txt").exists() and os.path.islink(runtime)
    finally:
        os.unlink(runtime)
    if os.geteuid() == 0:  # a real folder another user owns: theirs, not removed
        os.mkdir(runtime)
        os.chown(runtime, 65534, 65534)
        try:
            assert not hub_room.processes.remove_runtime(room) and os.path.isdir(runtime)
        finally:
            os.rmdir(runtime)


@pytest.mark.parametrize(
    "lesson",
    ["08-run-the-code.ipynb", "de/08-run-the-code.ipynb", " 00-set-up-your-environment.ipynb "],
)
def test_a_warm_seat_lesson_is_a_notebook_of_the_lab(lesson):
    assert hub_room.seats.lesson_path(lesson) == lesson.strip()


@pytest.mark.parametrize(
    "lesson",
    ["", "nope.ipynb", "issue-access-tokens.py", "../README.md", "../notebooks/x.ipynb", "/etc"],
)
def test_a_warm_seat_lesson_that_is_no_lesson_is_one_line_naming_the_variable(lesson):
    with pytest.raises(hub_room.RoomError) as caught:
        hub_room.seats.lesson_path(lesson)
    message = str(caught.value)
    assert message.startswith("HUB_WARM_LESSON: ") and "\n" not in message
    assert "00-set-up-your-environment.ipynb (the default)" in message


def test_hub_warm_checks_the_lesson_before_it_needs_a_hub(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUB_ROOM", str(tmp_path / "no-room"))
    monkeypatch.setenv("HUB_WARM_LESSON", "09-nothing.ipynb")
    assert hub_room.main(["warm", "ada"]) == 2
    assert "HUB_WARM_LESSON: '09-nothing.ipynb' is not a lesson" in capsys.readouterr().err
    # --lesson wins over the variable; a real lesson then needs the running hub.
    assert hub_room.main(["warm", "--lesson", "08-run-the-code.ipynb", "ada"]) == 2
    assert "start it with `make hub` first" in capsys.readouterr().err
    assert hub_room.main(["warm", "--lesson", "08-run-the-code.ipynb"]) == 2  # no names
    assert capsys.readouterr().err.startswith("usage: ")


def test_the_trainer_token_reaches_seats_for_warm_kernels_and_nothing_beyond_an_admin(env):
    c = Config()
    configurer.apply(c, hub_room.prepare(env).environment())
    (trainer,) = [r for r in c.JupyterHub.load_roles if r["name"] == "room-trainer"]
    assert {"proxy", "access:servers"} <= set(trainer["scopes"])
    # Warm kernels wait for the room: the servers cull no kernel (jupyter_server's default, off);
    # only the hub's idle culler stops a whole server idle for HUB_CULL_IDLE (the guide says so).
    assert not [a for a in c.Spawner.args if "cull" in a.lower()]
    # Every scope is part of JupyterHub's admin role (the trainer signs in as that admin anyway).
    jupyterhub = pytest.importorskip("jupyterhub.roles")
    from jupyterhub.scopes import expand_scopes

    (admin,) = [r for r in jupyterhub.get_default_roles() if r["name"] == "admin"]
    assert set(expand_scopes(trainer["scopes"])) <= set(expand_scopes(admin["scopes"]))
