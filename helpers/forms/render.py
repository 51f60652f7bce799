"""Plain functions that turn results into small HTML snippets (testable without widgets)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from helpers import identity as lab
from helpers.i18n import N_, _
from helpers.tokens import TokenAnatomy, TokenFormatError, decode_token, describe_duration

# --------------------------------------------------------------------------- rendering


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _when(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return _("unknown")
    now = now or datetime.now(timezone.utc)
    stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = moment - now
    if left.total_seconds() >= 0:
        return _("{time} (in {duration})").format(time=stamp, duration=describe_duration(left))
    return _("{time} ({duration})").format(time=stamp, duration=describe_duration(left))


def render_error(message: str) -> str:
    """One red line: '⚠ what is wrong and what to do'."""
    line = " ".join(str(message).split())
    return f'<span style="color:#b00020">⚠ {_esc(line)}</span>'


def render_success(message: str) -> str:
    """One green line: '✓ what happened'."""
    return f'<span style="color:#1b7f3b">✓ {_esc(message)}</span>'


def render_caution(message: str) -> str:
    """One amber line: something to be careful about. Not an error, so not the error's ⚠."""
    line = " ".join(str(message).split())
    caution = _("Caution:")
    return f'<span style="color:#8a5300"><b>{_esc(caution)}</b> {_esc(line)}</span>'


def render_busy(message: str) -> str:
    return f'<span style="color:#555">⏳ {_esc(message)}</span>'


def _table(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{_esc(k)}</th><td>{v}</td></tr>'
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def render_identity(identity: lab.Identity, note: str = "") -> str:
    """The identity id, ready to copy, with an optional note."""
    extra = f"<div>{_esc(note)}</div>" if note else ""
    return _table([(_("Identity"), f"<code>{_esc(identity.id)}</code>")]) + extra


def render_anatomy(token: str) -> str:
    """A collapsible table of the token's claims with one sentence each (no signature check)."""
    try:
        rows = decode_token(token).rows()
    except TokenFormatError as err:
        # Static text as it was (not escaped); only the error is.
        problem = _("Can't show what's inside: {error}").format(error=_esc(err))
        return f"<div><i>{problem}</i></div>"
    body = "".join(
        f"<tr><td><code>{_esc(c)}</code></td><td><code>{_esc(v)}</code></td><td>{_esc(m)}</td></tr>"
        for c, v, m in rows
    )
    summary = _("What's inside the token (decoded, signature not checked)")
    head = "".join(f"<th>{_esc(name)}</th>" for name in TokenAnatomy.headers())
    return f"<details><summary>{summary}</summary><table><tr>{head}</tr>{body}</table></details>"


def render_token(issued: lab.IssuedToken, reveal: bool = False, now: datetime | None = None) -> str:
    """The token (masked unless `reveal`), its scopes, expiry and a claims table."""
    shown = issued.token if reveal else issued.masked
    token_cell = f'<code style="word-break:break-all">{_esc(shown)}</code>'
    rows = [
        (_("Identity"), f"<code>{_esc(issued.identity_id)}</code>"),
        (_("Token"), token_cell),
        (_("Scopes"), _esc(", ".join(issued.scopes))),
        (_("Expires"), _esc(_when(issued.expires_at, now))),
        (_("expiresOn (raw)"), f"<code>{_esc(issued.expires_on_raw)}</code>"),
        (_("Lifetime"), _esc(_("{minutes} minutes").format(minutes=issued.lifetime_minutes))),
    ]
    return _table(rows) + render_anatomy(issued.token)


_STATUS_COLOURS = {"valid": "#1b7f3b"}
# The local service explains a status in English; the form says it in the learner's language.
_STATUS_REASONS = {
    "valid": N_("The token is signed by this resource and has not expired or been revoked."),
    "revoked": N_("The identity's tokens were revoked after this token was issued."),
    "expired": N_("The token's expiry time has passed."),
    "identityDeleted": N_(
        "The identity the token belongs to has been deleted (or the local service was reset)."
    ),
    "otherResource": N_("The token was issued for a different Communication Services resource."),
    "badSignature": N_("The token's signature does not match this resource's signing key."),
    "malformed": N_("The token is not a three-part JWT with ACS claims."),
}
_TEAMS_VALID = N_(
    "A Teams user's token, signed by this resource; it expires with the Entra ID token it was "
    "exchanged for."
)


def _reason(check: lab.TokenCheck) -> str:
    if check.status == "valid" and (check.identity_id or "").startswith("8:orgid:"):
        return _(_TEAMS_VALID)
    known = _STATUS_REASONS.get(check.status)
    return _(known) if known else check.reason


def render_check(label: str, check: lab.TokenCheck | None) -> str:
    """One line: what the local service says about a token (or why it can't say)."""
    if check is None:
        return ""
    if not check.available:
        return f"<div>{_esc(label)}: <i>{_esc(check.reason)}</i></div>"
    colour = _STATUS_COLOURS.get(check.status, "#b00020")
    return (
        f"<div>{_esc(label)}: <b style='color:{colour}'>{_esc(check.status)}</b>"
        f" — {_esc(_reason(check))}</div>"
    )


def render_connection(kind: str | None, endpoint: str | None, auth: str | None) -> str:
    """Which service the lab talks to. Never shows the key or connection string."""
    if kind == "emulator":
        what = _("the local ACS Identity service (emulator)")
    elif kind == "azure":
        what = _("Azure Communication Services")
    else:
        what = _("an ACS Identity endpoint")
    rows = [
        (_("Connected to"), _esc(what)),
        (_("Endpoint"), f"<code>{_esc(endpoint or '?')}</code>"),
    ]
    if auth:
        # `auth` is "access key" or "Entra ID" (helpers.connection.AUTH_NAMES).
        shown = _("{auth} (key hidden)").format(auth=_(auth)) if auth == "access key" else _(auth)
        rows.append((_("Signed in with"), _esc(shown)))
    return _table(rows)


# --------------------------------------------------------------------------- the SDK call as code


def _python(value: Any) -> str:
    """Python source for one argument, using the names the notebooks' code cells import."""
    raw_id = getattr(value, "raw_id", None)
    if raw_id is not None:  # CommunicationUserIdentifier
        return f"CommunicationUserIdentifier({_python(str(raw_id))})"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds % 60 == 0:
            return f"timedelta(minutes={int(seconds // 60)})"
        return f"timedelta(seconds={seconds!r})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_python(v) for v in value) + "]"
    if isinstance(value, str):
        text = str(getattr(value, "value", value))  # a scope enum member -> its plain text
        plain = text.isprintable() and '"' not in text and "\\" not in text
        return f'"{text}"' if plain else repr(text)
    return repr(value)


