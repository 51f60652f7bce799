"""Input building blocks the forms share: identity, scopes and lifetime pickers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.i18n import N_, _
from helpers.tokens import SCOPE_MEANINGS

from .render import _esc
from .session import LabSession

_WIDE = widgets.Layout(width="95%")
# Wide enough for the longest label in every language ("oder ID einfügen").
_DESCRIPTION_STYLE = {"description_width": "135px"}


_NO_IDENTITY = N_("— none yet: create one, or paste an id below —")


class IdentityPicker(widgets.VBox):
    """A dropdown of this session's identities, and a text box whose id wins when filled."""

    def __init__(self, session: LabSession, new_button: widgets.Button | None = None):
        self.session = session
        self.dropdown = widgets.Dropdown(
            description=_("Identity"), layout=_WIDE, style=_DESCRIPTION_STYLE
        )
        # A form that needs an identity can offer to make one, so a learner is never stuck.
        self.new_button = new_button
        self.raw_id = widgets.Text(
            description=_("or paste id"),
            placeholder=_("8:acs:<resource id>_<identity>"),
            layout=_WIDE,
            style=_DESCRIPTION_STYLE,
        )
        top = self.dropdown
        if new_button is not None:
            # The dropdown takes what the button leaves, so the button's label stays readable.
            self.dropdown.layout = widgets.Layout(flex="1 1 0%", min_width="0", width="auto")
            new_button.layout.flex = "0 0 auto"
            top = widgets.HBox([self.dropdown, new_button], layout=widgets.Layout(width="95%"))
        # A dropdown cuts a long id; this line shows the chosen one whole (it wraps).
        self.selected_line = widgets.HTML()
        super().__init__([top, self.raw_id, self.selected_line])
        self._show(self.session.identities, newest=None)
        session.observe(self._on_identities, names="identities")
        self.dropdown.observe(self._show_selected, names="value")
        self.raw_id.observe(self._show_selected, names="value")
        self._show_selected()

    def _show_selected(self, _change: Any = None) -> None:
        chosen = self.selected_id
        self.selected_line.value = (
            "<div>" + _esc(_("Selected:")) + f" <code>{_esc(chosen)}</code></div>" if chosen else ""
        )

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
            self.dropdown.options = [(_(_NO_IDENTITY), "")]
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
                tooltip=_(SCOPE_MEANINGS[scope]),
                indent=False,
                layout=widgets.Layout(width="auto", margin="0 1em 0 0"),
            )
            for scope in lab.ALL_SCOPES
        }
        label = widgets.Label(_("Scopes"), layout=widgets.Layout(width="110px"))
        super().__init__([label, *self.boxes.values()])

    @property
    def selected(self) -> list[str]:
        return [scope for scope, box in self.boxes.items() if box.value]

    def tick(self, scopes: Iterable[str]) -> None:
        wanted = set(scopes)
        for scope, box in self.boxes.items():
            box.value = scope in wanted


class ExpiryPicker(widgets.VBox):
    """Token lifetime in minutes: any whole number, plus a few presets.

    Nothing is clamped or refused here: the service checks the range (60 to 1440 minutes) and
    its own error is what the learner sees, as their code would get it. The summary only says
    the total and, neutrally, the range the service accepts.
    """

    PRESETS = ((60, N_("1 hour")), (90, N_("90 min")), (480, N_("8 hours")), (1440, N_("24 hours")))

    def __init__(self, hours: int = 24, minutes: int = 0):
        self.minutes = widgets.IntText(
            value=hours * 60 + minutes,
            description=_("Minutes"),
            style=_DESCRIPTION_STYLE,
            layout=widgets.Layout(width="260px"),
        )
        self.minutes.tooltip = _("Token lifetime in minutes")
        self.preset_buttons = []
        for value, label in self.PRESETS:
            button = widgets.Button(description=_(label), layout=widgets.Layout(width="auto"))
            button.tooltip = _("{minutes} minutes").format(minutes=value)
            button.on_click(lambda _b, v=value: setattr(self.minutes, "value", v))
            self.preset_buttons.append(button)
        self.summary = widgets.HTML()
        super().__init__([widgets.HBox([self.minutes, *self.preset_buttons]), self.summary])
        self.minutes.observe(self._update, names="value")
        self._update()

    @property
    def total_minutes(self) -> int:
        return self.minutes.value

    def _update(self, _change: Any = None) -> None:
        total = self.total_minutes
        self.summary.value = _esc(
            _(
                "Token lifetime: {minutes} minutes. "
                "The service accepts {minimum} to {maximum} minutes (1 to 24 hours)."
            ).format(minutes=total, minimum=lab.MIN_MINUTES, maximum=lab.MAX_MINUTES)
        )


# --------------------------------------------------------------------------- forms
