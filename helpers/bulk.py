"""Hand out identities and tokens to a room: provision N attendees, export a CSV, clean up.

Plain functions and dataclasses on top of `helpers.identity` (the only path to the SDK). One
attendee's failure never stops the others: each outcome records either its result or the
one-line `LabError` text explaining what went wrong, and the `BulkResult` sums them up.

    result = provision(client, 20, ["chat", "voip"], 8 * 60)
    print(result.summary())
    export_csv(result, "attendees.csv")              # ids and expiry only
    revoke_all(client, result.identity_ids)
    delete_all(client, result.identity_ids)
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import IO, Any

from helpers import identity as lab

__all__ = [
    "MAX_ATTENDEES",
    "BulkResult",
    "LabError",
    "Outcome",
    "csv_rows",
    "delete_all",
    "export_csv",
    "provision",
    "revoke_all",
    "validate_count",
]

MAX_ATTENDEES = 500
LabError = lab.LabError

CSV_COLUMNS = ["attendee", "identity_id", "scopes", "expires_at_utc", "status", "error"]

Progress = Callable[[int, int, "Outcome"], Any]


@dataclass(frozen=True, repr=False)
class Outcome:
    """What happened to one attendee (numbered from 1) in one bulk operation."""

    attendee: int
    identity_id: str | None = None
    token: lab.IssuedToken | None = None
    error: str | None = None

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

    def summary(self) -> str:
        """One line, e.g. 'provision: 18 ok, 2 failed (attendee 7: Can't reach the service…)'."""
        ok, bad = len(self.succeeded), len(self.failed)
        line = f"{self.operation}: {ok} ok, {bad} failed"
        if bad:
            reasons = "; ".join(f"attendee {o.attendee}: {o.error}" for o in self.failed[:3])
            more = f"; and {bad - 3} more" if bad > 3 else ""
            line += f" ({reasons}{more})"
        return line

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
            f"{count!r} is not a number of attendees.", hint="Give a whole number, e.g. 20."
        )
    if not 1 <= number <= MAX_ATTENDEES:
        raise LabError(
            f"{number} attendees is outside the allowed range.",
            hint=f"Provision between 1 and {MAX_ATTENDEES} at a time.",
        )
    return number


def _error_line(err: BaseException, client: Any) -> str:
    return str(lab.describe_error(err, client))


def _report(on_progress: Progress | None, done: int, total: int, outcome: Outcome) -> None:
    if on_progress is not None:
        on_progress(done, total, outcome)


def provision(
    client: Any,
    count: Any,
    scopes: Iterable[Any],
    expires_in_minutes: Any = None,
    on_progress: Progress | None = None,
) -> BulkResult:
    """Create `count` identities, each with a token (one request per attendee).

    The inputs are checked first, so a typo fails once with a clear LabError instead of N
    times. After that, a failing attendee is recorded and the next one is tried.
    `on_progress(done, total, outcome)` is called after each attendee.
    """
    total = validate_count(count)
    scopes = lab.validate_scopes(scopes)
    minutes = lab.validate_expiry_minutes(expires_in_minutes)
    outcomes = []
    for number in range(1, total + 1):
        try:
            identity, issued = lab.create_identity_and_token(client, scopes, minutes)
            outcome = Outcome(number, identity.id, issued)
        except Exception as err:  # recorded per attendee, never raised
            outcome = Outcome(number, error=_error_line(err, client))
        outcomes.append(outcome)
        _report(on_progress, number, total, outcome)
    return BulkResult("provision", tuple(outcomes))


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
        try:
            done = action(client, identity_id)
            outcome = Outcome(number, done.identity_id)
        except Exception as err:  # recorded per attendee, never raised
            shown = str(getattr(identity_id, "id", identity_id))
            outcome = Outcome(number, shown, error=_error_line(err, client))
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


def csv_rows(result: BulkResult, include_tokens: bool = False) -> list[dict[str, str]]:
    """The rows `export_csv` writes, one per attendee (failed ones too, with their reason)."""
    rows = []
    for o in result.outcomes:
        issued = o.token
        row = {
            "attendee": str(o.attendee),
            "identity_id": o.identity_id or "",
            "scopes": " ".join(issued.scopes) if issued else "",
            "expires_at_utc": (
                issued.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                if issued
                else ""
            ),
            "status": "ok" if o.ok else "failed",
            "error": o.error or "",
        }
        if include_tokens:
            row["token"] = issued.token if issued else ""
        rows.append(row)
    return rows


def export_csv(
    result: BulkResult,
    path_or_buffer: str | os.PathLike | IO[str],
    include_tokens: bool = False,
) -> int:
    """Write one row per attendee; returns the number of rows written.

    Tokens are written only with `include_tokens=True`: a token is a password for that
    identity until it expires or is revoked. A file holding tokens is made readable by its
    owner only (on systems that support it). The file is written whole and then renamed into
    place, so a link planted at that path is replaced, never written through.
    """
    columns = CSV_COLUMNS + (["token"] if include_tokens else [])
    rows = csv_rows(result, include_tokens)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        from helpers.emulator.state import write_atomic

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
