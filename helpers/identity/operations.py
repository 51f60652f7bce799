"""The operations on identities and tokens: each checks its inputs, makes one SDK call and
returns a result from `types`; a failure becomes a typed `LabError` that remembers the call."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.communication.identity import CommunicationUserIdentifier

from helpers.i18n import _
from helpers.identity.errors import InvalidInput, describe_error
from helpers.identity.types import Deleted, Identity, IssuedToken, Revoked, SdkCall
from helpers.identity.validation import (
    DEFAULT_MINUTES,
    validate_expiry_minutes,
    validate_identity_id,
    validate_scopes,
)
from helpers.tokens import TokenFormatError, decode_token, parse_expires_on


def call_sdk(client: Any, call: SdkCall) -> Any:
    """Make one SDK call, turning its failures into a LabError that remembers the call."""
    if inspect.iscoroutinefunction(getattr(client, "create_user", None)):
        raise InvalidInput(
            _("This is the async client; the lab's helpers use the sync one."),
            hint=_("Use helpers.connect() without use_async=True for the forms."),
        )
    try:
        return call.run(client)
    except Exception as err:  # translated, not swallowed: the caller gets a LabError
        lab_error = describe_error(err, client)
        if lab_error.call is None:
            lab_error.call = call
        raise lab_error from None


def now() -> datetime:
    return datetime.now(timezone.utc)


def _issued(
    identity_id: str,
    access_token: Any,
    scopes: tuple[str, ...],
    minutes: int | None,
    call: SdkCall,
) -> IssuedToken:
    received_at = now()
    raw = str(access_token.expires_on)
    expires_at = parse_expires_on(access_token.expires_on)
    lifetime = minutes
    if lifetime is None:
        try:
            span = decode_token(access_token.token).lifetime
            lifetime = round(span.total_seconds() / 60) if span else DEFAULT_MINUTES
        except TokenFormatError:
            lifetime = DEFAULT_MINUTES
    return IssuedToken(
        identity_id, access_token.token, raw, expires_at, scopes, lifetime, call, received_at
    )


def _expiry_kwargs(minutes: int | None) -> tuple[tuple[str, Any], ...]:
    return () if minutes is None else (("token_expires_in", timedelta(minutes=minutes)),)


def create_identity(client: Any) -> Identity:
    """Create a new ACS identity (no token yet)."""
    call = SdkCall("create_user")
    user = call_sdk(client, call)
    return Identity(user.properties["id"], call)


def issue_token(
    client: Any, identity_id: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> IssuedToken:
    """Issue an access token for an existing identity (the service accepts 60..1440 minutes)."""
    identity_id = validate_identity_id(identity_id)
    scopes = validate_scopes(scopes)
    minutes = validate_expiry_minutes(expires_in_minutes)
    user = CommunicationUserIdentifier(identity_id)
    call = SdkCall("get_token", (user, list(scopes)), _expiry_kwargs(minutes))
    access_token = call_sdk(client, call)
    return _issued(identity_id, access_token, scopes, minutes, call)


def create_identity_and_token(
    client: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> tuple[Identity, IssuedToken]:
    """Create an identity and its first token in one request."""
    scopes = validate_scopes(scopes)
    minutes = validate_expiry_minutes(expires_in_minutes)
    call = SdkCall("create_user_and_token", (list(scopes),), _expiry_kwargs(minutes))
    user, access_token = call_sdk(client, call)
    identity = Identity(user.properties["id"], call)
    return identity, _issued(identity.id, access_token, scopes, minutes, call)


def refresh_token(
    client: Any, identity_id: Any, scopes: Iterable[Any], expires_in_minutes: Any = None
) -> IssuedToken:
    """Get a fresh token for an identity.

    ACS has no refresh operation: refreshing *is* issuing a new token for the same identity.
    The old token keeps working until it expires unless you revoke it.
    """
    return issue_token(client, identity_id, scopes, expires_in_minutes)


def revoke_tokens(client: Any, identity_id: Any) -> Revoked:
    """Revoke every token issued so far to the identity (the identity itself stays)."""
    identity_id = validate_identity_id(identity_id)
    call = SdkCall("revoke_tokens", (CommunicationUserIdentifier(identity_id),))
    call_sdk(client, call)
    return Revoked(identity_id, now(), call)


def delete_identity(client: Any, identity_id: Any) -> Deleted:
    """Delete the identity; its tokens stop working and it can't get new ones."""
    identity_id = validate_identity_id(identity_id)
    call = SdkCall("delete_user", (CommunicationUserIdentifier(identity_id),))
    call_sdk(client, call)
    return Deleted(identity_id, now(), call)
