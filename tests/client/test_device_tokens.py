"""The CLI keeps the device token a login earns and presents it at the next login of the
same user to the same server, so an attacker's wrong guesses never lock it out."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message

from carenotes.v1 import auth_pb2
from carenotes_client.cli import main
from carenotes_client.devices import FileDeviceStore
from tests.client.fake_server import FakeAuth, FakeServer


@pytest.fixture
def server(fake: FakeServer, auth: FakeAuth, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    monkeypatch.setenv("CARENOTES_SERVER", fake.target)
    return fake


def test_a_login_keeps_its_device_token_and_sends_it_next_time(
    server: FakeServer,
    auth: FakeAuth,
    config_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[auth_pb2.LoginRequest] = []

    def login(request: auth_pb2.LoginRequest, context: grpc.ServicerContext) -> Message:
        seen.append(request)
        response = auth.issue()
        if not request.device_token:
            response.device_token = "device-secret-1"
        return response

    server.on("AuthService/Login", login)
    for _ in range(2):
        code = main(
            ["login", "--email", "Pat@Example.org", "--password-stdin"],
            stdin=io.StringIO(auth.password),
        )
        assert code == 0, capsys.readouterr().err
    assert [r.device_token for r in seen] == ["", "device-secret-1"]
    devices = config_dir / "devices.json"
    assert stat.S_IMODE(devices.stat().st_mode) == 0o600
    assert "device-secret-1" not in capsys.readouterr().out
    # Logging out forgets the session, not the device.
    main(["logout"])
    assert "device-secret-1" in devices.read_text()


def test_device_tokens_are_per_server_and_user(tmp_path: Path) -> None:
    store = FileDeviceStore(tmp_path / "devices.json")
    store.put("a:1", "Pat@example.org", "t1")
    store.put("b:2", "pat@example.org", "t2")
    assert store.get("a:1", "pat@EXAMPLE.org") == "t1"
    assert store.get("b:2", "pat@example.org") == "t2"
    assert store.get("a:1", "sam@example.org") == ""
    assert json.loads((tmp_path / "devices.json").read_text()) == {
        "a:1|pat@example.org": "t1",
        "b:2|pat@example.org": "t2",
    }
