"""Small ipywidgets forms for each identity operation, plus an all-in-one console.

Views only: each form reads its widgets, calls one function from `helpers.identity`, and
renders the answer with the plain `render_*` functions below (testable without widgets).
Results go into HTML widgets, not Output widgets, because Output capture needs a front end.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from traitlets import Dict, HasTraits, List

from helpers import identity as lab
from helpers.connection import backend_of
from helpers.tokens import SCOPE_MEANINGS, TokenFormatError, decode_token, describe_duration

__all__ = [
    "BulkProvisioningForm",
    "ConnectionStatus",
    "CreateIdentityAndTokenForm",
    "CreateIdentityForm",
    "DeleteIdentityForm",
    "IdentityConsole",
    "IssueTokenForm",
    "LabSession",
    "RefreshTokenForm",
    "RevokeTokensForm",
    "render_anatomy",
    "render_bulk",
    "render_check",
    "render_connection",
    "render_error",
    "render_identity",
    "render_success",
    "render_token",
]

_WIDE = widgets.Layout(width="95%")
_DESCRIPTION_STYLE = {"description_width": "110px"}


# --------------------------------------------------------------------------- rendering


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _when(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "unknown"
    now = now or datetime.now(timezone.utc)
    stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = moment - now
    return f"{stamp} ({'in ' if left.total_seconds() >= 0 else ''}{describe_duration(left)})"


def render_error(message: str) -> str:
    """One red line: '⚠ what is wrong and what to do'."""
    line = " ".join(str(message).split())
    return f'<span style="color:#b00020">⚠ {_esc(line)}</span>'


def render_success(message: str) -> str:
    """One green line: '✓ what happened'."""
    return f'<span style="color:#1b7f3b">✓ {_esc(message)}</span>'


def render_busy(message: str) -> str:
    return f'<span style="color:#555">⏳ {_esc(message)}</span>'


def _table(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{_esc(k)}</th><td>{v}</td></tr>'
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def render_identity(identity: lab.Identity, note: str = "") -> str:
    """The identity id, ready to copy, with an optional note."""
    extra = f"<div>{_esc(note)}</div>" if note else ""
    return _table([("Identity", f"<code>{_esc(identity.id)}</code>")]) + extra


def render_anatomy(token: str) -> str:
    """A collapsible table of the token's claims with one sentence each (no signature check)."""
    try:
        rows = decode_token(token).rows()
    except TokenFormatError as err:
        return f"<div><i>Can't show what's inside: {_esc(err)}</i></div>"
    body = "".join(
        f"<tr><td><code>{_esc(c)}</code></td><td><code>{_esc(v)}</code></td><td>{_esc(m)}</td></tr>"
        for c, v, m in rows
    )
    return (
        "<details><summary>What's inside the token (decoded, signature not checked)</summary>"
        "<table><tr><th>Claim</th><th>Value</th><th>Meaning</th></tr>"
        f"{body}</table></details>"
    )


def render_token(issued: lab.IssuedToken, reveal: bool = False, now: datetime | None = None) -> str:
    """The token (masked unless `reveal`), its scopes, expiry and a claims table."""
    shown = issued.token if reveal else issued.masked
    token_cell = f'<code style="word-break:break-all">{_esc(shown)}</code>'
    rows = [
        ("Identity", f"<code>{_esc(issued.identity_id)}</code>"),
        ("Token", token_cell),
        ("Scopes", _esc(", ".join(issued.scopes))),
        ("Expires", _esc(_when(issued.expires_at, now))),
        ("expiresOn (raw)", f"<code>{_esc(issued.expires_on_raw)}</code>"),
        ("Lifetime", _esc(f"{issued.lifetime_minutes} minutes")),
    ]
    return _table(rows) + render_anatomy(issued.token)


_STATUS_COLOURS = {"valid": "#1b7f3b"}


def render_check(label: str, check: lab.TokenCheck | None) -> str:
    """One line: what the local service says about a token (or why it can't say)."""
    if check is None:
        return ""
    if not check.available:
        return f"<div>{_esc(label)}: <i>{_esc(check.reason)}</i></div>"
    colour = _STATUS_COLOURS.get(check.status, "#b00020")
    return (
        f"<div>{_esc(label)}: <b style='color:{colour}'>{_esc(check.status)}</b>"
        f" — {_esc(check.reason)}</div>"
    )


