"""Hand out identities and tokens to a room: provision N attendees, export a CSV, clean up.

Plain functions and dataclasses on top of `helpers.identity` (the only path to the SDK). One
attendee's failure never stops the others: each outcome records either its result or the
one-line `LabError` text explaining what went wrong, and the `BulkResult` sums them up.

    result = provision(client, 20, ["chat", "voip"], 8 * 60)
    print(result.summary())
    export_csv(result, "attendees.csv", names=["Ada", "Grace"])   # ids and expiry only
    revoke_all(client, result.identity_ids)
    delete_all(client, result.identity_ids)
    remove_exports(default_export_dir())             # the CSV files this lab wrote there

Tokens from the local service only work with the lab's local service: Azure's Chat and Calling
don't accept them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timezone
from pathlib import Path
from typing import IO, Any

from helpers import identity as lab
from helpers.atomic import write_atomic
from helpers.connection import watch_throttling
from helpers.i18n import N_, _, ngettext

__all__ = [
    "MAX_ATTENDEES",
    "BulkResult",
    "LabError",
    "Outcome",
    "RemovedExports",
    "combine",
    "csv_rows",
    "default_export_dir",
    "delete_all",
    "export_csv",
    "is_lab_export",
    "parse_names",
    "provision",
    "remove_export_files",
    "remove_exports",
    "revoke_all",
    "validate_count",
]

MAX_ATTENDEES = 500
LabError = lab.LabError

CSV_COLUMNS = ["attendee", "name", "identity_id", "scopes", "expires_at_utc", "status", "error"]
# A spreadsheet runs a cell as a formula when it starts with one of =+-@ (or tab/CR, which some
# trim first). The file is comma-separated, but a spreadsheet set to split on ";" or tab (the
# default in many locales) cuts `Ada;=HYPERLINK(...)` into two cells, the second a formula. So
# every place that starts a cell under any common delimiter (, ; tab, or a line break) gets an
# apostrophe before such a character: a spreadsheet shows it as text, whichever way it splits.
_FORMULA_AT_CELL_START = re.compile(r"(?:^|(?<=[,;\t\r\n]))([ \"]*)(?=[=+\-@\t\r])")

Progress = Callable[[int, int, "Outcome"], Any]
# The operations' names in `summary()` lines.
_OPERATIONS = {"provision": N_("provision"), "revoke": N_("revoke"), "delete": N_("delete")}


@dataclass(frozen=True, repr=False)
class Outcome:
    """What happened to one attendee (numbered from 1) in one bulk operation."""

    attendee: int
    identity_id: str | None = None
    token: lab.IssuedToken | None = None
    error: str | None = None
    # The SDK call made (or sent, when it failed) for this attendee.
    call: lab.SdkCall | None = None
    # Seconds the SDK waited (as the service's Retry-After said) before each retry of a 429.
    throttled: tuple[float, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:  # the token is shown masked by IssuedToken's own repr
        what = f"error={self.error!r}" if self.error else f"token={self.token!r}"
        return f"Outcome(attendee={self.attendee}, identity_id={self.identity_id!r}, {what})"


@dataclass(frozen=True)
class BulkResult:
    """The outcomes of one bulk operation ("provision", "revoke" or "delete"), in order."""

    operation: str
    outcomes: tuple[Outcome, ...]

    @property
    def succeeded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def identity_ids(self) -> list[str]:
        """The ids this operation succeeded for (for provision: the identities that exist)."""
        return [o.identity_id for o in self.succeeded if o.identity_id]

    @property
    def call(self) -> lab.SdkCall | None:
        """The SDK call of the first attendee: the call the loop makes once per attendee."""
        return next((o.call for o in self.outcomes if o.call is not None), None)

    def throttle_note(self) -> str | None:
        """One line when the service throttled some requests (429) and the SDK retried them,
        e.g. 'Throttled by the service: 12 requests got 429 Too Many Requests; the SDK waited
        24 s in all, as the service asked (Retry-After), and retried them.' None otherwise."""
        waits = [w for o in self.outcomes for w in o.throttled]
        if not waits:
            return None
        return ngettext(
            "Throttled by the service: {count} request got 429 Too Many Requests; the SDK "
            "waited {seconds} s, as the service asked (Retry-After), and retried it.",
            "Throttled by the service: {count} requests got 429 Too Many Requests; the SDK "
            "waited {seconds} s in all, as the service asked (Retry-After), and retried them.",
            len(waits),
        ).format(count=len(waits), seconds=f"{sum(waits):g}")

    def summary(self) -> str:
        """One line, e.g. 'provision: 18 ok, 2 failed (attendee 7: Can't reach the service…)',
        followed by the throttle note when the SDK retried a 429."""
        ok, bad = len(self.succeeded), len(self.failed)
        operation = (
            _(_OPERATIONS[self.operation]) if self.operation in _OPERATIONS else self.operation
        )
        line = _("{operation}: {ok} ok, {failed} failed").format(
            operation=operation, ok=ok, failed=bad
        )
        if bad:
            reasons = "; ".join(
                _("attendee {number}: {error}").format(number=o.attendee, error=o.error)
                for o in self.failed[:3]
            )
            more = _("; and {count} more").format(count=bad - 3) if bad > 3 else ""
            line += f" ({reasons}{more})"
        note = self.throttle_note()
        return f"{line}. {note}" if note else line

    def __str__(self) -> str:
        return self.summary()


