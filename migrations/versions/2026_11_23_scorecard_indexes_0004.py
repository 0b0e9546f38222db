"""indexes for scorecards and the review queue at production size

A store's visits newest first (store_id, submitted_at, id, then status and checklist version so that it covers
the queries) replaces the index on store_id alone: the latest two scores of every store and a store's recent
history read a few entries from its newest end instead of sorting the whole history, and visits per checklist
are counted from the index alone. The review queue reads (status, submitted_at, id) instead of walking every
visit ever submitted. A visit's current score is found by (visit_id, is_current), which replaces visit_id alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_store_id_submitted_at',
                              ['store_id', 'submitted_at', 'id', 'status', 'checklist_version_id'], unique=False)
        batch_op.create_index('ix_visits_status_submitted_at', ['status', 'submitted_at', 'id'], unique=False)
        batch_op.drop_index('ix_visits_store_id')
    with op.batch_alter_table('visit_scores', schema=None) as batch_op:
        batch_op.create_index('ix_visit_scores_visit_id_is_current', ['visit_id', 'is_current'], unique=False)
        batch_op.drop_index('ix_visit_scores_visit_id')


def downgrade():
    with op.batch_alter_table('visit_scores', schema=None) as batch_op:
        batch_op.create_index('ix_visit_scores_visit_id', ['visit_id'], unique=False)
        batch_op.drop_index('ix_visit_scores_visit_id_is_current')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_store_id', ['store_id'], unique=False)
        batch_op.drop_index('ix_visits_status_submitted_at')
        batch_op.drop_index('ix_visits_store_id_submitted_at')
