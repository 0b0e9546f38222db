"""Head office's chain-wide view: the best and the worst stores of every region for a date range and checklist,
each with its mean's 95 % interval, and its rank's movement since the period before, shown only when larger than
the noise.

Per store the database adds up the visits, the exact percents and their squares (`facts.percent_sums`): a few
statements whatever the history, no visit loaded one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Region, Store, User, Visit
from audit_app.services.errors import N_, PermissionDeniedError, ServiceError
from audit_app.services.scores.facts import ExactSum, percent_sums
from audit_app.services.scores.scope import ChecklistOption, Period, choose_checklist, list_checklist_options
from audit_app.services.scores.storage import statuses_for
from audit_app.services.scores.uncertainty import Difference, Interval, t_interval, welch
from audit_app.services.settings import get_settings

TOP_CHOICES = (5, 10, 20, 50)
DEFAULT_TOP = 10
MAX_DAYS = 3 * 366


class RankingError(ServiceError):
    pass


@dataclass(frozen=True)
class RankedStore:
    id: int
    code: str
    name: str
    area_name: str
    region_name: str
    mean: Fraction
    interval: Interval
    rank: int
    previous_rank: int | None
    movement_test: Difference  # Welch's test of this period's visits against the previous period's

    @property
    def moved(self) -> int | None:
        """Places gained (positive) or lost since the previous period, only when the store's change of mean is
        larger than the noise; None otherwise (shown as no clear movement)."""
        if self.previous_rank is None or not self.movement_test.is_clear:
            return None
        return self.previous_rank - self.rank


@dataclass(frozen=True)
class ChainRanking:
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    start: datetime
    end: datetime
    top: int
    ranked: int  # stores with a mean in the range
    best: tuple[RankedStore, ...]
    worst: tuple[RankedStore, ...]  # the bottom `top`, none of them among `best` (empty when all are there)
    min_visits: int
    firm_only: bool


def _store_names(session: Session, store_ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    if not store_ids:
        return {}
    rows = session.execute(select(Store.id, Store.code, Store.name, Area.name, Region.name)
                           .join(Area, Store.area_id == Area.id).join(Region, Area.region_id == Region.id)
                           .where(Store.id.in_(store_ids), Store.is_active.is_(True)))
    return {sid: (code, name, area, region) for sid, code, name, area, region in rows}


def _ranks(sums: dict[int, ExactSum], keep: set[int]) -> dict[int, int]:
    return scoring.competition_ranks({sid: s.mean for sid, s in sums.items() if sid in keep})


def get_chain_ranking(session: Session, user: User, *, checklist_id: int | None, start: datetime, end: datetime,
                      top: int = DEFAULT_TOP, firm_only: bool = False, lang: str = "en") -> ChainRanking:
    """The `top` best and worst active stores of the whole chain by the mean of their visit percents in
    [start, end) for one checklist, ranked chain-wide (competition ranks), each with its 95 % t-interval and
    provisional below the programme's minimum of visits (left out of the ranking with `firm_only`). A store's
    movement is its rank against the equally long period before, shown only when Welch's test finds its change
    of mean larger than the noise. Raises PermissionDeniedError (head office only), RankingError for a range
    that ends before it starts or spans more than three years."""
    if user.role != "head_office":
        raise PermissionDeniedError(N_("The chain-wide ranking is for head office."))
    if end <= start:
        raise RankingError(N_("The end date must be on or after the start date."))
    if (end - start).days > MAX_DAYS:
        raise RankingError(N_("Choose a range of at most three years."))
    top = top if top in TOP_CHOICES else DEFAULT_TOP
    statuses = statuses_for(session)
    min_visits = get_settings(session).min_visits_for_figures
    area_ids = list(session.scalars(select(Area.id)))
    options = tuple(list_checklist_options(session, area_ids, lang, Period((end - start).days, start, end)))
    chosen = choose_checklist(options, checklist_id)
    if chosen is None:
        return ChainRanking(options, None, start, end, top, 0, (), (), min_visits, firm_only)
    now_sums, _ = percent_sums(session, checklist_id=chosen.id, statuses=statuses, group_by=Visit.store_id,
                               start=start, end=end)
    before_sums, _ = percent_sums(session, checklist_id=chosen.id, statuses=statuses, group_by=Visit.store_id,
                                  start=start - (end - start), end=start)
    names = _store_names(session, sorted(now_sums))
    intervals = {sid: t_interval(now_sums[sid].spread, min_visits) for sid in names}
    keep = {sid for sid in names if not (firm_only and intervals[sid].provisional)}
    ranks = _ranks(now_sums, keep)
    previous = _ranks(before_sums, keep & set(before_sums))
    stores = []
    for sid in keep:
        code, name, area, region = names[sid]
        before = before_sums.get(sid)
        stores.append(RankedStore(
            sid, code, name, area, region, now_sums[sid].mean, intervals[sid], ranks[sid],  # type: ignore[arg-type]
            previous.get(sid), welch(now_sums[sid].spread, before.spread) if before is not None
            else welch(now_sums[sid].spread, ExactSum().spread)))
    by_rank = sorted(stores, key=lambda s: (s.rank, s.name.casefold()))
    best = tuple(by_rank[:top])
    # The bottom of the ranking, worst first, never repeating a store already among the best.
    rest = by_rank[len(best):]
    worst = tuple(sorted(rest[-top:], key=lambda s: (-s.rank, s.name.casefold())))
    return ChainRanking(options, chosen, start, end, top, len(by_rank), best, worst, min_visits, firm_only)
