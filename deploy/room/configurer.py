"""The whole JupyterHub configuration of a room, as one function of the HUB_* variables that
`deploy.room.settings.Room.environment()` sets. deploy/jupyterhub_config.py calls it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .layout import (
    ATTENDEES,
    COPY,
    DEFAULT_CULL_IDLE,
    FIRST_LESSON,
    NAME_PATTERN,
    REPO,
    SERVICE_STATE,
    attendee_home,
    private_dir,
)

BIN = Path(sys.executable).parent  # the lab's .venv/bin: jupyterhub-singleuser, the culler
START_LESSON = f"/lab/tree/{FIRST_LESSON}"
# Server extensions an attendee's lab doesn't use; each one costs every server start time.
# Voila's preview is `make app`'s business; the language server needs a server nobody installed.
OFF_EXTENSIONS = ("voila.server_extension", "jupyter_lsp")


def apply(c, environ=os.environ) -> None:
    """Configure JupyterHub (`c`, its config object) for the room `environ` describes."""
    room = Path(environ["HUB_ROOM"])
    private = private_dir(room)
    with_accounts = environ.get("HUB_ACCOUNTS") == "yes"

    # -- Where it listens: loopback unless HUB_IP says otherwise (settings.py checks it).
    c.JupyterHub.ip = environ.get("HUB_IP", "127.0.0.1")
    c.JupyterHub.port = int(environ["HUB_PORT"])
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(environ["HUB_INTERNAL_PORT"])
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{environ['HUB_PROXY_API_PORT']}"
    c.ConfigurableHTTPProxy.command = [environ["HUB_PROXY_COMMAND"]]  # the npm proxy, pinned
    if environ.get("HUB_SSL_CERT"):
        c.JupyterHub.ssl_cert = environ["HUB_SSL_CERT"]
        c.JupyterHub.ssl_key = environ["HUB_SSL_KEY"]
    # The hub's own state, in the 0700 private folder: never within an attendee's reach.
    c.JupyterHub.db_url = f"sqlite:///{private / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(private / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(private / "jupyterhub.pid")

    # -- Sign-in: JupyterHub's shared-password authenticator. Attendees choose their own name
    # and type the workshop password; the trainer signs in as HUB_ADMIN with the admin password.
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = environ["HUB_PASSWORD"]
    c.SharedPasswordAuthenticator.admin_password = environ["HUB_ADMIN_PASSWORD"]
    c.Authenticator.admin_users = {environ["HUB_ADMIN"]}
    c.Authenticator.allow_all = True
    c.Authenticator.username_pattern = NAME_PATTERN.pattern  # names become folder names
    c.JupyterHub.template_vars = {
        "announcement_login": "Choose your own name (letters, digits, - or _) and type the "
        "workshop password the trainer gave you."
    }

    # -- One server per attendee: as their own system account when the room runs as root,
    # else as the hub's user (spawner.py). The `start` script makes their working copy (the same
    # rule as `make lab`), then runs the server on it.
    from .spawner import AccountSpawner, SharedSpawner

    spawner = AccountSpawner if with_accounts else SharedSpawner
    c.JupyterHub.spawner_class = spawner
    getattr(c, spawner.__name__).room = str(room)
    getattr(c, spawner.__name__).runtime = environ["HUB_RUNTIME"]
    c.SimpleLocalProcessSpawner.home_dir_template = str(room / ATTENDEES / "{username}")
    c.Spawner.cmd = [
        str(REPO / "start"),
        sys.executable,
        str(Path(__file__).with_name("singleuser.py")),
    ]
    c.Spawner.notebook_dir = str(room / ATTENDEES / "{username}" / COPY)
    c.Spawner.default_url = START_LESSON
    c.Spawner.environment = {  # a callable value is called with the attendee's spawner
        "PATH": f"{BIN}{os.pathsep}{environ.get('PATH', '/usr/bin:/bin')}",
        "ACS_LAB_WORKING_COPY": lambda s: str(attendee_home(room, s.user.name) / COPY),
        # Each attendee's kernels start the local service on their own state (own key, own db).
        "ACS_EMULATOR_HOME": lambda s: str(attendee_home(room, s.user.name) / SERVICE_STATE),
        # Never the trainer's .env: a room works on the local service (bulk hand-out for Azure).
        "ACS_LAB_BACKEND": "emulator",
    }
    c.Spawner.args = [
        # Kernels talk to their server over unix sockets in the attendee's runtime folder, not
        # loopback TCP ports: twenty servers starting at once raced for ports otherwise.
        "--KernelManager.transport=ipc",
        *(f"--ServerApp.jpserver_extensions={name}=False" for name in OFF_EXTENSIONS),
    ]
    if not with_accounts and os.geteuid() == 0:  # HUB_ACCOUNTS=off as root: Jupyter asks this
        c.Spawner.args.append("--allow-root")
    # A busy machine makes a start slow, never a failure: JupyterHub waits this long for a
    # server (the default 30 s / 60 s turned twenty simultaneous starts into errors under load).
    c.Spawner.http_timeout = 300
    c.Spawner.start_timeout = 600
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops every attendee's server

    # -- Services: the standard idle culler (stops servers idle for HUB_CULL_IDLE seconds) and a
    # token for the trainer commands (`python -m deploy.room ...`).
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        },
        {
            # The trainer is the room's admin; these are the parts of an admin the commands use.
            # `proxy` (the routing table) and `access:servers` let `hub-warm` open the first
            # lesson's kernel on each seat's server, on loopback (deploy/room/seats.py).
            "name": "room-trainer",
            "scopes": [
                "list:users",
                "read:users",
                "read:servers",
                "servers",
                "admin:users",
                "proxy",
                "access:servers",
            ],
            "services": ["room-trainer"],
        },
    ]
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={environ.get('HUB_CULL_IDLE') or DEFAULT_CULL_IDLE}",
            ],
            "environment": {"HUB_ROOM": str(room)},  # so `deploy.room` finds it among processes
        },
        {"name": "room-trainer", "api_token": environ["HUB_TRAINER_TOKEN"]},
    ]
