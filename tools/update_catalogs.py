"""Bring every translation catalog in step with the strings in the helpers' code.

    .venv/bin/python -m tools.update_catalogs

Adds new messages (untranslated), marks changed ones fuzzy, drops removed ones, and prints how
many messages each catalog still needs. Then translate the empty and fuzzy entries in
helpers/locale/<language>/LC_MESSAGES/acs_lab.po (any PO editor, or a text editor) and run
`pytest tests/unit/test_i18n.py`.
"""

from __future__ import annotations

import sys

from helpers.i18n import update_catalogs


def main() -> int:
    for line in update_catalogs():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
