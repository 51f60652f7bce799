"""The lab's languages: English in the code, other languages from gettext catalogs beside it.

Every learner-facing string is written once, in English, wrapped in ``_()``::

    from .i18n import _
    raise LabError(_("Pick an identity first."))
    _("Created {identity_id}").format(identity_id=...)   # named fields: translators reorder

Module-level constants are marked with ``N_()`` (extracted, not translated yet) and passed
through ``_()`` where they are shown, so the language is chosen when the text is displayed.

Translations live in ``helpers/locale/<language>/LC_MESSAGES/acs_lab.po``. They are compiled in
memory on first use (Babel, which JupyterLab already installs), so no binary ``.mo`` file is
committed or can go stale. Adding a language means adding a catalog (and the translated
notebooks in ``notebooks/<language>/``); nothing here names a language.

There is no setting for the learner: the notebook decides. A kernel started for a notebook in a
folder named after a catalog (``notebooks/de/...``, ``my-notebooks/de/...``) speaks that language:

1. ``ACS_LAB_LANGUAGE`` (tests and scripts), if set;
2. else the folder of the notebook the kernel was started for (``JPY_SESSION_NAME``, set by
   Jupyter Server);
3. else the kernel's working directory (Jupyter, nbval and nbclient start a kernel in its
   notebook's folder);
4. else English.

To update the catalogs after changing strings in code: ``python -m tools.update_catalogs``.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import re
import string
from pathlib import Path

DOMAIN = "acs_lab"
SOURCE_LANGUAGE = "en"
LANGUAGE_VAR = "ACS_LAB_LANGUAGE"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The functions whose first argument is a message id (what the extractor looks for).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> list[str]:
    """English plus every language that has a catalog."""
    return [SOURCE_LANGUAGE, *_catalogs_in(LOCALE_DIR)]


@functools.cache
def _catalogs_in(locale_dir: Path) -> tuple[str, ...]:
    # Looked up once per process: `_()` runs for every label a form draws.
    return tuple(
        sorted(p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    )


def _language_of_folder(folder: str | os.PathLike) -> str | None:
    name = Path(folder).name
    return name if name in available_languages() else None


def current_language() -> str:
    """The language of the notebook this process runs for (see the module docstring)."""
    override = (os.environ.get(LANGUAGE_VAR) or "").strip()
    if override:
        if override not in available_languages():
            known = ", ".join(available_languages())
            raise ValueError(
                f"{LANGUAGE_VAR}={override!r} has no catalog; use one of: {known} "
                f"(or unset it to follow the notebook's folder)"
            )
        return override
    session = (os.environ.get("JPY_SESSION_NAME") or "").strip()
    if session:
        return _language_of_folder(Path(session).parent) or SOURCE_LANGUAGE
    try:
        here = Path.cwd()
    except OSError:  # the working directory was deleted
        return SOURCE_LANGUAGE
    return _language_of_folder(here) or SOURCE_LANGUAGE


def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for `language` (English: the identity translation)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return _compiled(catalog_path(language))


@functools.cache
def _compiled(path: Path) -> gettext.GNUTranslations:
    language = path.parent.parent.name
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    # A translation whose placeholders differ from the English (format_problem) is never used:
    # `.format()` would read attributes or pad to any width. English is shown instead.
    for message in catalog:
        if message.id and _placeholder_problems(message):
            message.string = (
                ("",) * len(message.string) if isinstance(message.string, tuple) else ""
            )
    # Fuzzy entries are guesses a translator has not confirmed: English is shown instead,
    # as msgfmt does.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """`message` in the current notebook's language (English when there is no translation)."""
    return translations(current_language()).gettext(message)


def N_(message: str) -> str:
    """Mark a constant for translation without translating it now; pass it to `_()` on display."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in the current notebook's language."""
    return translations(current_language()).ngettext(singular, plural, count)


# --------------------------------------------------------------------------- catalog upkeep


