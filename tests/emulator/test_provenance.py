"""The provenance table: every error the service can raise has an entry, and the doc matches."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from helpers.emulator import errors, provenance, routes
from helpers.emulator.chat import errors as chat_errors
from helpers.emulator.chat import responses as chat_responses

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "helpers" / "emulator"
DOC = ROOT / "docs" / "service-provenance.md"


def error_classes(module) -> dict[str, type]:
    """The error classes a module defines; a base class of others there (ChatUnauthorized) is
    never raised itself."""
    found = {
        name: cls
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, errors.AcsError) and cls is not errors.AcsError
        and cls.__module__ == module.__name__
    }  # fmt: skip
    return {n: c for n, c in found.items() if not any(c in o.__bases__ for o in found.values())}


IDENTITY_CLASSES, CHAT_CLASSES = error_classes(errors), error_classes(chat_errors)
ERROR_CLASSES = {**IDENTITY_CLASSES, **CHAT_CLASSES}
ALL_ERRORS = provenance.ERRORS + provenance.CHAT_ERRORS
# Helpers that build an error class from their first argument.
BUILDERS = {"_invalid": "ChatValidationError"}


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
            name = BUILDERS.get(name, name)
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
    for entry in ALL_ERRORS:
        if entry.error is cls:
            text = entry.message if entry.message is not None else cls.message
            found += text.split(" | ")
    return found


def test_the_scan_finds_the_raise_sites():
    """A control: the checks below see the service's errors, the chat API's too."""
    sites = raise_sites()
    names = {name for _where, name, _message in sites}
    assert {"ValidationError", "IdentityNotOwned", "Denied", "TooManyRequests"} <= names
    assert {"ChatValidationError", "TokenMissing", "ThreadNotAccessible"} <= names
    assert len(sites) > 40
    assert sum("/chat/" in where for where, _n, _m in sites) > 20
    assert {"TokenMissing", "ChatValidationError"} <= set(CHAT_CLASSES)
    assert "ChatUnauthorized" not in CHAT_CLASSES


def test_identity_and_chat_error_names_do_not_clash():
    """The scan finds classes by name, so one name must mean one class."""
    assert not set(IDENTITY_CLASSES) & set(CHAT_CLASSES)


def missing_entries(classes, entries) -> set[type]:
    return set(classes) - {entry.error for entry in entries}


def test_every_error_class_has_an_entry():
    assert not missing_entries(ERROR_CLASSES.values(), ALL_ERRORS)


def test_a_new_chat_error_without_an_entry_is_found():
    """A control: a chat error class added without a row fails the check above."""

    class ChatNewError(chat_errors.AcsError):
        status, code, message = 400, "New", "new"

    classes = [*ERROR_CLASSES.values(), ChatNewError]
    assert missing_entries(classes, ALL_ERRORS) == {ChatNewError}


def test_every_chat_limit_has_an_entry_and_shows_the_code_constant():
    assert set(provenance.CHAT_LIMITS) == set(chat_responses.LIMITS)
    shown = {e.situation: e.answer for e in provenance.chat_limit_entries()}
    for key, (situation, answer, _kind, _source) in provenance.CHAT_LIMITS.items():
        assert shown[situation] == answer.format(n=chat_responses.LIMITS[key]) + ", else 400"
    # The numbers Azure's service-limits page gives are marked documented.
    documented = {k for k, row in provenance.CHAT_LIMITS.items() if row[2] == provenance.DOCUMENTED}
    assert documented == {"content", "participants", "maxPageSize"}
    assert (chat_responses.LIMITS["participants"], chat_responses.LIMITS["maxPageSize"]) == (
        200,
        200,
    )
    assert chat_responses.LIMITS["content"] == 28 * 1024


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
        *provenance.chat_entries(),
        *provenance.chat_limit_entries(),
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
