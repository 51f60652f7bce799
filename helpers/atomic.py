"""The one way the lab writes a file others may read at any moment: whole, or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` via a temp file + rename, so readers never see a half-written file.

    The temp file has a unique name in the same folder (two writers at once never share one, and
    the rename stays on one file system); it is fsynced before the rename and removed on failure.
    A link planted at `path` is replaced, never written through.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # Before any byte is written, so a key is never readable by others, even briefly.
        # (Windows has no fchmod, nor POSIX modes: there the user's profile folder protects it.)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
