"""Checks of understanding: a few multiple-choice questions per lesson, each answer explained.

In a notebook (cell tagged ``quiz``)::

    quiz.show("03")

Model and view are apart:

* ``QUIZZES[lesson]`` - the questions (plain frozen dataclasses); every question names the
  Microsoft Learn page its answer comes from (``source``).
* ``grade(question, choice) -> Feedback`` - a plain function: right or wrong, and why.
* ``QuizView(lesson)`` / ``show(lesson)`` - the thin ipywidgets view (one radio group, a
  **Check** button and a feedback line per question); tests drive it with ``.click()``.

Other lessons add questions with ``add_quiz("10", [Question(...), ...])``. The code cell passes
only the lesson id; all text lives here as whole-sentence literals, so a translation catalog can
replace each one.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["QUIZZES", "Choice", "Feedback", "Question", "QuizView", "add_quiz", "grade", "show"]

IDENTITY_MODEL = (
    "https://learn.microsoft.com/en-us/azure/communication-services/concepts/identity-model"
)
QUICKSTART = (
    "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/identity/"
    "access-tokens?pivots=programming-language-python"
)
CREDENTIALS = (
    "https://learn.microsoft.com/en-us/azure/communication-services/concepts/"
    "credentials-best-practices"
)


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
        return Feedback(False, "✗ Pick an answer first.")
    if not 0 <= choice < len(question.choices):
        raise IndexError(f"question {question.id!r} has no choice {choice}")
    picked = question.choices[choice]
    if picked.correct:
        return Feedback(True, f"✓ {picked.why}")
    return Feedback(False, f"✗ {picked.why}")


QUIZZES: dict[str, tuple[Question, ...]] = {}


def add_quiz(lesson: str, questions: Iterable[Question]) -> None:
    """Register the questions of one lesson."""
    if lesson in QUIZZES:
        raise ValueError(f"lesson {lesson!r} already has a quiz")
    QUIZZES[lesson] = tuple(questions)


# --------------------------------------------------------------------------- the questions

add_quiz(
    "02",
    [
        Question(
            "02-user-data",
            "What does create_user() store about your user in Azure Communication Services?",
            (
                Choice(
                    "Their name and e-mail address.",
                    False,
                    "Wrong: the service keeps no user data. You never send a name; the identity "
                    "is only an id.",
                ),
                Choice(
                    "Nothing personal: it makes a new unique id, and you keep the link to your "
                    "own user.",
                    True,
                    "Right: the identity model keeps your users' data private, and mapping ids "
                    "to your users is your job.",
                ),
                Choice(
                    "A password the user signs in with.",
                    False,
                    "Wrong: the service does not sign users in. Your own service authenticates "
                    "them, then issues tokens.",
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "02-choose-id",
            "Can you pick the id of a new identity, for example a user's phone number?",
            (
                Choice(
                    "Yes, pass it to create_user().",
                    False,
                    "Wrong: create_user() takes no id. The service makes a unique one for you.",
                ),
                Choice(
                    "No: the service creates the id, and you store it next to your own user.",
                    True,
                    "Right: external identifiers such as phone numbers or user names can't be "
                    "used directly; you keep a mapping.",
                ),
                Choice(
                    "Yes, as long as it is unique in your resource.",
                    False,
                    "Wrong: external identifiers can't be used as identities, unique or not.",
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "02-who",
            "Who or what can an identity stand for?",
            (
                Choice(
                    "Only a person who signed in with Microsoft Entra ID.",
                    False,
                    "Wrong: ACS identities don't need Entra ID; you bring your own identity "
                    "system.",
                ),
                Choice(
                    "A person, or an application such as a service or a bot.",
                    True,
                    "Right: the identity model says you can use identities for human users or "
                    "applications.",
                ),
                Choice(
                    "Only one device: each phone needs a new identity.",
                    False,
                    "Wrong: one user can take part in several sessions on several devices at "
                    "the same time.",
                ),
            ),
            IDENTITY_MODEL,
        ),
    ],
)

add_quiz(
    "03",
    [
        Question(
            "03-chat-join",
            "Which scope lets a client use chats it was added to, but not create new chat threads?",
            (
                Choice(
                    "chat",
                    False,
                    "Wrong: chat can also create, update and delete chat threads.",
                ),
                Choice(
                    "chat.join",
                    True,
                    "Right: chat.join can't create threads, but can send messages and add or "
                    "remove participants.",
                ),
                Choice(
                    "voip.join",
                    False,
                    "Wrong: voip.join is about calls (joining them), not chat.",
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "03-expiry",
            "Which token_expires_in does the service accept?",
            (
                Choice(
                    "timedelta(minutes=30)",
                    False,
                    "Wrong: a token lives at least one hour; the service answers 400 for 30 "
                    "minutes.",
                ),
                Choice(
                    "timedelta(hours=2)",
                    True,
                    "Right: any lifetime from one hour to 24 hours (60 to 1440 minutes) is "
                    "accepted.",
                ),
                Choice(
                    "timedelta(hours=48)",
                    False,
                    "Wrong: 24 hours is the longest; the service answers 400 for 48 hours.",
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "03-where",
            "Where should your app issue access tokens?",
            (
                Choice(
                    "In the client app (browser or phone), with the connection string.",
                    False,
                    "Wrong: the connection string would leak to every user, and anyone could "
                    "make tokens on your bill.",
                ),
                Choice(
                    "On your trusted server, which then gives the token to the client app.",
                    True,
                    "Right: the docs say to create tokens in a trusted service, never in the "
                    "client application.",
                ),
                Choice(
                    "Either, as long as the connection uses HTTPS.",
                    False,
                    "Wrong: HTTPS protects the transfer, not the key stored inside the client app.",
                ),
            ),
            IDENTITY_MODEL,
        ),
    ],
)

add_quiz(
    "04",
    [
        Question(
            "04-returns",
            "What does create_user_and_token(['voip']) give you?",
            (
                Choice(
                    "Only an access token.",
                    False,
                    "Wrong: you also get the new identity, which you need to store.",
                ),
                Choice(
                    "The new identity and an access token for it.",
                    True,
                    "Right: it returns a pair, the identity first and the token second.",
                ),
                Choice(
                    "Only the new identity; you call get_token next.",
                    False,
                    "Wrong: that is what create_user() does; this method issues the token too.",
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "04-why",
            "What is different about a token from create_user_and_token?",
            (
                Choice(
                    "It never expires.",
                    False,
                    "Wrong: it has the same lifetime rules as any token (24 hours unless you "
                    "ask for 1 to 24 hours).",
                ),
                Choice(
                    "Nothing about the token: the identity and the token just come from one "
                    "request.",
                    True,
                    "Right: the method creates the identity and issues its token at the same time.",
                ),
                Choice(
                    "It allows every scope.",
                    False,
                    "Wrong: you choose the scopes, exactly as with get_token.",
                ),
            ),
            QUICKSTART,
        ),
    ],
)

add_quiz(
    "05",
    [
        Question(
            "05-how",
            "How do you refresh an ACS access token?",
            (
                Choice(
                    "Call get_token again for the same identity.",
                    True,
                    "Right: refreshing means issuing a new token for the identity you stored.",
                ),
                Choice(
                    "Send the old token to a refresh method.",
                    False,
                    "Wrong: the identity SDK has no refresh method that takes a token.",
                ),
                Choice(
                    "Create a new identity.",
                    False,
                    "Wrong: the user would lose their identity, and with it their chats.",
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "05-old-token",
            "You issued a new token. What happens to the old one?",
            (
                Choice(
                    "It stops working at once.",
                    False,
                    "Wrong: an identity can hold several valid tokens at the same time.",
                ),
                Choice(
                    "It keeps working until it expires, unless you revoke it.",
                    True,
                    "Right: a user can have multiple tokens simultaneously.",
                ),
                Choice(
                    "It is extended to the new expiry time.",
                    False,
                    "Wrong: a token's expiry is signed into it and never changes.",
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "05-client",
            "In a client app, what gets a new token before the current one expires?",
            (
                Choice(
                    "CommunicationTokenCredential, calling your token_refresher (with proactive "
                    "refresh turned on).",
                    True,
                    "Right: the credential calls your refresher, which asks your server for a "
                    "fresh token.",
                ),
                Choice(
                    "The client app itself, with get_token and the connection string.",
                    False,
                    "Wrong: the client never holds the connection string; your server issues "
                    "tokens.",
                ),
                Choice(
                    "Azure, which renews tokens automatically.",
                    False,
                    "Wrong: the service never renews a token by itself; your app asks for a "
                    "new one.",
                ),
            ),
            CREDENTIALS,
        ),
    ],
)

add_quiz(
    "06",
    [
        Question(
            "06-what",
            "What does revoke_tokens(identity) do?",
            (
                Choice(
                    "It invalidates every active token of the identity; the identity stays.",
                    True,
                    "Right: it revokes all active tokens, and the identity can get new ones "
                    "afterwards.",
                ),
                Choice(
                    "It revokes only the newest token.",
                    False,
                    "Wrong: it revokes all active tokens issued to the identity.",
                ),
                Choice(
                    "It deletes the identity.",
                    False,
                    "Wrong: that is delete_user. After revoking, the identity still exists.",
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "06-when",
            "On Azure, when does a revoked token stop working everywhere?",
            (
                Choice(
                    "Immediately.",
                    False,
                    "Wrong: the docs say revocation isn't immediate.",
                ),
                Choice(
                    "Within up to 15 minutes.",
                    True,
                    "Right: the identity model page says revocation can take up to 15 minutes "
                    "to propagate.",
                ),
                Choice(
                    "Only when the token expires.",
                    False,
                    "Wrong: revoking ends a token before its expiry time; that is its purpose.",
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "06-fewer",
            "A user should only join calls from now on. What do the docs recommend?",
            (
                Choice(
                    "Revoke all their tokens, then issue a new token with fewer scopes.",
                    True,
                    "Right: that is the docs' advice for removing access to some features.",
                ),
                Choice(
                    "Delete the identity and create a new one.",
                    False,
                    "Wrong: deleting also removes the identity's stored content; revoking is "
                    "enough.",
                ),
                Choice(
                    "Wait until their current token expires.",
                    False,
                    "Wrong: the old token would keep all its scopes for up to 24 hours.",
                ),
            ),
            IDENTITY_MODEL,
        ),
    ],
)

add_quiz(
    "07",
    [
        Question(
            "07-after",
            "What is true after delete_user(identity)?",
            (
                Choice(
                    "Its tokens still work until they expire.",
                    False,
                    "Wrong: deleting an identity revokes all its active tokens.",
                ),
                Choice(
                    "Its tokens are revoked, it gets no new tokens, and its stored content is "
                    "removed.",
                    True,
                    "Right: that is what the quickstart says deleting does.",
                ),
                Choice(
                    "It can be restored with a new token.",
                    False,
                    "Wrong: the service refuses to issue tokens to a deleted identity.",
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "07-keep",
            "Which call keeps the identity, so it can get tokens again?",
            (
                Choice(
                    "revoke_tokens",
                    True,
                    "Right: after revoking, you can issue new tokens to the same identity.",
                ),
                Choice(
                    "delete_user",
                    False,
                    "Wrong: after deleting, the identity can never get a token again.",
                ),
                Choice(
                    "Both of them",
                    False,
                    "Wrong: only revoke_tokens keeps the identity; delete_user ends it.",
                ),
            ),
            QUICKSTART,
        ),
    ],
)


# --------------------------------------------------------------------------- the view


class _QuestionView:
    """One question: its prompt, a radio group, a Check button and the feedback line."""

    def __init__(self, number: int, question: Question) -> None:
        import ipywidgets as widgets

        self.question = question
        self.prompt = widgets.HTML(f"<b>{number}. {html.escape(question.prompt)}</b>")
        self.options = widgets.RadioButtons(
            options=[(c.text, i) for i, c in enumerate(question.choices)],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        self.button = widgets.Button(description="Check", layout=widgets.Layout(width="8em"))
        self.feedback = widgets.HTML("")
        self.button.on_click(self._on_check)
        self.box = widgets.VBox(
            [self.prompt, self.options, self.button, self.feedback],
            layout=widgets.Layout(margin="0 0 1em 0"),
        )

    def _on_check(self, _button=None) -> None:
        result = grade(self.question, self.options.value)
        color = "#107c10" if result.correct else "#a4262c"
        link = (
            f' <a href="{html.escape(self.question.source)}" target="_blank" '
            'style="color:#0f6cbd;text-decoration:underline">(source)</a>'
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
