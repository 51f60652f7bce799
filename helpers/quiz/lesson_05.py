"""Lesson 05's quiz (Refresh an access token): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import CREDENTIALS, IDENTITY_MODEL, QUICKSTART

QUESTIONS = (
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
)
