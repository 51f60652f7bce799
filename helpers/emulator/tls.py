"""Local certificate authority and a server certificate for localhost, 127.0.0.1 and ::1.

The CA is trusted process-wide by `connect()` (REQUESTS_CA_BUNDLE, SSL_CERT_FILE) and by Node
(NODE_EXTRA_CA_CERTS), so its key must not be able to vouch for anything else: the CA carries
name constraints (localhost, 127.0.0.0/8, ::1 only) and lives a few months; it is renewed
automatically at a start within RENEW_BEFORE of its end. A CA from an older version (no name
constraints, ten years) is replaced at the next start.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca-cert.pem"
CA_KEY = "ca-key.pem"
CA_BUNDLE = "ca-bundle.pem"
SERVER_CERT = "server-cert.pem"
SERVER_KEY = "server-key.pem"

CA_DAYS = 180  # about six months
SERVER_DAYS = 90
RENEW_BEFORE = dt.timedelta(days=30)
PERMITTED = x509.NameConstraints(
    permitted_subtrees=[
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    ],
    excluded_subtrees=None,
)

Writer = Callable[[Path, bytes, int], None]


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _make_ca(root: Path, write: Writer) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ACS Identity Lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "ACS Identity Lab local emulator CA"),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(signs_certificates=True),
            critical=True,
        )
        .add_extension(PERMITTED, critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    # A still-valid, constrained predecessor stays trusted until it ends, so a service started
    # before the renewal (its certificate signed by the old CA) is still reachable.
    pem = cert.public_bytes(serialization.Encoding.PEM)
    old = _load_ca(root)
    if old is not None and _acceptable(old) and old.not_valid_after_utc > now:
        pem += old.public_bytes(serialization.Encoding.PEM)
    write(root / CA_KEY, _key_pem(key), 0o600)
    write(root / CA_CERT, pem, 0o644)


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    """Signatures only; a CA also signs certificates and revocation lists."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _make_server(root: Path, write: Writer) -> None:
    ca_cert = x509.load_pem_x509_certificate((root / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((root / CA_KEY).read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(signs_certificates=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write(root / SERVER_KEY, _key_pem(key), 0o600)
    write(root / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _expiring(path: Path) -> bool:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.not_valid_after_utc - _now() < RENEW_BEFORE


def _load_ca(root: Path) -> x509.Certificate | None:
    """The current CA: the first certificate in ca-cert.pem (a predecessor may follow)."""
    try:
        return x509.load_pem_x509_certificate((root / CA_CERT).read_bytes())
    except (OSError, ValueError):
        return None


def _acceptable(ca: x509.Certificate) -> bool:
    """Constrained to loopback names, and no longer-lived than this version makes them."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return False
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    return (
        constraints.critical
        and constraints.value == PERMITTED
        and lifetime <= dt.timedelta(days=CA_DAYS, minutes=10)
    )


def ensure_certificates(root: Path, write: Writer) -> None:
    """Create (or renew, or migrate) the CA, the server cert and the combined bundle.
    Caller holds the lock."""
    new_ca = False
    ca = _load_ca(root) if (root / CA_KEY).exists() else None
    if ca is None or not _acceptable(ca) or ca.not_valid_after_utc - _now() < RENEW_BEFORE:
        _make_ca(root, write)
        new_ca = True
    server_files = (root / SERVER_CERT, root / SERVER_KEY)
    if new_ca or not all(p.exists() for p in server_files) or _expiring(root / SERVER_CERT):
        _make_server(root, write)  # cert and key together: one without the other is useless
    if new_ca or not (root / CA_BUNDLE).exists():
        # Public CAs first, so a process trusting this bundle still reaches real Azure.
        public = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n"
        local = (root / CA_CERT).read_bytes()
        write(root / CA_BUNDLE, public + b"\n# ACS Identity Lab local emulator CA\n" + local, 0o644)
