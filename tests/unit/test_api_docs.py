"""docs/api.md: generated from the protos, documents every RPC with its policy, never stale."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.grpc_api.policy import build_policy_table

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_api_docs.py"
API_MD = ROOT / "docs" / "api.md"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def generated() -> str:
    result = run()
    assert result.returncode == 0, result.stderr
    return result.stdout


def rpc_section(text: str, service: str, method: str) -> str:
    match = re.search(rf"^### {service}\.{method}\n(.*?)(?=^#{{2,3}} )", text, re.S | re.M)
    assert match, f"{service}.{method} is not documented"
    return match.group(1)


def test_committed_reference_is_up_to_date(generated: str) -> None:
    assert API_MD.read_text(encoding="utf-8") == generated, "run `make docs` and commit"
    result = run("--check", str(API_MD))
    assert result.returncode == 0, result.stderr


def test_every_rpc_is_documented_with_its_policy_comment_and_errors(generated: str) -> None:
    table = build_policy_table()
    assert len(table) >= 20
    for path, access in table.items():
        service_full, method = path.strip("/").split("/")
        service = service_full.rsplit(".", 1)[1]
        section = rpc_section(generated, service, method)
        assert f"- Access: **{access.name}**" in section, path
        assert f"- Method: `{path}`" in section
        assert "(undocumented)" not in section, f"{path} has no comment in its proto"
        assert "| `UNAVAILABLE` |" in section
        if access.name != "PUBLIC":
            assert "| `UNAUTHENTICATED` |" in section, path
        if access.name in {"PATIENT", "DOCTOR"}:
            assert "| `PERMISSION_DENIED` |" in section, path


def test_comments_fields_enums_and_error_details_are_rendered(generated: str) -> None:
    submit = rpc_section(generated, "CareService", "SubmitNote")
    assert "Stores a note (encrypted)" in submit
    assert "| `PERMISSION_DENIED` |" in submit
    sign_up = rpc_section(generated, "AuthService", "SignUp")
    assert "| `ALREADY_EXISTS` |" in sign_up
    # Every field of every message, with its type.
    for module in (auth_pb2, care_pb2, steps_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            assert f"### {message.name}\n" in generated, message.name
            for field in message.fields:
                assert re.search(rf"^\| `{field.name}` \| {field.number} \| ", generated, re.M), (
                    f"{message.name}.{field.name}"
                )
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            for value in enum.values:
                assert f"| `{value.name}` | {value.number} |" in generated
    assert "| `note` | 2 | `string` | Note text, 1 to 20,000 characters. |" in generated
    assert "repeated [`Reminder`](#reminder)" in generated
    assert "google.rpc.BadRequest" in generated
    assert "google.rpc.RetryInfo" in generated


def test_check_reports_a_stale_file(tmp_path: Path, generated: str) -> None:
    stale = tmp_path / "api.md"
    stale.write_text(generated.replace("Returns the signed-in user.", "Returns a user."))
    result = run("--check", str(stale))
    assert result.returncode == 1
    assert "is stale" in result.stderr
    assert "make docs" in result.stderr
    assert "+Returns the signed-in user." in result.stderr

    missing = run("--check", str(tmp_path / "nope.md"))
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr


def test_a_changed_proto_comment_makes_the_committed_file_stale(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "protos", tmp_path / "protos")
    auth = tmp_path / "protos" / "carenotes" / "v1" / "auth.proto"
    auth.write_text(auth.read_text().replace("// Returns the signed-in user.", "// Who am I?"))
    result = run("--proto-root", str(tmp_path / "protos"), "--check", str(API_MD))
    assert result.returncode == 1
    assert "+Who am I?" in result.stderr
