"""Customer KPIs over a store's visits, from the answers on their stored cards and the questions' `kpi` tags.

NPS, CSAT, customer effort (mean), average and 90th-percentile waits (seconds), greetings within the full-points
band, first-contact resolution: exact values (`scoring.aggregates`), worded by `reports.wording.kpi_facts`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy.orm import Session

import scoring
from audit_app.services.scores.facts import VisitFact
from audit_app.services.scores.scope import definition_for
from audit_app.services.scores.storage import stored_answers, stored_card_data
from audit_app.services.scores.uncertainty import DEFAULT_MIN_VISITS, Margin, mean_margin, nps_margin, wilson


@dataclass(frozen=True)
class Kpi:
    key: str  # nps, csat, ces, queue_wait_mean, queue_wait_p90, greeting_within_target, ...
    value: Fraction | None
    responses: int
    target: Fraction | None = None
    # The 95 % interval in the KPI's unit (see `uncertainty`: NPS margin of error, Wilson for shares,
    # t-interval for means); None where none is given (one answer, a 90th percentile).
    low: float | None = None
    high: float | None = None
    method: str = ""  # "nps" | "wilson" | "t" | ""
    provisional: bool = False



def _with(kpi: Kpi, margin: Margin, method: str, min_answers: int) -> Kpi:
    return Kpi(kpi.key, kpi.value, kpi.responses, kpi.target, margin.low, margin.high, method,
               kpi.responses < min_answers)


def _share(key: str, hits: int, n: int, min_answers: int, target: Fraction | None = None) -> Kpi:
    return _with(Kpi(key, Fraction(100 * hits, n) if n else None, n, target), wilson(hits, n), "wilson",
                 min_answers)


def _greeting_target(question: scoring.Question) -> Fraction | None:
    for band in question.bands:
        if band.fraction == 1 and band.max is not None:
            return band.max
    return None


def kpis_for(session: Session, facts: Sequence[VisitFact], min_answers: int = DEFAULT_MIN_VISITS
             ) -> tuple[Kpi, ...]:
    """Customer KPIs over these visits, from the answers on their stored cards and the questions' `kpi` tags:
    NPS, CSAT, customer effort (mean), average and 90th-percentile checkout wait (seconds), greeting within the
    full-points band, each with its 95 % interval where one is given and provisional below `min_answers`
    answers. KPIs whose questions the checklist does not ask are left out."""
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
    least = min_answers
    if "nps" in values:
        answers = values["nps"]
        promoters = sum(1 for v in answers if v >= 9)  # type: ignore[operator]
        detractors = sum(1 for v in answers if v <= 6)  # type: ignore[operator]
        kpis.append(_with(Kpi("nps", scoring.nps(answers), len(answers)),  # type: ignore[arg-type]
                          nps_margin(promoters, detractors, len(answers)), "nps", least))
    if "csat" in values:
        answers = values["csat"]
        scoring.csat(answers)  # type: ignore[arg-type]  # validates the answers as the KPI always has
        kpis.append(_share("csat", sum(1 for v in answers if v >= 4), len(answers), least))  # type: ignore[operator]
    if "ces" in values:
        answers = values["ces"]
        kpis.append(_with(Kpi("ces", scoring.ces_mean(answers), len(answers)),  # type: ignore[arg-type]
                          mean_margin(float(v) for v in answers), "t", least))  # type: ignore[arg-type]
    for kpi in ("queue_wait", "hold_time", "response_time"):
        if kpi in values:
            numbers = [Fraction(v) for v in values[kpi]]  # type: ignore[arg-type]
            kpis.append(_with(Kpi(f"{kpi}_mean", scoring.mean(numbers), len(numbers)),
                              mean_margin((float(v) for v in numbers), (0.0, math.inf)), "t", least))
            kpis.append(Kpi(f"{kpi}_p90", scoring.percentile(numbers, 90), len(numbers),
                            provisional=len(numbers) < least))
    if "greeting_time" in values:
        target = targets.get("greeting_time")
        numbers = [Fraction(v) for v in values["greeting_time"]]  # type: ignore[arg-type]
        if numbers and target is not None:
            kpis.append(_share("greeting_within_target", sum(1 for v in numbers if v <= target), len(numbers),
                               least, target))
        else:
            kpis.append(Kpi("greeting_within_target", None, len(numbers), target))
    if "fcr" in values:
        answers = values["fcr"]
        kpis.append(_share("fcr", sum(1 for a in answers if a == "yes"), len(answers), least))
    return tuple(kpis)
