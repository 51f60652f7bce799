"""Exercise checkers: did the learner's code have the right *effect on the service*?

A lesson's exercise is three cells: the learner's starting point (tagged ``exercise``), the worked
answer (tagged ``solution``, collapsed) and a checker cell::

    exercises.check("03-expiry", lab_client, identity=identity, token=my_token)

`check()` prints one line: ``✓ …`` when the task is done, ``✗ …`` plus a hint when not. It looks
at the service, never at the code: the local service's introspection and listing
(`/_emulator/…`, through `AdminClient`), or on Azure whatever the SDK can prove.

API (kept small so other lessons can add their own):

* ``grade(exercise_id, client, *, admin=None, **answers) -> Check`` - the plain function; tests
  use it. ``admin`` defaults to the admin client of ``client``'s backend (None on Azure).
* ``check(exercise_id, client, **answers) -> None`` - the thin view: prints ``grade(...).line``.
* ``begin(exercise_id, client, **given) -> None`` - run by the lesson just before an exercise: it
  notes which identities exist already and what the setup cell handed out (``identity=member``),
  so the check accepts only the learner's own, later action (a *new* identity, *this* member's
  token revoked, *this* leaver deleted), never something the lesson did earlier.
* ``@exercise("10-teams")`` registers a new grader ``fn(client, admin, **answers) -> Check``.
* ``EXERCISES`` - the registered ids, in lesson order.

Every learner-visible line is a whole-sentence literal (with named ``{placeholders}``) so a
translation catalog can replace it as a unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from azure.communication.identity import CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError

from helpers.i18n import N_, _
from helpers.identity import LabError, describe_error
from helpers.tokens import TokenFormatError, decode_token, parse_expires_on

__all__ = ["EXERCISES", "Check", "begin", "check", "exercise", "grade"]

DONE, NOT_YET = "✓", "✗"


@dataclass(frozen=True)
class Check:
    """The verdict on one exercise: `ok`, and the one line shown to the learner."""

    ok: bool
    line: str


Grader = Callable[..., Check]
_GRADERS: dict[str, Grader] = {}
EXERCISES: list[str] = []


def exercise(exercise_id: str) -> Callable[[Grader], Grader]:
    """Register `fn(client, admin, **answers) -> Check` under `exercise_id`."""

    def register(fn: Grader) -> Grader:
        if exercise_id in _GRADERS:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _GRADERS[exercise_id] = fn
        EXERCISES.append(exercise_id)
        return fn

    return register


def _done(line: str) -> Check:
    return Check(True, f"{DONE} {line}")


def _not_yet(line: str) -> Check:
    return Check(False, f"{NOT_YET} {line}")


def _admin_of(client: Any) -> Any:
    from helpers.connection import backend_of

    backend = backend_of(client)
    return backend.admin() if backend is not None else None


def _known(exercise_id: str) -> None:
    if exercise_id not in _GRADERS:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(EXERCISES)}")


@dataclass(frozen=True)
class _Start:
    """What existed when an exercise began: every identity id, and what the setup cell gave."""

    existing: frozenset[str]
    given: dict[str, str | None]


_STARTED: dict[str, _Start] = {}


class _NotStarted(Exception):
    """The lesson's `exercises.begin(...)` cell has not run in this kernel."""


_RUN_BEGIN_FIRST = N_(
    "Run the cell that starts this exercise (exercises.begin) first, then your answer again."
)


def _namespace_ids() -> set[str]:
    """Identity ids the notebook's own variables hold (on Azure, the only list there is)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the lab
        return set()
    shell = get_ipython()
    found: set[str] = set()
    for value in shell.user_ns.values() if shell is not None else ():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, CommunicationUserIdentifier):
                found.add(item.properties["id"])
    return found


def begin(exercise_id: str, client: Any, *, admin: Any = None, **given: Any) -> None:
    """Note what exists before an exercise, so its check can tell the learner's own action
    from the lesson's earlier ones; `given` names what the setup cell made (identity, token)."""
    _known(exercise_id)
    admin = admin if admin is not None else _admin_of(client)
    existing = _namespace_ids()
    if admin is not None:
        existing |= {row["id"] for row in admin.identities()}
    _STARTED[exercise_id] = _Start(
        frozenset(existing),
        {name: _identity_id(value) or _token_text(value) for name, value in given.items()},
    )
    print(_("Exercise ready: the check looks only at what you do from here on."))