def render_connection(kind: str | None, endpoint: str | None, auth: str | None) -> str:
    """Which service the lab talks to. Never shows the key or connection string."""
    if kind == "emulator":
        what = "the local ACS Identity service (emulator)"
    elif kind == "azure":
        what = "Azure Communication Services"
    else:
        what = "an ACS Identity endpoint"
    rows = [("Connected to", _esc(what)), ("Endpoint", f"<code>{_esc(endpoint or '?')}</code>")]
    if auth:
        secret = " (key hidden)" if auth == "access key" else ""
        rows.append(("Signed in with", _esc(auth + secret)))
    return _table(rows)


# --------------------------------------------------------------------------- session model


class LabSession(HasTraits):
    """What this notebook session made: identity ids (oldest first) and each one's latest token.

    Forms observe it, so an identity created in one form appears in every picker.
    """

    identities = List()
    latest_tokens = Dict()

    def remember_identity(self, identity: lab.Identity | str) -> None:
        identity_id = str(identity)
        if identity_id not in self.identities:
            self.identities = [*self.identities, identity_id]

    def remember_token(self, issued: lab.IssuedToken) -> None:
        self.remember_identity(issued.identity_id)
        self.latest_tokens = {**self.latest_tokens, issued.identity_id: issued}

    def latest_token(self, identity_id: str) -> lab.IssuedToken | None:
        return self.latest_tokens.get(identity_id)

    def forget_identity(self, identity_id: str) -> None:
        """Drop a deleted identity from the pickers (its last token stays for checking)."""
        self.identities = [i for i in self.identities if i != identity_id]


_shared_session: LabSession | None = None


def shared_session() -> LabSession:
    """The session every form in this kernel uses unless given its own: an identity created in
    one form (or one notebook cell's form) shows up in every other form's picker."""
    global _shared_session
    if _shared_session is None:
        _shared_session = LabSession()
    return _shared_session


# --------------------------------------------------------------------------- building blocks

_NO_IDENTITY = "— none yet: create one, or paste an id below —"


class IdentityPicker(widgets.VBox):
    """A dropdown of this session's identities, and a text box whose id wins when filled."""

    def __init__(self, session: LabSession, new_button: widgets.Button | None = None):
        self.session = session
        self.dropdown = widgets.Dropdown(
            description="Identity", layout=_WIDE, style=_DESCRIPTION_STYLE
        )
        # A form that needs an identity can offer to make one, so a learner is never stuck.
        self.new_button = new_button
        self.raw_id = widgets.Text(
            description="or paste id",
            placeholder="8:acs:<resource id>_<identity>",
            layout=_WIDE,
            style=_DESCRIPTION_STYLE,
        )
        top = self.dropdown
        if new_button is not None:
            # The dropdown takes what the button leaves, so the button's label stays readable.
            self.dropdown.layout = widgets.Layout(flex="1 1 0%", min_width="0", width="auto")
            new_button.layout.flex = "0 0 auto"
            top = widgets.HBox([self.dropdown, new_button], layout=widgets.Layout(width="95%"))
        super().__init__([top, self.raw_id])
        self._show(self.session.identities, newest=None)
        session.observe(self._on_identities, names="identities")

    @property
    def selected_id(self) -> str:
        typed = self.raw_id.value.strip()
        return typed or (self.dropdown.value or "")

    def _on_identities(self, change: dict) -> None:
        added = [i for i in change["new"] if i not in change["old"]]
        self._show(change["new"], newest=added[-1] if added else None)

    def _show(self, identity_ids: list[str], newest: str | None) -> None:
        current = self.dropdown.value
        if not identity_ids:
            self.dropdown.options = [(_NO_IDENTITY, "")]
            self.dropdown.value = ""
            return
        self.dropdown.options = [(i, i) for i in reversed(identity_ids)]  # newest on top
        if newest:
            self.dropdown.value = newest
        elif current in identity_ids:
            self.dropdown.value = current
        else:
            self.dropdown.value = identity_ids[-1]


