"""A GP and a cardiologist on one patient's care team, through `carenotes` subprocesses
against a live embedded server: invited doctors only, both plans shown to the patient
labelled with their doctor, each doctor's note replacing only their own plan, and a
removed doctor refused at once while the plan they wrote stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.processes import PASSWORD, Deployment, Processes
from tests.e2e.test_cli_walkthrough import Cli

pytestmark = pytest.mark.slow


def sign_up_doctor(deployment: Deployment, cli: Cli, name: str, email: str) -> str:
    code = deployment.invite(email, "--name", name)
    server = ["--server", deployment.target]
    cli(*server, "signup", "--name", name, "--email", email, "--role", "doctor",
        "--invitation-code", code, "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    cli(*server, "login", "--email", email, "--password-stdin", stdin=PASSWORD)
    me: str = cli.json("whoami")["id"]
    return me


def test_two_doctors_each_replace_only_their_own_plan(
    embedded: Deployment, processes: Processes, tmp_path: Path
) -> None:
    gp = Cli(processes, "gp", tmp_path / "gp")
    cardio = Cli(processes, "cardio", tmp_path / "cardio")
    patient = Cli(processes, "patient", tmp_path / "patient")
    gp_id = sign_up_doctor(embedded, gp, "Dr Gail Practitioner", "gail@gp.example")
    cardio_id = sign_up_doctor(embedded, cardio, "Dr Carl Heart", "carl@heart.example")
    server = ["--server", embedded.target]
    patient(*server, "signup", "--name", "Sam Patient", "--email", "sam@example.org",
            "--role", "patient", "--timezone", "Europe/Paris", "--password-stdin",
            stdin=PASSWORD + "\n")  # fmt: skip
    patient(*server, "login", "--email", "sam@example.org", "--password-stdin", stdin=PASSWORD)
    patient_id = patient.json("whoami")["id"]
    for doctor_id in (gp_id, cardio_id):
        assert "is on your care team" in patient("select-doctor", doctor_id)
    team = patient("care-team")
    assert "Dr Gail Practitioner" in team
    assert "Dr Carl Heart" in team

    gp(
        "notes",
        "submit",
        patient_id,
        "--wait",
        "--text",
        "Amoxicillin 500 mg twice daily for 7 days.",
    )
    cardio("notes", "submit", patient_id, "--wait", "--text", "Metformin 500 mg twice daily.")
    steps = patient("steps")
    assert "Take amoxicillin 500 mg: twice a day" in steps
    assert "[Dr Gail Practitioner]" in steps
    assert "[Dr Carl Heart]" in steps
    # The cardiologist sees the GP's plan too, and the new note changes only his own.
    out = cardio("notes", "submit", patient_id, "--wait", "--text", "Lisinopril 10 mg once daily.")
    assert "stops Take metformin 500 mg" in out
    assert "amoxicillin" not in out.lower()
    plan = {p["action"]: p["doctor_name"] for p in patient.json("steps")["plan"]}
    assert plan == {
        "Take amoxicillin 500 mg": "Dr Gail Practitioner",
        "Take lisinopril 10 mg": "Dr Carl Heart",
    }

    # The patient removes the GP: refused at once, and the GP's course stays in force.
    assert "is no longer on your care team" in patient("remove-doctor", gp_id)
    refused = gp("steps", patient_id, code=3)
    assert "permission" in refused.lower() or "may not" in refused.lower()
    assert patient_id not in gp("patients")
    actions = {p["action"] for p in patient.json("steps")["plan"]}
    assert "Take amoxicillin 500 mg" in actions
    history = patient("care-team", "--all")
    assert history.count("Dr Gail Practitioner") == 1