def _started(exercise_id: str) -> _Start:
    start = _STARTED.get(exercise_id)
    if start is None:
        raise _NotStarted
    return start


def grade(exercise_id: str, client: Any, *, admin: Any = None, **answers: Any) -> Check:
    """Check one exercise against the service; never raises for a wrong or missing answer."""
    _known(exercise_id)
    admin = admin if admin is not None else _admin_of(client)
    try:
        return _GRADERS[exercise_id](client, admin, **answers)
    except _NotStarted:
        return _not_yet(_(_RUN_BEGIN_FIRST))
    except LabError as err:
        return _not_yet(_("The service refused the check: {error}").format(error=err))
    except Exception as err:  # the checker must answer in one line, whatever it was given
        return _not_yet(
            _("The service refused the check: {error}").format(error=describe_error(err, client))
        )


def check(exercise_id: str, client: Any, **answers: Any) -> None:
    """Print the one-line verdict (the notebook's view of `grade`)."""
    print(grade(exercise_id, client, **answers).line)


# --------------------------------------------------------------------------- reading answers


def _missing(value: Any) -> bool:
    return value is None or value is Ellipsis


def _identity_id(value: Any) -> str | None:
    """The raw id of an identity answer (SDK identifier, lab Identity or str), else None."""
    if isinstance(value, CommunicationUserIdentifier):
        return value.properties["id"]
    raw = getattr(value, "raw_id", None) or getattr(value, "id", None)
    if isinstance(raw, str):
        return raw
    if isinstance(value, str) and value.startswith("8:"):
        return value
    return None


def _token_text(value: Any) -> str | None:
    """The JWT of a token answer (SDK AccessToken, lab IssuedToken or str), else None."""
    text = getattr(value, "token", value)
    return text if isinstance(text, str) and text.count(".") == 2 else None


@dataclass(frozen=True)
class _Seen:
    """What the service (or, on Azure, the token's own claims) says about a token."""

    status: str  # "valid", "revoked", "expired", "identityDeleted", ... or "unchecked" on Azure
    identity_id: str | None
    scopes: frozenset[str]
    minutes: int | None


def _minutes_between(issued: Any, expires: Any) -> int | None:
    try:
        span = parse_expires_on(expires) - parse_expires_on(issued)
    except (TokenFormatError, TypeError):
        return None
    return round(span.total_seconds() / 60)


def _inspect(admin: Any, token: str) -> _Seen:
    if admin is not None:
        report = admin.introspect(token)
        return _Seen(
            status=str(report.get("status")),
            identity_id=report.get("identity"),
            scopes=frozenset(report.get("scopes") or ()),
            minutes=_minutes_between(report.get("issuedAt"), report.get("expiresAt")),
        )
    # Azure has no introspection: the token's claims were written by the service, so they
    # still show scopes and lifetime (validity can't be proven without Chat or Calling).
    try:
        anatomy = decode_token(token)
    except TokenFormatError:
        return _Seen("malformed", None, frozenset(), None)
    lifetime = anatomy.lifetime
    minutes = round(lifetime.total_seconds() / 60) if lifetime else None
    return _Seen("unchecked", anatomy.identity_id, frozenset(anatomy.scopes), minutes)


def _listed(admin: Any, identity_id: str) -> dict | None:
    return next((row for row in admin.identities() if row.get("id") == identity_id), None)


_NOT_A_TOKEN = N_(
    "That is not an access token yet: assign the result of get_token (or the token part of "
    "create_user_and_token) to the variable."
)
# Sentences with a {placeholder}: whole templates, so a translation can move the value.
_LIFETIME_NOT_90 = N_(
    "The token lives {minutes} minutes; pass token_expires_in=timedelta(minutes=90)."
)
_LIFETIME_NOT_120 = N_("The token lives {minutes} minutes; the task asks for 2 hours.")
_SCOPES_NOT_CHAT_VOIP_JOIN = N_(
    "The token allows {found}; the task asks for exactly chat and voip.join."
)
_NOTHING_YET_TOKEN = N_(
    "Nothing to check yet: assign the result of client.get_token(...) to the variable."
)
_NOTHING_YET_IDENTITY = N_(
    "Nothing to check yet: assign the result of client.create_user() to the variable."
)
_MADE_BEFORE = N_(
    "That identity existed before the exercise began: make a new one with client.create_user()."
)
_NOT_AN_IDENTITY = N_(
    "That is not an identity yet: assign the result of client.create_user() to the variable."
)