class ScopePicker(widgets.HBox):
    """One checkbox per scope; `selected` lists the ticked ones."""

    def __init__(self, ticked: Iterable[str] = ("voip",)):
        self.boxes = {
            scope: widgets.Checkbox(
                value=scope in ticked,
                description=scope,
                tooltip=SCOPE_MEANINGS[scope],
                indent=False,
                layout=widgets.Layout(width="auto", margin="0 1em 0 0"),
            )
            for scope in lab.ALL_SCOPES
        }
        label = widgets.Label("Scopes", layout=widgets.Layout(width="110px"))
        super().__init__([label, *self.boxes.values()])

    @property
    def selected(self) -> list[str]:
        return [scope for scope, box in self.boxes.items() if box.value]

    def tick(self, scopes: Iterable[str]) -> None:
        wanted = set(scopes)
        for scope, box in self.boxes.items():
            box.value = scope in wanted


class ExpiryPicker(widgets.VBox):
    """Hours (1–24) plus minutes (0–59); the summary says the total and whether it's allowed."""

    def __init__(self, hours: int = 24, minutes: int = 0):
        self.hours = widgets.IntSlider(
            value=hours, min=1, max=24, description="Hours", style=_DESCRIPTION_STYLE
        )
        self.minutes = widgets.IntSlider(
            value=minutes, min=0, max=59, step=1, description="Minutes", style=_DESCRIPTION_STYLE
        )
        self.summary = widgets.HTML()
        super().__init__([self.hours, self.minutes, self.summary])
        for slider in (self.hours, self.minutes):
            slider.observe(self._update, names="value")
        self._update()

    @property
    def total_minutes(self) -> int:
        return self.hours.value * 60 + self.minutes.value

    def _update(self, _change: Any = None) -> None:
        total = self.total_minutes
        if lab.MIN_MINUTES <= total <= lab.MAX_MINUTES:
            self.summary.value = _esc(f"Token lifetime: {total} minutes.")
        else:
            self.summary.value = render_error(
                f"{total} minutes is too long: the maximum is {lab.MAX_MINUTES} (24 hours)."
            )


# --------------------------------------------------------------------------- forms


class _Form(widgets.VBox):
    """Shared plumbing: status/error/result widgets, busy buttons, one-line errors."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__()
        self.client = client
        self.session = session if session is not None else shared_session()
        self.admin = admin
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.result = widgets.HTML()
        self.last_error = ""  # the plain text of the error line, for tests and logs
        self.action_buttons: list[widgets.Button] = []

    def _button(self, description: str, icon: str, work: Callable[[], str]) -> widgets.Button:
        button = widgets.Button(description=description, icon=icon, button_style="primary")
        button.layout.width = "auto"
        button.on_click(lambda _b: self._run(description, work))
        self.action_buttons.append(button)
        return button

    def _new_identity_button(self) -> widgets.Button:
        """'New identity': create one and select it in this form's picker."""
        button = self._button("New identity", "user-plus", self._new_identity)
        button.button_style = ""
        button.tooltip = "Create a new identity to use in this form"
        return button

    def _new_identity(self) -> str:
        identity = lab.create_identity(self.client)
        self.identity_picker.raw_id.value = ""  # the new identity, not a pasted one, is used
        self.session.remember_identity(identity)
        return f"Created a new identity: {identity.id}"

    def _run(self, what: str, work: Callable[[], str]) -> None:
        """Disable the buttons, do the work, show one line of success or error, re-enable."""
        self.error.value = ""
        self.last_error = ""
        self.result.value = ""
        self.status.value = render_busy(f"{what}…")
        for button in self.action_buttons:
            button.disabled = True
        try:
            self.status.value = render_success(work())
        except Exception as err:
            # describe_error gives LabErrors back unchanged and makes anything else one line.
            self.last_error = str(lab.describe_error(err, self.client))
            self.status.value = ""
            self.error.value = render_error(self.last_error)
        finally:
            for button in self.action_buttons:
                button.disabled = False

    def _check(self, issued: lab.IssuedToken | None) -> lab.TokenCheck | None:
        """Introspect a token if we can; a failed check must not spoil the operation."""
        if issued is None:
            return None
        try:
            return lab.check_token(self.client, issued.token, admin=self.admin)
        except lab.LabError as err:
            return lab.TokenCheck("unknown", f"Couldn't check: {err}", available=False)


