"""The lab's results: small frozen dataclasses, and `SdkCall`, the SDK call that made each one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpers.tokens import mask_token


@dataclass(frozen=True)
class SdkCall:
    """One call on the SDK client exactly as the lab made it: method name and arguments.

    The arguments are the very objects passed to the SDK (a `CommunicationUserIdentifier`, the
    scope list, a `timedelta`), so `run()` makes the same call the forms show as code. The key is
    never an argument; the one token argument (the Teams exchange's) is shown by name (`shown_as`).
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    # Argument positions shown as a variable name, not a value: the Teams exchange takes the
    # user's Entra token, which must never be shown.
    shown_as: tuple[tuple[int, str], ...] = ()

    def run(self, client: Any) -> Any:
        return getattr(client, self.method)(*self.args, **dict(self.kwargs))


@dataclass(frozen=True)
class Identity:
    """An ACS identity (a user of your app, as ACS knows it)."""

    id: str
    # The SDK call that made it; left out of repr and equality (an id is an id).
    call: SdkCall | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, repr=False)
class IssuedToken:
    """An access token and its expiry. `repr`/`str` show it masked, never whole."""

    identity_id: str
    token: str
    expires_on_raw: str
    expires_at: datetime
    scopes: tuple[str, ...]
    lifetime_minutes: int
    call: SdkCall | None = field(default=None, compare=False)
    # When this process got the token: orders it against a revocation made here (see LabSession).
    received_at: datetime | None = field(default=None, compare=False)

    @property
    def masked(self) -> str:
        return mask_token(self.token)

    def __repr__(self) -> str:
        return (
            f"IssuedToken(identity_id={self.identity_id!r}, token={self.masked!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, scopes={self.scopes!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class Revoked:
    """Proof that all tokens of an identity issued before `at` were revoked."""

    identity_id: str
    at: datetime
    call: SdkCall | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Deleted:
    """Proof that an identity was deleted (its tokens were revoked with it)."""

    identity_id: str
    at: datetime
    call: SdkCall | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
class TeamsUserToken:
    """An ACS access token of a Teams user, from the Teams exchange. Masked in `repr`/`str`."""

    user_object_id: str
    client_id: str
    token: str
    expires_on_raw: str
    expires_at: datetime
    # The SDK call that made it (the Entra token shown by name only).
    call: SdkCall | None = field(default=None, repr=False, compare=False)

    @property
    def identity_id(self) -> str:
        """The Teams user as ACS names them (a Teams user is not an `8:acs:` identity)."""
        return f"8:orgid:{self.user_object_id}"

    @property
    def masked(self) -> str:
        return mask_token(self.token)

    def __repr__(self) -> str:
        return (
            f"TeamsUserToken(identity_id={self.identity_id!r}, token={self.masked!r}, "
            f"expires_at={self.expires_at.isoformat()!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class TokenCheck:
    """What the local service says about a token; `available` is False on Azure."""

    status: str
    reason: str
    available: bool
    identity_id: str | None = None
    scopes: tuple[str, ...] = field(default_factory=tuple)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ListedIdentity:
    """One identity that exists now, and what this session knows about its latest token.

    `token_status` is "valid", "revoked" or "expired" for the session's latest token, or None
    when the session holds no token for it (or, on Azure, can't tell whether it still works).
    """

    id: str
    in_session: bool
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    latest_token: IssuedToken | None = None
    token_status: str | None = None


@dataclass(frozen=True)
class IdentityListing:
    """The identities that exist now. `complete` is False on Azure, which has no list API:
    there only the identities this session made are known, and `note` says so."""

    identities: tuple[ListedIdentity, ...]
    complete: bool
    note: str
    deleted: int = 0  # deleted identities the local service still remembers (not listed)
