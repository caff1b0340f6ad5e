"""The README's two Python client examples, run verbatim (only the server address is
changed) as separate processes against a live embedded server: the sync one lists the
reminders, the asyncio one waits for the next reminder, which is made due in a second,
and acknowledges it."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from carenotes.v1 import auth_pb2, care_pb2
from tests.e2e.processes import Deployment, Processes, base_env, utcnow, wait_until
from tests.e2e.reminder_tools import Rows

ROOT = Path(__file__).resolve().parents[2]
NOTE = "Take amoxicillin 500 mg twice daily for 3 days."

pytestmark = pytest.mark.slow


def readme_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python clients") : readme.index("## TLS and mutual TLS")]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2, "the README shows one sync and one asyncio example"
    return blocks


def test_the_readme_client_examples_run(
    embedded: Deployment, processes: Processes, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    sync_code, async_code = (
        b.replace("127.0.0.1:50051", embedded.target) for b in readme_examples()
    )
    api = embedded.api()
    rows = Rows(embedded.database_url)
    request.addfinalizer(api.close)
    request.addfinalizer(rows.close)
    api.auth.SignUp(
        auth_pb2.SignUpRequest(
            name="Pat Doe", email="pat@example.org", password="green-lantern-meadow-7",
            role=auth_pb2.ROLE_PATIENT, timezone="Europe/Paris",
        ),
        timeout=15,
    )  # fmt: skip
    patient_login = api.auth.Login(
        auth_pb2.LoginRequest(email="pat@example.org", password="green-lantern-meadow-7"),
        timeout=15,
    )
    patient_md = (("authorization", f"Bearer {patient_login.access_token}"),)
    doctor = api.sign_up_and_log_in(auth_pb2.ROLE_DOCTOR, "Dr Ada Lovelace")
    api.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient_md, timeout=10
    )
    api.care.SubmitNote(
        care_pb2.SubmitNoteRequest(
            patient_id=patient_login.user.id, note=NOTE, wait_for_steps=True
        ),
        metadata=doctor.metadata,
        timeout=30,
    )

    env = base_env()
    done = processes.run("readme-sync", [sys.executable, "-c", sync_code], env)
    lines = done.stdout.splitlines()
    assert lines[0] == "Pat Doe Europe/Paris"
    assert len(lines) == 7
    assert all(line.endswith("Take amoxicillin 500 mg") for line in lines[1:])

    waiting = processes.start(
        "readme-async", [sys.executable, "-c", async_code], env, separate_stdout=True
    )
    wait_until(lambda: "plan items" in waiting.stdout(), timeout=30, what="the async example")
    assert waiting.stdout().splitlines()[0] == "1 plan items, 1 with doses"
    first = rows.reminders(patient_login.user.id)[0]
    due = utcnow() + timedelta(seconds=1)
    rows.move(first.id, due_at=due, window_ends_at=due + timedelta(hours=1))
    assert waiting.popen.wait(timeout=30) == 0, waiting.log()
    assert waiting.stdout().splitlines()[1] == "due: Take amoxicillin 500 mg"
    assert rows.get(first.id).status == "TAKEN"
