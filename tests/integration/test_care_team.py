"""CareService care-team RPCs through a real channel, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
from sqlalchemy import func, select

from carenotes.v1 import care_pb2
from carenotes_server.db.models import CareAssignment
from tests.harness import Harness
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


async def test_select_doctor_replaces_and_keeps_history(harness: Harness) -> None:
    first, patient = await harness.assigned_pair()
    second = await harness.doctor()
    mine = await harness.care.GetMyDoctor(care_pb2.GetMyDoctorRequest(), metadata=patient.metadata)
    assert mine.id == first.id
    await harness.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=second.id), metadata=patient.metadata
    )
    mine = await harness.care.GetMyDoctor(care_pb2.GetMyDoctorRequest(), metadata=patient.metadata)
    assert mine.id == second.id
    old = await harness.care.ListPatients(care_pb2.ListPatientsRequest(), metadata=first.metadata)
    assert patient.id not in [p.id for p in old.patients]
    new = await harness.care.ListPatients(care_pb2.ListPatientsRequest(), metadata=second.metadata)
    assert [p.id for p in new.patients] == [patient.id]
    with harness.components.db.read() as session:
        history = session.scalar(
            select(func.count()).where(CareAssignment.patient_id == uuid.UUID(patient.id))
        )
    assert history == 2


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
