"""The plain rendering functions behind the forms (no widgets, no network)."""

from datetime import datetime, timedelta, timezone

from helpers import identity as lab
from helpers.forms import (
    render_anatomy,
    render_caution,
    render_check,
    render_code,
    render_connection,
    render_error,
    render_listing,
    render_success,
    render_token,
)
from helpers.forms.render import FORM_CSS
from tests.unit.test_tokens import acs_claims, make_jwt

NOW = datetime(2023, 4, 21, 9, 0, tzinfo=timezone.utc)


def issued_token() -> lab.IssuedToken:
    token = make_jwt(acs_claims())
    return lab.IssuedToken(
        identity_id="8:acs:x_y",
        token=token,
        expires_on_raw="2023-04-22T08:39:12.0000000+00:00",
        expires_at=datetime(2023, 4, 22, 8, 39, 12, tzinfo=timezone.utc),
        scopes=("voip", "chat"),
        lifetime_minutes=1440,
    )


def test_error_line_is_one_line_and_escaped():
    shown = render_error("Bad <b>input</b>\nsecond line")
    assert "\n" not in shown
    assert "⚠ Bad &lt;b&gt;input&lt;/b&gt; second line" in shown


def test_success_line_is_escaped():
    assert "✓ a &amp; b" in render_success("a & b")


def test_token_is_masked_unless_revealed():
    issued = issued_token()
    masked = render_token(issued, reveal=False, now=NOW)
    assert issued.token not in masked and issued.masked in masked
    assert issued.token in render_token(issued, reveal=True, now=NOW)


def test_token_view_shows_scopes_expiry_and_time_left():
    shown = render_token(issued_token(), now=NOW)
    assert "voip, chat" in shown
    assert "2023-04-22 08:39:12 UTC (in 23 h 39 min)" in shown
    assert "2023-04-22T08:39:12.0000000+00:00" in shown


def test_anatomy_table_lists_claims_and_survives_garbage():
    table = render_anatomy(make_jwt(acs_claims()))
    assert "<details>" in table and "acsScope" in table and "signature not checked" in table
    assert "Can't show what's inside" in render_anatomy("nonsense")


def test_check_line_says_status_and_reason_or_why_not_available():
    # A status the lab knows is explained in the learner's language, not the service's English.
    valid = lab.TokenCheck("valid", "All good.", available=True)
    assert "valid" in render_check("Token", valid)
    assert "has not expired or been revoked" in render_check("Token", valid)
    odd = lab.TokenCheck("someNewStatus", "The service says so.", available=True)
    assert "The service says so." in render_check("Token", odd)
    azure = lab.TokenCheck("unknown", "Azure has no token-introspection API.", available=False)
    assert "Azure has no token-introspection API." in render_check("Token", azure)
    assert render_check("Token", None) == ""


def test_check_line_in_german_explains_the_status_in_german(monkeypatch):
    monkeypatch.setenv("ACS_LAB_LANGUAGE", "de")
    revoked = lab.TokenCheck("revoked", "The identity's tokens were revoked ...", available=True)
    line = render_check("Token", revoked)
    assert "widerrufen, nachdem dieses Token ausgestellt wurde" in line
    assert "were revoked" not in line
    teams = lab.TokenCheck("valid", "A Teams user's token ...", True, identity_id="8:orgid:x")
    assert "Teams-Benutzers" in render_check("Token", teams)


def test_connection_view_names_the_backend_and_says_the_key_is_hidden():
    shown = render_connection("emulator", "https://127.0.0.1:5000", "access key")
    assert "local ACS Identity service" in shown
    assert "https://127.0.0.1:5000" in shown
    assert "key hidden" in shown
    assert "Azure Communication Services" in render_connection("azure", "https://x", "Entra ID")


def test_expired_token_says_so():
    shown = render_token(issued_token(), now=NOW + timedelta(days=2))
    assert "expired" in shown


def test_a_caution_is_not_an_error_line():
    line = render_caution("Hand it <out> privately.")
    assert "⚠" not in line and "#b00020" not in line
    assert "Caution:" in line and "&lt;out&gt;" in line


def test_the_code_block_is_escaped_and_says_whether_the_call_failed():
    call = lab.SdkCall("get_token", ('<b>"x"</b>',))
    shown = render_code(call)
    assert "<b>" not in shown.split("</div>", 1)[1] and "copy it into a code cell" in shown
    assert "failed" in render_code(call, failed=True)
    assert render_code(None) == ""


def test_the_projector_css_wraps_ids_and_never_cuts_them():
    assert "overflow-wrap: anywhere" in FORM_CSS and "text-overflow: clip" in FORM_CSS
    assert "ellipsis" not in FORM_CSS
    assert "--jp-widgets-font-size: 15px" in FORM_CSS  # larger than the 13px default


def listed(status, token=None):
    return lab.ListedIdentity("8:acs:x_y", in_session=True, latest_token=token, token_status=status)


def test_the_listing_marks_revoked_and_expired_tokens_and_never_calls_them_valid():
    token = issued_token()
    for status in ("revoked", "expired"):
        shown = render_listing(lab.IdentityListing((listed(status, token),), True, "note"))
        assert f">{status}<" in shown and "expires" not in shown and "valid" not in shown
    shown = render_listing(lab.IdentityListing((listed("valid", token),), True, "note"))
    assert "valid, expires" in shown
    # On Azure (no status known) it says when the token expires, without claiming it is valid.
    shown = render_listing(lab.IdentityListing((listed(None, token),), False, "only this session"))
    assert "expires" in shown and "valid" not in shown and "only this session" in shown
