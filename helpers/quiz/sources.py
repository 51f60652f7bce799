"""The pages the quiz answers come from (Microsoft Learn).

Translated like any message: each language links to its own edition of the page.
"""

from __future__ import annotations

from helpers.i18n import N_

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
TEAMS_QUICKSTART = N_(
    "https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/"
    "manage-teams-identity"
)
# The REST reference's Teams exchange operation: "a new Communication Identity access token with
# a matching expiration time" (the path has /identity/ since the reference moved there).
IDENTITY_REST = N_(
    "https://learn.microsoft.com/en-us/rest/api/communication/identity/communication-identity/"
    "exchange-teams-user-access-token"
)
