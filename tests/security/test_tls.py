"""TLS and mutual TLS end to end: `make dev-certs` output, a real server with
CARENOTES_TLS_* settings, and the async stubs, CareClient and CLI as clients."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from carenotes.v1 import auth_pb2, auth_pb2_grpc
from carenotes_client import CareClient
from carenotes_client.cli import EXIT_INVALID, EXIT_OK
from carenotes_client.cli import main as cli_main
from tests.databases import sqlite_database
from tests.harness import DEFAULT_PASSWORD, Harness, running_server

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "dev_certs.py"
# A refused handshake never reaches the server's handlers: the channel is UNAVAILABLE.
REFUSED = grpc.StatusCode.UNAVAILABLE


def make_certs(directory: Path) -> Path:
    subprocess.run(
        [sys.executable, str(SCRIPT), "certs", "--dir", str(directory)],
        check=True,
        capture_output=True,
    )
    return directory


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("tls") / "certs")


@pytest.fixture(scope="module")
def other_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second, unrelated CA with its own server and client certificates."""
    return make_certs(tmp_path_factory.mktemp("tls-other") / "certs")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("CARENOTES_CONFIG_DIR", str(directory))
    monkeypatch.delenv("CARENOTES_SERVER", raising=False)
    monkeypatch.delenv("CARENOTES_CLIENT_CERT", raising=False)
    monkeypatch.delenv("CARENOTES_CLIENT_KEY", raising=False)
    return directory


def tls_env(certs: Path, *, mutual: bool) -> dict[str, str]:
    env = {
        "CARENOTES_TLS_CERT": str(certs / "server.pem"),
        "CARENOTES_TLS_KEY": str(certs / "server-key.pem"),
    }
    if mutual:
        env["CARENOTES_TLS_CLIENT_CA"] = str(certs / "ca.pem")
    return env


@asynccontextmanager
async def tls_server(tmp_path: Path, certs: Path, *, mutual: bool) -> AsyncIterator[Harness]:
    with sqlite_database(tmp_path) as url:
        async with running_server(url, tmp_path, env=tls_env(certs, mutual=mutual)) as h:
            yield h


def credentials(
    ca: Path | None, cert: Path | None = None, key: Path | None = None
) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes() if ca else None,
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )


async def sign_up(channel: grpc.aio.Channel, email: str) -> auth_pb2.SignUpResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    return await stub.SignUp(
        auth_pb2.SignUpRequest(
            name="Tls Patient",
            email=email,
            password=DEFAULT_PASSWORD,
            role=auth_pb2.ROLE_PATIENT,
        ),
        timeout=10,
    )


async def refused(channel: grpc.aio.Channel) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await sign_up(channel, "refused@example.org")
    assert info.value.code() == REFUSED, info.value
    return info.value


# -- make dev-certs -----------------------------------------------------------------