class _ShowsToken(_Form):
    """A form that shows a token: masked, with a Reveal toggle and a copyable text area."""

    def _init_token_view(self) -> None:
        self.issued: lab.IssuedToken | None = None
        self._result_prefix = ""
        self._result_suffix = ""
        self.reveal_button = widgets.ToggleButton(
            description="Reveal token", icon="eye", value=False, disabled=True
        )
        self.reveal_button.tooltip = "Show the whole token (treat it like a password)"
        # The full token enters the widget only when revealed, so it isn't in saved state.
        self.token_text = widgets.Textarea(
            description="Token", layout=widgets.Layout(width="95%", height="6em", display="none")
        )
        self.reveal_button.observe(self._render_token, names="value")

    def _show_token(self, issued: lab.IssuedToken, before: str = "", after: str = "") -> None:
        self.issued = issued
        self._result_prefix, self._result_suffix = before, after
        self.reveal_button.disabled = False
        if self.reveal_button.value:
            self.reveal_button.value = False  # a new token starts hidden
        else:
            self._render_token()

    def _render_token(self, _change: Any = None) -> None:
        reveal = self.reveal_button.value and self.issued is not None
        if self.issued is not None:
            self.result.value = (
                self._result_prefix + render_token(self.issued, reveal) + self._result_suffix
            )
        self.token_text.value = self.issued.token if reveal else ""
        self.token_text.layout.display = None if reveal else "none"

    def _run(self, what: str, work: Callable[[], str]) -> None:
        self.issued = None
        self.reveal_button.value = False
        self.reveal_button.disabled = True
        super()._run(what, work)


class CreateIdentityForm(_Form):
    """Create an identity with one click."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.create_button = self._button("Create identity", "user-plus", self._create)
        self.children = [self.create_button, self.status, self.error, self.result]

    def _create(self) -> str:
        identity = lab.create_identity(self.client)
        self.session.remember_identity(identity)
        self.result.value = render_identity(identity, "It has no token yet: issue one next.")
        return "Created a new identity."


class IssueTokenForm(_ShowsToken):
    """Pick an identity, scopes and a lifetime; issue a token."""

    button_text = "Issue token"

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self._init_token_view()
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.scopes = ScopePicker()
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker()
        self.hours, self.minutes = self.expiry.hours, self.expiry.minutes
        self.issue_button = self._button(self.button_text, "key", self._issue)
        self.children = [
            self.identity_picker,
            self.scopes,
            self.expiry,
            self.issue_button,
            self.status,
            self.error,
            self.result,
            self.reveal_button,
            self.token_text,
        ]

    def _issue(self) -> str:
        issued = lab.issue_token(
            self.client,
            self.identity_picker.selected_id,
            self.scopes.selected,
            self.expiry.total_minutes,
        )
        self.session.remember_token(issued)
        self._show_token(issued)
        return (
            f"Issued a token for {', '.join(issued.scopes)}, valid {issued.lifetime_minutes} min."
        )


class RefreshTokenForm(IssueTokenForm):
    """Get a new token for an identity; the previous one keeps working until it expires."""

    button_text = "Refresh token"

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.refresh_button = self.issue_button
        # Refreshing usually keeps the same scopes, so start from the identity's last token.
        self.identity_picker.dropdown.observe(self._tick_previous_scopes, names="value")
        self._tick_previous_scopes()

    def _tick_previous_scopes(self, _change: Any = None) -> None:
        previous = self.session.latest_token(self.identity_picker.dropdown.value or "")
        if previous is not None:
            self.scopes.tick(previous.scopes)

    def _issue(self) -> str:
        identity_id = self.identity_picker.selected_id
        previous = self.session.latest_token(identity_id.strip())
        issued = lab.refresh_token(
            self.client, identity_id, self.scopes.selected, self.expiry.total_minutes
        )
        self.session.remember_token(issued)
        note = ""
        if previous is not None:
            note = render_check(f"Previous token {previous.masked}", self._check(previous))
            note += "<div>Refreshing doesn't revoke the previous token; revoke it if needed.</div>"
        self._show_token(issued, after=note)
        return "Issued a fresh token (ACS has no separate refresh call)."


class CreateIdentityAndTokenForm(_ShowsToken):
    """Create an identity and its first token in one request."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self._init_token_view()
        self.scopes = ScopePicker()
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker()
        self.hours, self.minutes = self.expiry.hours, self.expiry.minutes
        self.create_button = self._button("Create identity and token", "user-plus", self._create)
        self.children = [
            self.scopes,
            self.expiry,
            self.create_button,
            self.status,
            self.error,
            self.result,
            self.reveal_button,
            self.token_text,
        ]

    def _create(self) -> str:
        identity, issued = lab.create_identity_and_token(
            self.client, self.scopes.selected, self.expiry.total_minutes
        )
        self.session.remember_token(issued)
        self._show_token(issued)
        return f"Created an identity and a token for {', '.join(issued.scopes)} in one request."


