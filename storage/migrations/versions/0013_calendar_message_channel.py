"""the calendar's notices in the channel of the chat they go to (a coordinators' group or a coordinator in MAX)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=12), nullable=False, server_default="telegram"))
        batch_op.drop_constraint("uq_calendar_message_municipality_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_calendar_message_municipality_id"),
                                          ["municipality_id", "period", "item_key", "key", "channel", "chat_id"])


def downgrade() -> None:
    op.execute("DELETE FROM calendar_message WHERE channel != 'telegram'")
    with op.batch_alter_table("calendar_message", schema=None) as batch_op:
        batch_op.drop_constraint("uq_calendar_message_municipality_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_calendar_message_municipality_id"),
                                          ["municipality_id", "period", "item_key", "key", "chat_id"])
        batch_op.drop_column("channel")
