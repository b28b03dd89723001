"""channels: MAX beside Telegram (accounts of other channels, the channel of deliveries, inbox marks and the
coordinators' chat, one chat of a channel per municipality, one-time links of a second channel, the long-polling
marker). Written beside 0010-0011 and numbered after them, so that a database already at 0011 takes it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 21:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # a person registered in MAX alone has no Telegram ids
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("tg_user_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("unreachable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_account_person_id_person"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("channel", "account_id", name=op.f("uq_account_channel")),
        sa.UniqueConstraint("person_id", "channel", name=op.f("uq_account_person_id")),
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_invite_person_id_person"), "person", ["person_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coordinators_channel", sa.String(length=12), nullable=False, server_default="telegram"))
        # a chat id is unique within its channel: a MAX group may have the number of a Telegram one
        batch_op.drop_constraint("uq_municipality_coordinators_chat_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_municipality_coordinators_channel"),
                                          ["coordinators_channel", "coordinators_chat_id"])
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=12), nullable=False, server_default="telegram"))
        batch_op.drop_constraint("uq_delivery_reminder_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_delivery_reminder_id"), ["reminder_id", "channel", "chat_id", "kind"])
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_channel", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("progress_mid", sa.String(length=100), nullable=True))
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=12), nullable=False, server_default="telegram"))
        batch_op.drop_constraint("pk_inbox", type_="primary")
        batch_op.create_primary_key("pk_inbox", ["channel", "bot_id", "update_id"])
    op.create_table(
        "poll_marker",
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("marker", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "bot_id", name=op.f("pk_poll_marker")),
    )


def downgrade() -> None:
    op.drop_table("poll_marker")
    op.execute("DELETE FROM inbox WHERE channel != 'telegram'")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_constraint("pk_inbox", type_="primary")
        batch_op.create_primary_key("pk_inbox", ["bot_id", "update_id"])
        batch_op.drop_column("channel")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("progress_mid")
        batch_op.drop_column("progress_channel")
    op.execute("DELETE FROM delivery WHERE channel != 'telegram'")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_constraint("uq_delivery_reminder_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_delivery_reminder_id"), ["reminder_id", "chat_id", "kind"])
        batch_op.drop_column("channel")
    op.execute("UPDATE municipality SET coordinators_chat_id = NULL WHERE coordinators_channel != 'telegram'")
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_constraint("uq_municipality_coordinators_channel", type_="unique")
        batch_op.drop_column("coordinators_channel")
        batch_op.create_unique_constraint(batch_op.f("uq_municipality_coordinators_chat_id"), ["coordinators_chat_id"])
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invite_person_id_person", type_="foreignkey")
        batch_op.drop_column("person_id")
    op.drop_table("account")
    op.execute("DELETE FROM person WHERE tg_user_id IS NULL")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("tg_user_id", existing_type=sa.BigInteger(), nullable=False)
