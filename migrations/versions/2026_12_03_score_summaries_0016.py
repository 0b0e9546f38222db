"""score summaries for exports

A visit score also keeps what an export reads of its card, small: each section's earned and possible and each
answer, exactly as the card stores them ({"s": {section: [earned, possible]}, "a": {question: answer}}, the
unanswered left out). An export of 100,000 visits then moves about 2 kB a visit instead of the whole explained
card (about 14 kB) and decodes that. Scores already stored get theirs from their card, a batch of ids at a time;
the code writes the same for every new card (`storage.card_summary`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:00:00

"""
import json

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BATCH = 5_000


def _summary(card):
    """The summary of a stored card, as `storage.card_summary` makes it (kept here as it was when this migration
    was written, so the migration does not change with the code)."""
    sections, answers = {}, {}
    for section in card.get('sections', []):
        sections[section['key']] = [section['earned'], section['possible']]
        for question in section['questions']:
            if question.get('answer') is not None:
                answers[question['key']] = question['answer']
    return {'s': sections, 'a': answers}


def upgrade():
    with op.batch_alter_table('visit_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=True))
    bind = op.get_bind()
    value = 'CAST(:s AS json)' if bind.dialect.name == 'postgresql' else ':s'
    last = 0
    while True:
        rows = bind.execute(sa.text(
            'SELECT id, CAST(card AS TEXT) FROM visit_scores WHERE id > :last ORDER BY id LIMIT :n'),
            {'last': last, 'n': BATCH}).all()
        if not rows:
            return
        last = rows[-1][0]
        updates = []
        for row_id, text in rows:
            try:
                card = json.loads(text)
                summary = _summary(card)
            except (TypeError, ValueError, KeyError, AttributeError):
                continue  # a card of another form keeps no summary: exports read the card itself
            updates.append({'i': row_id, 's': json.dumps(summary, ensure_ascii=False, separators=(',', ':'))})
        if updates:
            bind.execute(sa.text(f'UPDATE visit_scores SET summary = {value} WHERE id = :i'), updates)


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later too): a batch "move and copy" would drop and
    # recreate visit_scores on SQLite, and dropping it deletes every section score by its ON DELETE CASCADE.
    op.drop_column('visit_scores', 'summary')
