"""What this kernel's forms share: the identities made and each one's latest token."""

from __future__ import annotations

from traitlets import Dict, HasTraits, List

from helpers import identity as lab


class LabSession(HasTraits):
    """What this notebook session made: identity ids (oldest first) and each one's latest token.

    Forms observe it, so an identity created in one form appears in every picker.
    """

    identities = List()
    latest_tokens = Dict()
    # identity id -> when this session revoked its tokens (so the console can mark them revoked)
    revocations = Dict()

    def remember_identity(self, identity: lab.Identity | str) -> None:
        identity_id = str(identity)
        if identity_id not in self.identities:
            self.identities = [*self.identities, identity_id]

    def remember_token(self, issued: lab.IssuedToken) -> None:
        self.remember_identity(issued.identity_id)
        self.latest_tokens = {**self.latest_tokens, issued.identity_id: issued}

    def remember_tokens(self, issued: list[lab.IssuedToken]) -> None:
        """Remember many tokens at once: one change for the observers, not one per token."""
        new_ids = [t.identity_id for t in issued if t.identity_id not in self.identities]
        self.latest_tokens = {**self.latest_tokens, **{t.identity_id: t for t in issued}}
        if new_ids:
            self.identities = [*self.identities, *dict.fromkeys(new_ids)]

    def remember_revocation(self, revoked: lab.Revoked) -> None:
        self.revocations = {**self.revocations, revoked.identity_id: revoked.at}

    def latest_token(self, identity_id: str) -> lab.IssuedToken | None:
        return self.latest_tokens.get(identity_id)

    def forget_identity(self, identity_id: str) -> None:
        """Drop a deleted identity from the pickers (its last token stays for checking)."""
        self.identities = [i for i in self.identities if i != identity_id]

    def forget_identities(self, identity_ids: list[str]) -> None:
        gone = set(identity_ids)
        self.identities = [i for i in self.identities if i not in gone]


_shared_session: LabSession | None = None


def shared_session() -> LabSession:
    """The session every form in this kernel uses unless given its own: an identity created in
    one form (or one notebook cell's form) shows up in every other form's picker."""
    global _shared_session
    if _shared_session is None:
        _shared_session = LabSession()
    return _shared_session
