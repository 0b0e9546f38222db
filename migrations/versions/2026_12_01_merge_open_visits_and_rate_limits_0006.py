"""merge: one open visit per assignment, and rate-limit counters in the database

Both were written on top of 0004 at the same time; this joins the two heads so `db upgrade` has one head again.
A database at either of them (or before both) upgrades to here.

Revision ID: 0006
Revises: 0005, 0005_rate_limits
Create Date: 2026-12-01 23:30:00

"""


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = ('0005', '0005_rate_limits')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
