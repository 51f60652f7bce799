"""`python -m helpers.emulator` and the `acs-emulator` script: the console commands live in
cli.py (serve, env, stop, info, reset, teams-token)."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
