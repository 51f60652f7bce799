"""The quizzes: well-formed questions with sources, plain grading, and a view driven by .click()."""

from __future__ import annotations

import pytest

from helpers import quiz
from helpers.lessons import WITH_PRACTICE

LESSONS = list(WITH_PRACTICE)
# Microsoft Learn: the Communication Services docs, or its REST reference (lesson 10).
SOURCES = (
    "https://learn.microsoft.com/en-us/azure/communication-",
    "https://learn.microsoft.com/en-us/rest/api/communication/",
)
ALL_QUESTIONS = [q for lesson in LESSONS for q in quiz.QUIZZES[lesson]]


def test_every_lesson_with_a_quiz_has_two_or_three_questions():
    for lesson in LESSONS:
        assert 2 <= len(quiz.QUIZZES[lesson]) <= 3, lesson


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
def test_every_question_has_one_right_answer_every_answer_explained_and_a_source(question):
    assert sum(choice.correct for choice in question.choices) == 1
    assert len(question.choices) >= 3
    for choice in question.choices:
        assert choice.why.startswith("Right:" if choice.correct else "Wrong:"), choice.why
        assert "\n" not in choice.why
    assert question.source.startswith(SOURCES)


def test_question_ids_are_unique():
    ids = [q.id for q in ALL_QUESTIONS]
    assert len(ids) == len(set(ids))


def test_a_question_with_two_right_answers_is_refused():
    yes = quiz.Choice("a", True, "Right: a")
    with pytest.raises(ValueError, match="exactly one right answer"):
        quiz.Question("x", "?", (yes, yes), quiz.QUICKSTART)


def test_grade_says_right_or_wrong_and_why():
    question = quiz.QUIZZES["03"][1]  # the expiry range
    right = next(i for i, c in enumerate(question.choices) if c.correct)
    wrong = next(i for i, c in enumerate(question.choices) if not c.correct)
    assert quiz.grade(question, right) == quiz.Feedback(True, "✓ " + question.choices[right].why)
    feedback = quiz.grade(question, wrong)
    assert not feedback.correct and feedback.line.startswith("✗ Wrong:")
    assert quiz.grade(question, None) == quiz.Feedback(False, "✗ Pick an answer first.")
    with pytest.raises(IndexError):
        quiz.grade(question, 7)


def test_the_expiry_question_matches_the_lab_range():
    from helpers.identity import MAX_MINUTES, MIN_MINUTES

    question = next(q for q in quiz.QUIZZES["03"] if q.id == "03-expiry")
    right = next(c for c in question.choices if c.correct)
    assert f"{MIN_MINUTES} to {MAX_MINUTES} minutes" in right.why


def test_the_view_shows_feedback_and_source_after_a_click():
    view = quiz.show("06")
    assert len(view.questions) == len(quiz.QUIZZES["06"])
    first = view.questions[0]
    first.button.click()
    assert "Pick an answer first" in first.feedback.value
    assert "source" not in first.feedback.value
    wrong = next(i for i, c in enumerate(first.question.choices) if not c.correct)
    first.options.value = wrong
    first.button.click()
    assert "✗ Wrong:" in first.feedback.value
    right = next(i for i, c in enumerate(first.question.choices) if c.correct)
    first.options.value = right
    first.button.click()
    assert "✓ Right:" in first.feedback.value
    assert first.question.source in first.feedback.value
    # The other questions are untouched.
    assert all(q.feedback.value == "" for q in view.questions[1:])


def test_the_view_escapes_text():
    quiz.QUIZZES["zz"] = (
        quiz.Question(
            "zz-1",
            "<script>?",
            (quiz.Choice("a", True, "Right: <b>"), quiz.Choice("b", False, "Wrong: b")),
            quiz.QUICKSTART,
        ),
    )
    try:
        view = quiz.show("zz")
        assert "<script>" not in view.questions[0].prompt.value
        view.questions[0].options.value = 0
        view.questions[0].button.click()
        assert "<b>" not in view.questions[0].feedback.value
    finally:
        del quiz.QUIZZES["zz"]


def test_an_unknown_lesson_is_a_clear_error():
    with pytest.raises(KeyError, match="no quiz for lesson '99'"):
        quiz.show("99")
