"""Lesson 02's quiz (Create an identity): each answer explained and sourced."""

from __future__ import annotations

from helpers.i18n import N_
from helpers.quiz.model import Choice, Question
from helpers.quiz.sources import IDENTITY_MODEL

QUESTIONS = (
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
                    "Wrong: ACS identities don't need Entra ID; you bring your own identity system."
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
)
