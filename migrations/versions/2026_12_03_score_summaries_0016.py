"""score summaries for exports

Each visit score gets a row in `score_summaries` with what an export reads of its card, small: each section's
earned and possible and each answer, exactly as the card stores them ({"s": {section: [earned, possible]}, "a":
{question: answer}}, the unanswered left out). An export of 100,000 visits then moves about 2 kB a visit instead
of the whole explained card (about 14 kB) and decodes that. It is a table of its own so that `visit_scores`, which
every dashboard reads, stays narrow (kept inline there it made that table's heap four to five times larger).
Scores already stored get theirs from their card, a batch of ids at a time; the code writes the same for every
new card (`storage.card_summary`).

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
    for section in card['sections']:
        sections[section['key']] = [section['earned'], section['possible']]
        for question in section['questions']:
            if question.get('answer') is not None:
                answers[question['key']] = question['answer']
    return {'s': sections, 'a': answers}


def upgrade():
    op.create_table(
        'score_summaries',
        sa.Column('visit_score_id', sa.Integer(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['visit_score_id'], ['visit_scores.id'],
                                name=op.f('fk_score_summaries_visit_score_id_visit_scores'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('visit_score_id', name=op.f('pk_score_summaries')),
    )
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
        summaries = []
        for row_id, text in rows:
            try:
                summary = _summary(json.loads(text))
            except (TypeError, ValueError, KeyError, AttributeError):
                continue  # a card of another form gets no summary: exports read the card itself
            summaries.append({'i': row_id, 's': json.dumps(summary, ensure_ascii=False, separators=(',', ':'))})
        if summaries:
            bind.execute(sa.text(f'INSERT INTO score_summaries (visit_score_id, summary) VALUES (:i, {value})'),
                         summaries)


def downgrade():
    op.drop_table('score_summaries')
