"""visit plans, their planned visits, and shoppers' unavailable dates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('every_weeks', sa.Integer(), nullable=False),
    sa.Column('waves', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('lockout_days', sa.Integer(), nullable=False),
    sa.Column('no_repeat_shopper', sa.Boolean(), nullable=False),
    sa.Column('home_region_only', sa.Boolean(), nullable=False),
    sa.Column('reassign_missed', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_plans_checklist_id'), ['checklist_id'], unique=False)

    op.create_table('plan_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('reassigned_count', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['visit_plans.id'], ),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'store_id', 'window_start', name='uq_plan_visits_plan_store_window')
    )
    with op.batch_alter_table('plan_visits', schema=None) as batch_op:
        batch_op.create_index('ix_plan_visits_plan_id_window_start', ['plan_id', 'window_start'], unique=False)

    op.create_table('unavailable_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unavailable_dates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unavailable_dates_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unavailable_dates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unavailable_dates_user_id'))
    op.drop_table('unavailable_dates')
    with op.batch_alter_table('plan_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_visits_plan_id_window_start')
    op.drop_table('plan_visits')
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_plans_checklist_id'))
    op.drop_table('visit_plans')
