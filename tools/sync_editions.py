"""Keep the translated editions (notebooks/<language>/) in step with the English notebooks.

An edition has the same notebooks, cell for cell, with the same cell ids:

* code cells are the English ones, byte for byte, with the same tags and metadata (their stored
  outputs come from a run in the edition's folder, so the forms speak its language);
* markdown cells are translations. Each records in its metadata which English text it
  translates (``metadata.translation.source_sha256``), so a changed English cell shows up here
  as *stale*, and a new one as *untranslated* (it holds the English text until translated).

    .venv/bin/python -m tools.sync_editions              # report: what is stale, missing, drifted
    .venv/bin/python -m tools.sync_editions sync         # make/update every edition from English
    .venv/bin/python -m tools.sync_editions accept de/03-issue-an-access-token.ipynb 03-08 03-10
                                                         # "these cells are translated now"
    .venv/bin/python -m tools.sync_editions accept de/03-issue-an-access-token.ipynb --all

Editions are the languages with a catalog in helpers/locale/. After `sync` changed code cells,
re-run the edition's notebooks: `python -m tools.refresh_notebooks de/03`.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.i18n import available_languages

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
STAMP = "translation"  # the markdown cell metadata key
STAMP_FIELD = "source_sha256"


def source_hash(text: str) -> str:
    """A short fingerprint of an English cell's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def editions() -> list[str]:
    return available_languages()[1:]


def english_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    return sorted(root.glob("*.ipynb"))


def edition_path(english: Path, language: str) -> Path:
    return english.parent / language / english.name


def _without_stamp(metadata: dict) -> dict:
    return {k: v for k, v in metadata.items() if k != STAMP}


def _stamp_of(cell) -> str | None:
    return (cell.get("metadata", {}).get(STAMP) or {}).get(STAMP_FIELD)


@dataclass(frozen=True)
class Problem:
    """One way an edition's notebook differs from the English one. `kind` is one of: missing,
    orphan, structure, code, metadata, untranslated, stale."""

    kind: str
    notebook: str
    cell: str | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.notebook} cell {self.cell}" if self.cell else self.notebook
        return f"{self.kind:12} {where}: {self.detail}"


def compare(english: Path, translated: Path) -> list[Problem]:
    """Everything that differs, cell by cell, between an English notebook and its edition."""
    name = f"{translated.parent.name}/{translated.name}"
    if not translated.exists():
        return [Problem("missing", name, None, "no such notebook; run: sync_editions sync")]
    en = nbformat.read(english, as_version=4)
    tr = nbformat.read(translated, as_version=4)
    problems = []
    en_shape = [(c.get("id"), c.cell_type) for c in en.cells]
    tr_shape = [(c.get("id"), c.cell_type) for c in tr.cells]
    if en_shape != tr_shape:
        missing = [cell_id for cell_id, kind in en_shape if (cell_id, kind) not in tr_shape]
        extra = [cell_id for cell_id, kind in tr_shape if (cell_id, kind) not in en_shape]
        detail = f"cells differ from English (missing {missing}, extra {extra}, or reordered)"
        return [Problem("structure", name, None, detail + "; run: sync_editions sync")]
    if en.metadata.get("kernelspec") != tr.metadata.get("kernelspec"):
        problems.append(Problem("metadata", name, None, "kernelspec differs from English"))
    for en_cell, tr_cell in zip(en.cells, tr.cells, strict=True):
        cell_id = en_cell.get("id")
        if en_cell.cell_type == "code":
            if en_cell.source != tr_cell.source:
                problems.append(Problem("code", name, cell_id, "code differs from English"))
            if en_cell.metadata != tr_cell.metadata:
                detail = (
                    f"metadata/tags differ: {dict(en_cell.metadata)} vs {dict(tr_cell.metadata)}"
                )
                problems.append(Problem("metadata", name, cell_id, detail))
            continue
        if _without_stamp(en_cell.metadata) != _without_stamp(tr_cell.metadata):
            problems.append(Problem("metadata", name, cell_id, "metadata/tags differ"))
        stamp = _stamp_of(tr_cell)
        first_line = en_cell.source.strip().splitlines()[0][:70] if en_cell.source.strip() else ""
        if stamp is None or not tr_cell.source.strip():
            problems.append(Problem("untranslated", name, cell_id, first_line))
        elif stamp != source_hash(en_cell.source):
            problems.append(Problem("stale", name, cell_id, f"English changed: {first_line}"))
    return problems


def check(root: Path = NOTEBOOKS, languages: list[str] | None = None) -> list[Problem]:
    """Every problem in every edition (empty: the editions are in step)."""
    problems = []
    for language in languages or editions():
        english = english_notebooks(root)
        for path in english:
            problems += compare(path, edition_path(path, language))
        known = {p.name for p in english}
        for path in sorted((root / language).glob("*.ipynb")):
            if path.name not in known:
                problems.append(
                    Problem("orphan", f"{language}/{path.name}", None, "no English notebook")
                )
    return problems


