"""The authorization matrix, generated from the contract: every RPC x caller role
{anonymous, patient, doctor} x {own, foreign} record, on SQLite and PostgreSQL.

The RPCs come from the service descriptors and their `(carenotes.v1.access)` option:
anonymous on a non-public RPC must get UNAUTHENTICATED and a wrong role
PERMISSION_DENIED, whatever the table says. The record-level cells (a role the RPC
admits, on its own or a foreign record) come from RECORD_RULES, which follows the proto
comments; an RPC missing from it (or from REQUESTS) fails the run, so a new RPC cannot
skip the matrix. Every response and error message of a cell is also checked for the
other care pair's secrets (note text, step texts, email, name, record ids).

"own" aims at the records of patient P and doctor D; "foreign" is the same request
from the stranger pair (patient S, doctor X), who have records of their own; "team" is
the same request from T, a second doctor on P's care team (who sees every plan in force,
never another doctor's note), and "removed" from R, who wrote a plan for P and was then
removed from the team (and so sees nothing of P any more).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import grpc
from google.protobuf.message import Message

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.grpc_api.policy import Access
from tests.harness import DEFAULT_PASSWORD, Harness
from tests.security.world import (
    ANONYMOUS,
    World,
    access_of,
    build_world,
    call,
    leaks,
    methods,
    path_of,
)

S = grpc.StatusCode
OK, DENIED, NOT_FOUND, UNAUTH = S.OK, S.PERMISSION_DENIED, S.NOT_FOUND, S.UNAUTHENTICATED

# (role, relation) -> the caller of the world who plays it.
CELLS: dict[tuple[str, str], str] = {
    ("anonymous", "own"): ANONYMOUS,
    ("anonymous", "foreign"): ANONYMOUS,
    ("patient", "own"): "patient",
    ("patient", "foreign"): "stranger_patient",
    ("doctor", "own"): "doctor",
    ("doctor", "foreign"): "stranger_doctor",
    ("doctor", "team"): "team_doctor",
    ("doctor", "removed"): "removed_doctor",
}
EVERYONE = tuple(CELLS.values())
SIGNED_IN = tuple(c for c in EVERYONE if c != ANONYMOUS)
DOCTORS = ("doctor", "stranger_doctor", "team_doctor", "removed_doctor")
ROLE_OF_CALLER = {caller: role for (role, _), caller in CELLS.items()}

# Record-level outcome for each caller the RPC's access policy admits. "own" callers are
# P (patient) and D (doctor); "stranger_*" play the foreign record. Public RPCs list the
# anonymous caller too. Comments quote the contract.
RECORD_RULES: dict[str, dict[str, grpc.StatusCode]] = {
    # Public: no record; possession of the credentials is the authority.
    "AuthService.SignUp": dict.fromkeys(EVERYONE, OK),
    "AuthService.Login": dict.fromkeys(EVERYONE, OK),
    "AuthService.RefreshToken": dict.fromkeys(EVERYONE, OK),
    # Caller-scoped: every signed-in user acts on their own account only.
    "AuthService.Logout": dict.fromkeys(SIGNED_IN, OK),
    "AuthService.WhoAmI": dict.fromkeys(SIGNED_IN, OK),
    "AuthService.ChangePassword": dict.fromkeys(SIGNED_IN, OK),
    "CareService.ListDoctors": dict.fromkeys(SIGNED_IN, OK),
    # "PERMISSION_DENIED when patient_id is given and is not the caller."
    "CareService.SelectDoctor": {"patient": OK, "stranger_patient": DENIED},
    # "NOT_FOUND when the doctor is not on the team": S's team never holds P's doctors.
    "CareService.RemoveDoctor": {"patient": OK, "stranger_patient": NOT_FOUND},
    # The caller's own team: S's never lists P's doctors.
    "CareService.ListCareTeam": {"patient": OK, "stranger_patient": OK},
    # The caller's own doctor: S gets their own (X), never P's.
    "CareService.GetMyDoctor": {"patient": OK, "stranger_patient": OK},
    # The caller's own patients: X's list never holds P, R's no longer does.
    "CareService.ListPatients": dict.fromkeys(DOCTORS, OK),
    # "Only a doctor on the patient's care team may write (PERMISSION_DENIED otherwise)."
    "CareService.SubmitNote": {
        "doctor": OK,
        "team_doctor": OK,
        "stranger_doctor": DENIED,
        "removed_doctor": DENIED,
    },
    # "or for a doctor on the patient's team, who sees the notes they wrote. Others get
    # PERMISSION_DENIED (audited)."
    "CareService.ListNotes": {
        "patient": OK,
        "stranger_patient": DENIED,
        "doctor": OK,
        "team_doctor": OK,
        "stranger_doctor": DENIED,
        "removed_doctor": DENIED,
    },
    # "for its patient or its author (while on the patient's team) only; NOT_FOUND
    # otherwise (audited)": D's note is neither T's nor R's.
    "CareService.GetNote": {
        "patient": OK,
        "stranger_patient": NOT_FOUND,
        "doctor": OK,
        "team_doctor": NOT_FOUND,
        "stranger_doctor": NOT_FOUND,
        "removed_doctor": NOT_FOUND,
    },
    # "for a doctor on the patient's care team ... every team doctor's plan included.
    # Anyone else gets PERMISSION_DENIED (audited)."
    "StepsService.GetActionableSteps": {
        "patient": OK,
        "stranger_patient": DENIED,
        "doctor": OK,
        "team_doctor": OK,
        "stranger_doctor": DENIED,
        "removed_doctor": DENIED,
    },
    # "NOT_FOUND for an item that is not the caller's."
    "StepsService.CompleteChecklistItem": {"patient": OK, "stranger_patient": NOT_FOUND},
    # No patient given: runs the extractor on the given text only.
    "StepsService.PreviewActionableSteps": dict.fromkeys(DOCTORS, OK),
    # "NOT_FOUND for a reminder that is not the caller's."
    "StepsService.AcknowledgeReminder": {"patient": OK, "stranger_patient": NOT_FOUND},
    # "For the patient ... or a doctor on their care team" (others: PERMISSION_DENIED).
    "StepsService.GetAdherence": {
        "patient": OK,
        "stranger_patient": DENIED,
        "doctor": OK,
        "team_doctor": OK,
        "stranger_doctor": DENIED,
        "removed_doctor": DENIED,
    },
    # Own feed; resuming after another patient's reminder id is NOT_FOUND (the cursor
    # of an unknown or foreign reminder; audited).
    "StepsService.StreamReminders": {"patient": OK, "stranger_patient": NOT_FOUND},
    "StepsService.ListReminders": {
        "patient": OK,
        "stranger_patient": DENIED,
        "doctor": OK,
        "team_doctor": OK,
        "stranger_doctor": DENIED,
        "removed_doctor": DENIED,
    },
    # The caller's own calendar: S's holds none of P's reminders.
    "StepsService.ExportCalendar": {"patient": OK, "stranger_patient": OK},
}

RequestFactory = Callable[[World], Awaitable[Message]]


async def _fresh_refresh_token(w: World) -> str:
    # A new session opened directly: logging in would depend on the login throttle,
    # which other tests (hostile passwords for this account) rightly trip.
    accounts = w.h.components.accounts
    pair = await w.h.components.db.run(accounts._open_session, uuid.UUID(w.own.patient.id))
    return pair.refresh.token


def _sync(build: Callable[[World], Message]) -> RequestFactory:
    async def factory(w: World) -> Message:
        return build(w)

    return factory


async def _refresh_request(w: World) -> Message:
    return auth_pb2.RefreshTokenRequest(refresh_token=await _fresh_refresh_token(w))


async def _remove_doctor_request(w: World) -> Message:
    """A doctor who just joined P's team, so that removing them changes nothing else."""
    passing = await w.h.doctor()
    await w.h.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=passing.id), metadata=w.own.patient.metadata
    )
    return care_pb2.RemoveDoctorRequest(doctor_id=passing.id)