def validate_count(count: Any) -> int:
    """Return the number of attendees as an int in 1..MAX_ATTENDEES, or raise LabError."""
    if isinstance(count, bool):
        number = None
    elif isinstance(count, int):
        number = count
    elif isinstance(count, float) and count.is_integer():
        number = int(count)
    elif isinstance(count, str):
        try:
            number = int(count.strip())
        except ValueError:  # also "²", which str.isdigit() would have let through
            number = None
    else:
        number = None
    if number is None:
        raise LabError(
            _("{count} is not a number of attendees.").format(count=repr(count)),
            hint=_("Give a whole number, e.g. 20."),
        )
    if not 1 <= number <= MAX_ATTENDEES:
        raise LabError(
            _("{number} attendees is outside the allowed range.").format(number=number),
            hint=_("Provision between 1 and {maximum} at a time.").format(maximum=MAX_ATTENDEES),
        )
    return number


def combine(results: Iterable[BulkResult], operation: str = "provision") -> BulkResult:
    """Several results as one, in order (e.g. every Provision click of a session)."""
    outcomes = tuple(o for r in results for o in r.outcomes)
    return BulkResult(operation, outcomes)


def _report(on_progress: Progress | None, done: int, total: int, outcome: Outcome) -> None:
    if on_progress is not None:
        on_progress(done, total, outcome)


def provision(
    client: Any,
    count: Any,
    scopes: Iterable[Any],
    expires_in_minutes: Any = None,
    on_progress: Progress | None = None,
    first_attendee: int = 1,
) -> BulkResult:
    """Create `count` identities, each with a token (one request per attendee).

    The inputs are checked first, so a typo fails once with a clear LabError instead of N
    times. After that, a failing attendee is recorded and the next one is tried - except when
    the service refuses the request itself (400, e.g. a lifetime outside 60..1440 minutes): the
    same request would be refused for everyone, so provisioning stops there.
    Attendees are numbered from `first_attendee`, so a second batch continues the numbering.
    `on_progress(done, total, outcome)` is called after each attendee.
    """
    total = validate_count(count)
    scopes = lab.validate_scopes(scopes)
    minutes = lab.validate_expiry_minutes(expires_in_minutes)
    outcomes = []
    for done in range(1, total + 1):
        number = first_attendee + done - 1
        with watch_throttling() as waits:
            try:
                identity, issued = lab.create_identity_and_token(client, scopes, minutes)
                outcome = Outcome(number, identity.id, issued, call=issued.call)
                refused = gave_up = False
            except Exception as err:  # recorded per attendee, never raised
                lab_error = lab.describe_error(err, client)
                outcome = Outcome(number, error=str(lab_error), call=lab_error.call)
                refused, gave_up = (
                    isinstance(lab_error, lab.InvalidInput),
                    isinstance(lab_error, lab.Throttled),
                )
        outcome = _with_retries(outcome, waits, gave_up)
        outcomes.append(outcome)
        _report(on_progress, done, total, outcome)
        if refused:
            break
    return BulkResult("provision", tuple(outcomes))


