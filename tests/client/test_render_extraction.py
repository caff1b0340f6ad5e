"""How the CLI tells a doctor which extractor read a note and what it left out: in
`notes show`, `notes submit --wait` and `steps preview`, as text and as proto-named
JSON."""

from __future__ import annotations

import io
import json

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_client import render
from carenotes_client.cli import main
from tests.client.fake_server import FakeAuth, FakeServer

LEFT_OUT = 'Left out "Amlodipine 5 mg": it gives a dose but no frequency, course or as-needed use'
FALLBACK = "The gemini extractor could not be reached; the offline rules extractor read this note."
AMOX = steps_pb2.PlanItem(
    action="Take amoxicillin 500 mg",
    schedule=steps_pb2.Schedule(times_per_day=2, duration_days=7, occurrences=14),
)
NOTE = care_pb2.Note(
    id="n1",
    patient_id="p1",
    doctor_id="d1",
    text="Take amoxicillin 500 mg twice daily for 7 days. Amlodipine 5 mg.",
    extraction_status=care_pb2.EXTRACTION_STATUS_DONE,
    extractor="rules",
    warnings=[FALLBACK, LEFT_OUT],
)
REPORT = [
    "Extracted by: rules",
    "Left out:",
    f"  - {FALLBACK}",
    '  - "Amlodipine 5 mg": it gives a dose but no frequency, course or as-needed use',
]


def test_a_note_names_its_extractor_and_lists_what_was_left_out() -> None:
    lines = render.note(NOTE).splitlines()
    assert lines[3:7] == REPORT
    assert lines[-1] == NOTE.text


def test_a_note_read_whole_has_no_left_out_section() -> None:
    plain = care_pb2.Note()
    plain.CopyFrom(NOTE)
    del plain.warnings[:]
    text = render.note(plain)
    assert "Extracted by: rules" in text
    assert "Left out" not in text


def test_a_submitted_note_ends_with_the_report_and_names_the_extractor_once() -> None:
    response = care_pb2.SubmitNoteResponse(
        note_id="n1",
        extraction_status=care_pb2.EXTRACTION_STATUS_DONE,
        message="Note submitted successfully",
        actionable_steps=steps_pb2.ActionableSteps(
            plan=[AMOX], note_id="n1", extractor="rules", warnings=[FALLBACK, LEFT_OUT]
        ),
    )
    text = render.submitted(response)
    assert text.splitlines()[-4:] == REPORT
    assert "Take amoxicillin 500 mg: twice a day for 7 days" in text
    assert "by rules" not in text  # named in the report, not again under the steps


def test_a_preview_with_nothing_actionable_still_says_what_was_left_out() -> None:
    preview = steps_pb2.ActionableSteps(extractor="rules", warnings=[LEFT_OUT])
    assert render.preview(preview).splitlines() == [
        "Nothing actionable in this note.",
        "",
        *REPORT[:2],
        REPORT[3],
    ]


def test_steps_in_force_still_name_their_extractor() -> None:
    in_force = steps_pb2.ActionableSteps(plan=[AMOX], note_id="n1", extractor="gemini")
    assert render.steps(in_force).splitlines()[-1] == "(from note n1, by gemini)"


@pytest.fixture
def signed_in(fake: FakeServer, auth: FakeAuth, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    monkeypatch.setenv("CARENOTES_SERVER", fake.target)
    code = main(
        ["login", "--email", "dana@example.org", "--password-stdin"],
        stdin=io.StringIO(auth.password),
    )
    assert code == 0
    return fake


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv), stdin=io.StringIO("")) == 0
    return capsys.readouterr().out


def test_the_commands_print_the_report_and_json_carries_the_fields(
    signed_in: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = steps_pb2.ActionableSteps(plan=[AMOX], extractor="rules", warnings=[FALLBACK, LEFT_OUT])

    def get_note(request: care_pb2.GetNoteRequest, context: grpc.ServicerContext) -> Message:
        return NOTE

    def submit(request: care_pb2.SubmitNoteRequest, context: grpc.ServicerContext) -> Message:
        return care_pb2.SubmitNoteResponse(
            note_id="n1",
            extraction_status=care_pb2.EXTRACTION_STATUS_DONE,
            actionable_steps=steps,
        )

    def preview(
        request: steps_pb2.PreviewActionableStepsRequest, context: grpc.ServicerContext
    ) -> Message:
        return steps

    signed_in.on("CareService/GetNote", get_note)
    signed_in.on("CareService/SubmitNote", submit)
    signed_in.on("StepsService/PreviewActionableSteps", preview)

    commands = [
        ["notes", "show", "n1"],
        ["notes", "submit", "p1", "--text", NOTE.text, "--wait"],
        ["steps", "preview", "--text", NOTE.text],
    ]
    for argv in commands:
        lines = _run(capsys, *argv).splitlines()
        assert all(line in lines for line in REPORT), argv

    shown = json.loads(_run(capsys, "notes", "show", "n1", "--json"))
    assert (shown["extractor"], shown["warnings"]) == ("rules", [FALLBACK, LEFT_OUT])
    sent = json.loads(_run(capsys, *commands[1], "--json"))
    assert sent["actionable_steps"]["warnings"] == [FALLBACK, LEFT_OUT]
    assert sent["actionable_steps"]["extractor"] == "rules"
    previewed = json.loads(_run(capsys, *commands[2], "--json"))
    assert previewed["warnings"] == [FALLBACK, LEFT_OUT]
    # Proto field names, and an empty list printed rather than dropped.
    signed_in.on("CareService/GetNote", lambda request, context: care_pb2.Note(id="n2"))
    assert json.loads(_run(capsys, "notes", "show", "n2", "--json"))["warnings"] == []