# One request per RPC, aimed at the own pair's records (P, D, P's note, item, reminder).
REQUESTS: dict[str, RequestFactory] = {
    "AuthService.SignUp": _sync(
        lambda w: auth_pb2.SignUpRequest(
            name="Matrix User",
            email=f"m-{uuid.uuid4().hex[:10]}@example.org",
            password=DEFAULT_PASSWORD,
            role=auth_pb2.ROLE_PATIENT,
        )
    ),
    "AuthService.Login": _sync(
        lambda w: auth_pb2.LoginRequest(email=w.own.patient.email, password=DEFAULT_PASSWORD)
    ),
    "AuthService.RefreshToken": _refresh_request,
    "AuthService.Logout": _sync(lambda w: auth_pb2.LogoutRequest()),
    "AuthService.WhoAmI": _sync(lambda w: auth_pb2.WhoAmIRequest()),
    "AuthService.ChangePassword": _sync(
        lambda w: auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password=DEFAULT_PASSWORD
        )
    ),
    "CareService.ListDoctors": _sync(lambda w: care_pb2.ListDoctorsRequest()),
    "CareService.SelectDoctor": _sync(
        lambda w: care_pb2.SelectDoctorRequest(
            doctor_id=w.own.doctor.id, patient_id=w.own.patient.id
        )
    ),
    "CareService.RemoveDoctor": _remove_doctor_request,
    "CareService.ListCareTeam": _sync(lambda w: care_pb2.ListCareTeamRequest(include_former=True)),
    "CareService.GetMyDoctor": _sync(lambda w: care_pb2.GetMyDoctorRequest()),
    "CareService.ListPatients": _sync(lambda w: care_pb2.ListPatientsRequest()),
    "CareService.SubmitNote": _sync(
        lambda w: care_pb2.SubmitNoteRequest(
            patient_id=w.own.patient.id, note="Drink more water. Walk 20 minutes daily."
        )
    ),
    "CareService.ListNotes": _sync(
        lambda w: care_pb2.ListNotesRequest(patient_id=w.own.patient.id)
    ),
    "CareService.GetNote": _sync(lambda w: care_pb2.GetNoteRequest(note_id=w.own.note_id)),
    "StepsService.GetActionableSteps": _sync(
        lambda w: steps_pb2.GetActionableStepsRequest(patient_id=w.own.patient.id)
    ),
    "StepsService.CompleteChecklistItem": _sync(
        lambda w: steps_pb2.CompleteChecklistItemRequest(item_id=w.own.checklist_item_id)
    ),
    "StepsService.PreviewActionableSteps": _sync(
        lambda w: steps_pb2.PreviewActionableStepsRequest(note="Ibuprofen 200 mg as needed.")
    ),
    "StepsService.AcknowledgeReminder": _sync(
        lambda w: steps_pb2.AcknowledgeReminderRequest(
            reminder_id=w.own.reminder_id, acknowledgement=steps_pb2.ACKNOWLEDGEMENT_TAKEN
        )
    ),
    "StepsService.GetAdherence": _sync(
        lambda w: steps_pb2.GetAdherenceRequest(patient_id=w.own.patient.id)
    ),
    "StepsService.StreamReminders": _sync(
        lambda w: steps_pb2.StreamRemindersRequest(after_id=w.own.reminder_id)
    ),
    "StepsService.ListReminders": _sync(
        lambda w: steps_pb2.ListRemindersRequest(patient_id=w.own.patient.id)
    ),
    "StepsService.ExportCalendar": _sync(lambda w: steps_pb2.ExportCalendarRequest()),
}