def _with_retries(outcome: Outcome, waits: list[float], gave_up: bool) -> Outcome:
    """`outcome` with the 429s the SDK retried for it (the last one, if the SDK gave up on
    it, is the outcome's error instead)."""
    retried = waits[:-1] if gave_up else waits
    if not retried:
        return outcome
    return replace(outcome, throttled=tuple(retried))


def _ids_of(ids: BulkResult | Iterable[Any]) -> list[Any]:
    if isinstance(ids, BulkResult):
        return ids.identity_ids
    if isinstance(ids, str):
        return [ids]
    return list(ids)


def _for_each(
    operation: str,
    action: Callable[[Any, Any], Any],
    client: Any,
    ids: BulkResult | Iterable[Any],
    on_progress: Progress | None,
) -> BulkResult:
    targets = _ids_of(ids)
    outcomes = []
    for number, identity_id in enumerate(targets, start=1):
        with watch_throttling() as waits:
            try:
                done = action(client, identity_id)
                outcome = Outcome(number, done.identity_id, call=done.call)
                gave_up = False
            except Exception as err:  # recorded per attendee, never raised
                shown = str(getattr(identity_id, "id", identity_id))
                lab_error = lab.describe_error(err, client)
                outcome = Outcome(number, shown, error=str(lab_error), call=lab_error.call)
                gave_up = lab_error.status == 429
        outcome = _with_retries(outcome, waits, gave_up)
        outcomes.append(outcome)
        _report(on_progress, number, len(targets), outcome)
    return BulkResult(operation, tuple(outcomes))


def revoke_all(
    client: Any, ids: BulkResult | Iterable[Any], on_progress: Progress | None = None
) -> BulkResult:
    """Revoke the tokens of every identity given (ids, or a provision result)."""
    return _for_each("revoke", lab.revoke_tokens, client, ids, on_progress)


def delete_all(
    client: Any, ids: BulkResult | Iterable[Any], on_progress: Progress | None = None
) -> BulkResult:
    """Delete every identity given (ids, or a provision result); their tokens stop working."""
    return _for_each("delete", lab.delete_identity, client, ids, on_progress)


def parse_names(text: str | Iterable[str] | None) -> list[str]:
    """Attendee names pasted one per line (blank lines skipped): line 1 is attendee 1."""
    if text is None:
        return []
    lines = text.splitlines() if isinstance(text, str) else [str(t) for t in text]
    return [" ".join(line.split()) for line in lines if line.strip()]


def _safe_cell(text: str) -> str:
    """`text` with an apostrophe before every formula character that could start a cell."""
    return _FORMULA_AT_CELL_START.sub(lambda m: m.group(1) + "'", text)


def csv_rows(
    result: BulkResult, include_tokens: bool = False, names: Iterable[str] | str | None = None
) -> list[dict[str, str]]:
    """The rows `export_csv` writes, one per attendee (failed ones too, with their reason).

    `names` (a list, or text with one name per line) fills the `name` column: the first name
    is attendee 1's, and so on; attendees beyond the list get an empty name.
    """
    name_list = parse_names(names)
    rows = []
    for o in result.outcomes:
        issued = o.token
        name = name_list[o.attendee - 1] if 0 < o.attendee <= len(name_list) else ""
        row = {
            "attendee": str(o.attendee),
            "name": _safe_cell(name),
            "identity_id": _safe_cell(o.identity_id or ""),
            "scopes": " ".join(issued.scopes) if issued else "",
            "expires_at_utc": (
                issued.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                if issued
                else ""
            ),
            "status": "ok" if o.ok else "failed",
            "error": _safe_cell(o.error or ""),
        }
        if include_tokens:
            row["token"] = issued.token if issued else ""
        rows.append(row)
    return rows


