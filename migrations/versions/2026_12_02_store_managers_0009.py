"""store managers: the stores each one looks after

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'store_managers',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_managers_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_store_managers_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'store_id', name=op.f('pk_store_managers')),
    )
    with op.batch_alter_table('store_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_managers_store_id'), ['store_id'], unique=False)


def downgrade():
    with op.batch_alter_table('store_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_managers_store_id'))
    op.drop_table('store_managers')
