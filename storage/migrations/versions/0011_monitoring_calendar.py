"""the monitoring calendar: a municipality's plan for a school year and its outbox of notices

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "calendar_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pack", sa.String(length=60), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("planned_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.Column("quiet_hours", sa.String(length=11), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], name=op.f("fk_calendar_item_municipality_id_municipality"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_calendar_item_campaign_id_campaign"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_item")),
        sa.UniqueConstraint("municipality_id", "period", "key", name=op.f("uq_calendar_item_municipality_id")),
    )
    with op.batch_alter_table("calendar_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_item_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_item_opens_at"), ["opens_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_item_state"), ["state"], unique=False)

    op.create_table(
        "calendar_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("item_key", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("ambiguous", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_calendar_message_municipality_id_municipality"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_message")),
        sa.UniqueConstraint("municipality_id", "period", "item_key", "key", "chat_id", name=op.f("uq_calendar_message_municipality_id")),
    )
    with op.batch_alter_table("calendar_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_message_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_message_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("calendar_message")
    op.drop_table("calendar_item")