def export_csv(
    result: BulkResult,
    path_or_buffer: str | os.PathLike | IO[str],
    include_tokens: bool = False,
    names: Iterable[str] | str | None = None,
) -> int:
    """Write one row per attendee; returns the number of rows written.

    Tokens are written only with `include_tokens=True`: a token is a password for that
    identity until it expires or is revoked. A file holding tokens is made readable by its
    owner only (on systems that support it). The file is written whole and then renamed into
    place, so a link planted at that path is replaced, never written through.
    `names` fills the `name` column (see `csv_rows`).
    """
    columns = CSV_COLUMNS + (["token"] if include_tokens else [])
    rows = csv_rows(result, include_tokens, names)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        path = Path(path_or_buffer)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        _write(buffer, columns, rows)
        write_atomic(path, buffer.getvalue().encode("utf-8"), 0o600 if include_tokens else 0o644)
    else:
        _write(path_or_buffer, columns, rows)
    return len(rows)


def _write(buffer: IO[str], columns: list[str], rows: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


# --------------------------------------------------------------------------- exported files


def default_export_dir() -> Path:
    """Where the bulk form exports by default: a folder in the user's home (not a shared temp
    folder another user could prepare). Resolved at call time, so each attendee's or trainer's
    own home counts."""
    return Path.home() / "acs-identity-lab-exports"


@dataclass(frozen=True)
class RemovedExports:
    """What `remove_exports` did: the files removed, and the ones left alone with the reason."""

    removed: tuple[Path, ...]
    kept: tuple[tuple[Path, str], ...] = ()

    def summary(self) -> str:
        """One line naming the files removed and any left alone (whole sentences)."""
        sentences = []
        if self.removed:
            files = ", ".join(str(p) for p in self.removed)
            sentences.append(
                _("Removed {count} exported file(s): {files}.").format(
                    count=len(self.removed), files=files
                )
            )
        if self.kept:
            left = "; ".join(f"{p} ({why})" for p, why in self.kept)
            sentences.append(_("Left alone: {files}.").format(files=left))
        return " ".join(sentences) or _("No exported files to remove.")

    def __str__(self) -> str:
        return self.summary()


def is_lab_export(path: str | os.PathLike) -> bool:
    """True for a regular file whose first line is this lab's export header (so a CSV the
    trainer wrote themselves, or a file since replaced by something else, is never removed)."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            first = fh.readline(1000)
    except (OSError, UnicodeDecodeError):
        return False
    columns = first.rstrip("\r\n").split(",")
    return columns[:1] == ["attendee"] and {"identity_id", "status"} <= set(columns)


def remove_export_files(paths: Iterable[str | os.PathLike]) -> RemovedExports:
    """Remove these exported CSV files; any path that is not (or no longer) a lab export is
    left alone and named with the reason."""
    removed, kept = [], []
    for given in dict.fromkeys(Path(p).expanduser() for p in paths):
        if not given.exists() and not given.is_symlink():
            continue  # already gone: nothing to do, nothing to report
        if not is_lab_export(given):
            kept.append((given, _("not a file this lab exported")))
            continue
        try:
            given.unlink()
        except OSError as err:
            kept.append((given, err.strerror or str(err)))
            continue
        removed.append(given)
    return RemovedExports(tuple(removed), tuple(kept))


def remove_exports(folder: str | os.PathLike | None = None) -> RemovedExports:
    """Remove every CSV file this lab exported into `folder` (default: `default_export_dir()`).

    For the room reset and the end of a session: only files that start with the lab's export
    header are removed; other files in the folder are not touched. A missing folder is fine.
    """
    folder = Path(folder).expanduser() if folder is not None else default_export_dir()
    if not folder.is_dir():
        return RemovedExports(())
    candidates = sorted(p for p in folder.glob("*.csv") if is_lab_export(p))
    return remove_export_files(candidates)
