"""Translations: every learner-facing string has one in every catalog, and the notebook's folder
picks the language with no setting for the learner."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import i18n
from helpers.i18n import _

ROOT = Path(__file__).resolve().parents[2]
HELPERS = ROOT / "helpers"
TRANSLATED = i18n.available_languages()[1:]
# Keyword arguments that put text on screen in an ipywidgets view.
WIDGET_TEXT_KEYWORDS = {"description", "placeholder", "tooltip", "button_style_label"}


def helper_modules() -> list[Path]:
    """The learner-facing modules: everything but the local service (it speaks Azure's English)."""
    return [p for p in sorted(HELPERS.rglob("*.py")) if "emulator" not in p.parts]


@pytest.fixture
def language(monkeypatch):
    def use(code: str | None) -> None:
        if code is None:
            monkeypatch.delenv(i18n.LANGUAGE_VAR, raising=False)
        else:
            monkeypatch.setenv(i18n.LANGUAGE_VAR, code)

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return use


def test_there_is_a_german_catalog():
    assert "de" in TRANSLATED


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_in_the_code_is_translated_in_the_catalog(code):
    """Fails for a new or changed English string without a (non-fuzzy) translation, for a
    translation the code no longer uses, and for a translation that drops a {field}."""
    assert i18n.catalog_problems(code) == []


def test_the_catalog_check_catches_a_missing_and_a_broken_translation(tmp_path, monkeypatch):
    """A control: the check above can fail."""
    from babel.messages.pofile import read_po, write_po

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    path = i18n.catalog_path("de")
    catalog = read_po(path.open("rb"), locale="de")
    catalog["is empty"].string = ""
    catalog["Using Azure Communication Services at {endpoint} ({auth})."].string = "Azure ({auth})"
    catalog.add("a string the code does not have", "eine Zeichenfolge")
    with path.open("wb") as po:
        write_po(po, catalog)
    problems = i18n.catalog_problems("de")
    assert any(p.startswith("not translated: 'is empty'") for p in problems), problems
    assert any(p.startswith("placeholders differ") for p in problems), problems
    assert any("a string the code does not have" in p for p in problems), problems


MINUTES = "The token lives {minutes} minutes; pass token_expires_in=timedelta(minutes=90)."
# What a hostile or careless translation could slip past a check that compares field names only.
HOSTILE = {
    "attendee {number}: {error}": "Teilnehmer {number}: {error.__init__.__globals__[_SECRET]}",
    MINUTES: "Das Token ist {minutes:>30000000} Minuten gültig.",
}


def _german_catalog_with(tmp_path, monkeypatch, english: str, translation: str) -> None:
    """A copy of the catalogs in which `english` is translated as `translation`."""
    from babel.messages.pofile import read_po, write_po

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    path = i18n.catalog_path("de")
    catalog = read_po(path.open("rb"), locale="de")
    catalog[english].string = translation
    with path.open("wb") as po:
        write_po(po, catalog)


@pytest.mark.parametrize("english", list(HOSTILE))
def test_the_catalog_check_compares_whole_placeholders(tmp_path, monkeypatch, english):
    """Attribute/index access and a changed format spec are refused, though the field name
    is the one the English has."""
    _german_catalog_with(tmp_path, monkeypatch, english, HOSTILE[english])
    problems = i18n.catalog_problems("de")
    assert len(problems) == 1 and english in problems[0], problems
    assert problems[0].startswith(("placeholders broken", "placeholders differ")), problems


@pytest.mark.parametrize("english", list(HOSTILE))
def test_a_hostile_translation_is_never_used_at_run_time(tmp_path, monkeypatch, language, english):
    """Even a catalog that skipped the check shows English rather than run such a placeholder."""
    _german_catalog_with(tmp_path, monkeypatch, english, HOSTILE[english])
    i18n._compiled.cache_clear()
    language("de")
    try:
        assert _(english) == english
        assert _("has an empty endpoint") == "hat einen leeren Endpunkt"  # the rest still is
    finally:
        i18n._compiled.cache_clear()


@pytest.mark.parametrize(
    ("english", "translation", "ok"),
    [
        ("{a} and {b}", "{b} und {a}", True),  # reordered: fine
        ("{n!r:>4}", "{n!r:>4}!", True),
        ("{n!r:>4}", "{n!s:>4}", False),  # conversion changed
        ("{n}", "{n[0]}", False),
        ("{n}", "{n:{width}}", False),  # nested field
        ("{n}", "{}", False),  # positional
        ("{n}", "{n", False),  # broken
        ("no fields", "keine {Felder}", False),
    ],
)
def test_format_problem(english, translation, ok):
    assert (i18n.format_problem(english, translation) is None) is ok


def test_plural_forms_may_use_any_english_placeholder_but_no_other():
    from babel.messages.catalog import Message

    english = ("one request", "{count} requests")
    fine = Message(english, ("{count} Anfrage", "{count} Anfragen"))  # e.g. Russian-style forms
    widened = Message(english, ("eine Anfrage", "{count:>999999} Anfragen"))
    reaching = Message(english, ("eine Anfrage", "{count.__class__} Anfragen"))
    assert i18n._placeholder_problems(fine) == []
    assert i18n._placeholder_problems(widened)[0].startswith("placeholders differ")
    assert i18n._placeholder_problems(reaching)[0].startswith("placeholders broken")


def test_the_extractor_finds_the_connection_and_settings_messages():
    ids = {m.id for m in i18n.extract_messages() if m.id}
    assert "is empty" in ids
    assert "access key" in ids  # marked with N_() at module level
    assert "{variable} {problem}. Expected format: {expected}" in ids


@pytest.mark.parametrize("path", helper_modules(), ids=lambda p: str(p.relative_to(HELPERS)))
def test_translation_calls_have_a_literal_english_string(path):
    """`_(f"...")` or `_(variable)` can't be extracted, so its text would never be translated
    (a variable holding an `N_()` constant is the one allowed exception)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "N_"):
            (arg,) = node.args
            literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            if getattr(node.func, "id", None) == "N_" or isinstance(arg, ast.JoinedStr):
                assert literal, f"line {node.lineno}: {ast.unparse(node)}"


def _bare_english(node: ast.AST) -> str | None:
    """The text of a plain string literal that has letters in it (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if any(ch.isalpha() for ch in node.value) else None
    return None


@pytest.mark.parametrize("path", helper_modules(), ids=lambda p: str(p.relative_to(HELPERS)))
def test_widget_labels_are_never_bare_english(path):
    """A widget's description/placeholder/tooltip, a form button's label, a Label's text or a
    tab title given as a plain string literal would stay English in the German notebooks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if getattr(target, "attr", None) == "tooltip" and _bare_english(node.value):
            pytest.fail(f"{path.name} line {node.lineno}: tooltip = {node.value.value!r}")
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in ("_button", "Label") and node.args and _bare_english(node.args[0]):
            pytest.fail(f"{path.name} line {node.lineno}: {name}({node.args[0].value!r})")
        for keyword in node.keywords:
            if keyword.arg in WIDGET_TEXT_KEYWORDS and _bare_english(keyword.value):
                pytest.fail(
                    f"{path.name} line {node.lineno}: {keyword.arg}={keyword.value.value!r}"
                )
            if keyword.arg == "titles" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for title in keyword.value.elts:
                    if _bare_english(title):
                        pytest.fail(f"{path.name} line {node.lineno}: tab title {title.value!r}")


@pytest.mark.parametrize("path", helper_modules(), ids=lambda p: str(p.relative_to(HELPERS)))
def test_no_translatable_literal_hides_inside_an_f_string(path):
    """Babel's extractor does not look inside f-strings: `f"{_('Caution')}"` would never reach
    the catalog, so the German notebooks would show it in English."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and getattr(inner.func, "id", None) in ("_", "N_")
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    pytest.fail(f"{path.name} line {inner.lineno}: {ast.unparse(inner)}")


# ------------------------------------------------------------------- which language is spoken


def test_english_is_the_default(language, tmp_path, monkeypatch):
    language(None)
    monkeypatch.chdir(tmp_path)
    assert i18n.current_language() == "en"
    assert _("is empty") == "is empty"


def test_a_kernel_in_a_de_folder_speaks_german(language, tmp_path, monkeypatch):
    """nbval and nbclient start a notebook's kernel in the notebook's folder."""
    language(None)
    (tmp_path / "de").mkdir()
    monkeypatch.chdir(tmp_path / "de")
    assert i18n.current_language() == "de"
    assert _("is empty") == "ist leer"


def test_the_notebook_path_jupyter_server_gives_the_kernel_decides(language, tmp_path, monkeypatch):
    """Jupyter Server tells the kernel its notebook's path; that wins over the working directory."""
    language(None)
    (tmp_path / "de").mkdir()
    monkeypatch.chdir(tmp_path / "de")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "03-issue-an-access-token.ipynb"))
    assert i18n.current_language() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", "my-notebooks/de/03-issue-an-access-token.ipynb")
    monkeypatch.chdir(tmp_path)
    assert i18n.current_language() == "de"


