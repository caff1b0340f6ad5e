"""What the carenotes command prints: proto-named JSON with zeros, reminder times in
the patient's timezone, one line per field violation, and quiet ends (a closed pipe,
no terminal for a password prompt)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from carenotes.v1 import auth_pb2, steps_pb2
from carenotes_client import CareClient
from carenotes_client.cli import main
from carenotes_client.version import version
from tests.client.fake_server import USER, FakeAuth, FakeServer, abort_rich, timestamp

CLI_BIN = str(Path(sys.executable).parent / "carenotes")
PARIS = auth_pb2.User(
    id="u-pat",
    name="Pat Patient",
    email="pat@example.org",
    role=auth_pb2.ROLE_PATIENT,
    timezone="Europe/Paris",
)
# 08:00 UTC on a winter day is 09:00 in Paris.
DUE = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def server(fake: FakeServer, auth: FakeAuth, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    monkeypatch.setenv("CARENOTES_SERVER", fake.target)
    return fake


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    code = main(list(argv), stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def signed_in(server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]) -> FakeServer:
    code, _, err = run(
        capsys, "login", "--email", "pat@example.org", "--password-stdin", stdin=auth.password
    )
    assert code == 0, err
    return server


def test_json_uses_proto_field_names_and_prints_zero_values(
    signed_in: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def adherence(request: steps_pb2.GetAdherenceRequest, context: grpc.ServicerContext) -> Message:
        return steps_pb2.Adherence(
            items=[steps_pb2.PlanItemAdherence(plan_item_id="p1", action="Walk", taken=3)]
        )

    signed_in.on("StepsService/GetAdherence", adherence)
    code, out, _ = run(capsys, "adherence", "--json")
    assert code == 0
    (item,) = json.loads(out)["items"]
    assert item == {
        "plan_item_id": "p1",
        "action": "Walk",
        "taken": 3,
        "skipped": 0,
        "missed": 0,
        "upcoming": 0,
        "prescribed": 0,
        "made_up": 0,
        "doctor_id": "",
        "doctor_name": "",
    }

    code, out, _ = run(capsys, "--json", "login", "--email", "pat@example.org", "--password", "x")
    assert code == 3  # wrong password; nothing printed on stdout
    assert out == ""
    code, out, _ = run(capsys, "whoami", "--json")
    assert json.loads(out)["timezone"] == ""  # a zero value, present


def test_login_json_has_no_tokens_under_either_spelling(
    server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--json", "login", "--email", "pat@example.org", "--password", auth.password
    )
    assert code == 0
    shown = json.loads(out)
    assert shown["user"]["email"] == "pat@example.org"
    assert "access-" not in out
    assert "refresh-" not in out


def _paris_patient(server: FakeServer) -> list[steps_pb2.ListRemindersRequest]:
    seen: list[steps_pb2.ListRemindersRequest] = []

    def who_am_i(request: auth_pb2.WhoAmIRequest, context: grpc.ServicerContext) -> Message:
        return PARIS

    def history(request: steps_pb2.ListRemindersRequest, context: grpc.ServicerContext) -> Message:
        seen.append(request)
        return steps_pb2.ListRemindersResponse(
            reminders=[
                steps_pb2.Reminder(
                    id="r1",
                    text="Take amoxicillin 500 mg",
                    due_at=timestamp(DUE),
                    status=steps_pb2.REMINDER_STATUS_SCHEDULED,
                )
            ]
        )

    server.on("AuthService/WhoAmI", who_am_i)
    server.on("StepsService/ListReminders", history)
    server.on("StepsService/GetAdherence", lambda request, context: steps_pb2.Adherence())
    return seen


def test_reminder_times_are_in_the_patients_timezone_and_labelled(
    signed_in: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _paris_patient(signed_in)
    monkeypatch.setenv("TZ", "America/New_York")  # the CLI's machine is elsewhere
    code, out, _ = run(capsys, "reminders")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:3] == ["DUE", "(Europe/Paris)", "STATUS"]
    assert row.split()[:3] == ["2026-01-14", "09:00", "scheduled"]

    code, out, _ = run(capsys, "reminders", "--json")
    assert json.loads(out)["reminders"][0]["due_at"] == "2026-01-14T08:00:00Z"


def test_a_doctor_sees_the_patients_timezone(
    server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]
) -> None:
    from carenotes.v1 import care_pb2

    doctor = auth_pb2.User(id="u-doc", name="Dr Ada", role=auth_pb2.ROLE_DOCTOR, timezone="UTC")

    def login(request: auth_pb2.LoginRequest, context: grpc.ServicerContext) -> Message:
        response = auth.issue()
        response.user.CopyFrom(doctor)
        return response

    def patients(request: care_pb2.ListPatientsRequest, context: grpc.ServicerContext) -> Message:
        return care_pb2.ListPatientsResponse(
            patients=[
                care_pb2.Patient(id="p-other", timezone="Asia/Tokyo"),
                care_pb2.Patient(id="u-pat", timezone="Europe/Paris"),
            ]
        )

    seen = _paris_patient(server)
    server.on("AuthService/Login", login)
    server.on("CareService/ListPatients", patients)
    assert run(capsys, "login", "--email", "ada@x.org", "--password", "pw")[0] == 0
    code, out, _ = run(capsys, "reminders", "--patient", "u-pat")
    assert code == 0
    assert "(Europe/Paris)" in out.splitlines()[0]
    assert "2026-01-14 09:00" in out
    assert seen[-1].patient_id == "u-pat"


def test_live_reminders_carry_the_timezone(
    signed_in: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _paris_patient(signed_in)

    def feed(self: CareClient, after_id: str = "", **_: object) -> object:
        yield steps_pb2.Reminder(id="r1", text="Dose", due_at=timestamp(DUE))
        raise KeyboardInterrupt

    monkeypatch.setattr(CareClient, "follow_reminders", feed)
    code, out, _ = run(capsys, "reminders", "--follow")
    assert code == 0
    first, line = out.splitlines()
    assert "times in Europe/Paris" in first
    assert line.startswith("[2026-01-14 09:00 Europe/Paris] Dose  -> carenotes reminders ack r1")


def test_each_field_violation_is_printed_once(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real server's message already lists the violations it also sends as details.
    def sign_up(request: auth_pb2.SignUpRequest, context: grpc.ServicerContext) -> Message:
        bad = error_details_pb2.BadRequest()
        bad.field_violations.add(field="email", description="is not a valid address")
        bad.field_violations.add(field="password", description="is too short")
        abort_rich(
            context,
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid request: email: is not a valid address; password: is too short",
            bad,
        )

    server.on("AuthService/SignUp", sign_up)
    code, _, err = run(
        capsys, "signup", "--name", "X", "--email", "nope", "--role", "patient",
        "--timezone", "UTC", "--password", "short",
    )  # fmt: skip
    assert code == 2
    assert err.splitlines() == [
        "error: invalid request",
        "  email: is not a valid address",
        "  password: is too short",
    ]


def test_signup_signs_in_with_the_password_typed_once(
    server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]
) -> None:
    signups: list[auth_pb2.SignUpRequest] = []

    def sign_up(request: auth_pb2.SignUpRequest, context: grpc.ServicerContext) -> Message:
        signups.append(request)
        return auth_pb2.SignUpResponse(user_id=USER.id)

    server.on("AuthService/SignUp", sign_up)
    code, out, err = run(
        capsys, "signup", "--name", "Pat Patient", "--email", "pat@example.org",
        "--role", "patient", "--timezone", "UTC", "--password-stdin",
        stdin=auth.password + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == (
        "Account created (id u-pat). "
        "Signed in as Pat Patient <pat@example.org>, patient (id u-pat), timezone UTC."
    )
    assert signups[0].password == auth.password
    code, out, _ = run(capsys, "whoami")
    assert code == 0
    assert out.startswith("Pat Patient <pat@example.org>")


def test_a_password_prompt_without_a_terminal_says_what_to_do(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "login", "--email", "pat@example.org")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: no terminal to ask for the password: pass --password-stdin and give it on "
        "standard input (first line)"
    ]
    assert run(capsys, "password")[0] == 2


def test_a_password_prompt_without_a_terminal_in_a_real_process(server: FakeServer) -> None:
    done = subprocess.run(
        [CLI_BIN, "login", "--email", "pat@example.org"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--password-stdin" in done.stderr


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(signed_in: FakeServer) -> None:
    err = io.StringIO()
    code = main(["whoami"], stdin=io.StringIO(), stdout=_ClosedPipe(), stderr=err)
    assert code == 0
    assert err.getvalue() == ""


def test_a_closed_pipe_ends_quietly_in_a_real_process(server: FakeServer) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that already exited
    try:
        done = subprocess.run(
            [CLI_BIN, "--help"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert done.stderr == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out == f"carenotes {version()}\n"
