"""collection cycle: consent, windows, cadence, events, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sender_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_pauses'))
    )
    with op.batch_alter_table('sender_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_pauses_sender'), ['sender'], unique=False)

    op.create_table('worker_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_leases'))
    )
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_consents_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_phone'), ['phone'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_events_account_id_accounts')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_events_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_events_delivered_at_next_attempt_at', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('cadence_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('delinquent_since', sa.Date(), nullable=False),
    sa.Column('profile', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cadence_sends_account_id_accounts')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_cadence_sends_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence_sends')),
    sa.UniqueConstraint('account_id', 'step', 'delinquent_since', name=op.f('uq_cadence_sends_account_id_step_delinquent_since'))
    )
    with op.batch_alter_table('cadence_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadence_sends_account_id'), ['account_id'], unique=False)

    op.create_table('contact_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('source_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['source_message_id'], ['messages.id'], name=op.f('fk_contact_windows_source_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_windows'))
    )
    with op.batch_alter_table('contact_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_windows_phone'), ['phone'], unique=False)

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=False, server_default='sms'))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))

    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_instalments_payment_id_payments'), 'payments', ['payment_id'], ['id'])

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_messages_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_messages_account_id_accounts'), 'accounts', ['account_id'], ['id'])

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('phones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undeliverable_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undeliverable_code', sa.String(length=16), nullable=True))

    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_promises_payment_id_payments'), 'payments', ['payment_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_promises_payment_id_payments'), type_='foreignkey')
        batch_op.drop_column('settled_at')
        batch_op.drop_column('payment_id')

    with op.batch_alter_table('phones', schema=None) as batch_op:
        batch_op.drop_column('undeliverable_code')
        batch_op.drop_column('undeliverable_at')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('reversed_at')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_account_id_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_messages_account_id'))
        batch_op.drop_column('attempts')
        batch_op.drop_column('account_id')

    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_instalments_payment_id_payments'), type_='foreignkey')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('payment_id')

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('source')

    with op.batch_alter_table('contact_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_windows_phone'))

    op.drop_table('contact_windows')
    with op.batch_alter_table('cadence_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadence_sends_account_id'))

    op.drop_table('cadence_sends')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_delivered_at_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_events_account_id'))

    op.drop_table('events')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_phone'))
        batch_op.drop_index(batch_op.f('ix_consents_account_id'))

    op.drop_table('consents')
    op.drop_table('worker_leases')
    with op.batch_alter_table('sender_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sender_pauses_sender'))

    op.drop_table('sender_pauses')
