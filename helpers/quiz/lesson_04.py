"""Lesson 04's quiz (Create identity and token): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import QUICKSTART

QUESTIONS = (
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
                N_("Right: the method creates the identity and issues its token at the same time."),
            ),
            Choice(
                N_("It allows every scope."),
                False,
                N_("Wrong: you choose the scopes, exactly as with get_token."),
            ),
        ),
        QUICKSTART,
    ),
)
