"""corrective actions and their history

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:37:11

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('question_key', sa.String(length=64), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('title_ja', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('guidance_ja', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('requires_evidence', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_comment', sa.Text(), nullable=False),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_width', sa.Integer(), nullable=True),
    sa.Column('evidence_height', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=False),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('followup_visit_id', sa.Integer(), nullable=True),
    sa.Column('followup_result', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_actions_assignee_id_users')),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_actions_checklist_id_checklists')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_actions_closed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_actions_created_by_id_users')),
    sa.ForeignKeyConstraint(['followup_visit_id'], ['visits.id'], name=op.f('fk_actions_followup_visit_id_visits')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_actions_store_id_stores')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_actions_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('visit_id', 'question_key', name='uq_actions_visit_question')
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_evidence_sha256'), ['evidence_sha256'], unique=False)
        batch_op.create_index('ix_actions_store_id_status', ['store_id', 'status'], unique=False)

    op.create_table('action_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_events_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_action_events_actor_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_action_events_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_events'))
    )
    with op.batch_alter_table('action_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_events_action_id'), ['action_id'], unique=False)




def downgrade():

    with op.batch_alter_table('action_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_events_action_id'))

    op.drop_table('action_events')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_store_id_status')
        batch_op.drop_index(batch_op.f('ix_actions_evidence_sha256'))
        batch_op.drop_index(batch_op.f('ix_actions_checklist_id'))
        batch_op.drop_index(batch_op.f('ix_actions_assignee_id'))

    op.drop_table('actions')

