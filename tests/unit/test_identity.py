"""The service layer against the real local service: happy paths and every bad input."""

import base64
import socket
from datetime import datetime, timedelta, timezone

import pytest
from azure.communication.identity import CommunicationTokenScope, CommunicationUserIdentifier

from helpers import emulator
from helpers import identity as lab
from helpers.tokens import decode_token
from tests.support import sdk_client

FOREIGN_ID = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"
WRONG_KEY = base64.b64encode(b"not the emulator's key, 32 bytes").decode()


@pytest.fixture
def identity(client):
    return lab.create_identity(client)


def one_line_error(call) -> lab.LabError:
    with pytest.raises(lab.LabError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    return info.value


class NeverCalled:
    """A client that fails the test if validation lets a bad request through."""

    def __getattr__(self, name):
        raise AssertionError(f"the SDK was called ({name}) despite invalid input")


# --------------------------------------------------------------------------- happy paths


def test_create_identity_returns_an_acs_id(client):
    created = lab.create_identity(client)
    assert created.id.startswith("8:acs:")
    assert lab.validate_identity_id(created.id) == created.id


def test_issue_token_carries_scopes_expiry_and_identity(client, identity):
    issued = lab.issue_token(client, identity.id, ["chat", "voip"], 90)
    assert issued.identity_id == identity.id
    assert issued.scopes == ("chat", "voip")
    assert issued.lifetime_minutes == 90
    left = issued.expires_at - datetime.now(timezone.utc)
    assert timedelta(minutes=89) < left <= timedelta(minutes=90)
    assert issued.expires_at.tzinfo is not None
    anatomy = decode_token(issued.token)
    assert anatomy.identity_id == identity.id
    assert anatomy.scopes == ["chat", "voip"]


def test_issue_token_without_expiry_lasts_the_default_24_hours(client, identity):
    issued = lab.issue_token(client, identity, [CommunicationTokenScope.VOIP])
    assert issued.scopes == ("voip",)
    assert issued.lifetime_minutes == lab.MAX_MINUTES


def test_expires_on_raw_is_the_service_string(client, identity):
    issued = lab.issue_token(client, identity.id, ["chat"], "1h 30m")
    assert isinstance(issued.expires_on_raw, str)
    assert issued.expires_on_raw.startswith(issued.expires_at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_repr_and_str_of_an_issued_token_never_show_it_whole(client, identity):
    issued = lab.issue_token(client, identity.id, ["chat"])
    for text in (repr(issued), str(issued), f"{issued}"):
        assert issued.token not in text
        assert issued.masked in text


def test_create_identity_and_token_in_one_request(client):
    created, issued = lab.create_identity_and_token(client, ["chat.join", "voip.join"], 60)
    assert issued.identity_id == created.id
    assert issued.scopes == ("chat.join", "voip.join")
    assert issued.lifetime_minutes == 60


def test_refresh_gives_a_new_token_and_the_old_one_stays_valid(client, admin, identity):
    old = lab.issue_token(client, identity.id, ["chat"])
    new = lab.refresh_token(client, identity.id, ["chat"])
    assert new.token != old.token
    assert lab.check_token(client, old.token, admin=admin).status == "valid"


def test_revoke_makes_earlier_tokens_revoked_but_new_ones_work(client, admin, identity):
    issued = lab.issue_token(client, identity.id, ["voip"])
    assert lab.check_token(client, issued.token, admin=admin).status == "valid"
    revoked = lab.revoke_tokens(client, identity.id)
    assert revoked.identity_id == identity.id and revoked.at.tzinfo is not None
    assert lab.check_token(client, issued.token, admin=admin).status == "revoked"
    fresh = lab.issue_token(client, identity.id, ["voip"])
    assert lab.check_token(client, fresh.token, admin=admin).status == "valid"


def test_delete_identity_then_its_token_and_id_are_dead(client, admin, identity):
    issued = lab.issue_token(client, identity.id, ["chat"])
    deleted = lab.delete_identity(client, identity.id)
    assert deleted.identity_id == identity.id
    check = lab.check_token(client, issued.token, admin=admin)
    assert check.available and check.status == "identityDeleted"
    assert check.reason and "\n" not in check.reason


def test_check_token_reports_identity_scopes_and_expiry(client, admin, identity):
    issued = lab.issue_token(client, identity.id, ["chat", "voip"], 120)
    check = lab.check_token(client, issued.token, admin=admin)
    assert check.available and check.status == "valid"
    assert check.identity_id == identity.id
    assert check.scopes == ("chat", "voip")
    assert abs(check.expires_at - issued.expires_at) < timedelta(seconds=1)


def test_check_token_on_garbage_says_malformed(client, admin):
    assert lab.check_token(client, "not-a-token", admin=admin).status == "malformed"


def test_check_token_without_introspection_explains_instead_of_failing(client, monkeypatch):
    # What Azure looks like: the backend offers no admin client.
    monkeypatch.setattr(lab.listing, "_admin_for", lambda _client: None)
    check = lab.check_token(client, "eyJhbGciOi.x.y")
    assert check.available is False
    assert "Azure has no token-introspection API" in check.reason


# --------------------------------------------------------------------------- client-side checks


@pytest.mark.parametrize(
    ("scopes", "says"),
    [
        ([], "No scope chosen."),
        (None, "No scope chosen."),
        (["", " "], "No scope chosen."),
        (["chat", "bogus"], "Unknown scope 'bogus'. Use one of: chat, voip,"),
    ],
)
def test_bad_scopes_are_caught_before_calling_the_service(scopes, says):
    err = one_line_error(lambda: lab.issue_token(NeverCalled(), FOREIGN_ID, scopes))
    assert says in str(err)


def test_scopes_are_normalised_and_deduplicated():
    assert lab.validate_scopes(["Chat", " voip", "chat"]) == ("chat", "voip")
    assert lab.validate_scopes("chat,voip.join") == ("chat", "voip.join")


@pytest.mark.parametrize(
    ("minutes", "says"),
    [
        ("soon", "is not a whole number of minutes"),
        (90.5, "is not a whole number of minutes"),
        (True, "is not a whole number of minutes"),
        (timedelta(seconds=90 * 60 + 1), "is not a whole number of minutes"),
    ],
)
def test_an_expiry_that_is_not_whole_minutes_is_caught_before_calling_the_service(minutes, says):
    err = one_line_error(lambda: lab.create_identity_and_token(NeverCalled(), ["chat"], minutes))
    assert says in str(err)
    assert err.hint == "Give minutes (e.g. 90) or hours and minutes (e.g. 1h 30m)."
    assert err.call is None  # nothing was sent


def test_an_expiry_no_request_could_carry_is_refused_before_sending():
    err = one_line_error(lambda: lab.create_identity_and_token(NeverCalled(), ["chat"], 10**15))
    assert "too large to send" in str(err) and "60 to 1440" in err.hint


@pytest.mark.parametrize("minutes", [59, 1441, (24, 30), 0, -90, 30, 2000])
def test_an_expiry_out_of_range_gets_the_services_own_error(client, identity, minutes):
    total = lab.validate_expiry_minutes(minutes)
    err = one_line_error(lambda: lab.issue_token(client, identity.id, ["chat"], minutes))
    assert str(err) == (
        f"ExpiresInMinutes value {total} is invalid. Value must be within the [60, 1440] interval."
    )
    assert err.status == 400 and err.code == "ValidationError"
    # The error remembers what was sent.
    assert err.call.method == "get_token"
    assert dict(err.call.kwargs) == {"token_expires_in": timedelta(minutes=total)}


def test_lab_errors_render_as_one_line_in_ipython():
    err = one_line_error(lambda: lab.validate_expiry_minutes("soon"))
    # The kind a caller can catch, then the one line: like the SDK's own errors.
    assert isinstance(err, lab.InvalidInput)
    assert err._render_traceback_() == [f"InvalidInput: {err}"]


def test_a_refused_entra_sign_in_does_not_blame_the_access_key(emu, monkeypatch):
    from azure.communication.identity import CommunicationIdentityClient

    from helpers import connection
    from helpers.emulator import LocalEntraCredential

    class ForeignCredential:
        """An Entra token the local service did not mint: it must refuse it."""

        def get_token(self, *scopes, **kwargs):
            real = LocalEntraCredential(state_dir=emu.state_dir).get_token(*scopes)
            return real._replace(token=real.token[:-8] + "AAAAAAAA")

    client = CommunicationIdentityClient(emu.endpoint, ForeignCredential(), retry_total=0,
                                         connection_verify=emu.ca_bundle)  # fmt: skip
    backend = connection.Backend(kind="emulator", endpoint=emu.endpoint, auth="Entra ID")
    monkeypatch.setitem(connection._backends, client, backend)
    err = one_line_error(lambda: lab.create_identity(client))
    assert err.status == 401
    assert "Entra ID sign-in" in str(err) and "access key" not in str(err)


def test_a_wrong_key_hint_mentions_the_clock_too(emu):
    err = one_line_error(
        lambda: lab.create_identity(
            sdk_client(f"endpoint={emu.endpoint};accesskey={WRONG_KEY}", emu.ca_bundle)
        )
    )
    assert "rejected the access key" in str(err) and "clock" in str(err)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("", None),
        (60, 60),
        ("1440", 1440),
        ("1:30", 90),
        ("2h", 120),
        ("1h 30m", 90),
        ("1 hour 5 minutes", 65),
        ((1, 30), 90),
        (timedelta(hours=3), 180),
    ],
)
def test_expiry_accepts_minutes_or_hours_and_minutes(given, expected):
    assert lab.validate_expiry_minutes(given) == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("", "No identity chosen."),
        (None, "No identity chosen."),
        ("bob", "'bob' is not an ACS identity id. An ACS identity id looks like 8:acs:"),
        ("8:acs:abc_def", "is not an ACS identity id"),
        ("acs:00000000-0000-0000-0000-000000000000_1", "Add the leading '8:'"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.sig", "looks like an access token"),
    ],
)
def test_bad_identity_ids_are_caught_before_calling_the_service(given, says):
    for call in (
        lambda: lab.issue_token(NeverCalled(), given, ["chat"]),
        lambda: lab.revoke_tokens(NeverCalled(), given),
        lambda: lab.delete_identity(NeverCalled(), given),
    ):
        assert says in str(one_line_error(call))


