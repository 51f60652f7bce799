"""For trainers: provision a room's identities and tokens, export a CSV, revoke/delete all."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from helpers import identity as lab
from helpers.connection import backend_of
from helpers.i18n import N_, _

from .base import _Form
from .pickers import _DESCRIPTION_STYLE, _WIDE, ExpiryPicker, ScopePicker
from .render import _esc, render_caution, render_error
from .session import LabSession


def render_bulk(result: Any) -> str:
    """A bulk operation's outcome: 'N ok, M failed', the throttle note if the SDK retried a 429,
    then one line per failure (up to 10)."""
    ok, failed = len(result.succeeded), len(result.failed)
    verb = {"provision": N_("provisioned"), "revoke": N_("revoked"), "delete": N_("deleted")}
    done = _(verb[result.operation]) if result.operation in verb else result.operation
    colour = "#1b7f3b" if not failed else "#b00020"
    counts = _("{ok} {done} ok, {failed} failed").format(ok=ok, done=done, failed=failed)
    head = f"<div><b style='color:{colour}'>{_esc(counts)}</b></div>"
    lines = "".join(
        "<li>"
        + _esc(_("attendee {number}").format(number=o.attendee))
        + (f" (<code>{_esc(o.identity_id)}</code>)" if o.identity_id else "")
        + f": {_esc(o.error)}</li>"
        for o in result.failed[:10]
    )
    more = _("… and {count} more").format(count=failed - 10) if failed > 10 else ""
    more = f"<li>{_esc(more)}</li>" if more else ""
    # A 429 the SDK waited out and retried is not a failure, but the learner sees it happen.
    note = result.throttle_note()
    note = f"<div><i>{_esc(note)}</i></div>" if note else ""
    return head + note + (f"<ul>{lines}{more}</ul>" if lines else "")


_TOKENS_CAUTION = N_(
    "The CSV will hold every attendee's token: anyone with the file can act as them until the "
    "tokens expire or you revoke them. Hand it out privately and delete it afterwards."
)
_LOCAL_TOKENS_NOTE = N_(
    "These tokens come from the lab's local service: they work with this lab only. "
    "Azure's Chat and Calling don't accept them; for those, connect to an Azure resource."
)


class BulkProvisioningForm(_Form):
    """For trainers: provision identities + tokens for a room, export a CSV, revoke/delete all.

    Everything provisioned in this form (over several Provision clicks) is one list with
    stable attendee numbers: Export writes all of it, Revoke all and Delete all act on all of it.
    """

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
        self.provisioned: list[Any] = []  # every outcome so far, numbered 1, 2, 3, …
        self.identity_ids: list[str] = []  # provisioned and not deleted yet
        self.exported: list[Path] = []  # files this form wrote, removed by Delete all
        self._call_text = ""
        self.count = widgets.IntText(value=10, description=_("Attendees"), style=_DESCRIPTION_STYLE)
        self.names = widgets.Textarea(
            description=_("Names"),
            placeholder=_("Optional: attendee names, one per line (line 1 is attendee 1)"),
            layout=widgets.Layout(width="95%", height="6em"),
            style=_DESCRIPTION_STYLE,
        )
        self.scopes = ScopePicker(ticked=("chat", "voip"))
        self.scope_boxes = self.scopes.boxes
        self.expiry = ExpiryPicker(hours=8)
        self.minutes = self.expiry.minutes
        self.provision_button = self._button(_("Provision"), "users", self._provision)
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description=_("Progress"), style=_DESCRIPTION_STYLE
        )
        default_path = csv_path or str(bulk.default_export_dir() / "attendees.csv")
        self.csv_path = widgets.Text(
            value=default_path, description=_("CSV file"), layout=_WIDE, style=_DESCRIPTION_STYLE
        )
        self.include_tokens = widgets.Checkbox(
            value=False, description=_("include tokens"), indent=False
        )
        self.tokens_warning = widgets.HTML()
        self.include_tokens.observe(self._on_include_tokens, names="value")
        self.export_button = self._button(_("Export CSV"), "download", self._export)
        self.revoke_button = self._button(_("Revoke all"), "ban", self._revoke_all)
        # Delete all asks first (no call yet): it says what it will delete and remove.
        self.delete_button = widgets.Button(
            description=_("Delete all"), icon="trash", button_style="danger"
        )
        self.delete_button.layout.width = "auto"
        self.delete_button.on_click(lambda _b: self._ask_delete_all())
        self.action_buttons.append(self.delete_button)
        self.confirm_text = widgets.HTML()
        self.confirm_button = self._button(_("Yes, delete all"), "trash", self._delete_all)
        self.confirm_button.button_style = "danger"
        self.cancel_button = widgets.Button(
            description=_("Cancel"), layout=widgets.Layout(width="auto")
        )
        self.cancel_button.on_click(lambda _b: self._hide_confirmation())
        self.confirmation = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_button, self.cancel_button])]
        )
        self.confirmation.layout.display = "none"
        self.local_note = widgets.HTML(self._local_note())
        self.summary = self.result
        self._set_rows(
            self.local_note,
            self.count,
            self.names,
            self.scopes,
            self.expiry,
            self.provision_button,
            self.progress,
            widgets.HBox([self.csv_path]),
            widgets.HBox([self.include_tokens, self.export_button]),
            self.tokens_warning,
            widgets.HBox([self.revoke_button, self.delete_button]),
            self.confirmation,
        )

    def _local_note(self) -> str:
        backend = backend_of(self.client)
        if backend is not None and backend.kind == "azure":
            return ""
        return f"<div><i>{_esc(_(_LOCAL_TOKENS_NOTE))}</i></div>"

    def _on_include_tokens(self, _change: Any = None) -> None:
        self.tokens_warning.value = (
            render_caution(_(_TOKENS_CAUTION)) if self.include_tokens.value else ""
        )

    def _run(self, what: str, work: Any) -> None:
        super()._run(what, work)
        if not self.last_error:
            self.tokens_warning.value = ""  # the caution was read; the next success clears it

    def _call_note(self) -> str:
        return self._call_text

    def _on_progress(self, done: int, total: int, _outcome: Any) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done

    def _start_progress(self, total: int) -> None:
        self.progress.value = 0
        self.progress.max = max(total, 1)

    def _made_per_attendee(self, result: Any) -> None:
        call = result.call
        self._made(call)
        if call is not None:
            first = next(o.attendee for o in result.outcomes if o.call is call)
            self._call_text = _(
                "The form makes this call once per attendee; shown: attendee {number}'s."
            ).format(number=first)

    def _provision(self) -> str:
        self._hide_confirmation()
        count = self._bulk.validate_count(self.count.value)
        self._start_progress(count)
        first = max((o.attendee for o in self.provisioned), default=0) + 1
        result = self._bulk.provision(
            self.client,
            count,
            self.scopes.selected,
            self.expiry.total_minutes,
            on_progress=self._on_progress,
            first_attendee=first,
        )
        self._made_per_attendee(result)
        self.last_result = result
        self.provisioned = [*self.provisioned, *result.outcomes]
        self.identity_ids = [*self.identity_ids, *result.identity_ids]
        self.session.remember_tokens([o.token for o in result.succeeded])
        self.result.value = render_bulk(result)
        last = result.outcomes[-1].attendee if result.outcomes else first
        return self._finish(
            result,
            _("Provisioned {ok} of {count} attendees (numbers {first} to {last}).").format(
                ok=len(result.succeeded), count=count, first=first, last=last
            ),
        )

    def _need_identities(self) -> None:
        if not self.identity_ids:
            raise lab.LabError(
                _("Nothing provisioned yet in this form."), hint=_("Click Provision first.")
            )

    def _export(self) -> str:
        if not self.provisioned:
            raise lab.LabError(_("Nothing to export yet."), hint=_("Click Provision first."))
        path = Path(self.csv_path.value.strip() or "attendees.csv").expanduser()
        everything = self._bulk.BulkResult("provision", tuple(self.provisioned))
        names = self._bulk.parse_names(self.names.value)
        try:
            rows = self._bulk.export_csv(everything, path, self.include_tokens.value, names=names)
        except OSError as err:
            raise lab.LabError(
                _("Couldn't write {path}: {reason}.").format(path=path, reason=err.strerror or err),
                hint=_("Choose a folder you can write to."),
            ) from None
        if path not in self.exported:
            self.exported.append(path)
        spare = len(names) - len(self.provisioned)
        if self.include_tokens.value:
            message = _("Wrote {rows} rows (with tokens) to {path}.").format(rows=rows, path=path)
        else:
            message = _("Wrote {rows} rows (ids and expiry, no tokens) to {path}.").format(
                rows=rows, path=path
            )
        if spare > 0:
            message += " " + _(
                "{count} names have no attendee yet: provision more to give them one."
            ).format(count=spare)
        return message

    def _revoke_all(self) -> str:
        self._hide_confirmation()
        self._need_identities()
        self._start_progress(len(self.identity_ids))
        result = self._bulk.revoke_all(self.client, self.identity_ids, self._on_progress)
        self._made_per_attendee(result)
        # The console marks these tokens revoked (on Azure too, where it can't ask).
        revoked_at = datetime.now(timezone.utc)
        self.session.revocations = {
            **self.session.revocations,
            **{i: revoked_at for i in result.identity_ids},
        }
        self.result.value = render_bulk(result)
        return self._finish(
            result,
            _("Revoked the tokens of {count} identities.").format(count=len(result.succeeded)),
        )

    def _files_to_remove(self) -> list[Path]:
        return [p for p in self.exported if p.exists()]

    def _ask_delete_all(self) -> None:
        """Say what Delete all will delete and remove, and wait for the confirmation."""
        self.status.value = self.error.value = self.code.value = ""
        self.last_error = ""
        if not self.identity_ids:
            self.last_error = _("Nothing provisioned yet in this form. Click Provision first.")
            self.error.value = render_error(self.last_error)
            return
        files = self._files_to_remove()
        if files:
            listed = ", ".join(str(p) for p in files)
            text = _(
                "Delete all {count} identities provisioned here and remove "
                "the exported files {files}? This can't be undone."
            ).format(count=len(self.identity_ids), files=listed)
        else:
            text = _(
                "Delete all {count} identities provisioned here? This can't be undone."
            ).format(count=len(self.identity_ids))
        self.confirm_text.value = render_caution(text)
        self.confirmation.layout.display = None

    def _hide_confirmation(self) -> None:
        self.confirmation.layout.display = "none"
        self.confirm_text.value = ""

    def _delete_all(self) -> str:
        self._hide_confirmation()
        self._need_identities()
        self._start_progress(len(self.identity_ids))
        result = self._bulk.delete_all(self.client, self.identity_ids, self._on_progress)
        self._made_per_attendee(result)
        gone = set(result.identity_ids)
        self.identity_ids = [i for i in self.identity_ids if i not in gone]
        self.provisioned = [o for o in self.provisioned if o.identity_id not in gone]
        self.session.forget_identities(sorted(gone))
        removed = self._bulk.remove_export_files(self.exported)
        self.exported = [p for p in self.exported if p not in removed.removed]
        self.result.value = render_bulk(result) + f"<div>{_esc(removed.summary())}</div>"
        return self._finish(
            result,
            _("Deleted {count} identities. {removed}").format(
                count=len(result.succeeded), removed=removed.summary()
            ),
        )

    def _finish(self, result: Any, message: str) -> str:
        """All failed: show it as the form's error line; some failed: the summary lists them."""
        if result.outcomes and not result.succeeded:
            raise lab.LabError(
                _("Every attendee failed: {error}").format(error=result.failed[0].error),
                call=result.call,
            )
        return message
