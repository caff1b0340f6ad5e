"""The contract checks of `make test`: buf lint passes, buf breaking catches a change
that would break clients, and the two naming rules buf.yaml turns off for published
RPCs hold for every RPC added since."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from carenotes_server.grpc_api.policy import services

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"
IMAGE = ROOT / "protos" / "carenotes.binpb"

# Published before the contract was linted; renaming their messages would break every
# client. Nothing may be added to this list: new RPCs get <Method>Request/Response.
GRANDFATHERED = frozenset(
    {
        "AuthService.Login",
        "AuthService.RefreshToken",
        "AuthService.WhoAmI",
        "CareService.GetMyDoctor",
        "CareService.GetNote",
        "StepsService.GetActionableSteps",
        "StepsService.CompleteChecklistItem",
        "StepsService.PreviewActionableSteps",
        "StepsService.AcknowledgeReminder",
        "StepsService.GetAdherence",
        "StepsService.StreamReminders",
    }
)


def _buf(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    if not BUF.exists():
        pytest.fail(f"{BUF} is missing: buf-bin is a dev dependency (make install)")
    return subprocess.run(
        [str(BUF), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_new_rpcs_have_their_own_request_and_response_messages() -> None:
    uses = Counter[str]()
    methods = [(s, m) for s in services() for m in s.methods]
    for _, m in methods:
        uses.update({m.input_type.full_name, m.output_type.full_name})
    for s, m in methods:
        if f"{s.name}.{m.name}" in GRANDFATHERED:
            continue
        assert m.input_type.name in (f"{m.name}Request", f"{s.name}{m.name}Request"), m.full_name
        assert m.output_type.name in (f"{m.name}Response", f"{s.name}{m.name}Response"), m.full_name
        assert uses[m.input_type.full_name] == 1, f"{m.full_name} shares its request type"
        assert uses[m.output_type.full_name] == 1, f"{m.full_name} shares its response type"
    known = {f"{s.name}.{m.name}" for s, m in methods}
    assert known >= GRANDFATHERED  # a removed RPC must leave this list too


def test_buf_lint_passes() -> None:
    done = _buf("lint")
    assert done.returncode == 0, done.stdout + done.stderr


def test_buf_breaking_catches_a_removed_field_against_the_committed_image(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "protos", tree / "protos")
    shutil.copy(ROOT / "buf.yaml", tree / "buf.yaml")
    assert _buf("breaking", "--against", str(IMAGE), cwd=tree).returncode == 0

    auth = tree / "protos" / "carenotes" / "v1" / "auth.proto"
    text = auth.read_text()
    assert "  string timezone = 5;\n" in text
    auth.write_text(text.replace("  string timezone = 5;\n", "", 1))
    done = _buf("breaking", "--against", str(IMAGE), cwd=tree)
    assert done.returncode != 0
    assert "timezone" in done.stdout + done.stderr


def test_the_committed_image_matches_the_protos(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.binpb"
    done = _buf("build", "--exclude-source-info", "-o", str(fresh))
    assert done.returncode == 0, done.stderr
    assert fresh.read_bytes() == IMAGE.read_bytes(), "run make contract"
