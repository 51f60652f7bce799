"""The all-in-one Identity console and the connection status panel."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.connection import backend_of

from .operations import (
    CreateIdentityAndTokenForm,
    CreateIdentityForm,
    DeleteIdentityForm,
    IssueTokenForm,
    RefreshTokenForm,
    RevokeTokensForm,
)
from .render import _esc, _table, _when, render_connection
from .session import LabSession, shared_session


class ConnectionStatus(widgets.VBox):
    """Which service the client talks to, and how it signs in (the key stays hidden)."""

    def __init__(self, client: Any, backend: Any = None):
        super().__init__()
        self.client = client
        self.backend = backend
        self.result = widgets.HTML()
        self.children = [self.result]
        self.refresh()

    def refresh(self) -> None:
        backend = self.backend
        if backend is None:
            backend = backend_of(self.client)
        endpoint = getattr(backend, "endpoint", None) or lab.endpoint_of(self.client)
        self.result.value = render_connection(
            getattr(backend, "kind", None), endpoint, getattr(backend, "auth", None)
        )


def render_session(session: LabSession) -> str:
    """A short list of this session's identities and their latest tokens (masked)."""
    if not session.identities:
        return "<i>No identities yet in this session.</i>"
    rows = []
    for identity_id in session.identities:
        issued = session.latest_token(identity_id)
        token = f"{issued.masked}, expires {_when(issued.expires_at)}" if issued else "no token"
        rows.append((f"{len(rows) + 1}", f"<code>{_esc(identity_id)}</code> — {_esc(token)}"))
    return _table(rows)


class IdentityConsole(widgets.VBox):
    """Every operation in one place, sharing one LabSession so all pickers stay in step."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__()
        self.client = client
        self.session = session if session is not None else shared_session()
        shared = {"session": self.session, "admin": admin}
        self.connection = ConnectionStatus(client)
        self.create_identity = CreateIdentityForm(client, **shared)
        self.issue_token = IssueTokenForm(client, **shared)
        self.create_identity_and_token = CreateIdentityAndTokenForm(client, **shared)
        self.refresh_token = RefreshTokenForm(client, **shared)
        self.revoke_tokens = RevokeTokensForm(client, **shared)
        self.delete_identity = DeleteIdentityForm(client, **shared)
        self.forms = [
            self.create_identity,
            self.issue_token,
            self.create_identity_and_token,
            self.refresh_token,
            self.revoke_tokens,
            self.delete_identity,
        ]
        self.tabs = widgets.Tab(
            children=self.forms,
            titles=[
                "Create identity",
                "Issue token",
                "Identity + token",
                "Refresh token",
                "Revoke tokens",
                "Delete identity",
            ],
        )
        self.summary = widgets.HTML(render_session(self.session))
        self.session.observe(self._update_summary, names=["identities", "latest_tokens"])
        self.children = [
            self.connection,
            self.tabs,
            widgets.HTML("<b>This session</b>"),
            self.summary,
        ]

    def _update_summary(self, _change: Any = None) -> None:
        self.summary.value = render_session(self.session)


# --------------------------------------------------------------------------- bulk provisioning
