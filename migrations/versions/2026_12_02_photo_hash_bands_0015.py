"""photo hash bands

A photo's 64-bit perceptual hash is also kept as four 16-bit bands, each indexed, so the near-duplicate check asks
the database for the few photos that can be within the threshold instead of comparing every stored hash. Photos
already stored get their bands from their hash.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 23:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BANDS = ('phash_band0', 'phash_band1', 'phash_band2', 'phash_band3')


def _bands(phash):
    if not phash or len(phash) != 16:
        return None
    try:
        return [int(phash[i:i + 4], 16) for i in range(0, 16, 4)]
    except ValueError:
        return None


def upgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        for name in BANDS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    for name in BANDS:
        op.create_index(f'ix_photos_{name}', 'photos', [name])
    photos = sa.table('photos', sa.column('id', sa.Integer), sa.column('phash', sa.String),
                      *(sa.column(name, sa.Integer) for name in BANDS))
    bind = op.get_bind()
    last = 0
    while True:  # in batches, so a large photo table is not held in memory at once
        rows = bind.execute(sa.select(photos.c.id, photos.c.phash).where(photos.c.id > last,
                                                                         photos.c.phash.is_not(None))
                            .order_by(photos.c.id).limit(5000)).all()
        if not rows:
            break
        updates = []
        for photo_id, phash in rows:
            bands = _bands(phash)
            if bands is not None:
                updates.append({'pid': photo_id, **dict(zip(BANDS, bands))})
        if updates:
            bind.execute(photos.update().where(photos.c.id == sa.bindparam('pid'))
                         .values({name: sa.bindparam(name) for name in BANDS}), updates)
        last = rows[-1][0]


def downgrade():
    for name in reversed(BANDS):
        op.drop_index(f'ix_photos_{name}', table_name='photos')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        for name in reversed(BANDS):
            batch_op.drop_column(name)
