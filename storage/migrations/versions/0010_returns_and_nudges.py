"""questionnaires returned for correction (their history), and deputies' personal nudges (one a person a day)

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-24 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "response_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("returned_by", sa.Integer(), nullable=True),
        sa.Column("returned_by_role", sa.String(length=20), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("resubmitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmitted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"], name=op.f("fk_response_return_response_id_response"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["returned_by"], ["person.id"], name=op.f("fk_response_return_returned_by_person"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminder.id"], name=op.f("fk_response_return_reminder_id_reminder"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resubmitted_by"], ["person.id"], name=op.f("fk_response_return_resubmitted_by_person"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_return")),
    )
    with op.batch_alter_table("response_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_return_response_id"), ["response_id"], unique=False)
    op.create_table(
        "nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_nudge_campaign_id_campaign"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_nudge_person_id_person"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["person.id"], name=op.f("fk_nudge_requested_by_person"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminder.id"], name=op.f("fk_nudge_reminder_id_reminder"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_nudge_person_id")),
    )
    with op.batch_alter_table("nudge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_reminder_id"), ["reminder_id"], unique=False)


def downgrade() -> None:
    op.drop_table("nudge")
    op.drop_table("response_return")