def test_lab_error_keeps_message_hint_and_status_apart():
    err = lab.LabError("Broken\nthing.", hint="Fix it.", status=400, code="X")
    assert str(err) == "Broken thing. Fix it."
    assert (err.message, err.hint, err.status, err.code) == ("Broken thing.", "Fix it.", 400, "X")


def test_check_token_needs_a_token(client):
    assert "No token given" in str(one_line_error(lambda: lab.check_token(client, " ")))


# --------------------------------------------------------------------------- service-side errors


def test_foreign_identity_is_reported_as_another_resources(client):
    for call in (
        lambda: lab.issue_token(client, FOREIGN_ID, ["chat"]),
        lambda: lab.revoke_tokens(client, FOREIGN_ID),
        lambda: lab.delete_identity(client, FOREIGN_ID),
    ):
        err = one_line_error(call)
        assert err.status == 401 and err.code == "IdentityNotOwned"
        assert "belongs to another Communication Services resource" in str(err)


def test_deleted_identity_is_reported_as_not_existing(client, identity):
    lab.delete_identity(client, identity.id)
    for call in (
        lambda: lab.issue_token(client, identity.id, ["chat"]),
        lambda: lab.revoke_tokens(client, identity.id),
    ):
        err = one_line_error(call)
        assert err.code == "IdentityNotFound"
        assert str(err) == (
            "That identity doesn't exist (it was deleted or never created here). "
            "Create a new identity and try again."
        )


