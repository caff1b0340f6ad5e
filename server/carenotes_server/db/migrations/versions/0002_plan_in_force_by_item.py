"""the plan in force, item by item; weekdays; made-up doses; refused schedules named

Steps used to be in force by set (one step set per patient). A note now changes the
plan only by what it says, so each plan item and checklist item carries its own state,
and what a note changed is recorded in plan_changes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import carenotes_server.db.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UTC = carenotes_server.db.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("step_sets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("checklist_added", sa.Integer(), nullable=False, server_default="0")
        )
    # Sets that were in force at some point changed the plan; a set superseded the
    # moment it was written was an older note finishing late.
    op.execute(
        "UPDATE step_sets SET outcome = CASE WHEN superseded_at IS NOT NULL "
        "AND superseded_at = created_at THEN 'SUPERSEDED' ELSE 'CHANGED' END"
    )

    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", _UTC, nullable=True))
        batch_op.create_index(
            "ix_checklist_items_patient_open", ["patient_id", "retired_at"], unique=False
        )
    op.execute(
        "UPDATE checklist_items SET retired_at = (SELECT s.superseded_at FROM step_sets s "
        "WHERE s.id = checklist_items.step_set_id)"
    )

    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.alter_column(
            "times_of_day", existing_type=sa.String(length=100), type_=sa.String(length=200)
        )
        batch_op.add_column(
            sa.Column("days_of_week", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("ended_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("ended_by_note_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("course_ends_at", _UTC, nullable=True))
        batch_op.add_column(
            sa.Column("doses_made_up", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("makeup_allowed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index(
            "ix_plan_items_patient_active", ["patient_id", "active"], unique=False
        )
    op.execute(
        "UPDATE plan_items SET ended_at = (SELECT s.superseded_at FROM step_sets s "
        "WHERE s.id = plan_items.step_set_id), end_reason = 'REPLACED' WHERE active = false"
    )
    op.execute(
        "UPDATE plan_items SET course_ends_at = (SELECT max(r.due_at) FROM reminders r "
        "WHERE r.plan_item_id = plan_items.id AND r.status <> 'CANCELLED'), "
        "doses_made_up = (SELECT count(*) FROM reminders r WHERE r.plan_item_id = "
        "plan_items.id AND r.makeup_depth > 0 AND r.status <> 'CANCELLED') "
        "WHERE occurrences > 0"
    )

    with op.batch_alter_table("step_sets", schema=None) as batch_op:
        batch_op.alter_column("outcome", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_index("uq_step_sets_in_force_patient")
        batch_op.drop_column("superseded_at")
        batch_op.create_index(
            "ix_step_sets_patient_sequence", ["patient_id", "note_sequence"], unique=False
        )

    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_detail", sa.LargeBinary(), nullable=True))

    op.create_table(
        "plan_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("step_set_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan_item_id", sa.Uuid(), nullable=True),
        sa.Column("new_plan_item_id", sa.Uuid(), nullable=True),
        sa.Column("stop_reason", sa.String(length=16), nullable=True),
        sa.Column("reminders_cancelled", sa.Integer(), nullable=False),
        sa.Column("reminders_created", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_plan_item_id"],
            ["plan_items.id"],
            name=op.f("fk_plan_changes_new_plan_item_id_plan_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_item_id"],
            ["plan_items.id"],
            name=op.f("fk_plan_changes_plan_item_id_plan_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_set_id"],
            ["step_sets.id"],
            name=op.f("fk_plan_changes_step_set_id_step_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_changes")),
    )
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_changes_step_set_id"), ["step_set_id"], unique=False
        )


def downgrade() -> None:
    raise NotImplementedError("the plan-by-item schema has no way back: restore a backup")
