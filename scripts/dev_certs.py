"""Local certificates for trying TLS and mutual TLS (`make dev-certs`).

    python scripts/dev_certs.py certs [--dir certs] [--force] [--host NAME ...]

Creates, with the `cryptography` package only (no openssl command needed):

    ca.pem, ca-key.pem            a local certificate authority (10 years)
    server.pem, server-key.pem    server certificate for localhost and 127.0.0.1 (+ --host)
    client.pem, client-key.pem    a client certificate for mutual TLS

Private keys are written 0600, the directory 0700. For development only: the CA key
sits next to the certificates it signs. Then, for example:

    CARENOTES_TLS_CERT=certs/server.pem CARENOTES_TLS_KEY=certs/server-key.pem \\
    CARENOTES_TLS_CLIENT_CA=certs/ca.pem carenotes-server serve
    carenotes --ca-file certs/ca.pem --cert-file certs/client.pem \\
        --key-file certs/client-key.pem whoami
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
LEAF_DAYS = 825


@dataclass(frozen=True)
class DevCerts:
    """Paths of one generated set."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client-key.pem"

    def all_files(self) -> list[Path]:
        return [
            self.ca,
            self.ca_key,
            self.server_cert,
            self.server_key,
            self.client_cert,
            self.client_key,
        ]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Carenotes development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Writes atomically; private files are created 0600 (never readable by others)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600 if private else 0o644)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    *,
    usage: x509.ObjectIdentifier,
    hosts: Sequence[str] = (),
    now: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if hosts:
        builder = builder.add_extension(_san(hosts), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_dev_certs(
    directory: Path,
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    client_name: str = "carenotes-dev-client",
    force: bool = False,
) -> DevCerts:
    """Creates a CA, a server and a client certificate in `directory`.

    Refuses to overwrite an existing set unless `force` (a new CA would invalidate
    every certificate the old one signed).
    """
    out = DevCerts(directory)
    existing = [p for p in out.all_files() if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists; pass --force to replace the whole set")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    now = datetime.now(UTC)

    ca_key = _key()
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Carenotes development CA"))
        .issuer_name(_name("Carenotes development CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_cert, server_key = _leaf(
        ca_cert,
        ca_key,
        hosts[0] if hosts else "localhost",
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        hosts=hosts,
        now=now,
    )
    client_cert, client_key = _leaf(
        ca_cert, ca_key, client_name, usage=ExtendedKeyUsageOID.CLIENT_AUTH, now=now
    )

    pem = serialization.Encoding.PEM
    _write(out.ca_key, _key_pem(ca_key), private=True)
    _write(out.ca, ca_cert.public_bytes(pem), private=False)
    _write(out.server_key, _key_pem(server_key), private=True)
    _write(out.server_cert, server_cert.public_bytes(pem), private=False)
    _write(out.client_key, _key_pem(client_key), private=True)
    _write(out.client_cert, client_cert.public_bytes(pem), private=False)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev_certs.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    certs = commands.add_parser("certs", help="create a local CA, server and client certificate")
    certs.add_argument("--dir", type=Path, default=Path("certs"), help="output directory")
    certs.add_argument(
        "--host",
        action="append",
        default=[],
        help="extra server name or IP (repeatable); localhost and 127.0.0.1 are always in",
    )
    certs.add_argument("--force", action="store_true", help="replace an existing set")
    args = parser.parse_args(argv)
    hosts = list(dict.fromkeys([*DEFAULT_HOSTS, *args.host]))
    try:
        out = make_dev_certs(args.dir, hosts=hosts, force=args.force)
    except FileExistsError as e:
        print(f"dev_certs: {e}", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(p.name for p in out.all_files())} to {out.directory}/")
    print(f"server: CARENOTES_TLS_CERT={out.server_cert} CARENOTES_TLS_KEY={out.server_key}")
    print(f"mutual TLS: CARENOTES_TLS_CLIENT_CA={out.ca}")
    print(
        f"client: carenotes --ca-file {out.ca} --cert-file {out.client_cert} "
        f"--key-file {out.client_key} ..."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
