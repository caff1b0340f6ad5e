"""The README's grpcurl walkthrough against a live embedded server, exactly as a user
would type it: `.venv/bin/grpcurl -plaintext`, no proto files (server reflection),
JSON requests with -d, the bearer token with -H.

grpcurl prints proto field names (`access_token`, `actionable_steps`) and accepts both
those and the JSON names (`waitForSteps`) in -d.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.processes import GRPCURL_BIN, Deployment, Processes, base_env

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."

pytestmark = pytest.mark.slow


class Grpcurl:
    def __init__(self, procs: Processes, target: str) -> None:
        self.procs = procs
        self.target = target
        self.env = base_env()

    def run(
        self, *args: str, data: str | None = None, token: str | None = None, code: int = 0
    ) -> str:
        command = [GRPCURL_BIN, "-plaintext"]
        if token is not None:
            command += ["-H", f"authorization: Bearer {token}"]
        if data is not None:
            command += ["-d", data]
        command += [self.target, *args]
        done = self.procs.run("grpcurl", command, self.env, timeout=60, check=False)
        assert done.returncode == code, (
            f"{' '.join(command)} exited {done.returncode}, expected {code}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
        return done.stdout if code == 0 else done.stderr

    def call(
        self, method: str, data: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        out = self.run(method, data=json.dumps(data) if data is not None else None, token=token)
        return json.loads(out)


def test_grpcurl_walkthrough(embedded: Deployment, processes: Processes) -> None:
    g = Grpcurl(processes, embedded.target)

    services = g.run("list").split()
    for name in (
        "carenotes.v1.AuthService",
        "carenotes.v1.CareService",
        "carenotes.v1.StepsService",
    ):
        assert name in services
    assert "grpc.health.v1.Health" in services
    described = g.run("describe", "carenotes.v1.CareService")
    assert "rpc SubmitNote ( .carenotes.v1.SubmitNoteRequest )" in described
    assert "string email" in g.run("describe", "carenotes.v1.SignUpRequest")

    ada = {
        "name": "Dr Ada Lovelace",
        "email": "ada@clinic.example",
        "password": "blue-kettle-harbour-42",
        "role": "ROLE_DOCTOR",
        "timezone": "Europe/London",
    }
    uninvited = g.run(
        "carenotes.v1.AuthService/SignUp", data=json.dumps(ada), code=64 + 7
    )  # PERMISSION_DENIED
    assert "invitation" in uninvited
    code = embedded.invite("ada@clinic.example", "--registration", "GMC 1815")
    doctor_id = g.call("carenotes.v1.AuthService/SignUp", {**ada, "invitation_code": code})[
        "user_id"
    ]
    patient_id = g.call(
        "carenotes.v1.AuthService/SignUp",
        {
            "name": "Pat Doe",
            "email": "pat@example.org",
            "password": "green-lantern-meadow-7",
            "role": "ROLE_PATIENT",
            "timezone": "Europe/Paris",
        },
    )["user_id"]
    login = g.call(
        "carenotes.v1.AuthService/Login",
        {"email": "pat@example.org", "password": "green-lantern-meadow-7"},
    )
    assert login["user"]["role"] == "ROLE_PATIENT"
    token = login["access_token"]
    doc = g.call(
        "carenotes.v1.AuthService/Login",
        {"email": "ada@clinic.example", "password": "blue-kettle-harbour-42"},
    )["access_token"]

    me = g.call("carenotes.v1.AuthService/WhoAmI", token=token)
    assert (me["id"], me["email"], me["timezone"]) == (
        patient_id,
        "pat@example.org",
        "Europe/Paris",
    )
    doctors = g.call("carenotes.v1.CareService/ListDoctors", {"name_filter": "ada"}, token=token)
    assert [d["id"] for d in doctors["doctors"]] == [doctor_id]
    selected = g.call(
        "carenotes.v1.CareService/SelectDoctor", {"doctor_id": doctor_id}, token=token
    )
    assert selected["doctor"]["name"] == "Dr Ada Lovelace"
    patients = g.call("carenotes.v1.CareService/ListPatients", token=doc)
    assert [p["id"] for p in patients["patients"]] == [patient_id]

    submitted = g.call(
        "carenotes.v1.CareService/SubmitNote",
        {"patientId": patient_id, "note": NOTE, "waitForSteps": True},
        token=doc,
    )
    assert submitted["message"] == "Note submitted successfully; the plan in force is updated"
    assert submitted["extraction_status"] == "EXTRACTION_STATUS_DONE"
    steps = submitted["actionable_steps"]
    assert [c["text"] for c in steps["checklist"]] == ["Buy a thermometer"]
    (plan,) = steps["plan"]
    assert plan["action"] == "Take amoxicillin 500 mg"
    assert plan["schedule"]["times_per_day"] == 2
    assert plan["schedule"]["occurrences"] == 6

    in_force = g.call("carenotes.v1.StepsService/GetActionableSteps", token=token)
    assert in_force["note_id"] == submitted["note_id"]
    assert [p["action"] for p in in_force["plan"]] == ["Take amoxicillin 500 mg"]
    reminders = g.call("carenotes.v1.StepsService/ListReminders", token=token)["reminders"]
    assert len(reminders) == 6

    # A routine note changes nothing; an implausible schedule is refused, plan kept.
    routine = g.call(
        "carenotes.v1.CareService/SubmitNote",
        {
            "patient_id": patient_id,
            "note": "Patient doing well. Discussed diet and exercise.",
            "wait_for_steps": True,
        },
        token=doc,
    )
    assert routine["message"].endswith("no change to the plan")
    (kept,) = routine["actionable_steps"]["plan_change"]["items"]
    assert kept["kind"] == "PLAN_CHANGE_KIND_KEPT"
    assert kept["in_force"]["action"] == "Take amoxicillin 500 mg"
    refused_note = g.call(
        "carenotes.v1.CareService/SubmitNote",
        {
            "patient_id": patient_id,
            "note": "Amoxicillin 500 mg 40 times daily for 5 days.",
            "wait_for_steps": True,
        },
        token=doc,
    )
    assert refused_note["extraction_status"] == "EXTRACTION_STATUS_FAILED"
    assert "40 doses a day" in refused_note["failure_reason"]
    again = g.call("carenotes.v1.StepsService/ListReminders", token=token)["reminders"]
    assert [r["id"] for r in again] == [r["id"] for r in reminders]
    preview = g.call(
        "carenotes.v1.StepsService/PreviewActionableSteps",
        {"patient_id": patient_id, "note": "Azithromycin 250 mg on Mon/Wed/Fri for 4 weeks."},
        token=doc,
    )
    assert preview["plan"][0]["schedule"]["days_of_week"] == [
        "DAY_OF_WEEK_MONDAY",
        "DAY_OF_WEEK_WEDNESDAY",
        "DAY_OF_WEEK_FRIDAY",
    ]
    changes = {c["kind"] for c in preview["plan_change"]["items"]}
    assert changes == {"PLAN_CHANGE_KIND_STARTED", "PLAN_CHANGE_KIND_STOPPED"}

    health = g.call("grpc.health.v1.Health/Check", {"service": "carenotes.v1.CareService"})
    assert health == {"status": "SERVING"}

    # Errors come back as gRPC statuses, with field violations where they apply.
    refused = g.run("carenotes.v1.AuthService/WhoAmI", code=80)  # 64 + UNAUTHENTICATED (16)
    assert "Code: Unauthenticated" in refused
    denied = g.run(
        "carenotes.v1.CareService/SubmitNote",
        data=json.dumps({"patient_id": patient_id, "note": NOTE}),
        token=token,
        code=64 + 7,
    )
    assert "Code: PermissionDenied" in denied
    invalid = g.run(
        "carenotes.v1.AuthService/SignUp",
        data=json.dumps({"name": "X", "email": "not-an-email", "password": "short"}),
        code=64 + 3,
    )
    assert "Code: InvalidArgument" in invalid
