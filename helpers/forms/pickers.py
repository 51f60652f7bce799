"""Input building blocks the forms share: identity, scopes and lifetime pickers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.tokens import SCOPE_MEANINGS

from .render import _esc, render_error
from .session import LabSession

_WIDE = widgets.Layout(width="95%")
_DESCRIPTION_STYLE = {"description_width": "110px"}


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
