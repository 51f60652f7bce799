"""The quiz view: a thin ipywidgets form over the model (tests drive it with `.click()`)."""

from __future__ import annotations

import html

from helpers.i18n import _
from helpers.quiz.model import QUIZZES, Question, grade

__all__ = ["QuizView", "show"]


class _QuestionView:
    """One question: its prompt, a radio group, a Check button and the feedback line."""

    def __init__(self, number: int, question: Question) -> None:
        import ipywidgets as widgets

        self.question = question
        self.prompt = widgets.HTML(f"<b>{number}. {html.escape(_(question.prompt))}</b>")
        self.options = widgets.RadioButtons(
            options=[(_(c.text), i) for i, c in enumerate(question.choices)],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        self.button = widgets.Button(description=_("Check"), layout=widgets.Layout(width="8em"))
        self.feedback = widgets.HTML("")
        self.button.on_click(self._on_check)
        self.box = widgets.VBox(
            [self.prompt, self.options, self.button, self.feedback],
            layout=widgets.Layout(margin="0 0 1em 0"),
        )

    def _on_check(self, _button=None) -> None:
        result = grade(self.question, self.options.value)
        color = "#107c10" if result.correct else "#a4262c"
        url, label = _(self.question.source), _("(source)")
        link = (
            f' <a href="{html.escape(url)}" target="_blank" '
            f'style="color:#0f6cbd;text-decoration:underline">{html.escape(label)}</a>'
        )
        source = link if self.options.value is not None else ""
        self.feedback.value = (
            f'<span style="color:{color}">{html.escape(result.line)}</span>{source}'
        )


class QuizView:
    """All questions of one lesson as one widget (display it, or use `.widget`)."""

    def __init__(self, lesson: str) -> None:
        import ipywidgets as widgets

        if lesson not in QUIZZES:
            raise KeyError(f"no quiz for lesson {lesson!r}; known: {', '.join(QUIZZES)}")
        self.questions = [_QuestionView(i, q) for i, q in enumerate(QUIZZES[lesson], start=1)]
        self.widget = widgets.VBox([q.box for q in self.questions])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def show(lesson: str) -> QuizView:
    """The quiz of a lesson, ready to display as a cell's result."""
    return QuizView(lesson)
