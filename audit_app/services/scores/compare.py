"""A few stores side by side for one period and checklist: overall and section means of visit percents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from sqlalchemy.orm import Session

import scoring
from audit_app.models import User
from audit_app.services import access
from audit_app.services.errors import N_, ServiceError
from audit_app.services.scores.dashboard import section_means, spread_of
from audit_app.services.scores.facts import fact_score_ids, section_percents, visit_facts
from audit_app.services.scores.scope import (
    ChecklistOption, Period, SectionHead, choose_checklist, grades_of, list_checklist_options, section_heads,
)
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.store_page import StoreInfo, store_info, visible_stores
from audit_app.services.scores.uncertainty import NO_INTERVAL, Difference, Interval, Spread, t_interval, welch
from audit_app.services.settings import get_settings
from reports.context import GradeScale

COMPARE_MIN, COMPARE_MAX = 2, 6


class CompareError(ServiceError):
    pass


@dataclass(frozen=True)
class CompareStore:
    id: int
    code: str
    name: str
    area_name: str
    mean: Fraction | None
    visits: int
    sections: tuple[Fraction | None, ...]
    interval: Interval = NO_INTERVAL


@dataclass(frozen=True)
class PairDifference:
    """Two compared stores (first − second) and Welch's t-test of their visit percents."""

    first: CompareStore
    second: CompareStore
    test: Difference


@dataclass(frozen=True)
class Comparison:
    period: Period
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    sections: tuple[SectionHead, ...]
    stores: tuple[CompareStore, ...]
    grades: GradeScale = GradeScale()
    pairs: tuple[PairDifference, ...] = ()  # every pair of stores with visits, higher mean first
    min_visits: int = 3


@dataclass(frozen=True)
class ComparePage:
    """The compare page: the stores a reader may pick, and the comparison asked for (None before any is, or
    when `problem` says why it cannot be made)."""

    choices: tuple[StoreInfo, ...]
    comparison: Comparison | None
    problem: CompareError | None = None


def get_comparison(
    session: Session, user: User, store_ids: Sequence[int], *, period: Period, checklist_id: int | None,
    lang: str = "en",
) -> Comparison:
    """Two to six stores side by side for one period and checklist: overall and section means of visit percents.
    One store alone is shown too (its page asks for another to compare it with). Raises CompareError for no
    store or too many, NotFoundError, PermissionDeniedError."""
    ids = list(dict.fromkeys(store_ids))
    if not 1 <= len(ids) <= COMPARE_MAX:
        raise CompareError(N_("Choose between %(low)s and %(high)s stores to compare."), low=COMPARE_MIN,
                           high=COMPARE_MAX)
    infos = []
    for sid in ids:
        access.store_for(session, user, sid)
        infos.append(store_info(session, sid))
    statuses = statuses_for(session)
    options = tuple(list_checklist_options(session, sorted({i.area_id for i in infos}), lang, period))
    chosen = choose_checklist(options, checklist_id)
    if chosen is None:
        return Comparison(period, options, None, (), tuple(CompareStore(i.id, i.code, i.name, i.area_name, None, 0, ())
                                                          for i in infos))
    facts = visit_facts(session, checklist_id=chosen.id, statuses=statuses, store_ids=ids, start=period.start,
                        end=period.end)
    by_score = section_percents(session, fact_score_ids(checklist_id=chosen.id, statuses=statuses, store_ids=ids,
                                                        start=period.start, end=period.end))
    heads = section_heads(session, chosen.id, lang, {k for s in by_score.values() for k in s})
    min_visits = get_settings(session).min_visits_for_figures
    stores = []
    spreads: dict[int, Spread] = {}
    for info in infos:
        own = [f for f in facts if f.store_id == info.id]
        spreads[info.id] = spread_of(own)
        stores.append(CompareStore(info.id, info.code, info.name, info.area_name, scoring.mean(f.percent for f in own),
                                   len(own), section_means(own, by_score, heads),
                                   t_interval(spreads[info.id], min_visits)))
    # As on the dashboards: a section none of these stores has a figure for is left out.
    keep = [i for i in range(len(heads)) if any(s.sections[i] is not None for s in stores)]
    heads = [heads[i] for i in keep]
    stores = [replace(s, sections=tuple(s.sections[i] for i in keep)) for s in stores]
    return Comparison(period, options, chosen, tuple(heads), tuple(stores), grades_of(session, chosen.id, lang),
                      pair_differences(stores, spreads), min_visits)


def pair_differences(stores: Sequence[CompareStore], spreads: Mapping[int, Spread]) -> tuple[PairDifference, ...]:
    """Every pair of stores that both have a mean, the higher mean first, with Welch's t-test of the pair."""
    pairs = []
    with_mean = [s for s in stores if s.mean is not None]
    for i, a in enumerate(with_mean):
        for b in with_mean[i + 1:]:
            first, second = (a, b) if a.mean >= b.mean else (b, a)  # type: ignore[operator]
            pairs.append(PairDifference(first, second, welch(spreads[first.id], spreads[second.id])))
    return tuple(pairs)


def get_compare_page(
    session: Session, user: User, store_ids: Sequence[int], *, period: Period, checklist_id: int | None,
    lang: str = "en",
) -> ComparePage:
    """The stores the reader may compare and, when some are asked for, their comparison; asking for too many
    gives the reason instead. Raises NotFoundError, PermissionDeniedError (a store not the reader's)."""
    choices = tuple(visible_stores(session, user))
    if not store_ids:
        return ComparePage(choices, None)
    try:
        comparison = get_comparison(session, user, store_ids, period=period, checklist_id=checklist_id, lang=lang)
    except CompareError as error:
        return ComparePage(choices, None, error)
    return ComparePage(choices, comparison)
