"""identification and exam results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:43:12.836451

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('exam_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('school_mean', sa.Double(), nullable=False),
    sa.Column('regional_mean', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_exam_result_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_result')),
    sa.UniqueConstraint('school_id', 'year', 'procedure', 'subject', 'grade', name=op.f('uq_exam_result_school_id'))
    )
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_result_school_id'), ['school_id'], unique=False)

    op.create_table('regional_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('quality_group', sa.Integer(), nullable=False),
    sa.Column('isbsh_group', sa.Integer(), nullable=False),
    sa.Column('pilot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_regional_group_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regional_group')),
    sa.UniqueConstraint('school_id', 'period', name=op.f('uq_regional_group_school_id'))
    )
    with op.batch_alter_table('regional_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regional_group_school_id'), ['school_id'], unique=False)

    op.create_table('school_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('shnro', sa.Boolean(), nullable=False),
    sa.Column('shnsu', sa.Boolean(), nullable=False),
    sa.Column('risk_zone', sa.Boolean(), nullable=False),
    sa.Column('project_500', sa.Boolean(), nullable=False),
    sa.Column('support_group', sa.String(length=40), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_status_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_status')),
    sa.UniqueConstraint('school_id', 'period', name=op.f('uq_school_status_school_id'))
    )
    with op.batch_alter_table('school_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_status_school_id'), ['school_id'], unique=False)

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identification_method', sa.String(length=20), server_default='regional_lists', nullable=False))
        batch_op.add_column(sa.Column('coordinators_chat_id', sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_municipality_coordinators_chat_id'), ['coordinators_chat_id'])




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_municipality_coordinators_chat_id'), type_='unique')
        batch_op.drop_column('coordinators_chat_id')
        batch_op.drop_column('identification_method')

    with op.batch_alter_table('school_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_status_school_id'))

    op.drop_table('school_status')
    with op.batch_alter_table('regional_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regional_group_school_id'))

    op.drop_table('regional_group')
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_result_school_id'))

    op.drop_table('exam_result')

