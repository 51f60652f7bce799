"""The translated editions (notebooks/<language>/) stay in step with the English notebooks.

Cell by cell: the same cells with the same ids, code cells byte-identical with the same tags and
metadata, and every markdown cell a translation of the English text as it is now (not of an older
version). Plus what test_notebooks.py checks for the English ones: clean JSON, outputs from one
complete run, no secrets, the lesson skeleton (in the edition's words), links that resolve.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import sync_editions
from tools.sync_editions import Problem, check, compare, source_hash, sync

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ENGLISH = sync_editions.english_notebooks(NOTEBOOKS)
EDITIONS = sync_editions.editions()
PAIRS = [(path, sync_editions.edition_path(path, code)) for code in EDITIONS for path in ENGLISH]
TRANSLATED = [translated for _, translated in PAIRS]
ACCESS_KEY = re.compile(r"accesskey=(?!\*\*\*)[A-Za-z0-9+/=]{16,}", re.IGNORECASE)
FULL_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The lesson skeleton's headings, per edition (the English ones are in test_notebooks.py).
SKELETON = {
    "de": ("## Überblick", "## Voraussetzungen", "**Lernzeit**", "## Zusammenfassung"),
}
WHATS_NEXT = {"de": "## Wie geht es weiter?"}


def pair_id(pair) -> str:
    return f"{pair[1].parent.name}/{pair[1].stem}"


def kinds(problems: list[Problem], *wanted: str) -> list[str]:
    return [str(p) for p in problems if p.kind in wanted]


def test_there_is_a_german_edition_of_every_notebook():
    assert "de" in EDITIONS
    assert sorted(p.name for p in (NOTEBOOKS / "de").glob("*.ipynb")) == [p.name for p in ENGLISH]
    assert not kinds(check(NOTEBOOKS), "missing", "orphan")


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_code_cells_and_tags_are_identical_in_both_editions(pair):
    """A code cell changed in one edition and not the other fails here."""
    problems = compare(*pair)
    assert not kinds(problems, "structure", "code", "metadata")


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_every_markdown_cell_translates_the_current_english_text(pair):
    """Stale: the English cell changed since it was translated (`python -m tools.sync_editions`
    lists them; translate, then `accept`)."""
    assert not kinds(compare(*pair), "untranslated", "stale")


def test_the_editions_are_exactly_what_sync_would_make(tmp_path):
    """Nothing hand-edited outside the rules: syncing the committed editions changes nothing."""
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, copy)
    assert sync(copy) == {}
    for path in copy.rglob("*.ipynb"):
        original = NOTEBOOKS / path.relative_to(copy)
        assert path.read_bytes() == original.read_bytes(), path


# --------------------------------------------------------------- controls: the checks can fail


@pytest.fixture
def edition_copy(tmp_path):
    english = NOTEBOOKS / "03-issue-an-access-token.ipynb"
    (tmp_path / "de").mkdir()
    shutil.copy(english, tmp_path / english.name)
    shutil.copy(NOTEBOOKS / "de" / english.name, tmp_path / "de" / english.name)
    return tmp_path / english.name, tmp_path / "de" / english.name


def edit(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def first(nb, cell_type: str):
    return next(c for c in nb.cells[1:] if c.cell_type == cell_type)


def test_a_code_cell_changed_in_one_edition_only_is_caught(edition_copy):
    english, german = edition_copy
    assert compare(english, german) == []
    edit(german, lambda nb: setattr(first(nb, "code"), "source", "lab_client = connect()  # de"))
    assert kinds(compare(english, german), "code")
    edit(english, lambda nb: setattr(first(nb, "code"), "source", "lab_client = connect()  # de"))
    assert compare(english, german) == []


def test_a_tag_changed_in_one_edition_only_is_caught(edition_copy):
    english, german = edition_copy
    edit(english, lambda nb: first(nb, "code").metadata.update(tags=["solution"]))
    assert kinds(compare(english, german), "metadata")


def test_a_changed_english_text_makes_its_translation_stale_until_accepted(edition_copy):
    english, german = edition_copy
    edit(english, lambda nb: setattr(first(nb, "markdown"), "source", "## Overview\n\nNew."))
    stale = [p for p in compare(english, german) if p.kind == "stale"]
    assert [p.cell for p in stale] == ["03-01"]
    sync_editions.accept(german, ["03-01"], root=english.parent)
    assert compare(english, german) == []


def test_a_new_english_cell_arrives_untranslated_and_a_new_code_cell_unrun(edition_copy):
    english, german = edition_copy

    def add_cells(nb):
        nb.cells.insert(2, nbformat.v4.new_markdown_cell("## New section", id="03-new-md"))
        nb.cells.insert(3, nbformat.v4.new_code_cell("print('new')", id="03-new-code"))

    edit(english, add_cells)
    assert kinds(compare(english, german), "structure")
    changes = sync_editions.sync_notebook(english, german)
    assert "markdown cell 03-new-md: new, holds the English text" in changes
    problems = compare(english, german)
    assert [(p.kind, p.cell) for p in problems] == [("untranslated", "03-new-md")]
    new_code = next(c for c in nbformat.read(german, as_version=4).cells if c.id == "03-new-code")
    assert new_code.outputs == [] and new_code.execution_count is None


def test_a_translation_follows_its_english_text_when_cell_ids_change(edition_copy):
    english, german = edition_copy
    summary = nbformat.read(english, as_version=4).cells[-1]

    def renumber(nb):
        nb.cells[-1].id = "03-summary-renumbered"

    edit(english, renumber)
    sync_editions.sync_notebook(english, german)
    assert compare(english, german) == []
    moved = nbformat.read(german, as_version=4).cells[-1]
    assert moved.id == "03-summary-renumbered"
    assert moved.source.startswith("---\n\n## Zusammenfassung")
    assert summary.source.startswith("---\n\n## Summary")


def test_sync_keeps_translations_and_the_editions_own_outputs(edition_copy):
    english, german = edition_copy
    before = nbformat.read(german, as_version=4)
    assert sync_editions.sync_notebook(english, german) == []
    after = nbformat.read(german, as_version=4)
    assert after == before
    first_md = first(after, "markdown")
    assert first_md.metadata["translation"]["source_sha256"] == source_hash(
        first(nbformat.read(english, as_version=4), "markdown").source
    )


# ---------------------------------------------------- the editions' notebooks, like the English


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def text(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_edition_notebooks_are_clean_and_come_from_one_complete_run(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "saved widget state: re-run tools.refresh_notebooks"
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{counts}: run `python -m tools.refresh_notebooks {path.parent.name}/{path.name[:2]}`"
    )
    for cell in nb["cells"]:
        assert not {"ExecuteTime", "execution", "scrolled"} & set(cell.get("metadata", {}))
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", text(cell)
            assert WIDGET_VIEW not in out.get("data", {})
    raw = path.read_text(encoding="utf-8")
    assert not ACCESS_KEY.search(raw)
    assert not FULL_TOKEN.search(raw)


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_edition_lessons_follow_the_skeleton_in_their_language(path):
    nb = load(path)
    markdown = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = path.parent.name
    if re.match(r"\d\d-", path.name):
        assert text(nb["cells"][0]).startswith(f"# {path.name[:2]} · ")
        for heading in SKELETON[code]:
            assert heading in markdown, heading
        assert WHATS_NEXT[code] in markdown or path.name.startswith("09-")
    for link in re.findall(r"\]\(([^)#]+\.(?:ipynb|md))\)", markdown):
        assert (path.parent / link).is_file(), f"broken link to {link}"
    # Microsoft Learn links point at the edition's language; an English page may be linked too,
    # as "the English edition", only next to the same page in the edition's language.
    urls = re.findall(r"https://learn\.microsoft\.com/[^)\s]+", markdown)
    for url in urls:
        page = re.sub(r"^https://learn\.microsoft\.com/(en-us/)?", "", url)
        if url.startswith(f"https://learn.microsoft.com/{code}-"):
            continue
        assert not page.startswith(f"{code}-")
        localized = [u for u in urls if u.startswith(f"https://learn.microsoft.com/{code}-")]
        assert any(u.split("/", 4)[4] == page for u in localized), url


def test_german_outputs_come_from_a_german_run():
    """The helpers' own lines in the stored outputs are German (the kernel ran in de/)."""
    nb = load(NOTEBOOKS / "de" / "00-set-up-your-environment.ipynb")
    outputs = "".join(
        "".join(out.get("text", "")) for c in nb["cells"] for out in c.get("outputs", [])
    )
    assert "Der lokale ACS Identity-Dienst unter https://127.0.0.1:" in outputs
    assert "Using the local ACS Identity service" not in outputs