def _token_problem(seen: _Seen, identity_id: str | None) -> Check | None:
    """The first reason a token answer is not a live token of `identity_id`, or None."""
    if seen.status == "malformed":
        return _not_yet(_(_NOT_A_TOKEN))
    if seen.status == "otherResource":
        return _not_yet(_("That token comes from another Communication Services resource."))
    if seen.status == "revoked":
        return _not_yet(_("That token was revoked: issue a new one after revoking."))
    if seen.status == "identityDeleted":
        return _not_yet(_("That token's identity was deleted: use an identity that still exists."))
    if seen.status == "expired":
        return _not_yet(_("That token has expired: issue a new one."))
    if seen.status not in ("valid", "unchecked"):
        return _not_yet(_("The service does not accept that token."))
    if identity_id is not None and seen.identity_id != identity_id:
        return _not_yet(_("That token was issued to a different identity than the one asked for."))
    return None


def _live_token(admin: Any, token: Any, identity: Any) -> tuple[_Seen | None, Check | None]:
    """The learner's token as the service sees it, or the ✗ line that says why it isn't a live
    token of `identity` (nothing given yet, not a token, revoked, another identity's, …)."""
    if _missing(token):
        return None, _not_yet(_(_NOTHING_YET_TOKEN))
    text = _token_text(token)
    if text is None:
        return None, _not_yet(_(_NOT_A_TOKEN))
    seen = _inspect(admin, text)
    return seen, _token_problem(seen, _identity_id(identity))


# --------------------------------------------------------------------------- the lessons' graders


@exercise("02-create")
def _create_identity(client: Any, admin: Any, *, identity: Any = None) -> Check:
    if _missing(identity):
        return _not_yet(_(_NOTHING_YET_IDENTITY))
    identity_id = _identity_id(identity)
    if identity_id is None:
        return _not_yet(_(_NOT_AN_IDENTITY))
    if identity_id in _started("02-create").existing:
        return _not_yet(_(_MADE_BEFORE))
    if admin is None:
        # On Azure the only proof that an identity exists is that it can get a token.
        client.get_token(CommunicationUserIdentifier(identity_id), ["chat"])
        return _done(_("The service knows this identity: it issued a token for it."))
    row = _listed(admin, identity_id)
    if row is None:
        return _not_yet(
            _("The service has no identity with that id: create one with create_user().")
        )
    if row.get("deletedAt"):
        return _not_yet(_("That identity was deleted: create a new one with create_user()."))
    return _done(_("The service lists your new identity."))


@exercise("03-scopes")
def _chat_and_join_calls(client: Any, admin: Any, *, identity: Any = None, token: Any = None):
    seen, problem = _live_token(admin, token, identity)
    if problem:
        return problem
    wanted = frozenset({"chat", "voip.join"})
    if seen.scopes != wanted:
        return _not_yet(
            _(_SCOPES_NOT_CHAT_VOIP_JOIN).format(
                found=", ".join(sorted(seen.scopes)) or _("nothing")
            )
        )
    return _done(_("The token lets a client chat and join calls, but not start them."))


@exercise("03-expiry")
def _chat_for_90_minutes(client: Any, admin: Any, *, identity: Any = None, token: Any = None):
    seen, problem = _live_token(admin, token, identity)
    if problem:
        return problem
    if seen.scopes != {"chat"}:
        return _not_yet(_("The token should allow chat and nothing else."))
    if seen.minutes != 90:
        return _not_yet(_(_LIFETIME_NOT_90).format(minutes=seen.minutes))
    return _done(_("The token allows chat and lives 90 minutes."))


_NOTHING_YET_THREAD = N_(
    "Nothing to check yet: assign the id of your new chat thread (result.chat_thread.id) to the "
    "variable."
)


def _endpoint_of(client: Any) -> str | None:
    """The resource endpoint a lab client (or a plain SDK client) talks to."""
    from helpers.connection import backend_of

    backend = backend_of(client)
    return backend.endpoint if backend is not None else getattr(client, "_endpoint", None)


