"""Re-run the tutorial notebooks against a fresh local service and store clean outputs.

    .venv/bin/python -m tools.refresh_notebooks            # every notebook
    .venv/bin/python -m tools.refresh_notebooks 03 06      # the ones whose names start so
    .venv/bin/python -m tools.refresh_notebooks de/03      # an edition's (notebooks/de/...)

The stored outputs are what nbval compares on every commit, so they must come from a real run.
Afterwards each notebook is cleaned (`clean()`): one kernelspec, no saved widget state, no widget
outputs (they would show "model not found" before the learner runs the cell), no execution
timing metadata.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what must not be committed; keep outputs and execution counts (nbval needs both)."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET_VIEW not in out.get("data", {})]
    return nb


def execute(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def main(argv: list[str]) -> int:
    # A private, empty state dir, and never Azure: stored outputs must come from the local service.
    os.environ["ACS_LAB_BACKEND"] = "emulator"
    os.environ["ACS_EMULATOR_HOME"] = tempfile.mkdtemp(prefix="acs-lab-refresh-")
    # The notebook's folder decides the language (helpers.i18n): no override may leak in.
    for name in ("ACS_LAB_LANGUAGE", "JPY_SESSION_NAME"):
        os.environ.pop(name, None)
    # English first, then the editions (notebooks/de/...); each kernel runs in its notebook's
    # folder, which also sets the forms' language.
    paths = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*/*.ipynb"))
    if argv:
        paths = [
            p
            for p in paths
            if any(p.relative_to(NOTEBOOKS).as_posix().startswith(prefix) for prefix in argv)
        ]
    for path in paths:
        print(f"running {path.relative_to(NOTEBOOKS)} ...", flush=True)
        nb = clean(execute(path))
        nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
