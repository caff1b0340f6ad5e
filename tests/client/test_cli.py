"""The carenotes command: output, exit codes, and secrets kept off the terminal."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client import CareClient
from carenotes_client.cli import main
from tests.client.fake_server import FakeAuth, FakeServer, abort, abort_rich


@pytest.fixture
def server(fake: FakeServer, auth: FakeAuth, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    monkeypatch.setenv("CARENOTES_SERVER", fake.target)
    return fake


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    code = main(list(argv), stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def signed_in_cli(
    server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]
) -> FakeServer:
    code, _, err = run(
        capsys, "login", "--email", "pat@example.org", "--password-stdin", stdin=auth.password
    )
    assert code == 0, err
    return server


def test_login_saves_a_private_session_and_prints_no_secret(
    server: FakeServer, auth: FakeAuth, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "login",
        "--email",
        "pat@example.org",
        "--password-stdin",
        stdin=auth.password + "\n",
    )

    assert code == 0
    assert out == "Signed in as Pat Patient <pat@example.org>, patient (id u-pat), timezone UTC.\n"
    session_file = config_dir / "session.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert "access-" not in out + err
    assert auth.password not in out + err


def test_login_json_omits_the_tokens(
    server: FakeServer, auth: FakeAuth, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--json", "login", "--email", "pat@example.org", "--password", auth.password
    )
    assert code == 0
    shown = json.loads(out)
    assert shown["user"]["id"] == "u-pat"
    assert "accessToken" not in shown
    assert "refreshToken" not in shown


def test_wrong_password_exits_3(server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "login", "--email", "pat@example.org", "--password-stdin", stdin="wrong"
    )
    assert code == 3
    assert out == ""
    assert err == "error: wrong email or password\n"


def test_whoami_human_and_json(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "whoami")
    assert code == 0
    assert out.startswith("Pat Patient <pat@example.org>, patient")

    # Global options are accepted after the command too.
    code, out, _ = run(capsys, "whoami", "--json")
    assert code == 0
    assert json.loads(out)["email"] == "pat@example.org"


def test_not_signed_in_exits_3_with_a_hint(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "whoami")
    assert code == 3
    assert out == ""
    assert err.splitlines() == [
        "error: not signed in: log in first",
        "  run: carenotes login --email EMAIL",
    ]


def test_field_violations_go_to_stderr_and_exit_2(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def sign_up(request: auth_pb2.SignUpRequest, context: grpc.ServicerContext) -> Message:
        bad = error_details_pb2.BadRequest()
        bad.field_violations.add(field="email", description="is not a valid address")
        bad.field_violations.add(field="timezone", description="is not an IANA timezone")
        abort_rich(context, grpc.StatusCode.INVALID_ARGUMENT, "invalid request", bad)

    server.on("AuthService/SignUp", sign_up)

    code, out, err = run(
        capsys,
        "signup",
        "--name",
        "Pat",
        "--email",
        "nope",
        "--role",
        "patient",
        "--timezone",
        "Mars/Olympus",
        "--password-stdin",
        stdin="long enough password\n",
    )

    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: invalid request",
        "  email: is not a valid address",
        "  timezone: is not an IANA timezone",
    ]


def test_not_found_exits_4(signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    def get_note(request: care_pb2.GetNoteRequest, context: grpc.ServicerContext) -> Message:
        abort(context, grpc.StatusCode.NOT_FOUND, "note not found")

    signed_in_cli.on("CareService/GetNote", get_note)

    code, _, err = run(capsys, "notes", "show", "n-404")
    assert code == 4
    assert err == "error: note not found\n"


def test_adherence_is_an_aligned_table(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def adherence(request: steps_pb2.GetAdherenceRequest, context: grpc.ServicerContext) -> Message:
        return steps_pb2.Adherence(
            items=[
                steps_pb2.PlanItemAdherence(
                    action="Take amoxicillin 500 mg", prescribed=14, taken=12, missed=1, made_up=1
                ),
                steps_pb2.PlanItemAdherence(action="Walk", taken=3, skipped=2, upcoming=25),
            ]
        )

    signed_in_cli.on("StepsService/GetAdherence", adherence)

    code, out, _ = run(capsys, "adherence")
    assert code == 0
    assert out.splitlines() == [
        "ACTION                   PRESCRIBED  TAKEN  SKIPPED  MISSED  MADE UP  UPCOMING  ENDS",
        "Take amoxicillin 500 mg          14     12        0       1        1         0  -",
        "Walk                        ongoing      3        2       0        0        25  -",
    ]


def test_reminders_ack_and_ics(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    acks: list[steps_pb2.AcknowledgeReminderRequest] = []

    def acknowledge(
        request: steps_pb2.AcknowledgeReminderRequest, context: grpc.ServicerContext
    ) -> Message:
        acks.append(request)
        return steps_pb2.Reminder(
            id=request.reminder_id, text="Take amoxicillin", status=steps_pb2.REMINDER_STATUS_TAKEN
        )

    def export(request: steps_pb2.ExportCalendarRequest, context: grpc.ServicerContext) -> Message:
        return steps_pb2.ExportCalendarResponse(ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")

    signed_in_cli.on("StepsService/AcknowledgeReminder", acknowledge)
    signed_in_cli.on("StepsService/ExportCalendar", export)

    code, out, _ = run(capsys, "reminders", "ack", "r7", "taken")
    assert code == 0
    assert out == "Recorded as taken: Take amoxicillin\n"
    assert acks[0].acknowledgement == steps_pb2.ACKNOWLEDGEMENT_TAKEN

    code, out, _ = run(capsys, "reminders", "ics")
    assert code == 0
    assert out == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    code, _, err = run(capsys, "reminders", "ack", "r7", "maybe")
    assert code == 2
    assert "taken|skipped" in err


def test_reminder_history_sends_the_filters(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[steps_pb2.ListRemindersRequest] = []

    def history(request: steps_pb2.ListRemindersRequest, context: grpc.ServicerContext) -> Message:
        seen.append(request)
        return steps_pb2.ListRemindersResponse()

    signed_in_cli.on("StepsService/ListReminders", history)
    signed_in_cli.on("StepsService/GetAdherence", lambda request, context: steps_pb2.Adherence())

    code, out, _ = run(
        capsys,
        "reminders",
        "--from",
        "2026-01-01T00:00:00+00:00",
        "--to",
        "2026-02-01T00:00:00+00:00",
        "--status",
        "missed",
    )
    assert code == 0
    assert out == "No reminders.\n"
    assert getattr(seen[0], "from").seconds == 1767225600
    assert seen[0].to.seconds == 1769904000
    assert list(seen[0].status) == [steps_pb2.REMINDER_STATUS_MISSED]


def test_follow_prints_json_lines_and_ctrl_c_exits_0(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def feed(self: CareClient, after_id: str = "", **_: object) -> Iterator[steps_pb2.Reminder]:
        yield steps_pb2.Reminder(id="r1", text="Dose 1")
        yield steps_pb2.Reminder(id="r2", text="Dose 2")
        raise KeyboardInterrupt

    monkeypatch.setattr(CareClient, "follow_reminders", feed)

    code, out, _ = run(capsys, "--json", "reminders", "--follow")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["r1", "r2"]


def test_bad_usage_exits_2(server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "steps", "done")[0] == 2
    assert run(capsys, "no-such-command")[0] == 2
    assert run(capsys, "notes", "submit", "p1")[0] == 2  # no text given


def test_doctors_all_walks_every_page(
    signed_in_cli: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = {
        "": care_pb2.ListDoctorsResponse(
            doctors=[
                care_pb2.Doctor(
                    id="d1", name="Dr Ada", email_domain="north.example", registration="GMC 1"
                )
            ],
            next_page_token="p2",
        ),
        "p2": care_pb2.ListDoctorsResponse(
            doctors=[care_pb2.Doctor(id="d22", name="Dr Bo", email_domain="south.example")]
        ),
    }
    filters: list[str] = []

    def list_doctors(
        request: care_pb2.ListDoctorsRequest, context: grpc.ServicerContext
    ) -> Message:
        filters.append(request.name_filter)
        return pages[request.page_token]

    signed_in_cli.on("CareService/ListDoctors", list_doctors)

    code, out, _ = run(capsys, "doctors", "--filter", "dr", "--all")
    assert code == 0
    assert out.splitlines() == [
        "ID   NAME    DOMAIN         REGISTRATION",
        "d1   Dr Ada  north.example  GMC 1",
        "d22  Dr Bo   south.example  -",
    ]
    assert filters == ["dr", "dr"]

    code, out, _ = run(capsys, "doctors")
    assert out.splitlines()[-1] == "(more: add --all)"
