"""One-time set-up of the lab environment, run by `make` after installing.

Writes JupyterLab settings overrides into this environment (not the user's home): no
"get notified about Jupyter news?" toast and no update check, which would both try the network
and interrupt a workshop's first minutes. Installs the lab's own JupyterLab extension,
share/jupyter/labextensions/acs-lab-kernel-wait (a lesson opens only once the server's kernel list
has arrived, so its kernel starts without a "Select Kernel" dialog: see its remoteEntry.js).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


REPO = Path(__file__).resolve().parents[1]
LAB_EXTENSION = REPO / "share" / "jupyter" / "labextensions" / "acs-lab-kernel-wait"


def overrides_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def write_overrides(prefix: str | None = None) -> Path:
    """Merge our overrides into the environment's overrides.json, keeping any others."""
    path = overrides_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = {}
    if path.is_file():
        try:
            current = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError:
            current = {}
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def install_extension(prefix: str | None = None) -> Path | None:
    """Copy the lab's extension into the environment (replacing an older copy of it); None
    when the lab was installed without its repository (a wheel), which has no share/ folder."""
    if not LAB_EXTENSION.is_dir():
        return None
    target = Path(prefix or sys.prefix) / "share" / "jupyter" / "labextensions" / LAB_EXTENSION.name
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    shutil.copytree(LAB_EXTENSION, target)
    return target


def main() -> None:
    path = write_overrides()
    print(f"JupyterLab settings written to {path}")
    extension = install_extension()
    if extension:
        print(f"JupyterLab extension installed in {extension}")


if __name__ == "__main__":
    main()
