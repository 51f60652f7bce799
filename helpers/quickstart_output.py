"""Line up a run of the quickstart with the output Microsoft's docs show, line by line.

The docs' Python quickstart ("Quickstart: Create and manage access tokens", section "Run the
code") shows the program's console output. ``DOCS_OUTPUT`` holds those lines; ids, times and
tokens differ on every run, so the comparison is about each line's **format**, not its values.

    recording = record_output()     # a cell before the program: keep a copy of what it prints
    printed = recording.stop()      # a cell after it
    report = compare_with_docs(printed)
    report.ok          # every line has the docs' format
    print(report)      # one line per docs line: ✓ or ✗, the docs' line shape, your line

Source of ``DOCS_OUTPUT``: MicrosoftDocs/azure-docs,
articles/communication-services/quickstarts/identity/includes/access-tokens/access-token-python.md
(commit 1ecf689), published as the Python tab of ``QUICKSTART_EN``. Tokens are shortened here.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from itertools import zip_longest

from helpers.i18n import _

__all__ = [
    "DOCS_OUTPUT",
    "LINE_SHAPES",
    "QUICKSTART_DE",
    "QUICKSTART_EN",
    "compare_with_docs",
    "record_output",
]

QUICKSTART_EN = (
    "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/identity/"
    "access-tokens?pivots=programming-language-python"
)
QUICKSTART_DE = (
    "https://learn.microsoft.com/de-de/azure/communication-services/quickstarts/identity/"
    "access-tokens?pivots=programming-language-python"
)

_DOCS_ID_1 = "8:acs:4ccc92c8-9815-4422-bddc-ceea181dc774_00000006-19e0-2727-80f5-8b3a0d003502"
_DOCS_ID_2 = "8:acs:4ccc92c8-9815-4422-bddc-ceea181dc774_00000006-1ce9-31b4-54b7-a43a0d006a52"
_DOCS_TOKEN = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEwNiIsIng1dCI6Im9QMWFxQnlfR3hZU3pSaXhuQ25zdE5PU2p2cyIs…"
)
_DOCS_EXPIRES = "2022-10-11T07:34:29.9028648+00:00"

# The docs' console block, line by line (blank lines included: they come from the "\n" the
# quickstart puts at the start of each message).
DOCS_OUTPUT: tuple[str, ...] = (
    "Azure Communication Services - Access Tokens Quickstart",
    "",
    f"Created an identity with ID: {_DOCS_ID_1}",
    "",
    f"Issued an access token with 'voip' scope that expires at {_DOCS_EXPIRES}:",
    _DOCS_TOKEN,
    "",
    f"Created an identity with ID: {_DOCS_ID_2}",
    "",
    f"Issued an access token with 'voip' scope that expires at {_DOCS_EXPIRES}:",
    _DOCS_TOKEN,
    "",
    f"Successfully revoked all access tokens for identity with ID: {_DOCS_ID_1}",
    "",
    f"Deleted the identity with ID: {_DOCS_ID_1}",
)

_ID = r"8:acs:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}_\S+"
_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
# A whole JWT as the docs print it, or the lab's masked form of one.
_TOKEN = r"(?:eyJ[\w-]+\.[\w-]+\.[\w-]+|eyJ[\w-]*…\(\d+ (?:chars|Zeichen)\))"


@dataclass(frozen=True)
class _Shape:
    label: str  # the docs' line with its values named, e.g. "Created an identity with ID: <id>"
    pattern: re.Pattern[str]


def _shape(label: str, regex: str) -> _Shape:
    return _Shape(label, re.compile(rf"^{regex}$"))


_TITLE = _shape(DOCS_OUTPUT[0], re.escape(DOCS_OUTPUT[0]))
_BLANK = _shape("", "")
_CREATED = _shape("Created an identity with ID: <id>", rf"Created an identity with ID: {_ID}")
_ISSUED = _shape(
    "Issued an access token with 'voip' scope that expires at <time>:",
    rf"Issued an access token with 'voip' scope that expires at {_TIME}:",
)
_TOKEN_LINE = _shape("<token>", _TOKEN)
_REVOKED = _shape(
    "Successfully revoked all access tokens for identity with ID: <id>",
    rf"Successfully revoked all access tokens for identity with ID: {_ID}",
)
_DELETED = _shape("Deleted the identity with ID: <id>", rf"Deleted the identity with ID: {_ID}")

# One shape per line of DOCS_OUTPUT, in the same order.
LINE_SHAPES: tuple[_Shape, ...] = (
    _TITLE,
    _BLANK,
    _CREATED,
    _BLANK,
    _ISSUED,
    _TOKEN_LINE,
    _BLANK,
    _CREATED,
    _BLANK,
    _ISSUED,
    _TOKEN_LINE,
    _BLANK,
    _REVOKED,
    _BLANK,
    _DELETED,
)


@dataclass(frozen=True)
class LineMatch:
    number: int
    docs: str | None  # the docs' line shape; None when your run printed more lines
    yours: str | None  # None when your run printed fewer lines
    ok: bool


@dataclass(frozen=True)
class Comparison:
    lines: tuple[LineMatch, ...]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def summary(self) -> str:
        if self.ok:
            return _("✓ Every line has the format of the docs' output.")
        wrong = sum(not line.ok for line in self.lines)
        return _("✗ {wrong} of {total} lines differ in format from the docs' output.").format(
            wrong=wrong, total=len(self.lines)
        )

    def __str__(self) -> str:
        rows = [self.summary]
        for line in self.lines:
            mark = "✓" if line.ok else "✗"
            # The docs' lines stay as the docs print them; only the lab's words are translated.
            docs = _("(no line)") if line.docs is None else line.docs or _("(blank)")
            rows.append(
                _("{mark} {number:2}  docs: {docs}").format(
                    mark=mark, number=line.number, docs=docs
                )
            )
            if not line.ok:
                yours = _("(no line)") if line.yours is None else line.yours or _("(blank)")
                rows.append(_("       yours: {yours}").format(yours=yours))
        return "\n".join(rows)


def compare_with_docs(printed: str) -> Comparison:
    """Compare what the quickstart printed with the docs' output, line by line (format only)."""
    yours = printed.rstrip("\n").split("\n") if printed.strip() else []
    lines = []
    for number, (shape, line) in enumerate(zip_longest(LINE_SHAPES, yours), start=1):
        ok = shape is not None and line is not None and bool(shape.pattern.match(line))
        lines.append(LineMatch(number, None if shape is None else shape.label, line, ok))
    return Comparison(tuple(lines))


class Recording:
    """Everything printed to stdout since `record_output()`, still shown as usual (a tee).

    The quickstart cell stays the plain program (no `%%capture` line), so it runs as saved.
    """

    def __init__(self) -> None:
        self._shown = sys.stdout
        self._kept: list[str] = []
        sys.stdout = self

    def write(self, text: str) -> int:
        self._kept.append(text)
        return self._shown.write(text)

    def __getattr__(self, name: str):
        return getattr(self._shown, name)  # flush, isatty, encoding, ... as the real stream

    def stop(self) -> str:
        """Stop recording (stdout is the real stream again) and return what was printed."""
        if sys.stdout is self:
            sys.stdout = self._shown
        return "".join(self._kept)


def record_output() -> Recording:
    """Start keeping a copy of what the next cells print, for `compare_with_docs`."""
    return Recording()