class RevokeTokensForm(_Form):
    """Revoke all tokens of an identity; shows its latest token before and after."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.revoke_button = self._button("Revoke tokens", "ban", self._revoke)
        self.children = [
            self.identity_picker,
            self.revoke_button,
            self.status,
            self.error,
            self.result,
        ]

    def _revoke(self) -> str:
        identity_id = self.identity_picker.selected_id
        latest = self.session.latest_token(identity_id.strip())
        before = self._check(latest)
        revoked = lab.revoke_tokens(self.client, identity_id)
        lines = render_identity(lab.Identity(revoked.identity_id))
        if latest is not None:
            label = f"Latest token {latest.masked}"
            after = self._check(latest)
            if after is not None and after.available:
                lines += render_check(f"{label} before", before)
                lines += render_check(f"{label} after", after)
            else:
                lines += render_check(label, after)
        lines += "<div>The identity still exists: issue a new token to use it again.</div>"
        self.result.value = lines
        return f"Revoked every token issued before {revoked.at:%H:%M:%S} UTC."


class DeleteIdentityForm(_Form):
    """Delete an identity; its tokens stop working too."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.delete_button = self._button("Delete identity", "trash", self._delete)
        self.delete_button.button_style = "danger"
        self.children = [
            self.identity_picker,
            self.delete_button,
            self.status,
            self.error,
            self.result,
        ]

    def _delete(self) -> str:
        identity_id = self.identity_picker.selected_id
        deleted = lab.delete_identity(self.client, identity_id)
        latest = self.session.latest_token(deleted.identity_id)
        self.session.forget_identity(deleted.identity_id)
        self.identity_picker.raw_id.value = ""
        lines = render_identity(lab.Identity(deleted.identity_id))
        if latest is not None:
            lines += render_check(f"Its latest token {latest.masked}", self._check(latest))
        self.result.value = lines
        return "Deleted the identity; it can't get new tokens."


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


def render_bulk(result: Any) -> str:
    """A bulk operation's outcome: 'N ok, M failed', then one line per failure (up to 10)."""
    ok, failed = len(result.succeeded), len(result.failed)
    verb = {"provision": "provisioned", "revoke": "revoked", "delete": "deleted"}
    done = verb.get(result.operation, result.operation)
    colour = "#1b7f3b" if not failed else "#b00020"
    head = f"<div><b style='color:{colour}'>{ok} {_esc(done)} ok, {failed} failed</b></div>"
    lines = "".join(
        f"<li>attendee {o.attendee}"
        + (f" (<code>{_esc(o.identity_id)}</code>)" if o.identity_id else "")
        + f": {_esc(o.error)}</li>"
        for o in result.failed[:10]
    )
    more = f"<li>… and {failed - 10} more</li>" if failed > 10 else ""
    return head + (f"<ul>{lines}{more}</ul>" if lines else "")


_TOKENS_WARNING = (
    "The CSV will hold every attendee's token: anyone with the file can act as them until the "
    "tokens expire or you revoke them. Hand it out privately and delete it afterwards."
)


