"""Token anatomy: decoding, masking and expiry parsing (no network except the emulator test)."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from helpers.tokens import (
    TokenFormatError,
    decode_token,
    describe_duration,
    mask_token,
    parse_expires_on,
)

RESOURCE = "64a38d52-0000-4000-8000-000000000001"
SKYPE_ID = f"acs:{RESOURCE}_00000018-42d9-4de2-e167-563a0d001acc"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict, header: dict | None = None) -> str:
    header = header or {"alg": "RS256", "kid": "106", "typ": "JWT"}
    parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
    return ".".join(b64url(p) for p in parts) + ".c2lnbmF0dXJl"


def acs_claims(iat=1682066352, minutes=1440, scopes="voip,chat"):
    return {
        "skypeid": SKYPE_ID,
        "scp": 1792,
        "csi": str(iat),
        "exp": iat + minutes * 60,
        "rgn": "amer",
        "acsScope": scopes,
        "resourceId": RESOURCE,
        "resourceLocation": "unitedstates",
        "iat": iat,
    }


def test_decode_reads_identity_scopes_times_and_resource():
    anatomy = decode_token(make_jwt(acs_claims()))
    assert anatomy.identity_id == "8:" + SKYPE_ID
    assert anatomy.scopes == ["voip", "chat"]
    assert anatomy.issued_at == datetime(2023, 4, 21, 8, 39, 12, tzinfo=timezone.utc)
    assert anatomy.lifetime == timedelta(hours=24)
    assert anatomy.resource_id == RESOURCE
    assert anatomy.location == "unitedstates"
    assert anatomy.header["alg"] == "RS256"


def test_time_left_counts_down_and_goes_negative_after_expiry():
    anatomy = decode_token(make_jwt(acs_claims(minutes=60)))
    assert anatomy.time_left(now=anatomy.issued_at) == timedelta(hours=1)
    assert anatomy.time_left(now=anatomy.expires_at + timedelta(minutes=5)) < timedelta(0)


def test_rows_explain_every_claim_in_token_order():
    claims = acs_claims() | {"surprise": True}
    rows = decode_token(make_jwt(claims)).rows()
    assert [r[0] for r in rows] == list(claims)
    by_claim = {claim: (value, meaning) for claim, value, meaning in rows}
    assert "2023-04-22 08:39:12 UTC" in by_claim["exp"][0]
    assert "24 h 0 min" in by_claim["exp"][1]
    assert by_claim["surprise"] == ("true", by_claim["surprise"][1])
    assert "doesn't explain" in by_claim["surprise"][1]
    assert all("\n" not in meaning for _, _, meaning in rows)


def test_standard_base64_payload_also_decodes():
    # ACS tokens are read by the SDK with standard base64; accept both alphabets.
    header = b64url(b'{"alg":"none"}')
    payload = base64.b64encode(json.dumps(acs_claims()).encode()).decode().rstrip("=")
    assert decode_token(f"{header}.{payload}.").scopes == ["voip", "chat"]


def test_token_without_acs_claims_still_decodes():
    anatomy = decode_token(make_jwt({"sub": "x"}))
    assert anatomy.identity_id is None and anatomy.scopes == [] and anatomy.lifetime is None
    assert anatomy.time_left() is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "No token given"),
        ("   ", "No token given"),
        ("hello", "expected 3 parts"),
        ("a.b", "expected 3 parts"),
        ("a.b.c.d", "expected 3 parts"),
        ("!!!!.eyJ9.sig", "not valid base64url"),
        (b64url(b"not json") + ".e30.sig", "header is not JSON"),
        ("e30." + b64url(b"[1, 2]") + ".sig", "payload is JSON but not an object"),
        ("e30." + b64url(b"\xff\xfe") + ".sig", "payload is not JSON"),
    ],
)
def test_malformed_tokens_give_one_line_errors(text, says):
    with pytest.raises(TokenFormatError) as info:
        decode_token(text)
    assert says in str(info.value)
    assert "\n" not in str(info.value)


def test_mask_shows_prefix_and_length_only():
    token = make_jwt(acs_claims())
    masked = mask_token(token)
    assert masked == f"{token[:10]}…({len(token)} chars)"
    assert token[10:20] not in masked


def test_mask_never_shows_a_short_secret_whole():
    assert mask_token("short-secret") == "…(12 chars)"
    assert mask_token("") == "(no token)"
    assert mask_token(None) == "(no token)"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-24T10:00:00.0000000+00:00",
        "2026-11-24T10:00:00Z",
        "2026-11-24T10:00:00.000+00:00",
        "2026-11-24T11:00:00.0000000+01:00",
        "2026-11-24T05:00:00.0000000-0500",
        "2026-11-24T10:00:00",
        1795514400,
    ],
)
def test_parse_expires_on_accepts_service_formats(raw):
    assert parse_expires_on(raw) == datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def test_parse_expires_on_keeps_microseconds_of_seven_digit_fractions():
    parsed = parse_expires_on("2023-10-10T21:39:39.3244584+00:00")
    assert parsed.microsecond == 324458
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", ["tomorrow", "2026-13-01T00:00:00Z", ""])
def test_parse_expires_on_rejects_garbage_in_one_line(raw):
    with pytest.raises(TokenFormatError) as info:
        parse_expires_on(raw)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=23, minutes=59, seconds=30), "23 h 59 min"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(minutes=5, seconds=3), "5 min 3 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=-2), "expired 2 min ago"),
    ],
)
def test_describe_duration_reads_like_a_person(delta, text):
    assert describe_duration(delta) == text


def test_decodes_a_real_token_from_the_local_service(tmp_path):
    from azure.communication.identity import CommunicationIdentityClient

    from helpers import emulator

    with emulator.start(state_dir=tmp_path) as emu:
        client = CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle, retry_total=0
        )
        user, token = client.create_user_and_token(
            ["voip", "chat"], token_expires_in=timedelta(minutes=75)
        )
    anatomy = decode_token(token.token)
    assert anatomy.identity_id == user.properties["id"]
    assert anatomy.scopes == ["voip", "chat"]
    assert anatomy.lifetime == timedelta(minutes=75)
    assert anatomy.resource_id and anatomy.resource_id in user.properties["id"]
    assert abs(parse_expires_on(token.expires_on) - anatomy.expires_at) < timedelta(seconds=1)
    assert mask_token(token.token).endswith(f"…({len(token.token)} chars)")


def test_mask_token_speaks_the_notebooks_language(monkeypatch):
    from helpers import i18n

    token = "x" * 814
    monkeypatch.setenv(i18n.LANGUAGE_VAR, "de")
    assert mask_token(token) == "xxxxxxxxxx…(814 Zeichen)"
    assert mask_token(None) == "(kein Token)"
    monkeypatch.setenv(i18n.LANGUAGE_VAR, "en")
    assert mask_token(token) == "xxxxxxxxxx…(814 chars)"
    assert mask_token("a") == "…(1 char)"
