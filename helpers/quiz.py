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

from helpers.i18n import N_, _

__all__ = ["QUIZZES", "Choice", "Feedback", "Question", "QuizView", "add_quiz", "grade", "show"]

# Translated like any message: each language links to its own edition of the page.
IDENTITY_MODEL = N_(
    "https://learn.microsoft.com/en-us/azure/communication-services/concepts/identity-model"
)
QUICKSTART = N_(
    "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/identity/"
    "access-tokens?pivots=programming-language-python"
)
CREDENTIALS = N_(
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


# --------------------------------------------------------------------------- the questions

add_quiz(
    "02",
    [
        Question(
            "02-user-data",
            N_("What does create_user() store about your user in Azure Communication Services?"),
            (
                Choice(
                    N_("Their name and e-mail address."),
                    False,
                    N_(
                        "Wrong: the service keeps no user data. You never send a name; the "
                        "identity "
                        "is only an id."
                    ),
                ),
                Choice(
                    N_(
                        "Nothing personal: it makes a new unique id, and you keep the link to your "
                        "own user."
                    ),
                    True,
                    N_(
                        "Right: the identity model keeps your users' data private, and mapping ids "
                        "to your users is your job."
                    ),
                ),
                Choice(
                    N_("A password the user signs in with."),
                    False,
                    N_(
                        "Wrong: the service does not sign users in. Your own service authenticates "
                        "them, then issues tokens."
                    ),
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "02-choose-id",
            N_("Can you pick the id of a new identity, for example a user's phone number?"),
            (
                Choice(
                    N_("Yes, pass it to create_user()."),
                    False,
                    N_("Wrong: create_user() takes no id. The service makes a unique one for you."),
                ),
                Choice(
                    N_("No: the service creates the id, and you store it next to your own user."),
                    True,
                    N_(
                        "Right: external identifiers such as phone numbers or user names can't be "
                        "used directly; you keep a mapping."
                    ),
                ),
                Choice(
                    N_("Yes, as long as it is unique in your resource."),
                    False,
                    N_("Wrong: external identifiers can't be used as identities, unique or not."),
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "02-who",
            N_("Who or what can an identity stand for?"),
            (
                Choice(
                    N_("Only a person who signed in with Microsoft Entra ID."),
                    False,
                    N_(
                        "Wrong: ACS identities don't need Entra ID; you bring your own identity "
                        "system."
                    ),
                ),
                Choice(
                    N_("A person, or an application such as a service or a bot."),
                    True,
                    N_(
                        "Right: the identity model says you can use identities for human users or "
                        "applications."
                    ),
                ),
                Choice(
                    N_("Only one device: each phone needs a new identity."),
                    False,
                    N_(
                        "Wrong: one user can take part in several sessions on several devices at "
                        "the same time."
                    ),
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
            N_(
                "Which scope lets a client use chats it was added to, but not create new chat "
                "threads?"
            ),
            (
                Choice(
                    N_("chat"),
                    False,
                    N_("Wrong: chat can also create, update and delete chat threads."),
                ),
                Choice(
                    N_("chat.join"),
                    True,
                    N_(
                        "Right: chat.join can't create threads, but can send messages and add or "
                        "remove participants."
                    ),
                ),
                Choice(
                    N_("voip.join"),
                    False,
                    N_("Wrong: voip.join is about calls (joining them), not chat."),
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "03-expiry",
            N_("Which token_expires_in does the service accept?"),
            (
                Choice(
                    N_("timedelta(minutes=30)"),
                    False,
                    N_(
                        "Wrong: a token lives at least one hour; the service answers 400 for 30 "
                        "minutes."
                    ),
                ),
                Choice(
                    N_("timedelta(hours=2)"),
                    True,
                    N_(
                        "Right: any lifetime from one hour to 24 hours (60 to 1440 minutes) is "
                        "accepted."
                    ),
                ),
                Choice(
                    N_("timedelta(hours=48)"),
                    False,
                    N_("Wrong: 24 hours is the longest; the service answers 400 for 48 hours."),
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "03-where",
            N_("Where should your app issue access tokens?"),
            (
                Choice(
                    N_("In the client app (browser or phone), with the connection string."),
                    False,
                    N_(
                        "Wrong: the connection string would leak to every user, and anyone could "
                        "make tokens on your bill."
                    ),
                ),
                Choice(
                    N_("On your trusted server, which then gives the token to the client app."),
                    True,
                    N_(
                        "Right: the docs say to create tokens in a trusted service, never in the "
                        "client application."
                    ),
                ),
                Choice(
                    N_("Either, as long as the connection uses HTTPS."),
                    False,
                    N_(
                        "Wrong: HTTPS protects the transfer, not the key stored inside the client "
                        "app."
                    ),
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
            N_("What does create_user_and_token(['voip']) give you?"),
            (
                Choice(
                    N_("Only an access token."),
                    False,
                    N_("Wrong: you also get the new identity, which you need to store."),
                ),
                Choice(
                    N_("The new identity and an access token for it."),
                    True,
                    N_("Right: it returns a pair, the identity first and the token second."),
                ),
                Choice(
                    N_("Only the new identity; you call get_token next."),
                    False,
                    N_("Wrong: that is what create_user() does; this method issues the token too."),
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "04-why",
            N_("What is different about a token from create_user_and_token?"),
            (
                Choice(
                    N_("It never expires."),
                    False,
                    N_(
                        "Wrong: it has the same lifetime rules as any token (24 hours unless you "
                        "ask for 1 to 24 hours)."
                    ),
                ),
                Choice(
                    N_(
                        "Nothing about the token: the identity and the token just come from one "
                        "request."
                    ),
                    True,
                    N_(
                        "Right: the method creates the identity and issues its token at the same "
                        "time."
                    ),
                ),
                Choice(
                    N_("It allows every scope."),
                    False,
                    N_("Wrong: you choose the scopes, exactly as with get_token."),
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
            N_("How do you refresh an ACS access token?"),
            (
                Choice(
                    N_("Call get_token again for the same identity."),
                    True,
                    N_("Right: refreshing means issuing a new token for the identity you stored."),
                ),
                Choice(
                    N_("Send the old token to a refresh method."),
                    False,
                    N_("Wrong: the identity SDK has no refresh method that takes a token."),
                ),
                Choice(
                    N_("Create a new identity."),
                    False,
                    N_("Wrong: the user would lose their identity, and with it their chats."),
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "05-old-token",
            N_("You issued a new token. What happens to the old one?"),
            (
                Choice(
                    N_("It stops working at once."),
                    False,
                    N_("Wrong: an identity can hold several valid tokens at the same time."),
                ),
                Choice(
                    N_("It keeps working until it expires, unless you revoke it."),
                    True,
                    N_("Right: a user can have multiple tokens simultaneously."),
                ),
                Choice(
                    N_("It is extended to the new expiry time."),
                    False,
                    N_("Wrong: a token's expiry is signed into it and never changes."),
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "05-client",
            N_("In a client app, what gets a new token before the current one expires?"),
            (
                Choice(
                    N_(
                        "CommunicationTokenCredential, calling your token_refresher (with "
                        "proactive "
                        "refresh turned on)."
                    ),
                    True,
                    N_(
                        "Right: the credential calls your refresher, which asks your server for a "
                        "fresh token."
                    ),
                ),
                Choice(
                    N_("The client app itself, with get_token and the connection string."),
                    False,
                    N_(
                        "Wrong: the client never holds the connection string; your server issues "
                        "tokens."
                    ),
                ),
                Choice(
                    N_("Azure, which renews tokens automatically."),
                    False,
                    N_(
                        "Wrong: the service never renews a token by itself; your app asks for a "
                        "new one."
                    ),
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
            N_("What does revoke_tokens(identity) do?"),
            (
                Choice(
                    N_("It invalidates every active token of the identity; the identity stays."),
                    True,
                    N_(
                        "Right: it revokes all active tokens, and the identity can get new ones "
                        "afterwards."
                    ),
                ),
                Choice(
                    N_("It revokes only the newest token."),
                    False,
                    N_("Wrong: it revokes all active tokens issued to the identity."),
                ),
                Choice(
                    N_("It deletes the identity."),
                    False,
                    N_("Wrong: that is delete_user. After revoking, the identity still exists."),
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "06-when",
            N_("On Azure, when does a revoked token stop working everywhere?"),
            (
                Choice(
                    N_("Immediately."),
                    False,
                    N_("Wrong: the docs say revocation isn't immediate."),
                ),
                Choice(
                    N_("Within up to 15 minutes."),
                    True,
                    N_(
                        "Right: the identity model page says revocation can take up to 15 minutes "
                        "to propagate."
                    ),
                ),
                Choice(
                    N_("Only when the token expires."),
                    False,
                    N_("Wrong: revoking ends a token before its expiry time; that is its purpose."),
                ),
            ),
            IDENTITY_MODEL,
        ),
        Question(
            "06-fewer",
            N_("A user should only join calls from now on. What do the docs recommend?"),
            (
                Choice(
                    N_("Revoke all their tokens, then issue a new token with fewer scopes."),
                    True,
                    N_("Right: that is the docs' advice for removing access to some features."),
                ),
                Choice(
                    N_("Delete the identity and create a new one."),
                    False,
                    N_(
                        "Wrong: deleting also removes the identity's stored content; revoking is "
                        "enough."
                    ),
                ),
                Choice(
                    N_("Wait until their current token expires."),
                    False,
                    N_("Wrong: the old token would keep all its scopes for up to 24 hours."),
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
            N_("What is true after delete_user(identity)?"),
            (
                Choice(
                    N_("Its tokens still work until they expire."),
                    False,
                    N_("Wrong: deleting an identity revokes all its active tokens."),
                ),
                Choice(
                    N_(
                        "Its tokens are revoked, it gets no new tokens, and its stored content is "
                        "removed."
                    ),
                    True,
                    N_("Right: that is what the quickstart says deleting does."),
                ),
                Choice(
                    N_("It can be restored with a new token."),
                    False,
                    N_("Wrong: the service refuses to issue tokens to a deleted identity."),
                ),
            ),
            QUICKSTART,
        ),
        Question(
            "07-keep",
            N_("Which call keeps the identity, so it can get tokens again?"),
            (
                Choice(
                    N_("revoke_tokens"),
                    True,
                    N_("Right: after revoking, you can issue new tokens to the same identity."),
                ),
                Choice(
                    N_("delete_user"),
                    False,
                    N_("Wrong: after deleting, the identity can never get a token again."),
                ),
                Choice(
                    N_("Both of them"),
                    False,
                    N_("Wrong: only revoke_tokens keeps the identity; delete_user ends it."),
                ),
            ),
            QUICKSTART,
        ),
    ],
)


TEAMS_QUICKSTART = N_(
    "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/"
    "manage-teams-identity"
)
IDENTITY_REST = N_(
    "https://learn.microsoft.com/en-us/rest/api/communication/communication-identity"
)

add_quiz(
    "10",
    [
        Question(
            "10-exchange-inputs",
            N_("What does get_token_for_teams_user need besides the client's own credential?"),
            (
                Choice(
                    N_(
                        "The Teams user's Entra ID token, the Entra application's client ID and "
                        "the "
                        "user's object ID."
                    ),
                    True,
                    N_(
                        "Right: the service checks that the token is valid, was issued to that "
                        "application (appid) and belongs to that user (oid)."
                    ),
                ),
                Choice(
                    N_("The Teams user's e-mail address and password."),
                    False,
                    N_(
                        "Wrong: your app never sees the password. The user signs in to Entra ID "
                        "(MSAL), and you pass the token that sign-in returns."
                    ),
                ),
                Choice(
                    N_("An ACS identity created with create_user() for the Teams user."),
                    False,
                    N_(
                        "Wrong: Teams users keep their own Entra identity; no ACS identity is "
                        "created for them."
                    ),
                ),
            ),
            TEAMS_QUICKSTART,
        ),
        Question(
            "10-lifetime",
            N_("How long is the ACS access token from the exchange valid?"),
            (
                Choice(
                    N_("24 hours, like every ACS token."),
                    False,
                    N_(
                        "Wrong: 24 hours is the default for ACS identities' tokens, not for Teams "
                        "users'."
                    ),
                ),
                Choice(
                    N_("As long as the Entra ID token it was exchanged for."),
                    True,
                    N_(
                        "Right: the exchange returns a token with a matching expiration time; get "
                        "a fresh Entra ID token and exchange again to go on."
                    ),
                ),
                Choice(
                    N_("Whatever you pass as token_expires_in, between 1 and 24 hours."),
                    False,
                    N_(
                        "Wrong: get_token_for_teams_user takes no expiry; the Entra ID token "
                        "decides."
                    ),
                ),
            ),
            IDENTITY_REST,
        ),
        Question(
            "10-where",
            N_("Where should the exchange run?"),
            (
                Choice(
                    N_("In the user's browser or app, right after they sign in."),
                    False,
                    N_(
                        "Wrong: the exchange request is signed with your resource's credentials, "
                        "which must not reach the user's device."
                    ),
                ),
                Choice(
                    N_("In your back-end service."),
                    True,
                    N_(
                        "Right: exchange requests are signed with a secret, so the docs recommend "
                        "implementing the exchange in back-end services."
                    ),
                ),
                Choice(
                    N_("Inside Microsoft Teams."),
                    False,
                    N_(
                        "Wrong: Teams is not involved in the exchange; your app calls Azure "
                        "Communication Services with the user's Entra ID token."
                    ),
                ),
            ),
            TEAMS_QUICKSTART,
        ),
    ],
)

# --------------------------------------------------------------------------- the view


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