def sync_notebook(english: Path, translated: Path) -> list[str]:
    """Make or update `translated` from `english`; returns what changed, one line each."""
    en = nbformat.read(english, as_version=4)
    old = nbformat.read(translated, as_version=4) if translated.exists() else None
    old_cells = {c.get("id"): c for c in old.cells} if old else {}
    translated_by_hash = {
        _stamp_of(c): c for c in (old.cells if old else []) if c.cell_type == "markdown"
    }
    translated_by_hash.pop(None, None)
    changes = []
    cells = []
    for en_cell in en.cells:
        cell_id = en_cell.get("id")
        previous = old_cells.get(cell_id)
        if previous is not None and previous.cell_type != en_cell.cell_type:
            previous = None
        if en_cell.cell_type == "code":
            cell = copy.deepcopy(en_cell)
            if previous is not None and previous.source == en_cell.source:
                # The edition's own outputs (its forms and lines speak its language).
                cell.outputs = previous.outputs
                cell.execution_count = previous.execution_count
            else:
                cell.outputs, cell.execution_count = [], None
                changes.append(f"code cell {cell_id}: copied from English (re-run the notebook)")
        elif en_cell.cell_type == "markdown":
            cell = copy.deepcopy(en_cell)
            current = source_hash(en_cell.source)
            if previous is None or _stamp_of(previous) != current:
                # The same English text under another id (cells renumbered or moved): its
                # translation follows the text rather than the id.
                previous = translated_by_hash.get(current, previous)
            if previous is not None:
                cell.source = previous.source
                if STAMP in previous.metadata:
                    cell.metadata[STAMP] = previous.metadata[STAMP]
                if "attachments" in previous:
                    cell.attachments = previous.attachments
            else:
                cell.metadata[STAMP] = {STAMP_FIELD: None}
                changes.append(f"markdown cell {cell_id}: new, holds the English text")
        else:
            cell = copy.deepcopy(en_cell)
        cells.append(cell)
    dropped = [i for i in old_cells if i not in {c.get("id") for c in en.cells}]
    changes += [f"cell {i}: removed (no longer in English)" for i in dropped]
    nb = copy.deepcopy(en)
    nb.cells = cells
    if old is None:
        changes.insert(0, "new notebook")
    if old is None or nbformat.writes(old) != nbformat.writes(nb):
        translated.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, translated)
    return changes


def sync(root: Path = NOTEBOOKS, languages: list[str] | None = None) -> dict[str, list[str]]:
    report = {}
    for language in languages or editions():
        for path in english_notebooks(root):
            target = edition_path(path, language)
            changes = sync_notebook(path, target)
            if changes:
                report[f"{language}/{path.name}"] = changes
    return report


def accept(translated: Path, cell_ids: list[str] | None, root: Path = NOTEBOOKS) -> list[str]:
    """Record that these markdown cells (None: every markdown cell) translate the current
    English text. Returns the ids stamped."""
    english = root / translated.name
    en = {c.get("id"): c for c in nbformat.read(english, as_version=4).cells}
    nb = nbformat.read(translated, as_version=4)
    wanted = set(cell_ids) if cell_ids is not None else None
    stamped = []
    for cell in nb.cells:
        cell_id = cell.get("id")
        if cell.cell_type != "markdown" or (wanted is not None and cell_id not in wanted):
            continue
        if cell_id not in en:
            raise SystemExit(f"cell {cell_id} has no English cell; run sync first")
        cell.metadata[STAMP] = {STAMP_FIELD: source_hash(en[cell_id].source)}
        stamped.append(cell_id)
    if wanted is not None and wanted - set(stamped):
        raise SystemExit(f"no markdown cells with ids {sorted(wanted - set(stamped))}")
    nbformat.write(nb, translated)
    return stamped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sync_editions", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("check", help="list what differs (the default)")
    sync_cmd = sub.add_parser("sync", help="make/update the editions from English")
    sync_cmd.add_argument("languages", nargs="*")
    accept_cmd = sub.add_parser("accept", help="mark markdown cells as translated")
    accept_cmd.add_argument("notebook", help="e.g. de/03-issue-an-access-token.ipynb")
    accept_cmd.add_argument("cells", nargs="*")
    accept_cmd.add_argument("--all", action="store_true", help="every markdown cell")
    args = parser.parse_args(argv)

    if args.command == "sync":
        for notebook, changes in sync(languages=args.languages or None).items():
            print(notebook)
            for line in changes:
                print("   ", line)
    elif args.command == "accept":
        if not args.cells and not args.all:
            parser.error("name the cells, or --all")
        path = NOTEBOOKS / args.notebook
        stamped = accept(path, None if args.all else args.cells)
        print(f"{args.notebook}: {len(stamped)} cell(s) marked translated")
        return 0
    problems = check()
    for problem in problems:
        print(problem)
    if not problems:
        print("Every edition is in step with the English notebooks.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
