"""The provenance table: every error the service can raise has an entry, and the doc matches."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from helpers.emulator import errors, provenance, routes

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "helpers" / "emulator"
DOC = ROOT / "docs" / "service-provenance.md"
ERROR_CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, errors.AcsError) and cls is not errors.AcsError
}


def raise_sites() -> list[tuple[str, str, str | None]]:
    """(file:line, error class, the message's fixed start or None for the default) for every
    construction of an error class in the service's code."""
    sites = []
    for path in sorted(EMULATOR.rglob("*.py")):
        if path.name in ("errors.py", "provenance.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in ERROR_CLASSES:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if not node.args:
                sites.append((where, name, None))
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                sites.append((where, name, first.value))
            elif isinstance(first, ast.JoinedStr):
                fixed = ""
                for part in first.values:
                    if not isinstance(part, ast.Constant):
                        break
                    fixed += part.value
                sites.append((where, name, fixed))
            else:
                sites.append((where, name, ""))  # built elsewhere (TooManyRequests)
    return sites


def messages_of(cls) -> list[str]:
    found = []
    for entry in provenance.ERRORS:
        if entry.error is cls:
            text = entry.message if entry.message is not None else cls.message
            found += text.split(" | ")
    return found


def test_the_scan_finds_the_raise_sites():
    """A control: the checks below see the service's errors."""
    names = {name for _where, name, _message in raise_sites()}
    assert {"ValidationError", "IdentityNotOwned", "Denied", "TooManyRequests"} <= names
    assert len(raise_sites()) > 40


def test_every_error_class_has_an_entry():
    covered = {entry.error for entry in provenance.ERRORS}
    assert set(ERROR_CLASSES.values()) <= covered, set(ERROR_CLASSES.values()) - covered


@pytest.mark.parametrize(("where", "name", "message"), raise_sites())
def test_every_answer_the_code_can_give_has_an_entry(where, name, message):
    """Each raise site's message (its fixed start) is the start of an entry's message."""
    known = messages_of(ERROR_CLASSES[name])
    assert known, f"{where}: {name} has no provenance entry"
    if message is None:  # the class's own message
        assert ERROR_CLASSES[name].message in known, where
    else:
        assert any(m.startswith(message) for m in known), (where, message, known)


def test_every_entry_names_its_source():
    for entry in (
        *provenance.ERRORS,
        *provenance.limit_entries(),
        *provenance.api_version_entries(),
    ):
        assert entry.kind in (provenance.RECORDED, provenance.DOCUMENTED, provenance.LAB)
        assert len(entry.source) > 20, entry
        if entry.kind == provenance.RECORDED:
            assert "recordings" in entry.source, entry
        if entry.kind == provenance.DOCUMENTED:
            assert re.search(r"learn\.microsoft\.com|azure-rest-api-specs", entry.source), entry


def test_the_managed_identity_endpoint_statuses_have_entries():
    source = (EMULATOR / "entra.py").read_text()
    used = {int(s) for s in re.findall(r"self\._fail\(\s*(\d{3})", source)}
    assert used and used <= {status for status, _entry in provenance.MANAGED_IDENTITY}


def test_the_limits_shown_are_the_code_constants():
    text = provenance.render_markdown()
    assert "1,000 per 30 s" in text and "500 per 30 s" in text
    assert f"{routes.MIN_MINUTES}..{routes.MAX_MINUTES} minutes" in text
    assert "±15 minutes" in text
    assert ", ".join(routes.API_VERSIONS) in text


def test_the_doc_is_the_rendered_table():
    assert DOC.read_text() == provenance.render_markdown(), (
        "docs/service-provenance.md is stale: "
        "python -m helpers.emulator.provenance > docs/service-provenance.md"
    )
