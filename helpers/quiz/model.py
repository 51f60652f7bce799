"""The quiz model: questions, choices and grading, plain data with no widgets.

Each question names the Microsoft Learn page its answer comes from (`source`); `grade` is a plain
function. The questions themselves live one module per lesson (`lesson_03.py`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from helpers.i18n import _

__all__ = ["QUIZZES", "Choice", "Feedback", "Question", "add_quiz", "grade"]


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[Choice, ...]
    source: str  # the page that backs the right answer

    def __post_init__(self) -> None:
        if sum(c.correct for c in self.choices) != 1:
            raise ValueError(f"question {self.id!r} needs exactly one right answer")


@dataclass(frozen=True)
class Feedback:
    correct: bool
    line: str  # "✓ Right: …" or "✗ Not quite: …"


def grade(question: Question, choice: int | None) -> Feedback:
    """Judge the choice (an index into `question.choices`, None for "nothing picked")."""
    if choice is None:
        return Feedback(False, _("✗ Pick an answer first."))
    if not 0 <= choice < len(question.choices):
        raise IndexError(f"question {question.id!r} has no choice {choice}")
    picked = question.choices[choice]
    if picked.correct:
        return Feedback(True, f"✓ {_(picked.why)}")
    return Feedback(False, f"✗ {_(picked.why)}")


QUIZZES: dict[str, tuple[Question, ...]] = {}


def add_quiz(lesson: str, questions: Iterable[Question]) -> None:
    """Register the questions of one lesson."""
    if lesson in QUIZZES:
        raise ValueError(f"lesson {lesson!r} already has a quiz")
    QUIZZES[lesson] = tuple(questions)
