"""where a respondent is (the screen shown last) and how long each answer took (seconds on its screen), for the
coordinators' «Где останавливаются»

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen", sa.String(length=60), nullable=True))
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("seconds")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_column("screen")