def sdk_call_text(call: lab.SdkCall) -> str:
    """The call as one line of Python, e.g.
    `client.get_token(CommunicationUserIdentifier("8:acs:…"), ["chat"], token_expires_in=…)`.

    `client` is the `CommunicationIdentityClient` of the notebooks' code cells.
    """
    names = dict(call.shown_as)
    parts = [names.get(i) or _python(a) for i, a in enumerate(call.args)]
    parts += [f"{name}={_python(value)}" for name, value in call.kwargs]
    return f"client.{call.method}({', '.join(parts)})"


def render_code(call: lab.SdkCall | None, failed: bool = False, note: str = "") -> str:
    """The SDK call a form made, as a selectable code block ready to paste into a code cell."""
    if call is None:
        return ""
    if failed:
        title = _("The SDK call that failed (the line above says why):")
    else:
        title = _("The SDK call this made (copy it into a code cell):")
    extra = f"<div>{_esc(note)}</div>" if note else ""
    return (
        f'<div class="acs-lab-code"><div>{_esc(title)}</div>'
        f"<pre>{_esc(sdk_call_text(call))}</pre>{extra}</div>"
    )


# Larger text for a projector, and ids that wrap instead of being cut. Scoped to the forms'
# own class, so the rest of the notebook keeps its look.
FORM_CSS = """
.acs-lab-form {
  --jp-widgets-font-size: 15px;
  --jp-widgets-inline-height: 34px;
  --jp-widgets-inline-label-width: 130px;
  font-size: 15px;
}
.acs-lab-form code, .acs-lab-form pre {
  font-family: var(--jp-code-font-family, monospace);
  font-size: 14px;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.acs-lab-form .acs-lab-code pre {
  user-select: all;
  background: var(--jp-layout-color2, #f4f4f4);
  border: 1px solid var(--jp-border-color2, #ddd);
  padding: 6px 8px;
  margin: 4px 0;
  line-height: 1.4;
}
.acs-lab-form .widget-html-content, .acs-lab-form .jupyter-widget-html-content {
  white-space: normal;
  overflow: visible;
  font-size: 15px;
  line-height: 1.45;
}
.acs-lab-form .widget-label, .acs-lab-form .jupyter-widget-label {
  overflow: visible;
  text-overflow: clip;
}
.acs-lab-form select, .acs-lab-form input, .acs-lab-form textarea {
  font-size: 15px;
}
/* Tab titles whole: the tabs keep their text's width and wrap onto a second row if needed. */
.acs-lab-form .lm-TabBar, .acs-lab-form .p-TabBar {
  height: auto !important;
  min-height: var(--jp-widgets-horizontal-tab-height, 24px);
}
.acs-lab-form .lm-TabBar-content, .acs-lab-form .p-TabBar-content {
  flex-wrap: wrap;
}
.acs-lab-form .lm-TabBar-tab, .acs-lab-form .p-TabBar-tab {
  flex: 0 0 auto !important;
  max-width: none !important;
  min-width: max-content;
}
"""


def render_style() -> str:
    return f"<style>{FORM_CSS}</style>"


# --------------------------------------------------------------------------- session model
