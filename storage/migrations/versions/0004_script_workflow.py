"""script workflow (based_on, submitted, note) and versioned settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('script_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('based_on', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    op.create_table('settings_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', _JSON, nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settings_revisions')),
    sa.UniqueConstraint('version', name=op.f('uq_settings_revisions_version'))
    )


def downgrade() -> None:
    op.drop_table('settings_revisions')
    with op.batch_alter_table('script_revisions', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('based_on')
