"""Lesson 10's quiz (Teams users): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import IDENTITY_REST, TEAMS_QUICKSTART

QUESTIONS = (
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
                N_("Wrong: get_token_for_teams_user takes no expiry; the Entra ID token decides."),
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
)
