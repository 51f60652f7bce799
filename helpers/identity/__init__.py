"""The lab's service layer: every form goes through these functions to reach the ACS SDK.

Each function checks its inputs first (so a typo never costs a round trip), makes one SDK call,
and returns a small frozen dataclass. Anything that goes wrong becomes a `LabError` (typed by
kind: `IdentityNotFound`, `InvalidInput`, `Throttled`, ...) whose text is one line saying what
happened and what to do next: no tracebacks, never the access key.

The rooms: `types` (results), `validation` (input checks), `errors` (the error kinds and the one
translation of SDK failures), `operations` (identities and tokens), `teams` (the Teams
exchange), `listing` (token check and identity listing). Import from here, not from the rooms.
"""

from __future__ import annotations

from helpers.identity.errors import (
    AuthenticationFailed,
    BadRequest,
    Forbidden,
    IdentityNotFound,
    IdentityNotOwned,
    InvalidInput,
    LabError,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    Throttled,
    TimedOut,
    Unreachable,
    UntrustedCertificate,
    describe_error,
    endpoint_of,
    error_class,
)
from helpers.identity.listing import check_token, list_identities
from helpers.identity.operations import (
    create_identity,
    create_identity_and_token,
    delete_identity,
    issue_token,
    refresh_token,
    revoke_tokens,
)
from helpers.identity.teams import exchange_teams_token
from helpers.identity.types import (
    Deleted,
    Identity,
    IdentityListing,
    IssuedToken,
    ListedIdentity,
    Revoked,
    SdkCall,
    TeamsUserToken,
    TokenCheck,
)
from helpers.identity.validation import (
    ALL_SCOPES,
    DEFAULT_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    validate_expiry_minutes,
    validate_guid,
    validate_identity_id,
    validate_scopes,
)

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_MINUTES",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "AuthenticationFailed",
    "BadRequest",
    "Deleted",
    "Forbidden",
    "Identity",
    "IdentityListing",
    "IdentityNotFound",
    "IdentityNotOwned",
    "InvalidInput",
    "IssuedToken",
    "LabError",
    "ListedIdentity",
    "NotFound",
    "Revoked",
    "SdkCall",
    "ServiceError",
    "ServiceUnavailable",
    "TeamsUserToken",
    "Throttled",
    "TimedOut",
    "TokenCheck",
    "Unreachable",
    "UntrustedCertificate",
    "check_token",
    "create_identity",
    "create_identity_and_token",
    "delete_identity",
    "describe_error",
    "endpoint_of",
    "error_class",
    "exchange_teams_token",
    "issue_token",
    "list_identities",
    "refresh_token",
    "revoke_tokens",
    "validate_expiry_minutes",
    "validate_guid",
    "validate_identity_id",
    "validate_scopes",
]
