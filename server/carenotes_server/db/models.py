"""SQLAlchemy 2 typed models: the database is the source of truth for every state.

Clinical text (notes, checklist texts, plan actions, extraction warnings) is stored only as
AES-GCM ciphertext (see domain/crypto.py); nothing here holds PHI in clear.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite (which drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored normalised
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Per-patient delivery counter: each sent reminder takes the next value under the
    # row lock, so a patient's deliveries are totally ordered (the stream cursor).
    reminder_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Doctors: the registration number the clinic gave at invitation, shown beside the
    # name so that look-alike names can be told apart.
    registration: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (Index("ix_users_role_name", "role", "name", "id"),)


class AuthSession(Base):
    """One login: the family of every refresh token rotated from it."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # The only refresh token of the family that may still be used.
    current_refresh_jti: Mapped[uuid.UUID] = mapped_column(Uuid)

    __table_args__ = (Index("ix_auth_sessions_user", "user_id"),)


class CareAssignment(Base):
    """A doctor on a patient's care team; ended rows are the history."""

    __tablename__ = "care_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (
        # A doctor is on a patient's team at most once at a time, enforced by the database.
        Index(
            "uq_care_assignments_current_pair",
            "patient_id",
            "doctor_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index("ix_care_assignments_patient_current", "patient_id", "ended_at"),
        Index("ix_care_assignments_doctor_current", "doctor_id", "ended_at"),
    )


class DoctorInvitation(Base):
    """A clinic's one-time, expiring invitation for one doctor's email. Only a hash of
    the code is kept: a database dump does not let anyone sign up as a doctor."""

    __tablename__ = "doctor_invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))  # normalised
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    registration: Mapped[str | None] = mapped_column(String(64), default=None)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    used_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    __table_args__ = (Index("ix_doctor_invitations_email", "email"),)


class DeviceToken(Base):
    """A client that logged in before (OWASP's device cookie): its logins are exempt from
    the account lockout that guessing from elsewhere triggers. Only a hash is kept."""

    __tablename__ = "device_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class PairKey(Base):
    """The data key shared by one doctor-patient pair, stored wrapped by a master key."""

    __tablename__ = "pair_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("patient_id", "doctor_id", "version"),)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pair_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pair_keys.id"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Orders notes of one patient even when two share a timestamp.
    sequence: Mapped[int] = mapped_column(BigInteger)
    extraction_status: Mapped[str] = mapped_column(String(16))
    # PHI-free (positions, field names, numbers); failure_detail is the same reason with
    # the items named by their text, sealed with the pair key like the note itself.
    failure_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    failure_detail: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The extractor that read the note: the one configured, or the rules extractor
    # when it stood in for an unreachable LLM.
    extractor: Mapped[str | None] = mapped_column(String(16), default=None)
    # What the extractor left out, and why (a JSON list of texts that may quote the
    # note), sealed with the pair key; NULL when it left out nothing.
    warnings: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    extraction_attempts: Mapped[int] = mapped_column(Integer, default=0)
    extracted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Last time the scheduler re-enqueued a lost extraction message.
    requeued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (
        Index("ix_notes_patient_sequence", "patient_id", "sequence"),
        Index("ix_notes_status", "extraction_status", "created_at"),
    )


class StepSet(Base):
    """The steps extracted from one note, and what the note did to the plan in force.

    What is in force is decided item by item (PlanItem.active, ChecklistItem.retired_at),
    not by set: a kept item stays in the set of the note that started it.
    """

    __tablename__ = "step_sets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    note_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    note_sequence: Mapped[int] = mapped_column(BigInteger)
    extractor: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # CHANGED (the note changed what is in force), UNCHANGED (nothing actionable, or
    # only what was in force already), SUPERSEDED (an older note that finished after a
    # newer one had changed the plan: kept for the record, never applied).
    outcome: Mapped[str] = mapped_column(String(16))
    checklist_added: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_step_sets_patient_sequence", "patient_id", "note_sequence"),)


class ChecklistItem(Base):
    __tablename__ = "checklist_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    step_set_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("step_sets.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    pair_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pair_keys.id"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Set when the item leaves the checklist in force (a done task of an older note);
    # open tasks stay until the patient ticks them.
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (Index("ix_checklist_items_patient_open", "patient_id", "retired_at"),)


class PlanItem(Base):
    __tablename__ = "plan_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    step_set_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("step_sets.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    pair_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pair_keys.id"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    times_per_day: Mapped[int] = mapped_column(Integer, default=0)
    every_hours: Mapped[int] = mapped_column(Integer, default=0)
    every_days: Mapped[int] = mapped_column(Integer, default=1)
    duration_days: Mapped[int] = mapped_column(Integer, default=0)
    occurrences: Mapped[int] = mapped_column(Integer, default=0)
    start_in_days: Mapped[int] = mapped_column(Integer, default=0)
    as_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    times_of_day: Mapped[str] = mapped_column(String(200), default="")  # "08:00,20:00"
    days_of_week: Mapped[str] = mapped_column(String(32), default="")  # "MO,WE,FR"
    # When the item came into force: the anchor of its schedule expansion.
    anchor_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Ongoing items are expanded on a rolling window; this is how far it reaches.
    expanded_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why and when it left the plan in force: STOPPED (a note said so), REPLACED (a
    # newer plan of its prescriber does not list it), CHANGED (a newer item for the same
    # medicine replaces it).
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    ended_by_note_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    # Bounded courses: due time of the last dose, later each time a missed dose is made
    # up at the end of the course (doses_made_up counts those).
    course_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    doses_made_up: Mapped[int] = mapped_column(Integer, default=0)
    # False for a taper step: its missed doses are not made up (see domain/missed_dose).
    makeup_allowed: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index("ix_plan_items_topup", "active", "occurrences", "expanded_until"),
        Index("ix_plan_items_patient_active", "patient_id", "active"),
    )


class PlanChangeRecord(Base):
    """One line of what a note did to the plan in force (ids and counts only: the texts
    and schedules are those of the plan items named)."""

    __tablename__ = "plan_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    step_set_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("step_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    # The item in force it kept, stopped or replaced; the item it started.
    plan_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), default=None
    )
    new_plan_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), default=None
    )
    stop_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    reminders_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    reminders_created: Mapped[int] = mapped_column(Integer, default=0)


class Reminder(Base):
    __tablename__ = "reminders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    plan_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)  # dose index within the plan item
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    window_ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    makeup_of_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    makeup_depth: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a scheduler claimed the row and enqueued fire_reminders; a stale claim
    # (lost message) is claimed again. Delivery itself is decided by `status`.
    enqueued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    delivery_seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_status_window", "status", "window_ends_at"),
        Index("ix_reminders_patient_status", "patient_id", "status"),
        Index("ix_reminders_patient_due", "patient_id", "due_at"),
        Index("ix_reminders_patient_delivery", "patient_id", "delivery_seq"),
        Index("ix_reminders_plan_item_seq", "plan_item_id", "sequence"),
    )


class AuditEvent(Base):
    """Append-only (triggers refuse UPDATE and DELETE). Ids and codes only, never PHI."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    actor_role: Mapped[str | None] = mapped_column(String(16), default=None)
    action: Mapped[str] = mapped_column(String(48))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64), default=None)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (Index("ix_audit_events_patient", "patient_id", "id"),)
