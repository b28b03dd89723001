"""the working group's meetings whose protocols were made: the next protocol offers their people, place,
agenda and the next number

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], name=op.f("fk_meeting_municipality_id_municipality"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["made_by"], ["person.id"], name=op.f("fk_meeting_made_by_person"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_made_at"), ["made_at"], unique=False)


def downgrade() -> None:
    op.drop_table("meeting")