# These end the caller's sessions or change the records the others aim at: run last,
# and give the caller a new session afterwards.
SESSION_ENDING = {"AuthService.Logout", "AuthService.ChangePassword"}
CREDENTIAL_BEARING = {"AuthService.Login", "AuthService.RefreshToken"}
RUN_LAST = {"CareService.SubmitNote": 2, "AuthService.Logout": 1, "AuthService.ChangePassword": 1}


def short_name(path: str) -> str:
    """'/carenotes.v1.CareService/GetNote' -> 'CareService.GetNote'."""
    service, method = path.strip("/").split("/")
    return f"{service.rsplit('.', 1)[1]}.{method}"


def admits(access: Access, role: str) -> bool:
    return {
        Access.PUBLIC: True,
        Access.AUTHENTICATED: role != "anonymous",
        Access.PATIENT: role == "patient",
        Access.DOCTOR: role == "doctor",
    }[access]


def expected(path: str, access: Access, role: str, caller: str) -> grpc.StatusCode:
    """The contract's rule first (anonymous, wrong role), then the record-level rule."""
    if not admits(access, role):
        return UNAUTH if role == "anonymous" else DENIED
    return RECORD_RULES[short_name(path)][caller]


def test_every_rpc_of_the_contract_has_a_row() -> None:
    """Fails when an RPC is added without its expectations (or one is removed)."""
    contract = {short_name(path_of(m)) for m in methods()}
    assert contract == set(RECORD_RULES), (
        f"missing: {sorted(contract - set(RECORD_RULES))}, "
        f"stale: {sorted(set(RECORD_RULES) - contract)}"
    )
    assert contract == set(REQUESTS)
    for m in methods():
        access = access_of(m)
        rules = RECORD_RULES[short_name(path_of(m))]
        admitted = {c for c, role in ROLE_OF_CALLER.items() if admits(access, role)}
        # Exactly the callers the access policy admits have a record-level rule.
        assert set(rules) == admitted, (short_name(path_of(m)), sorted(rules), sorted(admitted))


