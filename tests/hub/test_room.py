"""The workshop room: a real JupyterHub with its proxy and a few attendees, end to end.

Starts `jupyterhub` with deploy/jupyterhub_config.py on free ports in a temporary room folder,
signs attendees in through the proxy, starts their servers, runs notebook 08 in each, and proves
that they are isolated, that one attendee's reset touches only them, and that nothing is left
running afterwards. The 20-attendee version of this is benchmarks/bench_room.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from deploy import room as hub_room
from deploy.attendee import Attendee, AttendeeError, failures

PASSWORD = "room-test-password"
PEOPLE = ["ada", "grace", "linus"]


def _missing() -> str:
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        return "jupyterhub is not installed (make test installs the [hub] extra)"
    if not hub_room.default_proxy().exists():
        return "configurable-http-proxy is not installed (make test installs it with npm)"
    return ""


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    problem = _missing()
    if problem:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the hub test is required in CI: {problem}", pytrace=False)
        pytest.skip(problem)
    folder = tmp_path_factory.mktemp("room")
    env = {**os.environ, "HUB_ROOM": str(folder), "HUB_PASSWORD": PASSWORD}
    env["HUB_PORT"] = str(hub_room.free_port())
    settings = hub_room.prepare(env)
    log = open(folder / "hub.log", "w")  # noqa: SIM115 - open while the hub runs
    process = hub_room.start(settings, stdout=log, stderr=log)
    try:
        hub_room.wait_until_up(settings, process, timeout=90)
        yield settings, process
    finally:
        left = hub_room.stop(settings, process)
        log.close()
        settings.folder.joinpath("left-running.json").write_text(json.dumps(left))


@pytest.fixture(scope="module")
def attendees(room):
    settings, _ = room
    people = {name: Attendee(settings.url, name) for name in PEOPLE}
    with ThreadPoolExecutor(len(people)) as pool:  # the room signs in at the same moment
        list(pool.map(lambda a: a.sign_in(PASSWORD), people.values()))
        list(pool.map(lambda a: a.start_server(), people.values()))
    return people


def test_the_workshop_password_signs_in_and_a_wrong_one_does_not(room, attendees):
    settings, _ = room
    stranger = Attendee(settings.url, "mallory")
    with pytest.raises(AttendeeError, match="sign-in refused"):
        stranger.sign_in("not-the-password")
    # The trainer's name takes only the admin password, never the workshop one.
    with pytest.raises(AttendeeError, match="sign-in refused"):
        Attendee(settings.url, settings.admin).sign_in(PASSWORD)
    listed = dict((n, s) for n, s, _ in hub_room.attendees(settings.folder))
    assert all(listed[name] == "running" for name in PEOPLE), listed
    assert "mallory" not in listed


def test_each_attendee_server_serves_their_own_working_copy(room, attendees):
    settings, _ = room
    for name, person in attendees.items():
        saved = person.server(
            "PUT", "api/contents/mine.txt", json={"type": "file", "format": "text", "content": name}
        )
        assert saved.status_code in (200, 201), saved.text
    for name, person in attendees.items():
        copy = settings.folder / "attendees" / name / "my-notebooks"
        assert (copy / "mine.txt").read_text() == name  # their file, in their folder only
        assert (copy / "08-run-the-code.ipynb").is_file()
        assert person.notebook()["path"] == "08-run-the-code.ipynb"
    # Another attendee's server is not reachable with my token (the hub's own access rules).
    ada, grace = attendees["ada"], attendees["grace"]
    other = ada.session.get(f"{grace.server_url}api/contents/mine.txt", allow_redirects=False)
    assert other.status_code in (302, 403), other.status_code


def test_notebook_08_runs_for_every_attendee_at_once(attendees):
    with ThreadPoolExecutor(len(attendees)) as pool:
        runs = pool.map(lambda a: a.run_notebook(), attendees.values())
        results = dict(zip(attendees, runs, strict=True))
    for name, cells in results.items():
        assert cells, f"{name}: notebook 08 has no code cells"
        assert failures(cells) == [], f"{name}: {failures(cells)}"
        assert "local ACS Identity service" in cells[0].text, cells[0].text


ISOLATION_PROBE = """
from azure.communication.identity import CommunicationUserIdentifier
from helpers import connect
from helpers.connection import current_backend

client = connect(quiet=True)
theirs = CommunicationUserIdentifier({their_id!r})
print("LISTED", {their_id!r} in [i["id"] for i in current_backend().admin().identities()])
for action, call in [
    ("token", lambda: client.get_token(theirs, ["chat"])),
    ("revoke", lambda: client.revoke_tokens(theirs)),
    ("delete", lambda: client.delete_user(theirs)),
]:
    try:
        call()
        print(action, "WORKED")
    except Exception as err:
        print(action, "REFUSED", getattr(err, "status_code", type(err).__name__))
