"""How the hub starts an attendee's server: as their own system account (a room run as root)
or as the hub's own user (a trainer's laptop), with kernels' runtime files in a private folder.

Only the hub's process imports this (it needs jupyterhub)."""

from __future__ import annotations

import os
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, set_user_setuid
from traitlets import HasTraits, Unicode

from . import accounts
from .layout import attendee_home, private_folder


class _RoomSpawner(HasTraits):
    """What both spawners share: the room they belong to and the kernels' runtime folder."""

    room = Unicode(config=True, help="the room folder (HUB_ROOM)")
    runtime = Unicode(config=True, help="the folder holding each attendee's runtime folder")

    @property
    def home(self) -> Path:
        return attendee_home(Path(self.room), self.user.name)

    def runtime_for(self, owner: str) -> Path:
        return Path(self.runtime) / owner

    def room_env(self, env: dict, owner: str) -> dict:
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime_for(owner))
        return env


class AccountSpawner(_RoomSpawner, LocalProcessSpawner):
    """The attendee's server and kernels run as `acslab-<name>`, made on their first start."""

    _account = None

    async def start(self):
        home = self.home
        self._account = account = accounts.ensure(Path(self.room), self.user.name, home)
        accounts.home(home, account)
        private_folder(self.runtime_for(account.pw_name), account.pw_uid, account.pw_gid)
        return await super().start()

    def make_preexec_fn(self, name):
        become = set_user_setuid(self._account.pw_name)

        def preexec():
            become()
            os.umask(0o077)  # what the attendee writes is theirs only

        return preexec

    def user_env(self, env):
        account = self._account or accounts.system_name(self.user.name)
        name = getattr(account, "pw_name", account)
        env.update(USER=name, LOGNAME=name, HOME=str(self.home), SHELL="/bin/bash")
        return self.room_env(env, name)


class SharedSpawner(_RoomSpawner, SimpleLocalProcessSpawner):
    """Without root: every server runs as the hub's own user (a trainer's laptop, loopback)."""

    async def start(self):
        self.home.mkdir(mode=0o700, exist_ok=True)
        private_folder(self.runtime_for(self.user.name), os.getuid(), os.getgid())
        return await super().start()

    def user_env(self, env):
        return self.room_env(super().user_env(env), self.user.name)
