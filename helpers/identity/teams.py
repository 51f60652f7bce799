"""Teams users: exchange a Teams user's Entra ID token for their ACS access token."""

from __future__ import annotations

from typing import Any

from helpers.i18n import N_, _
from helpers.identity.errors import InvalidInput, LabError
from helpers.identity.operations import call_sdk
from helpers.identity.types import SdkCall, TeamsUserToken
from helpers.identity.validation import validate_guid
from helpers.tokens import TokenFormatError, decode_token, parse_expires_on

_CLIENT_ID_HINT = N_(
    "It is a GUID like 2c3e1e83-8fd7-4615-ad2b-b8c1229845ac: the Application (client) ID on "
    "the Entra app registration's Overview page."
)
_OBJECT_ID_HINT = N_(
    "It is a GUID like 32c0a5db-05ec-78ea-51ab-3f06b329397e: the signed-in user's object ID "
    "(result['id_token_claims']['oid'] after the MSAL sign-in)."
)
# The service's Teams-exchange messages that name a mismatch, and what to do about each.
_TEAMS_MISMATCH_HINTS = {
    "AAD application is not the expected one.": (
        N_(
            "The Entra token was issued to another application: pass the client ID of the app the "
            "user signed in to."
        )
    ),
    "Provided AAD token issued for unexpected user.": (
        N_("The Entra token belongs to another user: pass the object ID of the user who signed in.")
    ),
}


def _check_entra_token(token: Any) -> str:
    text = "" if token is None else str(token).strip()
    if not text:
        raise InvalidInput(
            _("No Entra ID token given."),
            hint=_("Sign the Teams user in first and use result['access_token']."),
        )
    if text.count(".") != 2:
        raise InvalidInput(
            _("That is not a token: an Entra ID access token has three parts separated by '.'."),
            hint=_("Copy result['access_token'] from the Teams user's sign-in, whole."),
        )
    try:
        claims = decode_token(text).claims
    except TokenFormatError:
        claims = {}
    if "skypeid" in claims:
        raise InvalidInput(
            _("That is an ACS access token, not the Teams user's Entra ID token."),
            hint=_("Use the token from the Teams user's sign-in (result['access_token'])."),
        )
    return text


def exchange_teams_token(
    client: Any, entra_token: Any, client_id: Any, user_object_id: Any
) -> TeamsUserToken:
    """Exchange a Teams user's Entra ID token for their ACS access token.

    One SDK call, `client.get_token_for_teams_user(entra_token, client_id, user_object_id)`:
    the service checks that the token is valid, was issued to `client_id` and belongs to
    `user_object_id`; the ACS token it returns expires with the Entra token.
    """
    token = _check_entra_token(entra_token)
    app = validate_guid(client_id, N_("application (client) ID"), _CLIENT_ID_HINT)
    user = validate_guid(user_object_id, N_("user object ID"), _OBJECT_ID_HINT)
    try:
        call = SdkCall("get_token_for_teams_user", (token, app, user), shown_as=((0, "aad_token"),))
        access_token = call_sdk(client, call)
    except LabError as err:
        hint = _TEAMS_MISMATCH_HINTS.get(err.message)
        if hint is None:
            raise
        raise type(err)(
            err.message, hint=_(hint), status=err.status, code=err.code, call=err.call
        ) from None
    raw = str(access_token.expires_on)
    return TeamsUserToken(user.lower(), app.lower(), access_token.token, raw,
                          parse_expires_on(access_token.expires_on), call)  # fmt: skip