class BulkProvisioningForm(_Form):
    """For trainers: provision identities + tokens for a room, export a CSV, revoke/delete all."""

    def __init__(
        self,
        client: Any,
        session: LabSession | None = None,
        admin: Any = None,
        csv_path: str | None = None,
    ):
        from helpers import bulk  # lazy: keeps `import helpers.forms` as light as before

        super().__init__(client, session, admin)
        self._bulk = bulk
        self.last_result: Any = None
        self.identity_ids: list[str] = []  # provisioned and not deleted yet
        self.count = widgets.IntText(value=10, description="Attendees", style=_DESCRIPTION_STYLE)
        self.scopes = ScopePicker(ticked=("chat", "voip"))
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker(hours=8)
        self.hours, self.minutes = self.expiry.hours, self.expiry.minutes
        self.provision_button = self._button("Provision", "users", self._provision)
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description="Progress", style=_DESCRIPTION_STYLE
        )
        # In the trainer's home, not a shared temp folder another user could prepare.
        default_path = csv_path or str(Path.home() / "acs-identity-lab-exports" / "attendees.csv")
        self.csv_path = widgets.Text(
            value=default_path, description="CSV file", layout=_WIDE, style=_DESCRIPTION_STYLE
        )
        self.include_tokens = widgets.Checkbox(
            value=False, description="include tokens", indent=False
        )
        self.tokens_warning = widgets.HTML()
        self.include_tokens.observe(self._on_include_tokens, names="value")
        self.export_button = self._button("Export CSV", "download", self._export)
        self.revoke_button = self._button("Revoke all", "ban", self._revoke_all)
        self.delete_button = self._button("Delete all", "trash", self._delete_all)
        self.delete_button.button_style = "danger"
        self.summary = self.result
        self.children = [
            self.count,
            self.scopes,
            self.expiry,
            self.provision_button,
            self.progress,
            widgets.HBox([self.csv_path]),
            widgets.HBox([self.include_tokens, self.export_button]),
            self.tokens_warning,
            widgets.HBox([self.revoke_button, self.delete_button]),
            self.status,
            self.error,
            self.result,
        ]

    def _on_include_tokens(self, _change: Any = None) -> None:
        self.tokens_warning.value = (
            render_error(_TOKENS_WARNING) if self.include_tokens.value else ""
        )

    def _on_progress(self, done: int, total: int, _outcome: Any) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done

    def _start_progress(self, total: int) -> None:
        self.progress.value = 0
        self.progress.max = max(total, 1)

    def _provision(self) -> str:
        count = self._bulk.validate_count(self.count.value)
        self._start_progress(count)
        result = self._bulk.provision(
            self.client,
            count,
            self.scopes.selected,
            self.expiry.total_minutes,
            on_progress=self._on_progress,
        )
        self.last_result = result
        self.identity_ids = [*self.identity_ids, *result.identity_ids]
        for outcome in result.succeeded:
            self.session.remember_token(outcome.token)
        self.result.value = render_bulk(result)
        return self._finish(result, f"Provisioned {len(result.succeeded)} of {count} attendees.")

    def _need_identities(self) -> None:
        if not self.identity_ids:
            raise lab.LabError(
                "Nothing provisioned yet in this form.", hint="Click Provision first."
            )

    def _export(self) -> str:
        if self.last_result is None:
            raise lab.LabError("Nothing to export yet.", hint="Click Provision first.")
        path = Path(self.csv_path.value.strip() or "attendees.csv").expanduser()
        try:
            rows = self._bulk.export_csv(self.last_result, path, self.include_tokens.value)
        except OSError as err:
            raise lab.LabError(
                f"Couldn't write {path}: {err.strerror or err}.",
                hint="Choose a folder you can write to.",
            ) from None
        what = "with tokens" if self.include_tokens.value else "ids and expiry, no tokens"
        return f"Wrote {rows} rows ({what}) to {path}."

    def _revoke_all(self) -> str:
        self._need_identities()
        self._start_progress(len(self.identity_ids))
        result = self._bulk.revoke_all(self.client, self.identity_ids, self._on_progress)
        self.result.value = render_bulk(result)
        return self._finish(result, f"Revoked the tokens of {len(result.succeeded)} identities.")

    def _delete_all(self) -> str:
        self._need_identities()
        self._start_progress(len(self.identity_ids))
        result = self._bulk.delete_all(self.client, self.identity_ids, self._on_progress)
        gone = set(result.identity_ids)
        self.identity_ids = [i for i in self.identity_ids if i not in gone]
        for identity_id in gone:
            self.session.forget_identity(identity_id)
        self.result.value = render_bulk(result)
        return self._finish(result, f"Deleted {len(result.succeeded)} identities.")

    def _finish(self, result: Any, message: str) -> str:
        """All failed: show it as the form's error line; some failed: the summary lists them."""
        if result.outcomes and not result.succeeded:
            raise lab.LabError(f"Every attendee failed: {result.failed[0].error}")
        return message
