"""Lesson 03's quiz (Issue an access token): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import IDENTITY_MODEL, QUICKSTART

QUESTIONS = (
    Question(
        "03-chat-voip",
        N_(
            "A client signs in to the chat SDK with a token that has only the voip scope and "
            "creates a chat thread. What happens?"
        ),
        (
            Choice(
                N_("The chat service refuses the token (401): only a chat scope gives chat."),
                True,
                N_(
                    "Right: the scopes decide what a token can do; voip is for calls. Section 5 "
                    "shows the refusal."
                ),
            ),
            Choice(
                N_("It works: every token of an identity can use every service."),
                False,
                N_("Wrong: a token allows only what its scopes say, whatever the client asks for."),
            ),
            Choice(
                N_("The chat SDK asks the service for a chat token by itself."),
                False,
                N_(
                    "Wrong: the SDK only uses the tokens it is given; new ones come from your "
                    "trusted token service."
                ),
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
                N_("Wrong: HTTPS protects the transfer, not the key stored inside the client app."),
            ),
        ),
        IDENTITY_MODEL,
    ),
)