"""


def test_an_attendee_never_sees_revokes_or_deletes_another_attendees_identity(room, attendees):
    settings, _ = room
    ada, grace = attendees["ada"], attendees["grace"]
    with ada.kernel("08-run-the-code.ipynb") as kernel:
        made = kernel.execute(
            "from helpers import connect\n"
            "c = connect(quiet=True)\n"
            "print(c.create_user().properties['id'])"
        )
        ada_id = made.text.strip()
        assert made.status == "ok" and ada_id.startswith("8:acs:"), made
        # Her kernel talks to her server over unix sockets in her own runtime folder, no ports.
        sockets = list((Path(settings.runtime) / "ada").glob("kernel-*-ipc-*"))
        assert sockets and all(p.is_socket() for p in sockets), sockets
        with grace.kernel("08-run-the-code.ipynb") as other:
            probe = other.execute(ISOLATION_PROBE.format(their_id=ada_id))
        assert probe.status == "ok", probe.error
        assert "LISTED False" in probe.text, probe.text
        for action in ("token", "revoke", "delete"):
            assert f"{action} REFUSED" in probe.text, probe.text
        # Ada's identity is untouched by Grace's attempts: it still gets a token.
        still = kernel.execute(
            "from azure.communication.identity import CommunicationUserIdentifier\n"
            f"print(len(c.get_token(CommunicationUserIdentifier({ada_id!r}), ['chat']).token) > 0)"
        )
        assert still.text.strip() == "True", still
    # Two services, two keys: each attendee's state dir is their own.
    keys = {
        name: (settings.folder / "attendees" / name / "acs-service" / "access-key").read_bytes()
        for name in ("ada", "grace")
    }
    assert keys["ada"] != keys["grace"]


def test_resetting_one_attendee_gives_them_a_fresh_lab_and_leaves_the_others_alone(room, attendees):
    settings, _ = room
    ada_home = settings.folder / "attendees" / "ada"
    grace_home = settings.folder / "attendees" / "grace"
    grace_db = (grace_home / "acs-service" / "identities.sqlite3").read_bytes()
    line = hub_room.reset_attendee(settings.folder, "ada")
    assert line.startswith("ada: ") and "fresh notebooks" in line
    assert not (ada_home / "my-notebooks" / "mine.txt").exists()  # a fresh copy...
    kept = list((ada_home / "my-notebooks" / "previous-copies").glob("*/mine.txt"))
    assert [p.read_text() for p in kept] == ["ada"]  # ...with the old one kept aside
    assert not (ada_home / "acs-service").exists()  # empty service state: her identities gone
    assert (grace_home / "my-notebooks" / "mine.txt").read_text() == "grace"
    assert (grace_home / "acs-service" / "identities.sqlite3").read_bytes() == grace_db
    with pytest.raises(hub_room.RoomError, match="no attendee called 'nobody'"):
        hub_room.reset_attendee(settings.folder, "nobody")
    # Her server was running, so it was started again, on the fresh copy.
    attendees["ada"].start_server()
    assert attendees["ada"].server("GET", "api/contents/mine.txt").status_code == 404


def attendee_servers_running(folder: Path) -> list[int]:
    """Processes (servers, kernels) started for an attendee of this room."""
    marker = f"ACS_LAB_WORKING_COPY={folder}/attendees/".encode()
    running = []
    for pid in hub_room.room_processes(folder):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if any(v.startswith(marker) for v in environ.split(b"\0")):
            running.append(pid)
    return running


def test_resetting_the_room_frees_every_name_and_keeps_notebooks_without_service_state(
    room, attendees
):
    settings, _ = room
    folder = settings.folder
    (folder / "attendees" / "grace" / "my-notebooks" / "hand-out.csv").write_text("id,token\n")
    assert attendee_servers_running(folder)
    summary = hub_room.reset_room(folder)
    assert summary.startswith("room reset: 3 attendee(s) signed out and removed")
    assert [name for name, _, _ in hub_room.attendees(folder)] == ["trainer (trainer)"]
    assert attendee_servers_running(folder) == []
    assert list((folder / "attendees").iterdir()) == []
    (group,) = (folder / "previous-groups").iterdir()
    assert sorted(p.name for p in group.iterdir()) == sorted(PEOPLE)
    for name in PEOPLE:
        assert not (group / name / "acs-service").exists()
    for name in ("grace", "linus"):
        assert (group / name / "my-notebooks" / "mine.txt").read_text() == name
    # Ada's own file was already kept aside by her reset; it moves along with her folder.
    assert list((group / "ada" / "my-notebooks" / "previous-copies").glob("*/mine.txt"))
    assert not list(group.rglob("*.csv"))
    # The next group's "ada" signs in to a fresh lab: a new copy and a new service.
    newcomer = Attendee(settings.url, "ada")
    newcomer.sign_in(PASSWORD)
    newcomer.start_server()
    assert newcomer.server("GET", "api/contents/mine.txt").status_code == 404
    assert (folder / "attendees" / "ada" / "my-notebooks" / "08-run-the-code.ipynb").is_file()


def test_nothing_is_left_running_after_the_hub_stops(room, attendees):
    settings, process = room
    running = hub_room.room_processes(settings.folder)
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in running]
    assert any(b"jupyterhub_idle_culler" in c for c in commands), "the idle culler runs"
    assert any(b"configurable-http-proxy" in c for c in commands), "the npm proxy runs"
    left = hub_room.stop(settings, process)
    assert left == [], f"still running after the hub stopped: {left}"
    assert hub_room.room_processes(settings.folder) == []
    assert not Path(settings.runtime).exists()  # the kernels' socket folder went with them
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{settings.url}hub/login", timeout=5)