def test_wrong_key_is_reported_without_the_key(emu):
    wrong = sdk_client(f"endpoint={emu.endpoint};accesskey={WRONG_KEY}", emu.ca_bundle)
    err = one_line_error(lambda: lab.create_identity(wrong))
    assert err.status == 401
    assert "rejected the access key" in str(err)
    assert "COMMUNICATION_SERVICES_CONNECTION_STRING" in str(err)
    real_key = emu.connection_string.split("accesskey=", 1)[1]
    assert WRONG_KEY not in str(err) and real_key not in str(err)


def test_unreachable_service_says_where_and_what_to_do(emu):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port once the probe socket is closed.
    nowhere = sdk_client(f"endpoint=https://127.0.0.1:{port}/;accesskey={WRONG_KEY}", None)
    err = one_line_error(lambda: lab.create_identity(nowhere))
    assert str(err).startswith(f"Can't reach the service at https://127.0.0.1:{port} — is it")
    assert "helpers.connect()" in str(err)


def test_stopped_emulator_is_unreachable_too(tmp_path):
    with emulator.start(state_dir=tmp_path) as stopped:
        client = sdk_client(stopped.connection_string, stopped.ca_bundle)
        lab.create_identity(client)
    err = one_line_error(lambda: lab.create_identity(client))
    assert "Can't reach the service" in str(err)


def test_untrusted_certificate_gets_a_trust_hint(emu):
    # Without the lab's CA bundle the emulator's certificate can't be verified.
    untrusted = sdk_client(emu.connection_string, True)
    err = one_line_error(lambda: lab.create_identity(untrusted))
    assert "certificate" in str(err) and "helpers.connect()" in str(err)


def test_async_client_is_refused_with_a_hint(emu):
    from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

    async_client = AsyncClient.from_connection_string(emu.connection_string)
    assert "async client" in str(one_line_error(lambda: lab.create_identity(async_client)))


def test_admin_errors_are_translated_like_service_errors(client, emu):
    broken_admin = emulator.AdminClient(
        f"endpoint={emu.endpoint};accesskey={WRONG_KEY}", ca_bundle=emu.ca_bundle
    )
    err = one_line_error(lambda: lab.check_token(client, "a.b.c", admin=broken_admin))
    assert err.status == 401 and WRONG_KEY not in str(err)


