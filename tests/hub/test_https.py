"""HUB_SSL_CERT/HUB_SSL_KEY: the room answers over HTTPS with the trainer's certificate (here a
self-signed one made for 127.0.0.1), and not over plain HTTP."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy import room as hub_room

pytestmark = pytest.mark.hub


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acs-lab-room")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "room.crt", folder / "room.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_the_room_answers_over_https_with_the_trainers_certificate():
    if not hub_room.default_proxy().exists():
        pytest.skip("configurable-http-proxy is not installed (make test installs it with npm)")
    folder = Path(tempfile.mkdtemp(prefix="acs-hub-https-"))
    cert, key = self_signed(folder)
    env = {
        **os.environ,
        "HUB_ROOM": str(folder / "room"),
        "HUB_PORT": str(hub_room.free_port()),
        "HUB_SSL_CERT": str(cert),
        "HUB_SSL_KEY": str(key),
        "HUB_ACCOUNTS": "off",  # no attendee here: the certificate is what is tested
    }
    settings = hub_room.with_runtime(hub_room.prepare(env))
    assert settings.url.startswith("https://127.0.0.1:")
    log = open(settings.private / "hub.log", "w")  # noqa: SIM115 - open while the hub runs
    process = hub_room.start(settings, stdout=log, stderr=log)
    try:
        hub_room.wait_until_up(settings, process, timeout=120)
        page = requests.get(f"{settings.url}hub/login", verify=str(cert), timeout=30)
        assert page.status_code == 200 and "password" in page.text.lower()
        plain = settings.url.replace("https://", "http://")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{plain}hub/login", timeout=10)
    finally:
        assert hub_room.stop(settings, process) == []
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
