"""The README's CLI walkthrough, run as a user would: `.venv/bin/carenotes` subprocesses
against a live embedded server, a doctor and a patient each with their own
CARENOTES_CONFIG_DIR, passwords on stdin. A reminder is made due one second ahead by
moving its row (see tests/e2e/reminder_tools.py)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.e2e.processes import (
    CLI_BIN,
    PASSWORD,
    Deployment,
    Processes,
    base_env,
    utcnow,
    wait_until,
)
from tests.e2e.reminder_tools import Rows, afternoon_timezone

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

pytestmark = pytest.mark.slow


class Cli:
    """`carenotes` as one user: their own config directory, so their own session."""

    def __init__(self, procs: Processes, name: str, config_dir: Path) -> None:
        self.procs = procs
        self.name = name
        self.env = base_env(CARENOTES_CONFIG_DIR=str(config_dir), TZ="UTC")

    def __call__(self, *args: str, stdin: str | None = None, code: int = 0) -> str:
        done = self.procs.run(
            f"{self.name}-{args[0]}",
            [CLI_BIN, *args],
            self.env,
            input_text=stdin,
            timeout=60,
            check=False,
        )
        assert done.returncode == code, (
            f"carenotes {' '.join(args)} exited {done.returncode}, expected {code}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
        return done.stdout if code == 0 else done.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


def test_cli_walkthrough(
    embedded: Deployment, processes: Processes, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = ["--server", embedded.target]
    doctor = Cli(processes, "doctor", tmp_path / "doctor-config")
    patient = Cli(processes, "patient", tmp_path / "patient-config")
    zone = afternoon_timezone()
    rows = Rows(embedded.database_url)
    request.addfinalizer(rows.close)

    # The clinic vouches for its doctors: an uninvited doctor sign-up is refused.
    signup = [
        "signup", "--name", "Dr Grace Hopper", "--email", "grace@clinic.example",
        "--role", "doctor", "--timezone", "Europe/Paris", "--password-stdin",
    ]  # fmt: skip
    refused = doctor(*server, *signup, stdin=PASSWORD + "\n", code=3)
    assert "invitation from the clinic" in refused
    code = embedded.invite("grace@clinic.example", "--name", "Dr Grace Hopper")
    out = doctor(*server, *signup, "--invitation-code", code, stdin=PASSWORD + "\n")
    assert re.search(rf"Account created \(id {UUID}\)\. Signed in as Dr Grace Hopper", out), out
    # An invitation works once.
    assert "invitation" in doctor(
        *server, *signup, "--invitation-code", code, stdin=PASSWORD + "\n", code=3
    )
    out = patient(
        *server,
        "signup",
        "--name",
        "Sam Patient",
        "--email",
        "sam@example.org",
        "--role",
        "patient",
        "--timezone",
        zone,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "Account created" in out
    assert "Signed in as Sam Patient <sam@example.org>, patient" in out
    # Signed out, not signed in: exit code 3 and a hint; login signs in again.
    assert "Signed out." in doctor(*server, "logout")
    assert "carenotes login" in doctor(*server, "whoami", code=3)
    out = doctor(
        *server, "login", "--email", "grace@clinic.example", "--password-stdin", stdin=PASSWORD
    )
    assert out.startswith("Signed in as Dr Grace Hopper <grace@clinic.example>, doctor")
    # Without a terminal, a password prompt says how to give the password.
    refused = patient(*server, "login", "--email", "sam@example.org", code=2)
    assert "--password-stdin" in refused
    for config in (tmp_path / "doctor-config", tmp_path / "patient-config"):
        session = config / "session.json"
        assert session.stat().st_mode & 0o777 == 0o600

    # From here on the saved session says which server to talk to.
    me = patient.json("whoami")
    assert f"patient (id {me['id']}), timezone {zone}" in patient("whoami")
    assert (me["email"], me["role"], me["timezone"]) == ("sam@example.org", "ROLE_PATIENT", zone)

    listed = patient("doctors", "--filter", "hopper")
    assert listed.splitlines()[0].split() == ["ID", "NAME", "DOMAIN", "REGISTRATION"]
    assert "clinic.example" in listed
    (found,) = patient.json("doctors", "--filter", "hopper")["doctors"]
    assert found["name"] == "Dr Grace Hopper"
    assert found["id"] in listed
    assert "Dr Grace Hopper (clinic.example) is on your care team." in patient(
        "select-doctor", found["id"]
    )
    assert found["id"] in patient("my-doctor")
    assert "Dr Grace Hopper" in patient("care-team")

    assert "Sam Patient" in doctor("patients")
    (listed_patient,) = doctor.json("patients")["patients"]
    patient_id = listed_patient["id"]
    assert listed_patient["timezone"] == zone

    out = doctor("notes", "submit", patient_id, "--wait", "--text", NOTE)
    assert "Note submitted successfully" in out
    assert "[ ] Buy a thermometer" in out
    assert "Take amoxicillin 500 mg: twice a day for 3 days (6 doses)" in out

    # What a note would change, before it is written; a routine note changes nothing.
    out = doctor("steps", "preview", "--patient", patient_id, "--text", "Stop amoxicillin.")
    assert "stops Take amoxicillin 500 mg: 6 doses left cancelled (stopped by this note)" in out
    # A dose with no frequency is left out, and the doctor is told; the patient is not.
    out = doctor(
        "notes", "submit", patient_id, "--wait", "--text",
        "Patient doing well. Discussed diet and exercise. Amlodipine 5 mg.",
    )  # fmt: skip
    assert "nothing actionable: no change to the plan" in out
    assert "keeps Take amoxicillin 500 mg: as it is, no restart" in out
    assert "Extracted by: rules" in out
    assert '\nLeft out:\n  - "Amlodipine 5 mg": it gives a dose but no frequency' in out
    routine = re.search(rf"\(note ({UUID})\)", out)
    assert routine is not None, out
    assert '  - "Amlodipine 5 mg"' in doctor("notes", "show", routine[1])
    assert doctor.json("notes", "show", routine[1])["warnings"]
    seen = patient("notes", "show", routine[1])
    assert "Amlodipine 5 mg." in seen
    assert "Left out" not in seen
    assert patient.json("notes", "show", routine[1])["warnings"] == []

    out = patient("steps")
    assert "Checklist:" in out
    assert "Plan:" in out
    assert "Take amoxicillin 500 mg: twice a day for 3 days (6 doses)" in out
    steps = patient.json("steps")
    assert [c["text"] for c in steps["checklist"]] == ["Buy a thermometer"]
    assert steps["plan"][0]["schedule"]["occurrences"] == 6
    item_id = steps["checklist"][0]["id"]
    assert "Done: Buy a thermometer" in patient("steps", "done", item_id)
    assert "[x] Buy a thermometer" in patient("steps")
    assert doctor.json("steps", patient_id)["checklist"][0]["done"] is True

    history = patient.json("reminders")["reminders"]
    assert len(history) == 6
    assert {r["status"] for r in history} == {"REMINDER_STATUS_SCHEDULED"}
    assert {r["makeup_of_id"] for r in history} == {""}  # proto names, zero values present
    # The CLI runs in UTC (TZ above); the table shows the patient's wall clock, labelled.
    table = patient("reminders").splitlines()
    assert table[0].split()[:2] == ["DUE", f"({zone})"]
    local_due = [r.due_at.astimezone(ZoneInfo(zone)) for r in rows.reminders(patient_id)]
    assert [" ".join(line.split()[:2]) for line in table[1:]] == [
        f"{d:%Y-%m-%d %H:%M}" for d in sorted(local_due)
    ]

    # The live feed, as a background process; the first dose comes due in a second.
    follow = processes.start(
        "patient-follow",
        [CLI_BIN, "reminders", "--follow"],
        patient.env,
        separate_stdout=True,
    )
    wait_until(
        lambda: "Waiting for reminders" in follow.stdout(), timeout=20, what="--follow started"
    )
    time.sleep(0.5)  # connected and subscribed
    first = rows.reminders(patient_id)[0]
    due = utcnow() + timedelta(seconds=1)
    rows.move(first.id, due_at=due, window_ends_at=due + timedelta(hours=1))
    line = wait_until(
        lambda: next((ln for ln in follow.stdout().splitlines() if str(first.id) in ln), None),
        timeout=10,
        what="the reminder line",
    )
    received_after = (utcnow() - due).total_seconds()
    assert "Take amoxicillin 500 mg" in line
    assert f"-> carenotes reminders ack {first.id} taken|skipped" in line
    assert received_after < 1.5
    follow.popen.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        assert follow.popen.wait(timeout=10) == 0
    except subprocess.TimeoutExpired:
        processes.stop(follow)
        raise
    assert follow.stdout().count(str(first.id)) == 1

    out = patient("reminders", "ack", str(first.id), "taken")
    assert out.strip() == "Recorded as taken: Take amoxicillin 500 mg"
    assert "already acknowledged" in patient("reminders", "ack", str(first.id), "taken", code=1)
    statuses = [r["status"] for r in patient.json("reminders")["reminders"]]
    assert statuses.count("REMINDER_STATUS_TAKEN") == 1

    table = patient("adherence").splitlines()
    assert table[0].split() == [
        "ACTION", "PRESCRIBED", "TAKEN", "SKIPPED", "MISSED", "MADE", "UP", "UPCOMING", "ENDS",
    ]  # fmt: skip
    assert table[1].startswith("Take amoxicillin 500 mg")
    assert table[1].split()[4:10] == ["6", "1", "0", "0", "0", "5"]
    assert doctor.json("adherence", patient_id)["items"][0]["taken"] == 1

    # The second dose is never answered: once its window has passed (moved into the past
    # here), it is missed and one dose is added after the last one of the course.
    second = rows.reminders(patient_id)[1]
    now = utcnow()
    rows.move(
        second.id, due_at=now - timedelta(minutes=2), window_ends_at=now - timedelta(seconds=1)
    )
    wait_until(
        lambda: any(r.makeup_of_id == second.id for r in rows.reminders(patient_id)),
        timeout=20,
        what="the make-up dose",
    )
    out = patient("reminders")
    assert re.search(
        r"Take amoxicillin 500 mg: course extended to \w{3} \d{1,2} \w{3} "
        r"\(1 dose missed, made up at the end\)",
        out,
    ), out
    assert "Take amoxicillin 500 mg (make-up)" in out
    assert "course extended to" in patient("steps")
    counts = patient.json("adherence")["items"][0]
    assert (counts["missed"], counts["made_up"], counts["upcoming"]) == (1, 1, 5)

    calendar = Calendar.from_ical(patient("reminders", "ics"))
    events = list(calendar.walk("VEVENT"))
    remaining = [r for r in rows.reminders(patient_id) if r.status == "SCHEDULED"]
    assert len(events) == len(remaining) == 5  # 4 regular doses left and the made-up one
    assert {str(e.get("SUMMARY")) for e in events} == {"Take amoxicillin 500 mg"}
    starts = sorted(e.decoded("DTSTART").astimezone(UTC) for e in events)
    assert starts == [r.due_at for r in remaining]

    assert "Signed out." in patient("logout")
    patient("whoami", code=3)