def test_unexpected_errors_become_one_line():
    err = lab.describe_error(RuntimeError("boom\nsecond line"))
    assert str(err) == "Unexpected error: RuntimeError: boom second line"


def test_check_token_finds_the_admin_client_through_the_connection(client, emu, monkeypatch):
    from helpers import connection

    backend = connection.Backend(
        kind="emulator",
        endpoint=emu.endpoint,
        auth="access key",
        connection_string=emu.connection_string,
        ca_bundle=emu.ca_bundle,
    )
    monkeypatch.setattr(connection, "backend_of", lambda _client: backend)
    issued = lab.issue_token(client, lab.create_identity(client), ["chat"])
    check = lab.check_token(client, issued.token)
    assert check.available and check.status == "valid"


def test_check_token_on_azure_explains_there_is_no_introspection(client, monkeypatch):
    from helpers import connection

    backend = connection.Backend(kind="azure", endpoint="https://x.azure.com", auth="Entra ID")
    monkeypatch.setattr(connection, "backend_of", lambda _client: backend)
    check = lab.check_token(client, "eyJhbGciOi.x.y")
    assert not check.available
    assert check.reason.startswith("Azure has no token-introspection API")


# --------------------------------------------------------------------------- listing


def test_the_local_listing_holds_identities_made_in_code_too(client, admin):
    made_in_code = client.create_user().properties["id"]  # not through the helpers
    known = lab.create_identity(client).id
    listing = lab.list_identities(client, [known], admin=admin)
    ids = [e.id for e in listing.identities]
    assert made_in_code in ids and known in ids and listing.complete
    entries = {e.id: e for e in listing.identities}
    assert entries[known].in_session and not entries[made_in_code].in_session
    assert entries[known].created_at is not None


def test_the_listing_leaves_deleted_identities_out_and_counts_them(client, admin):
    gone = lab.create_identity(client).id
    before = lab.list_identities(client, [], admin=admin).deleted
    lab.delete_identity(client, gone)
    listing = lab.list_identities(client, [gone], admin=admin)
    assert gone not in [e.id for e in listing.identities]
    assert listing.deleted == before + 1


class Session:
    """What a LabSession offers the listing, without the widgets."""

    def __init__(self, tokens, revocations=None):
        self.identities = [t.identity_id for t in tokens]
        self.latest_tokens = {t.identity_id: t for t in tokens}
        self.revocations = revocations or {}


def test_the_listing_marks_a_token_revoked_in_a_code_cell_as_revoked(client, admin):
    revoked = lab.issue_token(client, lab.create_identity(client), ["voip"])
    kept = lab.issue_token(client, lab.create_identity(client), ["voip"])
    client.revoke_tokens(CommunicationUserIdentifier(revoked.identity_id))  # as a code cell would
    listing = lab.list_identities(client, Session([revoked, kept]), admin=admin)
    status = {e.id: e.token_status for e in listing.identities}
    assert status[revoked.identity_id] == "revoked"
    assert status[kept.identity_id] == "valid"


def test_a_token_issued_after_the_revocation_is_valid_again(client, admin):
    identity = lab.create_identity(client)
    lab.revoke_tokens(client, identity)
    fresh = lab.issue_token(client, identity, ["voip"])
    listing = lab.list_identities(client, Session([fresh]), admin=admin)
    [entry] = [e for e in listing.identities if e.id == identity.id]
    assert entry.revoked_at is not None and entry.token_status == "valid"


def test_on_azure_only_this_sessions_identities_are_known_and_it_says_so(client):
    issued = lab.issue_token(client, lab.create_identity(client), ["voip"])
    revoked = lab.revoke_tokens(client, issued.identity_id)
    other = lab.issue_token(client, lab.create_identity(client), ["voip"])
    # No admin client: what the lab gets for an Azure connection.
    listing = lab.list_identities(
        client, Session([issued, other], {issued.identity_id: revoked.at})
    )
    assert not listing.complete and "Azure has no API to list identities" in listing.note
    assert [e.id for e in listing.identities] == [issued.identity_id, other.identity_id]
    status = {e.id: e.token_status for e in listing.identities}
    # Revoked in this session: known. The other: Azure can't say, so no claim is made.
    assert status == {issued.identity_id: "revoked", other.identity_id: None}


def test_a_failed_listing_is_one_line(emu):
    from helpers.emulator import AdminClient

    dead = AdminClient(emu.connection_string.replace(str(emu.port), "1"), ca_bundle=emu.ca_bundle)
    err = one_line_error(lambda: lab.list_identities(object(), [], admin=dead))
    assert "Can't reach the service" in str(err)