def test_dev_certs_chain_names_and_private_keys(certs: Path) -> None:
    ca = x509.load_pem_x509_certificate((certs / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((certs / "server.pem").read_bytes())
    client = x509.load_pem_x509_certificate((certs / "client.pem").read_bytes())
    server.verify_directly_issued_by(ca)
    client.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    for key in ("ca-key.pem", "server-key.pem", "client-key.pem"):
        assert stat.S_IMODE((certs / key).stat().st_mode) == 0o600, key
    assert stat.S_IMODE(certs.stat().st_mode) == 0o700


def test_dev_certs_refuses_to_overwrite_without_force(certs: Path) -> None:
    before = (certs / "ca.pem").read_bytes()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "certs", "--dir", str(certs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert (certs / "ca.pem").read_bytes() == before


# -- server-side TLS ------------------------------------------------------------------


async def test_tls_handshake_with_the_ca(tmp_path: Path, certs: Path) -> None:
    async with tls_server(tmp_path, certs, mutual=False) as h:
        for host in ("127.0.0.1", "localhost"):
            async with grpc.aio.secure_channel(
                f"{host}:{h.port}", credentials(certs / "ca.pem")
            ) as channel:
                signed = await sign_up(channel, f"tls-{host}@example.org")
                assert signed.user_id


async def test_plaintext_client_is_refused_when_tls_is_on(tmp_path: Path, certs: Path) -> None:
    async with tls_server(tmp_path, certs, mutual=False) as h:
        async with grpc.aio.insecure_channel(h.target) as channel:
            await refused(channel)
        # The harness's own channel is plaintext too: nothing got through it.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), timeout=5)
        assert info.value.code() == REFUSED


async def test_server_certificate_from_another_ca_is_refused(
    tmp_path: Path, certs: Path, other_certs: Path
) -> None:
    async with (
        tls_server(tmp_path, certs, mutual=False) as h,
        grpc.aio.secure_channel(h.target, credentials(other_certs / "ca.pem")) as channel,
    ):
        await refused(channel)


async def test_mutual_tls_accepts_a_client_certificate_of_the_ca(
    tmp_path: Path, certs: Path
) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as h:
        creds = credentials(certs / "ca.pem", certs / "client.pem", certs / "client-key.pem")
        async with grpc.aio.secure_channel(h.target, creds) as channel:
            assert (await sign_up(channel, "mtls@example.org")).user_id


async def test_mutual_tls_refuses_a_client_without_a_certificate(
    tmp_path: Path, certs: Path
) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as h:
        async with grpc.aio.secure_channel(h.target, credentials(certs / "ca.pem")) as channel:
            await refused(channel)
        async with grpc.aio.insecure_channel(h.target) as channel:
            await refused(channel)


async def test_mutual_tls_refuses_a_client_certificate_of_another_ca(
    tmp_path: Path, certs: Path, other_certs: Path
) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as h:
        creds = credentials(
            certs / "ca.pem", other_certs / "client.pem", other_certs / "client-key.pem"
        )
        async with grpc.aio.secure_channel(h.target, creds) as channel:
            await refused(channel)


# -- the client library and the CLI ---------------------------------------------------


def _client_round_trip(target: str, certs: Path) -> str:
    with CareClient(
        target,
        timeout=10,
        root_certificates=(certs / "ca.pem").read_bytes(),
        certificate_chain=(certs / "client.pem").read_bytes(),
        private_key=(certs / "client-key.pem").read_bytes(),
    ) as client:
        client.sign_up("Client Tls", "client-tls@example.org", DEFAULT_PASSWORD, "patient")
        client.login("client-tls@example.org", DEFAULT_PASSWORD)
        session = client.session
        assert session is not None
        assert session.tls
        return client.who_am_i().email


async def test_care_client_over_mutual_tls(tmp_path: Path, certs: Path) -> None:
    async with tls_server(tmp_path, certs, mutual=True) as h:
        email = await asyncio.to_thread(_client_round_trip, h.target, certs)
        assert email == "client-tls@example.org"


def test_care_client_rejects_half_a_client_identity(certs: Path) -> None:
    ca = (certs / "ca.pem").read_bytes()
    with pytest.raises(ValueError, match="both"):
        CareClient("127.0.0.1:1", root_certificates=ca, certificate_chain=b"x")
    with pytest.raises(ValueError, match="root_certificates"):
        CareClient("127.0.0.1:1", certificate_chain=b"x", private_key=b"y")


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("config_dir")
async def test_cli_over_mutual_tls(tmp_path: Path, certs: Path) -> None:
    tls = [
        "--ca-file",
        str(certs / "ca.pem"),
        "--cert-file",
        str(certs / "client.pem"),
        "--key-file",
        str(certs / "client-key.pem"),
    ]
    async with tls_server(tmp_path, certs, mutual=True) as h:
        common = ["--server", h.target, *tls]
        code, _, err = await asyncio.to_thread(
            _cli, *common, "signup", "--name", "Cli Tls", "--email", "cli-tls@example.org",
            "--role", "patient", "--password", DEFAULT_PASSWORD,
        )  # fmt: skip
        assert code == EXIT_OK, err
        code, _, err = await asyncio.to_thread(
            _cli, *common, "login", "--email", "cli-tls@example.org", "--password", DEFAULT_PASSWORD
        )
        assert code == EXIT_OK, err
        code, out, err = await asyncio.to_thread(_cli, *common, "whoami", "--json")
        assert code == EXIT_OK, err
        assert "cli-tls@example.org" in out
        # Without the client certificate the same server refuses the CLI.
        code, _, err = await asyncio.to_thread(
            _cli, "--server", h.target, "--ca-file", str(certs / "ca.pem"), "whoami"
        )
        assert code != EXIT_OK


@pytest.mark.usefixtures("config_dir")
def test_cli_needs_both_cert_and_key_and_a_ca(certs: Path) -> None:
    code, _, err = _cli(
        "--server", "127.0.0.1:1", "--ca-file", str(certs / "ca.pem"),
        "--cert-file", str(certs / "client.pem"), "whoami",
    )  # fmt: skip
    assert code == EXIT_INVALID
    assert "--key-file" in err
    code, _, err = _cli(
        "--server", "127.0.0.1:1", "--cert-file", str(certs / "client.pem"),
        "--key-file", str(certs / "client-key.pem"), "whoami",
    )  # fmt: skip
    assert code == EXIT_INVALID
    assert "--ca-file" in err


@pytest.mark.usefixtures("config_dir")
async def test_plaintext_cli_against_a_tls_server_hints_at_tls(tmp_path: Path, certs: Path) -> None:
    async with tls_server(tmp_path, certs, mutual=False) as h:
        code, _, err = await asyncio.to_thread(
            _cli, "--server", h.target, "--timeout", "5", "login", "--email", "a@example.org",
            "--password", DEFAULT_PASSWORD,
        )  # fmt: skip
    assert code != EXIT_OK
    assert f"cannot reach the server at {h.target}" in err
    assert "the server may require TLS: give --ca-file CA.pem" in err


@pytest.mark.usefixtures("config_dir")
async def test_tls_cli_against_a_plaintext_server_hints_at_tls(tmp_path: Path, certs: Path) -> None:
    with sqlite_database(tmp_path) as url:
        async with running_server(url, tmp_path) as h:
            code, _, err = await asyncio.to_thread(
                _cli, "--server", h.target, "--ca-file", str(certs / "ca.pem"), "--timeout", "5",
                "login", "--email", "a@example.org", "--password", DEFAULT_PASSWORD,
            )  # fmt: skip
    assert code != EXIT_OK
    assert "TLS failed: the server may be plaintext (drop --ca-file)" in err, err
