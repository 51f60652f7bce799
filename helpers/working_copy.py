"""The learner's working copy: `my-notebooks/`, made from `notebooks/` and never written back.

The lab serves the copy, so Run All and autosave change the learner's files, not the tracked
originals that nbval checks. A small manifest remembers which version of each original a copy
came from, so `make lab` can say in one line when an original has changed since, without touching
the learner's work. `reset` puts fresh copies in place and moves the old ones aside.

    python -m helpers.working_copy sync     # what `make lab` runs: copy what's missing, report
    python -m helpers.working_copy reset    # what `make lab-reset` runs: fresh copies, old kept

A copy opens unchanged in the lab: it carries the `language_info` this machine's kernel reports
(JupyterLab would otherwise rewrite it on opening and mark the notebook changed), and it is
signed as trusted (no "Notebook ... is not trusted" in the terminal). The exercises' solution
files (`solutions/*.py`, loaded with `%load`) and lesson 08's `issue-access-tokens.py` are copied
next to their notebooks.
`forget_widget_views` is the lab's save hook (`make lab`): a saved copy keeps, where a form was,
a one-line hint to run the cell again instead of "Error displaying widget: model not found".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from helpers.atomic import write_atomic
from helpers.i18n import N_, available_languages, translations
from helpers.lessons import LESSONS

ROOT = Path(__file__).resolve().parent.parent
ORIGINALS = ROOT / "notebooks"
WORKING_COPY = ROOT / "my-notebooks"
MANIFEST = ".lab-origins.json"
# Where `reset` keeps a learner's previous copies: inside the copy, so they stay visible in the lab.
PREVIOUS = "previous-copies"
START_NOTEBOOK = LESSONS[0].file_name  # lesson 00


class WorkingCopyError(Exception):
    """The working copy can't be made or read; the message says what to do."""


