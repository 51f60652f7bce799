"""Kernels the test processes start themselves (nbval's, nbclient's) talk over local sockets.

Over TCP, jupyter_client picks free ports, writes them down and lets them go, and the kernel binds
them a moment later; on a busy machine another process's outgoing connection can take one in
between, and the kernel dies at start ("Kernel died before replying to kernel_info",
jupyter_client#154). `make test` hit it on 2 cores. Local (ipc) sockets have no ports to lose.
JupyterLab servers started by tests get the same with IPC_KERNELS and a short_runtime_dir()."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid

from jupyter_client.manager import KernelManager
from traitlets import CaselessStrEnum, default

# A Jupyter server's option for the same (`make lab` and the room pass it too).
IPC_KERNELS = "--KernelManager.transport=ipc"


def short_runtime_dir(prefix: str = "rt-") -> str:
    """A private folder for kernels' ipc sockets, removed when the test process ends. A socket
    path holds at most 107 bytes: pytest's tmp_path is too long for it, /tmp/rt-xxxx is not."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


SOCKETS = short_runtime_dir("k-")


class LocalSocketKernelManager(KernelManager):
    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _socket_prefix(self) -> str:
        # Without a connection file the default is "kernel-ipc" in the working directory (a
        # notebook's folder); one private prefix per kernel keeps two kernels apart.
        return f"{SOCKETS}/{uuid.uuid4().hex[:12]}"


def use_for_nbval() -> None:
    """nbval builds its kernels with the KernelManager name in its own module."""
    import nbval.kernel

    nbval.kernel.KernelManager = LocalSocketKernelManager
