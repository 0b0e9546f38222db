"""exact percents as integer numerators and denominators

A visit score's exact percent and a section score's exact percent (earned / possible x 100) are also kept as a
reduced fraction in two integer columns, so that dashboards add them up with SQL aggregates instead of parsing
the "n/d" texts. Backfilled from the texts in batches of ids: on PostgreSQL by SQL (numeric arithmetic and gcd)
for texts of the form "n/d" or "n", then on both engines in Python with `fractions.Fraction` for every row left
(all rows on SQLite), exactly as the code writes new cards.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00

"""
from fractions import Fraction

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 20_000
NUMBER = r'^-?[0-9]+(/[0-9]+)?$'


def _pg_parts(column):
    """(numerator, denominator) of an "n/d" or "n" text, as numeric SQL."""
    return (f"split_part({column}, '/', 1)::numeric",
            f"COALESCE(NULLIF(split_part({column}, '/', 2), ''), '1')::numeric")


def _pg_backfill(bind, table, num_sql, den_sql, where):
    """Set percent_num/percent_den from numeric expressions (reduced, denominator positive), a range of ids at a
    time."""
    top = bind.execute(sa.text(f"SELECT COALESCE(max(id), 0) FROM {table}")).scalar()
    for low in range(0, top + 1, BATCH):
        bind.execute(sa.text(
            f"UPDATE {table} AS t SET percent_num = (x.n / x.g)::bigint, percent_den = (x.d / x.g)::bigint "
            f"FROM (SELECT id, sign(d) * n AS n, abs(d) AS d, gcd(n, d) AS g FROM ("
            f"  SELECT id, {num_sql} AS n, {den_sql} AS d FROM {table}"
            f"  WHERE id > :low AND id <= :high AND {where}) AS p WHERE d <> 0) AS x "
            f"WHERE t.id = x.id"), {"low": low, "high": low + BATCH})


def _python_backfill(bind, table, columns, value, skip_sql):
    """Every row with no numerator yet (and not already handled by SQL): read its texts, compute the exact
    percent with Fraction (`value`), write numerator and denominator; a batch of ids at a time."""
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {columns} FROM {table} WHERE id > :last AND percent_num IS NULL{skip_sql} "
            f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        last = rows[-1][0]
        updates = []
        for row in rows:
            exact = value(*row[1:])
            if exact is not None:
                updates.append({"i": row[0], "n": exact.numerator, "d": exact.denominator})
        if updates:
            bind.execute(sa.text(f"UPDATE {table} SET percent_num = :n, percent_den = :d WHERE id = :i"), updates)


def _visit_percent(text):
    return None if text is None else Fraction(text)


def _section_percent(earned, possible):
    possible_f = Fraction(possible)
    return Fraction(earned) / possible_f * 100 if possible_f else None


def upgrade():
    for table in ('visit_scores', 'section_scores'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('percent_num', sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column('percent_den', sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        pn, pd = _pg_parts('percent_exact')
        _pg_backfill(bind, 'visit_scores', pn, pd, f"percent_exact ~ '{NUMBER}'")
        en, ed = _pg_parts('earned')
        sn, sd = _pg_parts('possible')
        # earned / possible x 100 = (en / ed) / (sn / sd) x 100 = (en x sd x 100) / (ed x sn)
        _pg_backfill(bind, 'section_scores', f"({en}) * ({sd}) * 100", f"({ed}) * ({sn})",
                     f"earned ~ '{NUMBER}' AND possible ~ '{NUMBER}'")
        visit_skip = f" AND percent_exact IS NOT NULL AND percent_exact !~ '{NUMBER}'"
        section_skip = f" AND NOT (earned ~ '{NUMBER}' AND possible ~ '{NUMBER}')"
    else:
        visit_skip = " AND percent_exact IS NOT NULL"
        section_skip = ""
    _python_backfill(bind, 'visit_scores', 'percent_exact', _visit_percent, visit_skip)
    _python_backfill(bind, 'section_scores', 'earned, possible', _section_percent, section_skip)


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later too): a batch "move and copy" would drop and
    # recreate visit_scores on SQLite, and dropping it deletes every section score by its ON DELETE CASCADE.
    for table in ('section_scores', 'visit_scores'):
        op.drop_column(table, 'percent_den')
        op.drop_column(table, 'percent_num')
