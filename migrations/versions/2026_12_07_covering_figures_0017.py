"""indexes that answer the score pages' period figures on their own

The pages that sum a period's visit percents (head-office home, manager home, area and region dashboards) read the
period's visits and, for each, its current score. Two covering indexes let both be read from the index alone:

- `ix_visits_period` on visits (submitted_at, status, store_id, checklist_version_id, id), replacing the plain
  `ix_visits_submitted_at`: a period's visits with what the filters and groups need, without their rows;
- `ix_visit_scores_current_figures` on current scores only (visit_id, id, percent_den, percent_num, grade,
  critical_failures): the figures of a visit's current score without reading the row (its stored card makes the
  table's rows wide). A query uses it when it asks for `is_current = true`.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

CURRENT = sa.text("is_current = true")
CURRENT_SQLITE = sa.text("is_current = 1")  # SQLite keeps booleans as 0 and 1, and matches the term as written
FIGURES = ["visit_id", "id", "percent_den", "percent_num", "grade", "critical_failures"]


def upgrade():
    op.create_index("ix_visits_period", "visits",
                    ["submitted_at", "status", "store_id", "checklist_version_id", "id"])
    op.drop_index("ix_visits_submitted_at", table_name="visits")
    op.create_index("ix_visit_scores_current_figures", "visit_scores", FIGURES,
                    postgresql_where=CURRENT, sqlite_where=CURRENT_SQLITE)


def downgrade():
    op.drop_index("ix_visit_scores_current_figures", table_name="visit_scores")
    op.create_index("ix_visits_submitted_at", "visits", ["submitted_at"])
    op.drop_index("ix_visits_period", table_name="visits")
