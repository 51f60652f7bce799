"""For trainers: provision a room's identities and tokens, export a CSV, revoke/delete all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab

from .base import _Form
from .pickers import _DESCRIPTION_STYLE, _WIDE, ExpiryPicker, ScopePicker
from .render import _esc, render_error
from .session import LabSession


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