@exercise("03-chat")
def _chat_message_sent(client: Any, admin: Any, *, identity: Any = None, thread: Any = None):
    from azure.communication.chat import ChatClient, CommunicationTokenCredential

    if _missing(thread):
        return _not_yet(_(_NOTHING_YET_THREAD))
    identity_id = _identity_id(identity)
    if identity_id is None:
        return _not_yet(_(_NOT_AN_IDENTITY))
    if not isinstance(thread, str) or not thread.strip():
        return _not_yet(_("That is not a thread id: use result.chat_thread.id, a text."))
    # Read the thread as the learner's identity, with a token of its own: on Azure too, the
    # chat service is the only one that knows who wrote what.
    token = client.get_token(CommunicationUserIdentifier(identity_id), ["chat"]).token
    with CommunicationTokenCredential(token) as credential:
        thread_client = ChatClient(_endpoint_of(client), credential).get_chat_thread_client(thread)
        try:
            senders = [
                getattr(message.sender, "raw_id", None)
                for message in thread_client.list_messages()
                if message.type == "text"
            ]
        except HttpResponseError as err:
            if err.status_code == 403:
                return _not_yet(
                    _(
                        "learner is not in that thread: create the thread with learner's own "
                        "chat client."
                    )
                )
            raise
    if identity_id not in senders:
        return _not_yet(
            _("The thread has no message from learner yet: send one with send_message.")
        )
    return _done(_("learner's chat client created the thread and sent a message in it."))


@exercise("04-together")
def _identity_and_token_in_one_request(
    client: Any, admin: Any, *, identity: Any = None, token: Any = None
) -> Check:
    if _missing(identity) or _missing(token):
        return _not_yet(_("Nothing to check yet: assign both results of create_user_and_token."))
    identity_id, text = _identity_id(identity), _token_text(token)
    if identity_id is None:
        return _not_yet(_(_NOT_AN_IDENTITY))
    if text is None:
        return _not_yet(_(_NOT_A_TOKEN))
    if identity_id in _started("04-together").existing:
        return _not_yet(_(_MADE_BEFORE))
    seen = _inspect(admin, text)
    problem = _token_problem(seen, identity_id)
    if problem:
        return problem
    if seen.scopes != {"chat", "voip"}:
        return _not_yet(_("The token should allow exactly chat and voip."))
    if seen.minutes != 120:
        return _not_yet(_(_LIFETIME_NOT_120).format(minutes=seen.minutes))
    if admin is not None:
        row = _listed(admin, identity_id) or {}
        # Created with its token in one request: the service records both at the same instant.
        if row.get("createdAt") != row.get("lastTokenIssuedAt"):
            return _not_yet(
                _(
                    "The identity and its token came from separate requests: use "
                    "create_user_and_token."
                )
            )
    return _done(_("One request made the identity and its 2-hour chat and voip token."))


@exercise("05-refresher")
def _token_refresher(client: Any, admin: Any, *, identity: Any = None, refresher: Any = None):
    if _missing(refresher):
        return _not_yet(_("Nothing to check yet: define the function fetch_token."))
    if not callable(refresher):
        return _not_yet(_("fetch_token should be a function that returns a new access token."))
    started = datetime.now(timezone.utc).replace(microsecond=0)
    first, second = refresher(), refresher()
    texts = [_token_text(t) for t in (first, second)]
    if None in texts:
        return _not_yet(_("fetch_token should return the result of client.get_token(...)."))
    if texts[0] == texts[1]:
        return _not_yet(_("fetch_token returned the same token twice: ask the service each time."))
    for text in texts:
        seen = _inspect(admin, text)
        problem = _token_problem(seen, _identity_id(identity))
        if problem:
            return problem
        if "chat" not in seen.scopes:
            return _not_yet(_("The tokens from fetch_token should allow chat."))
        try:
            issued = decode_token(text).issued_at
        except TokenFormatError:
            issued = None
        if issued is not None and issued < started:
            return _not_yet(_("fetch_token returned an old token: ask the service each time."))
    return _done(_("Each call to fetch_token got a new chat token from the service."))


