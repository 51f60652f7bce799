"""One form per quickstart operation: create, issue, refresh, create+issue, revoke, delete."""

from __future__ import annotations

from typing import Any

from helpers import identity as lab
from helpers.i18n import N_, _

from .base import _Form, _ShowsToken
from .pickers import ExpiryPicker, IdentityPicker, ScopePicker
from .render import render_check, render_identity
from .session import LabSession


class CreateIdentityForm(_Form):
    """Create an identity with one click."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.create_button = self._button(_("Create identity"), "user-plus", self._create)
        self._set_rows(self.create_button)

    def _create(self) -> str:
        identity = lab.create_identity(self.client)
        self._made(identity.call)
        self.session.remember_identity(identity)
        self.result.value = render_identity(identity, _("It has no token yet: issue one next."))
        return _("Created a new identity.")


class IssueTokenForm(_ShowsToken):
    """Pick an identity, scopes and a lifetime; issue a token."""

    button_text = N_("Issue token")

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self._init_token_view()
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.scopes = ScopePicker()
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker()
        self.minutes = self.expiry.minutes
        self.issue_button = self._button(_(self.button_text), "key", self._issue)
        self._set_rows(
            self.identity_picker,
            self.scopes,
            self.expiry,
            self.issue_button,
            after=(self.reveal_button, self.token_text),
        )

    def _issue(self) -> str:
        issued = lab.issue_token(
            self.client,
            self.identity_picker.selected_id,
            self.scopes.selected,
            self.expiry.total_minutes,
        )
        self._made(issued.call)
        self.session.remember_token(issued)
        self._show_token(issued)
        return _("Issued a token for {scopes}, valid {minutes} min.").format(
            scopes=", ".join(issued.scopes), minutes=issued.lifetime_minutes
        )


class RefreshTokenForm(IssueTokenForm):
    """Get a new token for an identity; the previous one keeps working until it expires."""

    button_text = N_("Refresh token")

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
        self._made(issued.call)
        self.session.remember_token(issued)
        note = ""
        if previous is not None:
            note = render_check(
                _("Previous token {token}").format(token=previous.masked), self._check(previous)
            )
            note += "<div>{}</div>".format(
                _("Refreshing doesn't revoke the previous token; revoke it if needed.")
            )
        self._show_token(issued, after=note)
        return _("Issued a fresh token (ACS has no separate refresh call).")


class CreateIdentityAndTokenForm(_ShowsToken):
    """Create an identity and its first token in one request."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self._init_token_view()
        self.scopes = ScopePicker()
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker()
        self.minutes = self.expiry.minutes
        self.create_button = self._button(_("Create identity and token"), "user-plus", self._create)
        self._set_rows(
            self.scopes,
            self.expiry,
            self.create_button,
            after=(self.reveal_button, self.token_text),
        )

    def _create(self) -> str:
        identity, issued = lab.create_identity_and_token(
            self.client, self.scopes.selected, self.expiry.total_minutes
        )
        self._made(issued.call)
        self.session.remember_token(issued)
        self._show_token(issued)
        return _("Created an identity and a token for {scopes} in one request.").format(
            scopes=", ".join(issued.scopes)
        )


class RevokeTokensForm(_Form):
    """Revoke all tokens of an identity; shows its latest token before and after."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.revoke_button = self._button(_("Revoke tokens"), "ban", self._revoke)
        self._set_rows(self.identity_picker, self.revoke_button)

    def _revoke(self) -> str:
        identity_id = self.identity_picker.selected_id
        latest = self.session.latest_token(identity_id.strip())
        before = self._check(latest)
        revoked = lab.revoke_tokens(self.client, identity_id)
        self._made(revoked.call)
        self.session.remember_revocation(revoked)
        lines = render_identity(lab.Identity(revoked.identity_id))
        if latest is not None:
            label = _("Latest token {token}").format(token=latest.masked)
            after = self._check(latest)
            if after is not None and after.available:
                lines += render_check(
                    _("Latest token {token} before").format(token=latest.masked), before
                )
                lines += render_check(
                    _("Latest token {token} after").format(token=latest.masked), after
                )
            else:
                lines += render_check(label, after)
        lines += "<div>{}</div>".format(
            _("The identity still exists: issue a new token to use it again.")
        )
        self.result.value = lines
        return _("Revoked every token issued before {time} UTC.").format(
            time=f"{revoked.at:%H:%M:%S}"
        )


class DeleteIdentityForm(_Form):
    """Delete an identity; its tokens stop working too."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__(client, session, admin)
        self.identity_picker = IdentityPicker(self.session, self._new_identity_button())
        self.delete_button = self._button(_("Delete identity"), "trash", self._delete)
        self.delete_button.button_style = "danger"
        self._set_rows(self.identity_picker, self.delete_button)

    def _delete(self) -> str:
        identity_id = self.identity_picker.selected_id
        deleted = lab.delete_identity(self.client, identity_id)
        self._made(deleted.call)
        latest = self.session.latest_token(deleted.identity_id)
        self.session.forget_identity(deleted.identity_id)
        self.identity_picker.raw_id.value = ""
        lines = render_identity(lab.Identity(deleted.identity_id))
        if latest is not None:
            lines += render_check(
                _("Its latest token {token}").format(token=latest.masked), self._check(latest)
            )
        self.result.value = lines
        return _("Deleted the identity; it can't get new tokens.")
