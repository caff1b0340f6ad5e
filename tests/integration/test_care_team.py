"""CareService care-team RPCs through a real channel, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
from sqlalchemy import func, select

from carenotes.v1 import auth_pb2, care_pb2
from carenotes_server.db.models import AuditEvent, CareAssignment
from tests.harness import DEFAULT_PASSWORD, Harness
from tests.integration.rpc_errors import expect_code, field_violations


async def test_list_doctors_paginates_and_filters(harness: Harness) -> None:
    tag = uuid.uuid4().hex[:6]
    doctors = [await harness.doctor(name=f"Dr {tag} {i}") for i in range(5)]
    patient = await harness.patient()
    seen: list[str] = []
    token = ""
    while True:
        page = await harness.care.ListDoctors(
            care_pb2.ListDoctorsRequest(page_size=2, page_token=token, name_filter=tag.upper()),
            metadata=patient.metadata,
        )
        assert len(page.doctors) <= 2
        seen.extend(d.id for d in page.doctors)
        token = page.next_page_token
        if not token:
            break
    assert seen == [d.id for d in doctors]


async def test_bad_page_token_and_huge_page_are_invalid(harness: Harness) -> None:
    patient = await harness.patient()
    err = await expect_code(
        harness.care.ListDoctors(
            care_pb2.ListDoctorsRequest(page_token="%%%garbage"), metadata=patient.metadata
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "page_token" in field_violations(err)
    err = await expect_code(
        harness.care.ListDoctors(
            care_pb2.ListDoctorsRequest(page_size=100_000), metadata=patient.metadata
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "page_size" in field_violations(err)


async def test_a_patient_has_several_doctors_adds_and_removes_them(harness: Harness) -> None:
    first, patient = await harness.assigned_pair()
    second = await harness.doctor()
    added = await harness.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=second.id), metadata=patient.metadata
    )
    again = await harness.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=second.id), metadata=patient.metadata
    )
    assert again.assigned_at == added.assigned_at  # idempotent: joined once
    team = await harness.care.ListCareTeam(
        care_pb2.ListCareTeamRequest(), metadata=patient.metadata
    )
    assert [m.doctor.id for m in team.members] == [second.id, first.id]
    assert all(not m.HasField("ended_at") for m in team.members)
    mine = await harness.care.GetMyDoctor(care_pb2.GetMyDoctorRequest(), metadata=patient.metadata)
    assert mine.id == second.id  # the one added last
    for doctor in (first, second):
        seen = await harness.care.ListPatients(
            care_pb2.ListPatientsRequest(), metadata=doctor.metadata
        )
        assert [p.id for p in seen.patients] == [patient.id]

    removed = await harness.care.RemoveDoctor(
        care_pb2.RemoveDoctorRequest(doctor_id=first.id), metadata=patient.metadata
    )
    assert removed.HasField("ended_at")
    old = await harness.care.ListPatients(care_pb2.ListPatientsRequest(), metadata=first.metadata)
    assert patient.id not in [p.id for p in old.patients]
    await expect_code(
        harness.care.RemoveDoctor(
            care_pb2.RemoveDoctorRequest(doctor_id=first.id), metadata=patient.metadata
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    current = await harness.care.ListCareTeam(
        care_pb2.ListCareTeamRequest(), metadata=patient.metadata
    )
    assert [m.doctor.id for m in current.members] == [second.id]
    history = await harness.care.ListCareTeam(
        care_pb2.ListCareTeamRequest(include_former=True), metadata=patient.metadata
    )
    assert [(m.doctor.id, m.HasField("ended_at")) for m in history.members] == [
        (second.id, False),
        (first.id, True),
    ]
    with harness.components.db.read() as session:
        rows = session.scalar(
            select(func.count()).where(CareAssignment.patient_id == uuid.UUID(patient.id))
        )
    assert rows == 2
    with harness.components.db.read() as session:
        actions = [
            (e.action, e.resource_id)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.patient_id == uuid.UUID(patient.id))
                .where(AuditEvent.action.like("care_team.%"))
                .order_by(AuditEvent.id)
            )
        ]
    assert actions == [
        ("care_team.add", first.id),
        ("care_team.add", second.id),
        ("care_team.remove", first.id),
    ]


async def test_doctors_are_listed_with_what_tells_look_alikes_apart(harness: Harness) -> None:
    tag = uuid.uuid4().hex[:6]
    email = f"dana-{tag}@north.example"
    code = harness.invite(email, name=f"Dr Dana {tag}", registration="GMC 7654321")
    await harness.auth.SignUp(
        auth_pb2.SignUpRequest(
            name="whatever the doctor typed",
            email=email,
            password=DEFAULT_PASSWORD,
            role=auth_pb2.ROLE_DOCTOR,
            invitation_code=code,
        )
    )
    other = await harness.doctor(name=f"Dr Dana {tag}")
    patient = await harness.patient()
    found = await harness.care.ListDoctors(
        care_pb2.ListDoctorsRequest(name_filter=tag), metadata=patient.metadata
    )
    listed = {(d.name, d.email_domain, d.registration) for d in found.doctors}
    assert listed == {
        (f"Dr Dana {tag}", "north.example", "GMC 7654321"),
        (f"Dr Dana {tag}", "example.org", ""),
    }
    assert other.id in {d.id for d in found.doctors}


async def test_select_doctor_rejects_non_doctors_and_other_patients(harness: Harness) -> None:
    patient = await harness.patient()
    other = await harness.patient()
    doctor = await harness.doctor()
    await expect_code(
        harness.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=other.id), metadata=patient.metadata
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await expect_code(
        harness.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=str(uuid.uuid4())), metadata=patient.metadata
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    err = await expect_code(
        harness.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id="not-a-uuid"), metadata=patient.metadata
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "doctor_id" in field_violations(err)
    await expect_code(
        harness.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id, patient_id=other.id),
            metadata=patient.metadata,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # Own id given explicitly is fine.
    await harness.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=doctor.id, patient_id=patient.id),
        metadata=patient.metadata,
    )


async def test_my_doctor_is_not_found_before_selection(harness: Harness) -> None:
    patient = await harness.patient()
    await expect_code(
        harness.care.GetMyDoctor(care_pb2.GetMyDoctorRequest(), metadata=patient.metadata),
        grpc.StatusCode.NOT_FOUND,
    )
