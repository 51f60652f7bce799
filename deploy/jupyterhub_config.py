"""JupyterHub for one workshop room on one machine: `make hub` starts it with this file.

Stock JupyterHub; everything room-specific comes from `python -m deploy.room serve`, which sets
the HUB_* variables below (ports, passwords, the room folder) before it starts `jupyterhub`.
Each attendee gets their own single-user JupyterLab, their own copy of the notebooks and their
own local ACS Identity service state (own key, own database). See docs/trainer-guide.md.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides get_config() when it loads this file

REPO = Path(__file__).resolve().parent.parent
ROOM = Path(os.environ["HUB_ROOM"])  # hub database, cookie secret, one folder per attendee
BIN = Path(sys.executable).parent  # the lab's .venv/bin: jupyterhub-singleuser, the culler
# Kernel sockets live here (see the kernel transport below); short, as a unix socket path must be.
RUNTIME = os.environ["HUB_RUNTIME"]

# -- Where it listens. Loopback unless the trainer sets HUB_IP=0.0.0.0 for the room's network.
c.JupyterHub.ip = os.environ.get("HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(os.environ["HUB_INTERNAL_PORT"])  # free ports picked by deploy.room
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["HUB_PROXY_COMMAND"]]  # the npm proxy, pinned
c.JupyterHub.db_url = f"sqlite:///{ROOM / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(ROOM / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(ROOM / "jupyterhub.pid")

# -- Sign-in: JupyterHub's own shared-password authenticator. Attendees choose their own name and
# type the workshop password; the trainer signs in as HUB_ADMIN with the (long) admin password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["HUB_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["HUB_ADMIN_PASSWORD"]
c.Authenticator.admin_users = {os.environ["HUB_ADMIN"]}
c.Authenticator.allow_all = True
# The name becomes a folder name: lowercase letters, digits, - and _ only (JupyterHub lowercases).
c.Authenticator.username_pattern = r"^[a-z0-9][a-z0-9_-]{0,31}$"
c.JupyterHub.template_vars = {
    "announcement_login": "Choose your own name (letters, digits, - or _) and type the "
    "workshop password the trainer gave you."
}

# -- One single-user server per attendee, run as the hub's own unix user: attendees are not unix
# users on this machine, so isolation is per folder and per service key, not per file permission
# (the trainer guide says what that means; Kubernetes gives each attendee a pod instead).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(ROOM / "attendees" / "{username}")
# The repo2docker `start` script makes the attendee's working copy (same rule as `make lab`),
# then runs the server on it.
c.Spawner.cmd = [str(REPO / "start"), str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = str(ROOM / "attendees" / "{username}" / "my-notebooks")
c.Spawner.default_url = "/lab/tree/00-set-up-your-environment.ipynb"
c.Spawner.environment = {  # a callable value is called with the attendee's spawner
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    "ACS_LAB_WORKING_COPY": lambda spawner: f"{spawner.home_dir}/my-notebooks",
    # Each attendee's kernels start the local service on their own state dir (own key, own db).
    "ACS_EMULATOR_HOME": lambda spawner: f"{spawner.home_dir}/acs-service",
    # Never the trainer's .env: a room works on the local service (bulk hand-out for Azure).
    "ACS_LAB_BACKEND": "emulator",
    "JUPYTER_RUNTIME_DIR": lambda spawner: f"{RUNTIME}/{spawner.user.name}",
}
c.Spawner.args = [
    # Kernels talk to their server over unix sockets, not loopback TCP ports: with twenty servers
    # starting at once, a port picked for one kernel was taken by another process before the
    # kernel could bind it, and kernels kept restarting (seen in benchmarks/bench_room.py).
    "--KernelManager.transport=ipc",
    # Voila's preview extension is `make app`'s business; without it each server starts faster.
    "--ServerApp.jpserver_extensions=voila.server_extension=False",
]
if os.getuid() == 0:  # a container or VM running as root: Jupyter refuses without this flag
    c.Spawner.args.append("--allow-root")
c.Spawner.http_timeout = 60  # twenty servers starting at once on two cores take a while
c.Spawner.start_timeout = 120
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every attendee's server

# -- Services: the standard idle culler (stops servers idle for HUB_CULL_IDLE seconds) and a
# token for the trainer commands (`python -m deploy.room attendees|reset-attendee|reset-room`).
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
    {
        "name": "room-trainer",
        "scopes": ["list:users", "read:users", "read:servers", "servers", "admin:users"],
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
            f"--timeout={os.environ.get('HUB_CULL_IDLE', '3600')}",
        ],
        "environment": {"HUB_ROOM": str(ROOM)},  # so `deploy.room` finds it among the processes
    },
    {"name": "room-trainer", "api_token": os.environ["HUB_TRAINER_TOKEN"]},
]
