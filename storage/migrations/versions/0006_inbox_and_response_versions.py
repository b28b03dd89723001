"""inbox of updates (recorded before they are confirmed), response versions and last actors

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_received_at"), ["received_at"], unique=False)
    op.drop_table("handled_update")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_response_actor_id"), ["actor_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_response_actor_id_person"), "person", ["actor_id"], ["id"], ondelete="SET NULL")
    op.execute("UPDATE response SET actor_id = person_id")


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_response_actor_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_response_actor_id"))
        batch_op.drop_column("actor_id")
        batch_op.drop_column("version")
    op.create_table(
        "handled_update",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id"),
    )
    op.drop_table("inbox")
