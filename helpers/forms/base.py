"""Shared plumbing of every form: status/error/result widgets, busy buttons, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.i18n import N_, _

from .render import (
    render_busy,
    render_code,
    render_error,
    render_style,
    render_success,
    render_token,
)
from .session import LabSession, shared_session

# The service states a lifetime error in English only; the form explains it in the learner's
# language and still quotes the service (the lesson's point: this is what Azure answers).
_LIFETIME_RULE = N_("A token lives 1 to 24 hours: choose 60 to 1440 minutes, then try again.")


def _explained(error: lab.LabError) -> str:
    if error.hint is None and "ExpiresInMinutes" in error.message:
        return _("{message} The service said: {said}").format(
            message=_(_LIFETIME_RULE), said=error.message
        )
    return str(error)


class _Form(widgets.VBox):
    """Shared plumbing: status/error/result widgets, busy buttons, one-line errors."""

    def __init__(self, client: Any, session: LabSession | None = None, admin: Any = None):
        super().__init__()
        self.client = client
        self.session = session if session is not None else shared_session()
        self.admin = admin
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        # The SDK call the last action made (or sent, when it failed), as code to copy.
        self.code = widgets.HTML()
        self.result = widgets.HTML()
        self.last_error = ""  # the plain text of the error line, for tests and logs
        self.last_call: lab.SdkCall | None = None
        self.action_buttons: list[widgets.Button] = []
        # Projector-sized text and ids that wrap (the style applies to this class only).
        self.add_class("acs-lab-form")
        self.style_sheet = widgets.HTML(render_style())

    def _set_rows(self, *rows: widgets.Widget, after: tuple[widgets.Widget, ...] = ()) -> None:
        """Lay the form out: its inputs, then status, error, the call as code and the result."""
        self.children = [
            self.style_sheet,
            *rows,
            self.status,
            self.error,
            self.code,
            self.result,
            *after,
        ]

    def _made(self, call: lab.SdkCall | None) -> None:
        """Record the SDK call the current action made; `_run` shows it when the action ends."""
        self.last_call = call

    def _button(self, description: str, icon: str, work: Callable[[], str]) -> widgets.Button:
        button = widgets.Button(description=description, icon=icon, button_style="primary")
        button.layout.width = "auto"
        button.on_click(lambda _b: self._run(description, work))
        self.action_buttons.append(button)
        return button

    def _new_identity_button(self) -> widgets.Button:
        """'New identity': create one and select it in this form's picker."""
        button = self._button(_("New identity"), "user-plus", self._new_identity)
        button.button_style = ""
        button.tooltip = _("Create a new identity to use in this form")
        return button

    def _new_identity(self) -> str:
        identity = lab.create_identity(self.client)
        self._made(identity.call)
        self.identity_picker.raw_id.value = ""  # the new identity, not a pasted one, is used
        self.session.remember_identity(identity)
        return _("Created a new identity: {identity_id}").format(identity_id=identity.id)

    def _run(self, what: str, work: Callable[[], str]) -> None:
        """Disable the buttons, do the work, show one line of success or error, re-enable."""
        self.error.value = ""
        self.last_error = ""
        self.result.value = ""
        self.code.value = ""
        self.last_call = None
        self.status.value = render_busy(f"{what}…")
        for button in self.action_buttons:
            button.disabled = True
        try:
            self.status.value = render_success(work())
            self.code.value = render_code(self.last_call, note=self._call_note())
        except Exception as err:
            # describe_error gives LabErrors back unchanged and makes anything else one line.
            lab_error = lab.describe_error(err, self.client)
            self.last_error = _explained(lab_error)
            self.last_call = lab_error.call or self.last_call
            self.status.value = ""
            self.error.value = render_error(self.last_error)
            self.code.value = render_code(self.last_call, failed=True)
        finally:
            for button in self.action_buttons:
                button.disabled = False

    def _call_note(self) -> str:
        """A line under the code (the bulk form says the call was made once per attendee)."""
        return ""

    def _check(self, issued: lab.IssuedToken | None) -> lab.TokenCheck | None:
        """Introspect a token if we can; a failed check must not spoil the operation."""
        if issued is None:
            return None
        try:
            return lab.check_token(self.client, issued.token, admin=self.admin)
        except lab.LabError as err:
            reason = _("Couldn't check: {error}").format(error=err)
            return lab.TokenCheck("unknown", reason, available=False)


class _ShowsToken(_Form):
    """A form that shows a token: masked, with a Reveal toggle and a copyable text area."""

    def _init_token_view(self) -> None:
        self.issued: lab.IssuedToken | None = None
        self._result_prefix = ""
        self._result_suffix = ""
        self.reveal_button = widgets.ToggleButton(
            description=_("Reveal token"), icon="eye", value=False, disabled=True
        )
        self.reveal_button.tooltip = _("Show the whole token (treat it like a password)")
        # The full token enters the widget only when revealed, so it isn't in saved state.
        self.token_text = widgets.Textarea(
            description=_("Token"), layout=widgets.Layout(width="95%", height="6em", display="none")
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
