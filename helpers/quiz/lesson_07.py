"""Lesson 07's quiz (Delete an identity): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import QUICKSTART

QUESTIONS = (
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
)
