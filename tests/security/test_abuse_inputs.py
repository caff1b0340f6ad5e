"""Targeted abuse on SQLite and PostgreSQL: oversized messages, huge pages, deep
paging, forged page tokens, out-of-range timestamps, unicode, control characters and
SQL metacharacters in every text field of every RPC. Every answer is a clear status,
and a refused call stores nothing (row counts before and after)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Iterator

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.app import MAX_MESSAGE_BYTES
from carenotes_server.grpc_api.policy import Access
from tests.harness import DEFAULT_PASSWORD, Harness
from tests.integration.rpc_errors import expect_code, field_violations
from tests.security.strategies import SQL_METACHARACTERS
from tests.security.test_authz_matrix import CREDENTIAL_BEARING, REQUESTS, short_name
from tests.security.world import (
    access_of,
    build_world,
    call,
    leaks,
    methods,
    path_of,
    row_counts,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
UNDEFINED = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "a\x00b@example.org",
    "x" * 5000,
    "\x1b[31mred\x1b[0m",
    "\x07\x08\x0b\x0c",
    "\u202egnp.exe",
    "\ufeff\u200b\u200d",
    "💊🩺 Ωμέγα 漢字 عربى",
    "e\u0301\u0301\u0301",
    "\r\n\t",
    " " * 300,
    "x" * 20_001,
    *SQL_METACHARACTERS,
]
SESSION_ENDING = {"Logout", "ChangePassword"}


def own_caller(method: MethodDescriptor) -> str:
    """The caller a well-formed request of this RPC comes from."""
    return {
        Access.PUBLIC: "anonymous",
        Access.AUTHENTICATED: "patient",
        Access.PATIENT: "patient",
        Access.DOCTOR: "doctor",
    }[access_of(method)]


def string_fields(method: MethodDescriptor) -> Iterator[FieldDescriptor]:
    for field in method.input_type.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            yield field


def with_value(request: Message, field: FieldDescriptor, value: str) -> Message:
    out = type(request)()
    out.CopyFrom(request)
    if field.is_repeated:
        getattr(out, field.name).append(value)
    else:
        setattr(out, field.name, value)
    return out


def token(*key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


async def test_hostile_text_in_every_string_field_of_every_rpc(harness: Harness) -> None:
    """Generated from the contract: each string field of each request gets each hostile
    value, inside an otherwise well-formed request from a caller the RPC admits."""
    world = await build_world(harness)
    channel = grpc.insecure_channel(harness.target)
    problems: list[str] = []
    tried = 0
    try:
        for method in methods():
            name = short_name(path_of(method))
            caller = own_caller(method)
            for field in string_fields(method):
                for value in HOSTILE_TEXT:
                    request = with_value(await REQUESTS[name](world), field, value)
                    if isinstance(request, care_pb2.SubmitNoteRequest):
                        # Settle the extraction inside the call, so the row count after
                        # it is final (a background extraction would add rows later).
                        request.wait_for_steps = True
                    before = row_counts(harness)
                    outcome = await asyncio.to_thread(
                        call, channel, method, request, world.metadata(caller), stream_window=0.2
                    )
                    tried += 1
                    label = f"{name}.{field.name}={value[:30]!r}"
                    if outcome.code in UNDEFINED:
                        problems.append(f"{label}: {outcome.code.name} {outcome.details}")
                    if outcome.code != grpc.StatusCode.OK and row_counts(harness) != before:
                        problems.append(f"{label}: refused ({outcome.code.name}) but stored rows")
                    payload = b"".join(r.SerializeToString() for r in outcome.responses)
                    # Login and RefreshToken answer whoever holds the credentials (P's).
                    subject = "patient" if name in CREDENTIAL_BEARING else caller
                    if leaks(payload, world.forbidden_for(subject)):
                        problems.append(f"{label}: leaked the other pair's data")
                    if outcome.code == grpc.StatusCode.OK and field.name == "new_password":
                        await world.restore_password(caller, value)
                    elif outcome.code == grpc.StatusCode.OK and method.name in SESSION_ENDING:
                        await world.relogin(caller)
    finally:
        channel.close()
    assert tried > 200
    assert not problems, "\n".join(problems)


async def test_unicode_round_trips_and_control_characters_are_refused(harness: Harness) -> None:
    world = await build_world(harness)
    doctor, patient = world.own.doctor, world.own.patient
    text = "Patiënt 💊: Ibuprofen 200 mg as needed. «Ωμέγα» 漢字\nSecond line.\tTabbed."
    sent = await harness.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=text, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=30,
    )
    got = await harness.care.GetNote(
        care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=patient.metadata
    )
    assert got.text == text
    before = row_counts(harness)
    for bad in ("a\x00b", "\x1b[2J", "bell\x07", "del\x7f"):
        err = await expect_code(
            harness.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=bad),
                metadata=doctor.metadata,
            ),
            INVALID,
        )
        assert "note" in field_violations(err)
        err = await expect_code(
            harness.auth.SignUp(
                auth_pb2.SignUpRequest(
                    name=f"Eve {bad}",
                    email=f"e-{uuid.uuid4().hex[:8]}@example.org",
                    password=DEFAULT_PASSWORD,
                    role=auth_pb2.ROLE_PATIENT,
                )
            ),
            INVALID,
        )
        assert "name" in field_violations(err)
    assert row_counts(harness) == before


async def test_sql_metacharacters_are_data_not_code(harness: Harness) -> None:
    world = await build_world(harness)
    md = world.own.patient.metadata
    everyone = await harness.care.ListDoctors(care_pb2.ListDoctorsRequest(), metadata=md)
    assert len(everyone.doctors) >= 2
    for pattern in ("%", "_", "%%", "' OR '1'='1", "\\", "\\%"):
        found = await harness.care.ListDoctors(
            care_pb2.ListDoctorsRequest(name_filter=pattern), metadata=md
        )
        # LIKE wildcards are escaped: no doctor's name contains these characters.
        assert list(found.doctors) == [], pattern
    email = f"o'brien-{uuid.uuid4().hex[:6]}@example.org"
    name = "Robert'); DROP TABLE users; --"
    await harness.auth.SignUp(
        auth_pb2.SignUpRequest(
            name=name,
            email=email,
            password="x'; DELETE FROM auth_sessions; --",
            role=auth_pb2.ROLE_DOCTOR,
            invitation_code=harness.invite(email),
        )
    )
    login = await harness.auth.Login(
        auth_pb2.LoginRequest(email=email, password="x'; DELETE FROM auth_sessions; --")
    )
    assert login.user.name == name
    found = await harness.care.ListDoctors(
        care_pb2.ListDoctorsRequest(name_filter="'); drop"), metadata=md
    )
    assert [d.name for d in found.doctors] == [name]
    # Everyone's sessions still work.
    await harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=md)


async def test_oversized_messages_are_resource_exhausted_and_store_nothing(
    harness: Harness,
) -> None:
    world = await build_world(harness)
    doctor, patient = world.own.doctor, world.own.patient
    before = row_counts(harness)
    huge = "a" * (MAX_MESSAGE_BYTES + 1024)
    await expect_code(
        harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=huge), metadata=doctor.metadata
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    await expect_code(
        harness.auth.SignUp(
            auth_pb2.SignUpRequest(
                name=huge,
                email="big@example.org",
                password=DEFAULT_PASSWORD,
                role=auth_pb2.ROLE_PATIENT,
            )
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    # Just under the transport limit, far over the note limit: a field violation.
    err = await expect_code(
        harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note="b" * (MAX_MESSAGE_BYTES - 512)),
            metadata=doctor.metadata,
        ),
        INVALID,
    )
    assert "note" in field_violations(err)
    await expect_code(
        harness.steps.PreviewActionableSteps(
            steps_pb2.PreviewActionableStepsRequest(note="c" * 20_001), metadata=doctor.metadata
        ),
        INVALID,
    )
    assert row_counts(harness) == before
    # The server is unharmed.
    me = await harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=patient.metadata)
    assert me.id == patient.id


async def test_huge_page_sizes_are_refused_and_the_maximum_is_served(harness: Harness) -> None:
    world = await build_world(harness)
    p, d = world.own.patient, world.own.doctor
    for size in (501, 10_000, 2**31, 2**32 - 1):
        calls: list[Awaitable[object]] = [
            harness.care.ListDoctors(
                care_pb2.ListDoctorsRequest(page_size=size), metadata=p.metadata
            ),
            harness.care.ListPatients(
                care_pb2.ListPatientsRequest(page_size=size), metadata=d.metadata
            ),
            harness.care.ListNotes(care_pb2.ListNotesRequest(page_size=size), metadata=p.metadata),
            harness.steps.ListReminders(
                steps_pb2.ListRemindersRequest(page_size=size), metadata=p.metadata
            ),
        ]
        for rpc in calls:
            err = await expect_code(rpc, INVALID)
            assert "page_size" in field_violations(err)
    full = await harness.steps.ListReminders(
        steps_pb2.ListRemindersRequest(page_size=500), metadata=p.metadata
    )
    assert full.reminders
    assert not full.next_page_token


async def test_deep_paging_walks_every_item_once(harness: Harness) -> None:
    world = await build_world(harness)
    p, d = world.own.patient, world.own.doctor
    for i in range(6):
        await harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=p.id, note=f"Walk {i + 10} minutes daily."),
            metadata=d.metadata,
        )
    for _ in range(4):
        await harness.doctor()

    async def walk_notes() -> list[str]:
        ids: list[str] = []
        page_token = ""
        for _ in range(100):
            page = await harness.care.ListNotes(
                care_pb2.ListNotesRequest(page_size=1, page_token=page_token), metadata=p.metadata
            )
            ids += [n.id for n in page.notes]
            page_token = page.next_page_token
            if not page_token:
                return ids
        raise AssertionError("paging never ended")

    notes = await walk_notes()
    assert len(notes) == len(set(notes)) == 8  # D's first, R's, and these six

    reminders: list[str] = []
    page_token = ""
    while True:
        r_page = await harness.steps.ListReminders(
            steps_pb2.ListRemindersRequest(page_size=1, page_token=page_token), metadata=p.metadata
        )
        reminders += [r.id for r in r_page.reminders]
        page_token = r_page.next_page_token
        if not page_token:
            break
    everything = await harness.steps.ListReminders(
        steps_pb2.ListRemindersRequest(page_size=500), metadata=p.metadata
    )
    assert reminders == [r.id for r in everything.reminders]

    doctors: list[str] = []
    page_token = ""
    while True:
        d_page = await harness.care.ListDoctors(
            care_pb2.ListDoctorsRequest(page_size=1, page_token=page_token), metadata=p.metadata
        )
        doctors += [x.id for x in d_page.doctors]
        page_token = d_page.next_page_token
        if not page_token:
            break
    assert len(doctors) == len(set(doctors)) >= 6


FORGED_TOKENS = [
    token("abc"),
    token(10**30),
    token(-(10**30)),
    token(2**63),
    token(-1),
    token("1e9"),
    token("x\x00y", str(uuid.uuid4())),
    token("\x00", "\x00"),
    token("", "not-a-uuid"),
    token(10**30, str(uuid.uuid4())),
    token("9999-12-31T23:59:59+00:00", str(uuid.uuid4())),
    token("0001-01-01T00:00:00+00:00", str(uuid.uuid4())),
    token("2026-01-01T00:00:00", str(uuid.uuid4())),
    token("2026-01-01T00:00:00+00:00", 5),
    token(None),
    token([1, 2]),
    token(True),
    "%%%",
    "A" * 513,
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


async def test_forged_page_tokens_are_invalid_argument_or_an_empty_page(
    harness: Harness,
) -> None:
    world = await build_world(harness)
    p, d = world.own.patient, world.own.doctor
    problems: list[str] = []
    for forged in FORGED_TOKENS:
        calls: dict[str, Awaitable[object]] = {
            "ListDoctors": harness.care.ListDoctors(
                care_pb2.ListDoctorsRequest(page_token=forged), metadata=p.metadata
            ),
            "ListPatients": harness.care.ListPatients(
                care_pb2.ListPatientsRequest(page_token=forged), metadata=d.metadata
            ),
            "ListNotes": harness.care.ListNotes(
                care_pb2.ListNotesRequest(page_token=forged), metadata=p.metadata
            ),
            "ListReminders": harness.steps.ListReminders(
                steps_pb2.ListRemindersRequest(page_token=forged), metadata=p.metadata
            ),
        }
        for rpc_name, rpc in calls.items():
            try:
                await rpc
            except grpc.aio.AioRpcError as e:
                if e.code() != INVALID:
                    problems.append(f"{rpc_name} {forged[:60]!r}: {e.code().name} {e.details()}")
    assert not problems, "\n".join(problems)


def _ts(seconds: int, nanos: int = 0) -> Timestamp:
    return Timestamp(seconds=seconds, nanos=nanos)


async def test_out_of_range_timestamps_are_invalid_argument(harness: Harness) -> None:
    """Regression: ListReminders answered INTERNAL for a Timestamp outside years 1-9999."""
    world = await build_world(harness)
    md = world.own.patient.metadata
    for field in ("from", "to"):
        for bad in (_ts(-(2**63)), _ts(2**63 - 1), _ts(0, -1), _ts(0, 1_000_000_000)):
            request = steps_pb2.ListRemindersRequest()
            getattr(request, field).CopyFrom(bad)
            err = await expect_code(harness.steps.ListReminders(request, metadata=md), INVALID)
            assert field in field_violations(err)
    # The extremes of the valid range are served.
    request = steps_pb2.ListRemindersRequest()
    getattr(request, "from").CopyFrom(_ts(-62135596800))
    request.to.CopyFrom(_ts(253402300799, 999_999_999))
    page = await harness.steps.ListReminders(request, metadata=md)
    assert page.reminders


@pytest.mark.parametrize("value", [-1, -(2**31), 2**31 - 1, 7])
async def test_unknown_enum_values_are_invalid_argument(harness: Harness, value: int) -> None:
    world = await build_world(harness)
    p = world.own.patient
    err = await expect_code(
        harness.steps.AcknowledgeReminder(
            steps_pb2.AcknowledgeReminderRequest(
                reminder_id=world.own.reminder_id,
                acknowledgement=value,  # type: ignore[arg-type]
            ),
            metadata=p.metadata,
        ),
        INVALID,
    )
    assert "acknowledgement" in field_violations(err)
    err = await expect_code(
        harness.steps.ListReminders(
            steps_pb2.ListRemindersRequest(status=[value]),  # type: ignore[list-item]
            metadata=p.metadata,
        ),
        INVALID,
    )
    assert "status[0]" in field_violations(err)
    err = await expect_code(
        harness.auth.SignUp(
            auth_pb2.SignUpRequest(
                name="Enum Abuse",
                email=f"enum-{uuid.uuid4().hex[:6]}@example.org",
                password=DEFAULT_PASSWORD,
                role=value,  # type: ignore[arg-type]
            )
        ),
        INVALID,
    )
    assert "role" in field_violations(err)
