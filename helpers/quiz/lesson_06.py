"""Lesson 06's quiz (Revoke access tokens): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import IDENTITY_MODEL, QUICKSTART

QUESTIONS = (
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
)
