"""the municipality's requisites for the documents it files (the body's full name, its head, its address)
and the completion below which its documents say the data are incomplete

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_name", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("head_title", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("head_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("complete_at", sa.Integer(), nullable=False, server_default="90"))


def downgrade() -> None:
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        for column in ("complete_at", "address", "head_name", "head_title", "body_name"):
            batch_op.drop_column(column)