@dataclass
class SyncReport:
    """What `sync` did: notebooks copied now, and copies whose original changed since."""

    copied: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the console (empty when there is nothing to say)."""
        parts = []
        if self.copied:
            count = _notebooks(self.copied)  # the programs next to them are not counted
            parts.append(f"made {count} fresh notebook copies in my-notebooks/")
        if self.outdated:
            names = ", ".join(_short(name) for name in self.outdated)
            parts.append(
                f"{len(self.outdated)} lesson(s) changed since you copied them ({names}); "
                "your copies are untouched - `make lab-reset` gets fresh ones and keeps yours aside"
            )
        return "; ".join(parts)


@dataclass
class ResetReport:
    """What `reset` did: where the old copies went (None when there were none), how many fresh."""

    kept_in: Path | None
    copied: int


def _notebooks(relatives: list[str]) -> int:
    return sum(1 for name in relatives if name.endswith(".ipynb"))


def _short(relative: str) -> str:
    return relative.removesuffix(".ipynb")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def originals(source: Path | None = None) -> list[Path]:
    """Every tutorial notebook and program (solutions, 08's script) below `source`, editions in
    sub-folders too, as relative paths."""
    source = source or ORIGINALS
    found = []
    candidates = [*source.rglob("*.ipynb"), *source.rglob("*.py")]
    for path in sorted(candidates):
        relative = path.relative_to(source)
        if any(part.startswith(".") for part in relative.parts):
            continue  # .ipynb_checkpoints and the like
        found.append(relative)
    return found


def kernel_language_info() -> dict:
    """The `language_info` this machine's python3 kernel reports (ipykernel's own table)."""
    from ipykernel.ipkernel import IPythonKernel

    return json.loads(json.dumps(IPythonKernel.language_info))


def _copy_file(original: Path, target: Path, language_info: dict) -> None:
    """Copy one file; a notebook gets this machine's language_info and a trust signature."""
    if original.suffix != ".ipynb":
        shutil.copy2(original, target)
        return
    import nbformat
    from nbformat.sign import NotebookNotary

    try:
        nb = nbformat.read(original, as_version=4)
    except (ValueError, KeyError, AttributeError, nbformat.ValidationError):
        # Not a notebook nbformat can read: copied as it is, so the lab shows the learner the
        # same error the original gives (nothing is invented or repaired here).
        shutil.copy2(original, target)
        return
    nb.metadata["language_info"] = language_info
    NotebookNotary().sign(nb)  # the same signature store the lab server reads
    text = nbformat.writes(nb)
    write_atomic(target, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FORM_HINT = N_("(This form is not saved with the notebook: run the cell to show it again.)")


def forget_widget_views(model: dict, path: str = "", **_ignored) -> None:
    """Jupyter's pre-save hook: a saved notebook keeps no widget views or widget state (they
    can't be shown after a restart); each form's output becomes a hint to run its cell again."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    nb.get("metadata", {}).pop("widgets", None)
    folder = Path(path).parent.name
    language = folder if folder in available_languages() else available_languages()[0]
    hint = translations(language).gettext(FORM_HINT)
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                output["data"] = {"text/plain": hint}


def _read_manifest(copy: Path) -> dict[str, str]:
    path = copy / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise WorkingCopyError(
            f"{path} is damaged ({err}); delete that file and run `make lab` again "
            "(your notebooks are not affected)"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise WorkingCopyError(
            f"{path} is not a manifest of notebook versions; delete it and run `make lab` again"
        )
    return data


def _write_manifest(copy: Path, manifest: dict[str, str]) -> None:
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    write_atomic(copy / MANIFEST, text.encode("utf-8"))


def sync(source: Path | None = None, copy: Path | None = None) -> SyncReport:
    """Copy every original the working copy lacks; never overwrite a copy that exists.

    A copy whose original changed since it was made is listed in `outdated`, and left alone.
    """
    source, copy = source or ORIGINALS, copy or WORKING_COPY
    if not source.is_dir():
        raise WorkingCopyError(f"no notebooks folder at {source}; run this from the lab's checkout")
    copy.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(copy)
    report = SyncReport()
    language_info = kernel_language_info()
    for relative in originals(source):
        key = relative.as_posix()
        original, target = source / relative, copy / relative
        digest = _digest(original)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_file(original, target, language_info)
            manifest[key] = digest
            report.copied.append(key)
        elif key not in manifest:
            manifest[key] = digest  # a copy from before the manifest existed: adopt it as is
        elif manifest[key] != digest:
            report.outdated.append(key)
    _write_manifest(copy, manifest)
    return report


def reset(
    source: Path | None = None, copy: Path | None = None, now: datetime | None = None
) -> ResetReport:
    """Move the current copies into `previous-copies/<time>/`, then make fresh ones."""
    source, copy = source or ORIGINALS, copy or WORKING_COPY
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H%M%S")
    kept_in = None
    if copy.is_dir():
        existing = [p for p in copy.iterdir() if p.name not in (PREVIOUS, MANIFEST)]
        if existing:
            kept_in = copy / PREVIOUS / stamp
            suffix = 1
            while kept_in.exists():  # two resets in the same second must not collide
                kept_in = copy / PREVIOUS / f"{stamp}-{suffix}"
                suffix += 1
            kept_in.mkdir(parents=True)
            for path in existing:
                shutil.move(str(path), str(kept_in / path.name))
        (copy / MANIFEST).unlink(missing_ok=True)
    report = sync(source, copy)
    return ResetReport(kept_in=kept_in, copied=_notebooks(report.copied))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "sync"
    copy = Path(os.environ.get("ACS_LAB_WORKING_COPY") or WORKING_COPY)
    try:
        if command == "sync":
            line = sync(copy=copy).line()
            if line:
                print(f"my-notebooks: {line}")
            return 0
        if command == "reset":
            done = reset(copy=copy)
            kept = f"; your previous copies are in {done.kept_in}" if done.kept_in else ""
            print(f"my-notebooks: {done.copied} fresh notebook copies{kept}")
            return 0
    except (WorkingCopyError, OSError) as err:
        print(f"my-notebooks: {err}", file=sys.stderr)
        return 2
    print("usage: python -m helpers.working_copy [sync|reset]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
