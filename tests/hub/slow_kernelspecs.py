"""Test-only Jupyter server extension: /api/kernelspecs as a busy room's server answers it.

Its first ACS_TEST_KERNELSPECS_FAILURES requests answer 503 after ACS_TEST_KERNELSPECS_DELAY
seconds (an overloaded server, or a hub that could not check the attendee's token in time);
later ones answer normally. JupyterLab then has the notebook but no kernel list."""

from __future__ import annotations

import asyncio
import os

from jupyter_server.services.kernelspecs import handlers
from tornado import web


def _load_jupyter_server_extension(serverapp) -> None:
    delay = float(os.environ["ACS_TEST_KERNELSPECS_DELAY"])
    failures = [int(os.environ["ACS_TEST_KERNELSPECS_FAILURES"])]
    answer = handlers.MainKernelSpecHandler.get

    async def get(self):
        await asyncio.sleep(delay)
        if failures[0] > 0:
            failures[0] -= 1
            raise web.HTTPError(503, "test: the server is too busy to list kernels")
        return await answer(self)

    handlers.MainKernelSpecHandler.get = get
    serverapp.log.warning("test: /api/kernelspecs slowed by %s s, first %s fail", delay, failures)
