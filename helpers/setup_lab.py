"""One-time set-up of the lab environment, run by `make` after installing.

Writes JupyterLab settings overrides into this environment (not the user's home): no
"get notified about Jupyter news?" toast and no update check, which would both try the network
and interrupt a workshop's first minutes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


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


def main() -> None:
    path = write_overrides()
    print(f"JupyterLab settings written to {path}")


if __name__ == "__main__":
    main()