@exercise("06-revoke")
def _revoke_then_refused(client: Any, admin: Any, *, identity: Any = None, old_token: Any = None):
    if _missing(old_token) or _missing(identity):
        return _not_yet(_("Nothing to check yet: give the identity and its old token."))
    text, identity_id = _token_text(old_token), _identity_id(identity)
    if text is None:
        return _not_yet(_(_NOT_A_TOKEN))
    if identity_id is None:
        return _not_yet(_(_NOT_AN_IDENTITY))
    given = _started("06-revoke").given
    if identity_id != given.get("identity"):
        return _not_yet(
            _(
                "That is not the exercise's member: revoke the tokens of the member that the "
                "cell above the exercise made."
            )
        )
    if text != given.get("token"):
        return _not_yet(
            _("old_token should be member_token, the token the cell above the exercise issued.")
        )
    if admin is None:
        return _not_yet(
            _(
                "Azure has no API that says whether a token was revoked; run this lesson with the "
                "local service to check it."
            )
        )
    seen = _inspect(admin, text)
    if seen.status == "identityDeleted":
        return _not_yet(
            _(
                "The identity was deleted, not just its tokens revoked: use revoke_tokens, which "
                "keeps the identity."
            )
        )
    if seen.identity_id != identity_id:
        return _not_yet(_("old_token belongs to a different identity than the one asked for."))
    if seen.status == "valid":
        return _not_yet(
            _(
                "The old token is still accepted: revoke the identity's tokens with "
                "client.revoke_tokens."
            )
        )
    if seen.status != "revoked":
        return _not_yet(
            _("The service does not accept that token, but not because it was revoked.")
        )
    return _done(_("The old token is refused, and the identity still exists."))


@exercise("07-delete")
def _deleted_cannot_get_tokens(client: Any, admin: Any, *, identity: Any = None) -> Check:
    if _missing(identity):
        return _not_yet(_("Nothing to check yet: give the identity to delete."))
    identity_id = _identity_id(identity)
    if identity_id is None:
        return _not_yet(_(_NOT_AN_IDENTITY))
    if identity_id != _started("07-delete").given.get("identity"):
        return _not_yet(
            _("That is not the exercise's leaver: delete the identity the cell above it made.")
        )
    if admin is not None:
        row = _listed(admin, identity_id)
        if row is not None and not row.get("deletedAt"):
            return _not_yet(_("The identity still exists: delete it with client.delete_user."))
    # The proof the docs promise: a deleted identity can't get new tokens. `begin` saw this id
    # made by the lesson, so a 404 now means it was deleted, not that it never existed.
    try:
        client.get_token(CommunicationUserIdentifier(identity_id), ["chat"])
    except HttpResponseError as err:
        if err.status_code == 404:
            return _done(_("The identity is deleted: the service refuses to issue it a token."))
        raise
    return _not_yet(_("The service still issues tokens to that identity: delete it first."))


# --------------------------------------------------------------------------- lesson 10: Teams users

_NOTHING_YET_TEAMS = N_(
    "Nothing to check yet: assign the result of client.get_token_for_teams_user(...) to the "
    "variable."
)
_STILL_THE_ENTRA_TOKEN = N_(
    "That is still the Teams user's Entra ID token: exchange it with "
    "client.get_token_for_teams_user(token, client_id, user_object_id)."
)
_AN_ACS_IDENTITYS_TOKEN = N_(
    "That token belongs to an ACS identity, not to a Teams user: use get_token_for_teams_user."
)
_ANOTHER_TEAMS_USER = N_(
    "That token belongs to another Teams user: exchange the Entra ID token of the user asked for."
)


@exercise("10-teams")
def _teams_users_token(client: Any, admin: Any, *, token: Any = None, user_object_id: Any = None):
    if _missing(token):
        return _not_yet(_(_NOTHING_YET_TEAMS))
    text = _token_text(token)
    if text is None:
        return _not_yet(_(_NOTHING_YET_TEAMS))
    try:
        claims = decode_token(text).claims
    except TokenFormatError:
        claims = {}
    if "skypeid" not in claims and claims.get("aud") == "https://auth.msft.communication.azure.com":
        return _not_yet(_(_STILL_THE_ENTRA_TOKEN))
    seen = _inspect(admin, text)
    if seen.identity_id and seen.identity_id.startswith("8:acs:"):
        return _not_yet(_(_AN_ACS_IDENTITYS_TOKEN))
    wanted = f"8:orgid:{str(user_object_id or '').strip().lower()}"
    problem = _token_problem(seen, None)
    if problem:
        return problem
    if (seen.identity_id or "").lower() != wanted:
        return _not_yet(_(_ANOTHER_TEAMS_USER))
    return _done(_("The service issued an ACS access token to that Teams user."))
