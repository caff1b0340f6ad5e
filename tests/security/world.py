"""A small clinic built through the real server, for the abuse tests.

Two care pairs: the *own* pair (doctor D, patient P) and the *stranger* pair (doctor X,
patient S). Each patient has a note from their doctor, extracted steps (a checklist
item and a plan), and one reminder already delivered (SENT), so every RPC has a real
record to aim at. P's care team also has a second doctor T (no note of their own), and
a doctor R who wrote a plan for P and was then removed from the team. Every secret of a
pair (note text, step texts, email, record ids) is kept so a test can check it never
reaches the other pair or an anonymous caller.

Calls go through generic, descriptor-driven callables (`call`), so the tests iterate
over the contract rather than over hand-written stubs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from sqlalchemy import func, select, update

from carenotes.v1 import care_pb2
from carenotes_server.db.models import Reminder
from carenotes_server.grpc_api.policy import Access, services
from carenotes_server.services.accounts import TokenPair
from carenotes_server.services.reminders.views import Fired
from carenotes_server.streaming.hub import Announcement
from tests.harness import DEFAULT_PASSWORD, Account, Harness

OWN_NOTE = (
    "Otitis media. Amoxicillin 500 mg three times daily for 5 days. "
    "Buy a digital ear thermometer today. Stop aspirin."
)
STRANGER_NOTE = (
    "Seasonal rhinitis. Cetirizine 10 mg once daily for 7 days. "
    "Buy a nasal saline rinse kit today. Stop decongestant sprays."
)

ANONYMOUS = "anonymous"
CALLERS = (
    "anonymous",
    "patient",
    "doctor",
    "team_doctor",
    "removed_doctor",
    "stranger_patient",
    "stranger_doctor",
)
REMOVED_DOCTORS_NOTE = "Hypertension. Lisinopril 10 mg once daily. Buy a blood pressure cuff."


def methods() -> list[MethodDescriptor]:
    """Every RPC of the contract, from the descriptors."""
    return [m for svc in services() for m in svc.methods]


def path_of(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def access_of(method: MethodDescriptor) -> Access:
    from carenotes.v1 import options_pb2

    return Access(method.GetOptions().Extensions[options_pb2.access])


def message_class(descriptor: Any) -> type[Message]:
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls


@dataclass
class Secrets:
    """What only one care pair may see."""

    note_text: str
    step_texts: list[str]
    email: str
    name: str
    note_id: str
    record_ids: list[str]

    def strings(self) -> list[str]:
        texts = [self.note_text, *self.step_texts, self.email, self.name]
        return [t for t in texts if t] + [self.note_id, *self.record_ids]


@dataclass
class Pair:
    doctor: Account
    patient: Account
    patient_name: str
    note_id: str = ""
    checklist_item_id: str = ""
    plan_item_id: str = ""
    reminder_id: str = ""
    secrets: Secrets | None = None


@dataclass
class World:
    h: Harness
    own: Pair
    stranger: Pair
    team_doctor: Account
    removed_doctor: Account
    tokens: dict[str, str] = field(default_factory=dict)

    def account(self, caller: str) -> Account | None:
        return {
            "patient": self.own.patient,
            "doctor": self.own.doctor,
            "team_doctor": self.team_doctor,
            "removed_doctor": self.removed_doctor,
            "stranger_patient": self.stranger.patient,
            "stranger_doctor": self.stranger.doctor,
        }.get(caller)

    def metadata(self, caller: str) -> tuple[tuple[str, str], ...]:
        token = self.tokens.get(caller)
        return (("authorization", f"Bearer {token}"),) if token else ()

    async def _open_session(self, account: Account) -> TokenPair:
        # Opened directly, not by logging in: fuzzed logins (hostile passwords for this
        # very account) rightly trip the login throttle, which must not lock tests out.
        accounts = self.h.components.accounts
        return await self.h.components.db.run(accounts._open_session, uuid.UUID(account.id))

    async def relogin(self, caller: str) -> None:
        """A new session for `caller` (after Logout or ChangePassword)."""
        account = self.account(caller)
        if account is None:
            return
        pair = await self._open_session(account)
        account.token, account.refresh_token = pair.access.token, pair.refresh.token
        self.tokens[caller] = pair.access.token

    async def restore_password(self, caller: str, current: str) -> None:
        """After a ChangePassword that succeeded with `current` as the new password: set
        the default password back, then open a new session."""
        account = self.account(caller)
        assert account is not None
        accounts = self.h.components.accounts
        pair = await self._open_session(account)
        who = await asyncio.to_thread(accounts.authenticate, pair.access.token)
        await accounts.change_password(who, current=current, new=DEFAULT_PASSWORD)
        await self.relogin(caller)

    def forbidden_for(self, caller: str) -> list[str]:
        """Secrets `caller` must never receive."""
        assert self.own.secrets is not None
        assert self.stranger.secrets is not None
        if caller in ("patient", "doctor"):
            return self.stranger.secrets.strings()
        if caller == "team_doctor":
            # Every plan in force, yes (safe prescribing); another doctor's note, never.
            return [*self.stranger.secrets.strings(), self.own.secrets.note_text]
        if caller in ("stranger_patient", "stranger_doctor", "removed_doctor"):
            return self.own.secrets.strings()
        return self.own.secrets.strings() + self.stranger.secrets.strings()

    def ids(self) -> list[str]:
        """Every real id of the world: fuzzed id fields pick from these too."""
        out: list[str] = []
        for pair in (self.own, self.stranger):
            out += [pair.doctor.id, pair.patient.id, pair.note_id, pair.checklist_item_id]
            out += [pair.plan_item_id, pair.reminder_id]
        return [i for i in out if i]


async def _seed_pair(h: Harness, note: str) -> Pair:
    patient_name = f"Patient {uuid.uuid4().hex[:8]}"
    doctor, patient = await h.assigned_pair(name=patient_name, timezone="Europe/Paris")
    pair = Pair(doctor, patient, patient_name)
    submitted = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=note, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=30,
    )
    assert submitted.extraction_status == care_pb2.EXTRACTION_STATUS_DONE, submitted
    pair.note_id = submitted.note_id
    steps = submitted.actionable_steps
    assert steps.checklist, steps
    assert steps.plan, steps
    pair.checklist_item_id = steps.checklist[0].id
    pair.plan_item_id = steps.plan[0].id
    pair.reminder_id = await deliver_next_reminder(h, patient.id)
    pair.secrets = Secrets(
        note_text=note,
        step_texts=[c.text for c in steps.checklist] + [p.action for p in steps.plan],
        email=patient.email,
        name=patient_name,
        note_id=pair.note_id,
        record_ids=[
            *(c.id for c in steps.checklist),
            *(p.id for p in steps.plan),
            pair.reminder_id,
        ],
    )
    return pair


async def deliver_next_reminder(h: Harness, patient_id: str) -> str:
    """Makes the patient's next scheduled reminder due now, fires it (SENT) and
    announces it to the live feed."""
    db = h.components.db
    clock = h.components.clock
    with db.write() as session:
        reminder_id = session.scalars(
            select(Reminder.id)
            .where(Reminder.patient_id == uuid.UUID(patient_id), Reminder.status == "SCHEDULED")
            .order_by(Reminder.due_at, Reminder.id)
            .limit(1)
        ).one()
        session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id)
            .values(
                due_at=clock.now() - timedelta(minutes=1),
                window_ends_at=clock.now() + timedelta(hours=6),
            )
        )
    fired = await asyncio.to_thread(h.components.reminders.delivery.fire, reminder_id)
    assert isinstance(fired, Fired), fired
    # As the fire_reminder task does: tell the open streams of this patient.
    await h.components.feed.announce(
        Announcement(fired.patient_id, fired.reminder_id, fired.delivery_seq)
    )
    return str(reminder_id)


async def _join(h: Harness, patient: Account, doctor: Account) -> None:
    await h.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata
    )


async def build_world(h: Harness) -> World:
    own = await _seed_pair(h, OWN_NOTE)
    stranger = await _seed_pair(h, STRANGER_NOTE)
    team_doctor = await h.doctor()
    await _join(h, own.patient, team_doctor)
    removed = await h.doctor()
    await _join(h, own.patient, removed)
    written = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(
            patient_id=own.patient.id, note=REMOVED_DOCTORS_NOTE, wait_for_steps=True
        ),
        metadata=removed.metadata,
        timeout=30,
    )
    assert written.extraction_status == care_pb2.EXTRACTION_STATUS_DONE, written
    await h.care.RemoveDoctor(
        care_pb2.RemoveDoctorRequest(doctor_id=removed.id), metadata=own.patient.metadata
    )
    world = World(h, own, stranger, team_doctor, removed)
    for caller in CALLERS:
        account = world.account(caller)
        if account is not None:
            world.tokens[caller] = account.token
    return world


def leaks(payload: bytes | str, forbidden: Iterable[str]) -> list[str]:
    """The forbidden strings found in a response (bytes of the message, or details)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return [s for s in forbidden if s and s.encode() in data]


