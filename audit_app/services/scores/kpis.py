"""Customer KPIs over a store's visits, from the answers on their stored cards and the questions' `kpi` tags.

NPS, CSAT, customer effort (mean), average and 90th-percentile waits (seconds), greetings within the full-points
band, first-contact resolution: exact values (`scoring.aggregates`), worded by `reports.wording.kpi_facts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy.orm import Session

import scoring
from audit_app.services.scores.facts import VisitFact
from audit_app.services.scores.scope import definition_for
from audit_app.services.scores.storage import stored_answers, stored_card_data


@dataclass(frozen=True)
class Kpi:
    key: str  # nps, csat, ces, queue_wait_mean, queue_wait_p90, greeting_within_target, ...
    value: Fraction | None
    responses: int
    target: Fraction | None = None


def _greeting_target(question: scoring.Question) -> Fraction | None:
    for band in question.bands:
        if band.fraction == 1 and band.max is not None:
            return band.max
    return None


def kpis_for(session: Session, facts: Sequence[VisitFact]) -> tuple[Kpi, ...]:
    """Customer KPIs over these visits, from the answers on their stored cards and the questions' `kpi` tags:
    NPS, CSAT, customer effort (mean), average and 90th-percentile checkout wait (seconds), greeting within the
    full-points band. KPIs whose questions the checklist does not ask are left out."""
    values: dict[str, list[object]] = defaultdict(list)
    targets: dict[str, Fraction | None] = {}
    cards = stored_card_data(session, [f.score_id for f in facts])
    for fact in facts:
        definition = definition_for(session, fact.version_id)
        tagged = [q for _, q in definition.questions() if q.kpi is not None]
        answers = stored_answers(cards[fact.score_id], {q.key for q in tagged})
        for question in tagged:
            values.setdefault(question.kpi, [])
            answer = answers.get(question.key)
            if answer is None or answer is scoring.NA:
                continue
            values[question.kpi].append(answer)
            if question.kpi == "greeting_time":
                targets["greeting_time"] = _greeting_target(question)
    kpis: list[Kpi] = []
    if "nps" in values:
        kpis.append(Kpi("nps", scoring.nps(values["nps"]), len(values["nps"])))  # type: ignore[arg-type]
    if "csat" in values:
        kpis.append(Kpi("csat", scoring.csat(values["csat"]), len(values["csat"])))  # type: ignore[arg-type]
    if "ces" in values:
        kpis.append(Kpi("ces", scoring.ces_mean(values["ces"]), len(values["ces"])))  # type: ignore[arg-type]
    for kpi in ("queue_wait", "hold_time", "response_time"):
        if kpi in values:
            numbers = [Fraction(v) for v in values[kpi]]  # type: ignore[arg-type]
            kpis.append(Kpi(f"{kpi}_mean", scoring.mean(numbers), len(numbers)))
            kpis.append(Kpi(f"{kpi}_p90", scoring.percentile(numbers, 90), len(numbers)))
    if "greeting_time" in values:
        target = targets.get("greeting_time")
        numbers = [Fraction(v) for v in values["greeting_time"]]  # type: ignore[arg-type]
        share = (Fraction(100 * sum(1 for v in numbers if v <= target), len(numbers))
                 if numbers and target is not None else None)
        kpis.append(Kpi("greeting_within_target", share, len(numbers), target))
    if "fcr" in values:
        answers = values["fcr"]
        kpis.append(Kpi("fcr", Fraction(100 * sum(1 for a in answers if a == "yes"), len(answers))
                        if answers else None, len(answers)))
    return tuple(kpis)
