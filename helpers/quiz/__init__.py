"""Checks of understanding: a few multiple-choice questions per lesson, each answer explained.

In a notebook (cell tagged ``quiz``)::

    quiz.show("03")

Model, view and content are apart:

* ``model`` - ``Question``/``Choice`` (plain frozen dataclasses), ``QUIZZES[lesson]`` and
  ``grade(question, choice) -> Feedback``, a plain function: right or wrong, and why.
* ``view`` - ``QuizView(lesson)`` / ``show(lesson)``, the thin ipywidgets view (one radio group,
  a **Check** button and a feedback line per question); tests drive it with ``.click()``.
* ``lesson_02`` ... ``lesson_10`` - each lesson's ``QUESTIONS``; ``sources`` - the pages that back
  the answers. Which lessons have a quiz comes from ``helpers.lessons`` (the one list).

The code cell passes only the lesson id; all text lives in the lesson modules as whole-sentence
``N_`` literals, so a translation catalog can replace each one.
"""

from __future__ import annotations

from importlib import import_module

from helpers.lessons import WITH_PRACTICE
from helpers.quiz.model import QUIZZES, Choice, Feedback, Question, add_quiz, grade
from helpers.quiz.sources import (  # noqa: F401 (module attributes before the split)
    CREDENTIALS,
    IDENTITY_MODEL,
    IDENTITY_REST,
    QUICKSTART,
    TEAMS_QUICKSTART,
)
from helpers.quiz.view import QuizView, show

__all__ = ["QUIZZES", "Choice", "Feedback", "Question", "QuizView", "add_quiz", "grade", "show"]

for _lesson in WITH_PRACTICE:
    add_quiz(_lesson, import_module(f"helpers.quiz.lesson_{_lesson}").QUESTIONS)
del _lesson
