"""An attendee's server: `jupyterhub-singleuser`, started without one slow optional import.

jupyter_server validates its event schemas with jsonschema, whose format checkers import the
optional `rfc3987_syntax` (the `iri` format) when it is installed; that import builds a grammar
and cost about 2 s of CPU on every server start, measured here (`python -X importtime`; the same
in python-jsonschema/jsonschema#1521). No Jupyter event schema uses the `iri` format, so the
attendee's server goes without that one checker: the lab's choice, for a room where twenty
servers start at once. Run as a script (`python .../singleuser.py`), so it needs no sys.path.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # None: `import rfc3987_syntax` -> ImportError

from jupyterhub.singleuser import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
