"""The all-in-one Identity console and the connection status panel."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.connection import backend_of
from helpers.i18n import _

from .operations import (
    CreateIdentityAndTokenForm,
    CreateIdentityForm,
    DeleteIdentityForm,
    IssueTokenForm,
    RefreshTokenForm,
    RevokeTokensForm,
)
from .render import _esc, _table, _when, render_connection, render_error, render_style
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


_STATUS_COLOURS = {"valid": "#1b7f3b", "revoked": "#b00020", "expired": "#b00020"}


def _token_cell(entry: lab.ListedIdentity) -> str:
    issued = entry.latest_token
    if issued is None:
        return _esc(_("no token from this session"))
    status = entry.token_status
    if status in ("revoked", "expired"):
        colour = _STATUS_COLOURS[status]
        return f"{_esc(issued.masked)} — <b style='color:{colour}'>{_esc(status)}</b>"
    token, when = _esc(issued.masked), _esc(_when(issued.expires_at))
    if status == "valid":
        return _("{token} — valid, expires {when}").format(token=token, when=when)
    # On Azure: no claim that it still works.
    return _("{token} — expires {when}").format(token=token, when=when)


def render_listing(listing: lab.IdentityListing) -> str:
    """Every identity that exists now (all of them on the local service), each with the
    session's latest token for it: valid, revoked or expired."""
    note = f"<div><i>{_esc(listing.note)}</i></div>"
    if not listing.identities:
        return "<i>" + _esc(_("No identities exist yet.")) + "</i>" + note
    rows = []
    for entry in listing.identities:
        identity = f"<code>{_esc(entry.id)}</code>"
        if not entry.in_session:
            identity = _("{identity} (not made in this session)").format(identity=identity)
        cell = f"{identity}<br>{_token_cell(entry)}"
        rows.append((f"{len(rows) + 1}", cell))
    deleted = (
        "<div>{}</div>".format(
            _esc(_("{count} deleted identities are not listed.").format(count=listing.deleted))
        )
        if listing.deleted
        else ""
    )
    return _table(rows) + deleted + note


def render_session(session: LabSession) -> str:
    """A short list of this session's identities and their latest tokens (masked), without
    asking the service; `render_listing` is the console's full view."""
    entries = tuple(
        lab.ListedIdentity(i, in_session=True, latest_token=session.latest_token(i))
        for i in session.identities
    )
    if not entries:
        return "<i>" + _esc(_("No identities yet in this session.")) + "</i>"
    return render_listing(lab.IdentityListing(entries, complete=False, note=""))


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
                _("Create identity"),
                _("Issue token"),
                _("Identity + token"),
                _("Refresh token"),
                _("Revoke tokens"),
                _("Delete identity"),
            ],
        )
        self.admin = admin
        self.add_class("acs-lab-form")
        self.summary = widgets.HTML()
        self.listing: lab.IdentityListing | None = None
        self.refresh_list_button = widgets.Button(
            description=_("Refresh list"), icon="refresh", layout=widgets.Layout(width="auto")
        )
        self.refresh_list_button.tooltip = _("List again (identities made in code cells too)")
        self.refresh_list_button.on_click(self._update_summary)
        self.session.observe(
            self._update_summary, names=["identities", "latest_tokens", "revocations"]
        )
        self._update_summary()
        self.children = [
            widgets.HTML(render_style()),
            self.connection,
            self.tabs,
            widgets.HBox(
                [widgets.HTML("<b>" + _esc(_("Identities")) + "</b>"), self.refresh_list_button]
            ),
            self.summary,
        ]

    def _update_summary(self, _change: Any = None) -> None:
        """List what exists now; a failed listing is one line, never an exception."""
        try:
            self.listing = lab.list_identities(self.client, self.session, admin=self.admin)
        except Exception as err:
            self.listing = None
            self.summary.value = render_error(str(lab.describe_error(err, self.client)))
            return
        self.summary.value = render_listing(self.listing)


# --------------------------------------------------------------------------- bulk provisioning