def extract_messages(root: Path | None = None):
    """Every message id in the helpers' code, as a Babel catalog (what a .pot would hold)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).resolve().parent
    template = Catalog(domain=DOMAIN, project="ACS Identity Lab", charset="utf-8")
    method_map = [("emulator/**.py", "ignore"), ("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map=method_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(
            message,
            None,
            [(f"helpers/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def placeholders(text: str) -> set[tuple[str, str, str]]:
    """The ``{field!conversion:spec}`` placeholders of a format string, as (field, conversion,
    spec) triples. Raises ValueError for a broken string, and for any placeholder that reaches
    past a plain name: attribute or index access (``{error.__init__}``, ``{x[0]}``), a nested
    field in a spec (``{x:{y}}``), or a positional one (``{}``, ``{0}``)."""
    found = set()
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if not _PLAIN_NAME.fullmatch(field):
            raise ValueError(f"placeholder {{{field}}} is not a plain name")
        if "{" in (spec or ""):
            raise ValueError(f"placeholder {{{field}:{spec}}} nests another field")
        found.add((field, conversion or "", spec or ""))
    return found


def format_problem(english: str, translation: str) -> str | None:
    """Why `translation` can't stand in for `english` in ``.format(...)``, or None.

    The placeholders must match exactly - name, conversion and format spec - so a translation
    can neither reach into an argument's attributes nor pad a value to a huge width."""
    try:
        wanted = placeholders(english)
    except ValueError:
        wanted = None  # not a format string (never .format()ted): compared as text below
    try:
        got = placeholders(translation)
    except ValueError as err:
        return f"placeholders broken in the translation ({err}): {english!r}"
    if wanted is None:
        return None if not got else f"placeholders the English has not: {english!r}"
    if got != wanted:
        return f"placeholders differ from the English: {english!r}"
    return None


def _placeholder_problems(message) -> list[str]:
    """format_problem for each translated form of a catalog entry. A plural entry's forms may
    each use any placeholder of the English singular or plural (languages split numbers into
    forms differently), but no other."""
    if not isinstance(message.id, tuple):
        problem = format_problem(message.id, message.string) if message.string else None
        return [problem] if problem else []
    allowed: set[tuple[str, str, str]] = set()
    for english in message.id:
        allowed |= placeholders(english)
    problems = []
    for text in (t for t in message.string if t):
        try:
            if placeholders(text) - allowed:
                problems.append(f"placeholders differ from the English: {message.id[0]!r}")
        except ValueError as err:
            problems.append(f"placeholders broken in the translation ({err}): {message.id[0]!r}")
    return problems


def catalog_problems(language: str, template=None) -> list[str]:
    """Why the `language` catalog is not ready: one line per message, empty when all is well.

    A message in the code but not in the catalog, one with no translation or a fuzzy one, one the
    code no longer has, and a translation whose ``{fields}`` differ from the English.
    """
    from babel.messages.pofile import read_po

    template = template or extract_messages()
    path = catalog_path(language)
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id)
        forms = message.id if isinstance(message.id, tuple) else (message.id,)
        if entry is None:
            problems.append(f"not in the catalog (run tools.update_catalogs): {forms[0]!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            problems.append(f"fuzzy, to be checked: {forms[0]!r}")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"not translated: {forms[0]!r}")
        else:
            problems.extend(_placeholder_problems(entry))
    code_ids = {m.id for m in template if m.id}
    for entry in catalog:
        if entry.id and entry.id not in code_ids:
            problems.append(f"no longer in the code (run tools.update_catalogs): {entry.id!r}")
    return problems


def update_catalogs() -> list[str]:
    """Merge the code's current messages into every catalog; returns one line per catalog.

    New messages arrive untranslated, changed ones as fuzzy guesses (shown in English until a
    translator confirms them), removed ones are dropped. Run: ``python -m tools.update_catalogs``.
    """
    from babel.messages.pofile import read_po, write_po

    template = extract_messages()
    lines = []
    for language in available_languages()[1:]:
        path = catalog_path(language)
        with path.open("rb") as po:
            catalog = read_po(po, locale=language, domain=DOMAIN)
        template.creation_date = catalog.creation_date  # no date churn in the diff
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        with path.open("wb") as po:
            # File names without line numbers: moving code around does not touch the catalog.
            write_po(po, catalog, width=100, ignore_obsolete=True, include_lineno=False)
        todo = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
        lines.append(f"{path.relative_to(LOCALE_DIR.parent.parent)}: {len(todo)} to translate")
    return lines
