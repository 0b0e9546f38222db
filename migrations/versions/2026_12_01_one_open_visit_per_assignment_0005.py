"""one open visit per assignment

Two phones (or tabs) starting the same assignment each made a draft, and both could be submitted and counted.
A partial unique index allows at most one open visit (draft or returned) per assignment; visits without an
assignment are not limited. Open visits already duplicated are closed first: per assignment the one changed last
(then the newest) stays open and the others are voided with a note, so they never count.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OPEN_VISIT = sa.text("status IN ('draft', 'returned')")
NOTE = "Closed automatically: another visit of the same assignment was already open."


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, assignment_id FROM visits WHERE assignment_id IS NOT NULL AND status IN ('draft', 'returned') "
        "ORDER BY assignment_id, updated_at DESC, id DESC")).all()
    seen: set[int] = set()
    extra = []
    for visit_id, assignment_id in rows:
        if assignment_id in seen:
            extra.append(visit_id)
        seen.add(assignment_id)
    for visit_id in extra:
        conn.execute(sa.text("UPDATE visits SET status = 'voided', review_note = :note WHERE id = :id"),
                     {"note": NOTE, "id": visit_id})
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('uq_visits_open_assignment', ['assignment_id'], unique=True,
                              sqlite_where=OPEN_VISIT, postgresql_where=OPEN_VISIT)


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('uq_visits_open_assignment', sqlite_where=OPEN_VISIT, postgresql_where=OPEN_VISIT)