async def test_authorization_matrix(harness: Harness) -> None:
    world = await build_world(harness)
    channel = grpc.insecure_channel(harness.target)
    failures: list[str] = []
    leaked: list[str] = []
    own_texts_seen = False
    order = sorted(methods(), key=lambda m: RUN_LAST.get(short_name(path_of(m)), 0))
    try:
        for method in order:
            path = path_of(method)
            name = short_name(path)
            access = access_of(method)
            for (role, relation), caller in CELLS.items():
                request = await REQUESTS[name](world)
                outcome = await asyncio.to_thread(
                    call,
                    channel,
                    method,
                    request,
                    world.metadata(caller),
                )
                want = expected(path, access, role, caller)
                if outcome.code != want:
                    failures.append(
                        f"{name} {role}/{relation}: got {outcome.code.name} "
                        f"({outcome.details}), expected {want.name}"
                    )
                payload = b"".join(r.SerializeToString() for r in outcome.responses)
                # Login and RefreshToken answer whoever holds the credentials (P's here).
                subject = "patient" if name in CREDENTIAL_BEARING else caller
                found = leaks(payload + outcome.details.encode(), world.forbidden_for(subject))
                if found:
                    leaked.append(f"{name} {role}/{relation} received {found}")
                if caller == "patient" and world.own.secrets is not None:
                    own_texts_seen |= bool(leaks(payload, [world.own.secrets.note_text]))
                if name in SESSION_ENDING and outcome.code == OK:
                    await world.relogin(caller)
    finally:
        channel.close()
    assert not failures, "\n".join(failures)
    assert not leaked, "\n".join(leaked)
    # The leak detector works: P does receive P's own note text somewhere.
    assert own_texts_seen


async def test_an_uninvited_doctor_sign_up_is_refused_whoever_asks(harness: Harness) -> None:
    """Doctor accounts are vouched for by the clinic: no code, a wrong one, one for
    another email, or a used one gets PERMISSION_DENIED, and nothing is written."""
    from tests.security.world import row_counts

    email = f"uninvited-{uuid.uuid4().hex[:8]}@example.org"
    other_email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    code = harness.invite(other_email)
    channel = grpc.insecure_channel(harness.target)
    sign_up = next(m for m in methods() if short_name(path_of(m)) == "AuthService.SignUp")
    try:
        before = row_counts(harness)
        for attempt in ("", "AAAA-BBBB-CCCC-DDDD-EEEE", code):
            request = auth_pb2.SignUpRequest(
                name="Dr Uninvited",
                email=email,
                password=DEFAULT_PASSWORD,
                role=auth_pb2.ROLE_DOCTOR,
                invitation_code=attempt,
            )
            outcome = await asyncio.to_thread(call, channel, sign_up, request, ())
            assert outcome.code == DENIED, (attempt, outcome)
            assert "invitation" in outcome.details
        assert row_counts(harness) == before
        # The right email with its code works once, and only once.
        good = auth_pb2.SignUpRequest(
            name="Dr Invited",
            email=other_email,
            password=DEFAULT_PASSWORD,
            role=auth_pb2.ROLE_DOCTOR,
            invitation_code=code,
        )
        assert (await asyncio.to_thread(call, channel, sign_up, good, ())).code == OK
        again = auth_pb2.SignUpRequest(
            name="Dr Invited Twice",
            email=f"second-{other_email}",
            password=DEFAULT_PASSWORD,
            role=auth_pb2.ROLE_DOCTOR,
            invitation_code=code,
        )
        assert (await asyncio.to_thread(call, channel, sign_up, again, ())).code == DENIED
    finally:
        channel.close()
