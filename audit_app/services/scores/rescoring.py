"""What a rubric version does to scores: what-if (re-scoring recent visits under it, writing nothing) and
re-scoring a checklist's history under a published version (new current scores; the old ones are kept).

Both score the stored answers again with `scoring.score`; store means are exact means of visit percents and ranks
are `scoring.competition_ranks`, as on the dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Checklist, ChecklistVersion, Store, User, Visit, VisitScore
from audit_app.services import audit
from audit_app.services.action_rules import planned_actions
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, NotFoundError
from audit_app.services.rubrics import RubricError, VersionInfo, get_version
from audit_app.services.scores.storage import statuses_for, store_card
from audit_app.services.visits import visit_answers

# Visits whose stored score stands (or may stand again): what-if and re-scoring look at these.
SCORED_STATUSES = ("submitted", "approved", "returned")



@dataclass(frozen=True)
class WhatIfRow:
    store_id: int
    store_name: str
    visits: int
    old_percent: Fraction | None
    new_percent: Fraction | None
    old_rank: int | None
    new_rank: int | None
    actions: int = 0  # corrective actions this version's rules would have created for these visits

    @property
    def change(self) -> Fraction | None:
        if self.old_percent is None or self.new_percent is None:
            return None
        return self.new_percent - self.old_percent

    @property
    def rank_movement(self) -> int | None:
        """Places moved up (positive) or down (negative)."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank


@dataclass(frozen=True)
class WhatIf:
    version: VersionInfo
    visits: int
    dropped_answers: int
    rows: list[WhatIfRow]
    actions: int = 0
    actions_by_priority: tuple[tuple[str, int], ...] = ()


def rescore_answers(checklist: scoring.Checklist, answers: dict[str, Any]) -> tuple[scoring.ScoreCard, int]:
    """Score stored answers under another version: answers to questions it lacks, or that it no longer
    accepts, are left out (and counted)."""
    keys = {question.key for _, question in checklist.questions()}
    kept = {k: v for k, v in answers.items() if k in keys}
    dropped = len(answers) - len(kept)
    while True:
        try:
            return scoring.score(checklist, kept), dropped
        except scoring.AnswerError as error:
            kept.pop(error.question_key, None)
            dropped += 1


def what_if(session: Session, version_id: int, *, last: int = 100) -> WhatIf:
    """Re-score the last `last` counted visits of the version's checklist under it, writing nothing.

    Per store: the mean of the stored visit percents (old), the mean under this version (new), both exact, both
    ranks (competition ranks, highest first), and how many corrective actions this version's rules would have
    created from those visits (one per failed question with a rule; in all, and by priority). Raises
    NotFoundError.
    """
    info = get_version(session, version_id)
    checklist = checklist_from_definition(info.definition)
    counted = statuses_for(session)
    rows = session.execute(
        select(Visit.id, Visit.store_id, Store.name, VisitScore.percent_exact)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Store, Visit.store_id == Store.id)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.current())
        .where(ChecklistVersion.checklist_id == info.checklist_id, Visit.status.in_(counted))
        .order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(last)
    ).all()
    old: dict[int, list[Fraction]] = {}
    new: dict[int, list[Fraction]] = {}
    names: dict[int, str] = {}
    counts: dict[int, int] = {}
    dropped_total = 0
    planned: dict[int, int] = {}
    by_priority: dict[str, int] = {}
    for visit_id, store_id, store_name, percent in rows:
        names[store_id] = store_name
        counts[store_id] = counts.get(store_id, 0) + 1
        card, dropped = rescore_answers(checklist, visit_answers(session, visit_id))
        dropped_total += dropped
        for action in planned_actions(checklist, card):
            planned[store_id] = planned.get(store_id, 0) + 1
            by_priority[action.priority] = by_priority.get(action.priority, 0) + 1
        if percent is not None:
            old.setdefault(store_id, []).append(Fraction(percent))
        if card.percent is not None:
            new.setdefault(store_id, []).append(card.percent)
    session.rollback()  # nothing was written; end the read transaction
    old_means = {s: scoring.mean(old.get(s, ())) for s in names}
    new_means = {s: scoring.mean(new.get(s, ())) for s in names}
    old_ranks, new_ranks = scoring.competition_ranks(old_means), scoring.competition_ranks(new_means)
    result = [
        WhatIfRow(s, names[s], counts[s], old_means[s], new_means[s], old_ranks.get(s), new_ranks.get(s),
                  planned.get(s, 0))
        for s in names
    ]
    result.sort(key=lambda r: (r.new_rank is None, r.new_rank or 0, r.store_name))
    priorities = tuple((p, by_priority[p]) for p in ("critical", "high", "medium", "low") if p in by_priority)
    return WhatIf(info, len(rows), dropped_total, result, sum(planned.values()), priorities)


def rescore_history(session: Session, actor: User, version_id: int, *, now: datetime) -> int:
    """Re-score every scored visit of the checklist under this published version, keeping the old scores.

    Each visit gets a new current VisitScore (the old ones stay, marked not current); one audit entry records
    who did it and how many visits changed. Returns that number. Raises RubricError for a draft or retired version.
    """
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    if version.status != "published":
        raise RubricError(N_("History can only be re-scored under a published version."))
    checklist = checklist_from_definition(version.definition)
    visits = session.scalars(
        select(Visit).join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .where(ChecklistVersion.checklist_id == version.checklist_id, Visit.status.in_(SCORED_STATUSES))
        .order_by(Visit.id)
    ).all()
    for visit in visits:
        card, _ = rescore_answers(checklist, visit_answers(session, visit.id))
        store_card(session, visit=visit, version_id=version.id, card=card, now=now, actor=actor)
    record = session.get(Checklist, version.checklist_id)
    audit.record(session, actor=actor, action="checklist.rescore", entity_type="checklist_version",
                 entity_id=version.id, now=now, after={"key": record.key, "number": version.number,
                                                       "visits": len(visits)},
                 detail=f"{len(visits)} visit(s) re-scored under version {version.number}; earlier scores kept")
    session.commit()
    return len(visits)
