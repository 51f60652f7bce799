"""The Teams exchange form: a Teams user's Entra ID token in, their ACS access token out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.i18n import N_, _

from .base import _Form
from .render import _esc, _table, _when, render_anatomy
from .session import LabSession

EXAMPLE_CLIENT_ID = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
EXAMPLE_USER_OBJECT_ID = "32c0a5db-05ec-78ea-51ab-3f06b329397e"


def render_teams_token(
    result: lab.TeamsUserToken, reveal: bool = False, now: datetime | None = None
) -> str:
    """The Teams user's ACS token (masked unless `reveal`), whose it is and until when."""
    shown = result.token if reveal else result.masked
    rows = [
        (
            _("Identity"),
            f"<code>{_esc(result.identity_id)}</code> " + _esc(_("(the Teams user)")),
        ),
        (_("Token"), f'<code style="word-break:break-all">{_esc(shown)}</code>'),
        (
            _("Expires"),
            _esc(_("{when} (with the Entra ID token)").format(when=_when(result.expires_at, now))),
        ),
        (_("expiresOn (raw)"), f"<code>{_esc(result.expires_on_raw)}</code>"),
    ]
    return _table(rows) + render_anatomy(result.token)


class TeamsExchangeForm(_Form):
    """Exchange a Teams user's Entra ID token for an ACS access token.

    Offline, **Sign in (simulated)** asks the local Entra ID for the user's token, as MSAL's
    sign-in would on Azure; the token field stays hidden like a password.
    """

    def __init__(
        self,
        client: Any,
        session: LabSession | None = None,
        admin: Any = None,
        *,
        simulate_sign_in: bool | None = None,
        state_dir: Any = None,
    ):
        """`simulate_sign_in` defaults to "offline?"; `state_dir` is the local Entra ID's
        (default: the one of the service `connect()` started)."""
        super().__init__(client, session, admin)
        self._state_dir = state_dir
        self.exchanged: lab.TeamsUserToken | None = None
        wide = widgets.Layout(width="95%")
        self.entra_token = widgets.Password(
            description=_("Entra token"), placeholder=_("the Teams user's result['access_token']"),
            layout=wide,
        )  # fmt: skip
        self.client_id = widgets.Text(
            description=_("Client ID"), value=EXAMPLE_CLIENT_ID, layout=wide,
            placeholder=_("Application (client) ID of the Entra app"),
        )  # fmt: skip
        self.user_object_id = widgets.Text(
            description=_("User OID"), value=EXAMPLE_USER_OBJECT_ID, layout=wide,
            placeholder=_("object ID of the Teams user"),
        )  # fmt: skip
        for field in (self.entra_token, self.client_id, self.user_object_id):
            field.style.description_width = "8em"
        self.exchange_button = self._button(_("Exchange"), "exchange", self._exchange)
        buttons = [self.exchange_button]
        self.sign_in_button: widgets.Button | None = None
        if self._offline() if simulate_sign_in is None else simulate_sign_in:
            self.sign_in_button = self._button(_("Sign in (simulated)"), "sign-in", self._sign_in)
            self.sign_in_button.button_style = ""
            self.sign_in_button.tooltip = _("Get the user's Entra ID token from the local Entra ID")
            buttons.insert(0, self.sign_in_button)
        self.reveal_button = widgets.ToggleButton(
            description=_("Reveal token"), icon="eye", value=False, disabled=True
        )
        self.reveal_button.observe(self._render_result, names="value")
        self._set_rows(
            self.entra_token,
            self.client_id,
            self.user_object_id,
            widgets.HBox(buttons),
            after=(self.reveal_button,),
        )

    def _offline(self) -> bool:
        from helpers.connection import backend_of

        backend = backend_of(self.client)
        return backend is not None and backend.kind == "emulator"

    def _local_state_dir(self) -> Any:
        if self._state_dir is not None:
            return self._state_dir
        from helpers import connection

        embedded, backend = connection._embedded, connection.backend_of(self.client)
        if embedded is not None and backend is not None and backend.endpoint == embedded.endpoint:
            return embedded.state_dir
        return None  # the default state dir, as `acs-emulator serve` uses

    def _sign_in(self) -> str:
        from helpers.emulator import simulated_sign_in
        from helpers.emulator.entra import EntraError

        client_id = lab.validate_guid(
            self.client_id.value,
            N_("application (client) ID"),
            N_("Use the example GUID, or any GUID."),
        )
        user = lab.validate_guid(
            self.user_object_id.value,
            N_("user object ID"),
            N_("Use the example GUID, or any GUID."),
        )
        try:
            signed_in = simulated_sign_in(client_id, user, state_dir=self._local_state_dir())
        except EntraError as err:
            raise lab.LabError(str(err)) from None
        self.entra_token.value = signed_in["access_token"]
        return _("Signed in (simulated): the Entra ID token is in the form, hidden.")

    def _exchange(self) -> str:
        self.reveal_button.value = False
        self.reveal_button.disabled = True
        self.exchanged = None
        self.exchanged = lab.exchange_teams_token(
            self.client, self.entra_token.value, self.client_id.value, self.user_object_id.value
        )
        self._made(self.exchanged.call)
        self.reveal_button.disabled = False
        self._render_result()
        return _("Exchanged: an ACS token for the Teams user.")

    def _render_result(self, _change: Any = None) -> None:
        if self.exchanged is not None:
            self.result.value = render_teams_token(self.exchanged, self.reveal_button.value)