ROW_TABLES = (
    "users",
    "auth_sessions",
    "device_tokens",
    "doctor_invitations",
    "care_assignments",
    "pair_keys",
    "notes",
    "step_sets",
    "checklist_items",
    "plan_items",
    "reminders",
)


def row_counts(h: Harness) -> dict[str, int]:
    """Rows per table (audit events excluded: denials are audited on purpose)."""
    from carenotes_server.db.models import Base

    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with h.components.db.read() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(tables[name])) or 0)
            for name in ROW_TABLES
        }


def unary(
    channel: grpc.Channel, method: MethodDescriptor
) -> grpc.UnaryUnaryMultiCallable[Message, Message]:
    """A sync callable for any unary RPC, from its descriptor."""
    output = message_class(method.output_type)
    return channel.unary_unary(
        path_of(method),
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=output.FromString,
    )


def streaming(
    channel: grpc.Channel, method: MethodDescriptor
) -> grpc.UnaryStreamMultiCallable[Message, Message]:
    output = message_class(method.output_type)
    return channel.unary_stream(
        path_of(method),
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=output.FromString,
    )


@dataclass
class Outcome:
    code: grpc.StatusCode
    responses: list[Message]
    details: str


def call(
    channel: grpc.Channel,
    method: MethodDescriptor,
    request: Message,
    metadata: tuple[tuple[str, str], ...],
    *,
    timeout: float = 15.0,
    stream_window: float = 0.5,
) -> Outcome:
    """Calls any RPC synchronously. A server stream that stays open is read for
    `stream_window` seconds and counts as OK (admitted and serving)."""
    if method.server_streaming:
        responses: list[Message] = []
        stream = streaming(channel, method)(request, metadata=metadata, timeout=stream_window)
        try:
            responses.extend(stream)
        except grpc.RpcError as e:
            code = e.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return Outcome(grpc.StatusCode.OK, responses, "stream open")
            return Outcome(code, responses, e.details() or "")
        return Outcome(grpc.StatusCode.OK, responses, "stream ended")
    try:
        response = unary(channel, method)(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as e:
        return Outcome(e.code(), [], e.details() or "")
    return Outcome(grpc.StatusCode.OK, [response], "")
