"""care teams (several current doctors), doctor invitations, device tokens

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import carenotes_server.db.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UTC = carenotes_server.db.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration", sa.String(length=64), nullable=True))

    with op.batch_alter_table("care_assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_care_assignments_current_patient")
        batch_op.create_index(
            "uq_care_assignments_current_pair",
            ["patient_id", "doctor_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index(
            "ix_care_assignments_patient_current", ["patient_id", "ended_at"], unique=False
        )

    op.create_table(
        "doctor_invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("registration", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.Column("used_at", _UTC, nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["users.id"],
            name=op.f("fk_doctor_invitations_used_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_doctor_invitations_code_hash")),
    )
    with op.batch_alter_table("doctor_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_invitations_email", ["email"], unique=False)

    op.create_table(
        "device_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.Column("last_used_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_device_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_tokens_token_hash")),
    )
    with op.batch_alter_table("device_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_tokens_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("care teams have no way back: restore a backup")