# ------------------------------------------------------------------- the German entry points


GERMAN_DOCS = [ROOT / "docs" / "glossary.md", *sorted((ROOT / "docs").glob("*.de.md"))]


def test_the_german_documents_exist_and_their_links_resolve():
    names = {p.name for p in GERMAN_DOCS}
    assert {"glossary.md", "trainer-guide.de.md", "cheat-sheet.de.md"} <= names
    for doc in GERMAN_DOCS:
        for link in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / link).exists(), f"{doc.name}: broken link to {link}"


def test_the_readme_tells_german_learners_where_their_notebooks_are():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deutsch: Schnellstart in zwei Befehlen", 1)[1].split("\n## ", 1)[0]
    assert "make lab" in section and "my-notebooks/de/" in section
    for link in re.findall(r"\]\((docs/[^)#]+)\)", section):
        assert (ROOT / link).is_file(), link


def test_the_glossary_uses_the_german_docs_headings():
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    for term in (
        "Einrichten der Umgebung",
        "Authentifizieren des Clients",
        "Erstellen einer Identität",
        "Ausstellen von Zugriffstoken",
        "Erstellen einer Identität und Ausstellen eines Tokens in einer Anforderung",
        "Aktualisieren von Zugriffstoken",
        "Widerrufen von Zugriffstoken",
        "Löschen einer Identität",
        "Ausführen des Codes",
        "Bereinigen von Ressourcen",
        "Verbindungszeichenfolge",
        "Zugriffsschlüssel",
        "Bereich",
        "Gültigkeitsdauer",
    ):
        assert term in glossary, term
    # Each lesson's German title is the glossary's heading for it.
    for path in sorted((NOTEBOOKS / "de").glob("[0-9][0-9]-*.ipynb")):
        title = text(load(path)["cells"][0]).splitlines()[0].split(" · ", 1)[1]
        assert title in glossary, f"{path.name}: {title!r} is not in docs/glossary.md"