def test_a_folder_without_a_catalog_is_english(language, tmp_path, monkeypatch):
    language(None)
    (tmp_path / "xx").mkdir()
    monkeypatch.chdir(tmp_path / "xx")
    assert i18n.current_language() == "en"


def test_the_override_variable_wins_and_an_unknown_language_is_one_clear_error(language):
    language("de")
    assert _("is empty") == "ist leer"
    language("en")
    assert _("is empty") == "is empty"
    language("klingon")
    with pytest.raises(ValueError, match=r"ACS_LAB_LANGUAGE='klingon' has no catalog; use one of"):
        i18n.current_language()


def test_a_fuzzy_translation_is_shown_in_english(tmp_path, monkeypatch, language):
    from babel.messages.pofile import read_po, write_po

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n._compiled.cache_clear()
    path = i18n.catalog_path("de")
    catalog = read_po(path.open("rb"), locale="de")
    catalog["is empty"].flags.add("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalog)
    language("de")
    try:
        assert _("is empty") == "is empty"
        assert _("has an empty endpoint") == "hat einen leeren Endpunkt"
    finally:
        i18n._compiled.cache_clear()


def test_a_third_language_needs_only_a_catalog(tmp_path, monkeypatch, language):
    """No code names a language: a new catalog is found and used as it is."""
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    french = locale / "fr" / "LC_MESSAGES"
    french.mkdir(parents=True)
    (french / "acs_lab.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "is empty"\nmsgstr "est vide"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    (tmp_path / "fr").mkdir()
    monkeypatch.chdir(tmp_path / "fr")
    language(None)
    assert i18n.available_languages() == ["en", "de", "fr"]
    assert _("is empty") == "est vide"


def test_settings_errors_and_the_backend_line_speak_the_notebooks_language(tmp_path):
    """End to end in a fresh interpreter started in a de/ folder, as a kernel would be."""
    (tmp_path / "de").mkdir()
    script = (
        "from helpers.connection import Backend\n"
        "from helpers.settings import SettingsError, parse_connection_string\n"
        "print(Backend('emulator', 'https://127.0.0.1:1/', 'access key').describe())\n"
        "try:\n"
        "    parse_connection_string('endpoint=https://x.example/')\n"
        "except SettingsError as error:\n"
        "    print(error)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ACS_LAB_LANGUAGE", "JPY_SESSION_NAME")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path / "de",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Der lokale ACS Identity-Dienst unter https://127.0.0.1:1/")
    assert "Authentifizierung per Zugriffsschlüssel" in lines[0]
    assert lines[1] == (
        "COMMUNICATION_SERVICES_CONNECTION_STRING hat keinen Teil 'accesskey='. "
        "Erwartetes Format: endpoint=https://<resource>.communication.azure.com/;accesskey=<key>"
    )
