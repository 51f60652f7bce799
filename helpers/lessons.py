"""The one list of lessons: number, slug, notebook file, editions, and which have practice.

Tests, tools and the quiz read this instead of writing the lessons out again;
tests/unit/test_lessons.py checks it against the notebooks in notebooks/ and notebooks/de/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EDITIONS",
    "LESSONS",
    "NOTEBOOKS",
    "OTHER_NOTEBOOKS",
    "WITH_PRACTICE",
    "Lesson",
    "lesson",
]

# The tracked notebooks, in a checkout of the lab (the working copy is made from them).
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# Language code -> the folder (under notebooks/) that holds that edition.
EDITIONS = {"en": "", "de": "de"}


@dataclass(frozen=True)
class Lesson:
    number: str  # two digits, as in the file name and the quiz/exercise ids ("03", "03-expiry")
    slug: str
    # An exercise the service checks and a quiz (quiz.show("03"), exercises "03-...").
    practice: bool = False

    @property
    def stem(self) -> str:
        return f"{self.number}-{self.slug}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.ipynb"

    def path(self, language: str = "en") -> Path:
        """The tracked notebook of this lesson in one edition ("en" or "de")."""
        return NOTEBOOKS / EDITIONS[language] / self.file_name


LESSONS: tuple[Lesson, ...] = (
    Lesson("00", "set-up-your-environment"),
    Lesson("01", "authenticate-the-client"),
    Lesson("02", "create-an-identity", practice=True),
    Lesson("03", "issue-an-access-token", practice=True),
    Lesson("04", "create-identity-and-token", practice=True),
    Lesson("05", "refresh-an-access-token", practice=True),
    Lesson("06", "revoke-access-tokens", practice=True),
    Lesson("07", "delete-an-identity", practice=True),
    Lesson("08", "run-the-code"),
    Lesson("09", "clean-up-resources"),
    # Lessons beyond the access-tokens quickstart.
    Lesson("10", "teams-users", practice=True),
    Lesson("11", "async-client"),
    Lesson("12", "token-service-and-client"),
)
# Notebooks that are not numbered lessons (a console and a trainer's workshop).
OTHER_NOTEBOOKS = ("identity-console.ipynb", "workshop-bulk-provisioning.ipynb")
# The numbers of the lessons with an exercise and a quiz, in order.
WITH_PRACTICE = tuple(entry.number for entry in LESSONS if entry.practice)


def lesson(number: str) -> Lesson:
    """The lesson with that number ("03"), or KeyError naming the known ones."""
    for entry in LESSONS:
        if entry.number == number:
            return entry
    raise KeyError(f"no lesson {number!r}; known: {', '.join(e.number for e in LESSONS)}")
