"""proof of visit and fraud flags

Stores get coordinates and an allowed radius; a visit keeps where the phone was at start and at submit (with
accuracy) and whether the shopper shared, refused or could not give it; photos keep a perceptual hash; checklists a
plausible minimum duration. `visit_flags` holds each check's finding with its evidence until head office explains it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('stores', sa.Column('latitude', sa.Float(), nullable=True))
    op.add_column('stores', sa.Column('longitude', sa.Float(), nullable=True))
    op.add_column('stores', sa.Column('radius_m', sa.Integer(), nullable=True))
    op.add_column('visits', sa.Column('start_location_status', sa.String(length=12), nullable=False,
                                       server_default=''))
    op.add_column('visits', sa.Column('submit_latitude', sa.Float(), nullable=True))
    op.add_column('visits', sa.Column('submit_longitude', sa.Float(), nullable=True))
    op.add_column('visits', sa.Column('submit_accuracy_m', sa.Float(), nullable=True))
    op.add_column('visits', sa.Column('submit_location_status', sa.String(length=12), nullable=False,
                                       server_default=''))
    op.add_column('photos', sa.Column('phash', sa.String(length=16), nullable=True))
    op.add_column('checklists', sa.Column('min_minutes', sa.Integer(), nullable=True))
    op.create_table(
        'visit_flags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('signature', sa.String(length=120), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('other_visit_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('explained_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('explained_by_id', sa.Integer(), nullable=True),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_flags_visit_id_visits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['other_visit_id'], ['visits.id'], name=op.f('fk_visit_flags_other_visit_id_visits'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['explained_by_id'], ['users.id'], name=op.f('fk_visit_flags_explained_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_flags')),
        sa.UniqueConstraint('visit_id', 'kind', 'signature', name='uq_visit_flags_visit_kind_signature'),
    )
    op.create_index('ix_visit_flags_visit_id', 'visit_flags', ['visit_id'])
    op.create_index('ix_photos_phash', 'photos', ['phash'])


def downgrade():
    op.drop_index('ix_photos_phash', table_name='photos')
    op.drop_index('ix_visit_flags_visit_id', table_name='visit_flags')
    op.drop_table('visit_flags')
    op.drop_column('checklists', 'min_minutes')
    op.drop_column('photos', 'phash')
    op.drop_column('visits', 'submit_location_status')
    op.drop_column('visits', 'submit_accuracy_m')
    op.drop_column('visits', 'submit_longitude')
    op.drop_column('visits', 'submit_latitude')
    op.drop_column('visits', 'start_location_status')
    op.drop_column('stores', 'radius_m')
    op.drop_column('stores', 'longitude')
    op.drop_column('stores', 'latitude')
