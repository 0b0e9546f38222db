"""What a score page covers: its period, its stores (an area or a region) and the checklists it can show.

Scopes are loaded for a reader through `services.access` (NotFoundError, PermissionDeniedError). The checklist
options and the definitions of checklist versions head every page: sections in the newest version's order, grade
colours from its bands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, ChecklistVersion, Region, Store, User, Visit
from audit_app.services import access
from audit_app.services.definitions import checklist_from_definition, checklist_titles_in
from audit_app.services.errors import N_, NotFoundError
from reports.context import GradeScale, grade_scale

PERIOD_CHOICES = (30, 90, 180, 365)
DEFAULT_PERIOD_DAYS = 90


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC: the `days` days up to `end`."""

    days: int
    start: datetime
    end: datetime

    @property
    def previous(self) -> Period:
        return Period(self.days, self.start - timedelta(days=self.days), self.start)


def make_period(now: datetime, days: int | None) -> Period:
    """The period of `days` (one of PERIOD_CHOICES, else the default) ending at `now`."""
    days = days if days in PERIOD_CHOICES else DEFAULT_PERIOD_DAYS
    return Period(days, now - timedelta(days=days), now)


@dataclass(frozen=True)
class Scope:
    """The stores a dashboard covers: one area, or one region (head office)."""

    kind: str  # "area" | "region"
    id: int
    name: str
    region_id: int
    region_name: str
    area_ids: tuple[int, ...]


def get_area_scope(session: Session, user: User, area_id: int) -> Scope:
    """An area the user may see: head office any, an area manager their own. Raises NotFoundError,
    PermissionDeniedError."""
    area = access.area_for(session, user, area_id)
    region = session.get(Region, area.region_id)
    return Scope("area", area.id, area.name, region.id, region.name, (area.id,))


def get_region_scope(session: Session, user: User, region_id: int) -> Scope:
    """A whole region, for head office. Raises NotFoundError, PermissionDeniedError."""
    region = access.region_for(session, user, region_id)
    area_ids = tuple(session.scalars(select(Area.id).where(Area.region_id == region.id).order_by(Area.name)))
    return Scope("region", region.id, region.name, region.id, region.name, area_ids)


def get_store_scope(session: Session, user: User, store_id: int) -> Scope:
    """The area of a store the user may see (a store's CSV covers its area's filters). Raises NotFoundError,
    PermissionDeniedError."""
    store = access.store_for(session, user, store_id)
    area = session.get(Area, store.area_id)
    region = session.get(Region, area.region_id)
    return Scope("area", area.id, area.name, region.id, region.name, (area.id,))


def region_area_ids(session: Session, region_id: int) -> list[int]:
    return list(session.scalars(select(Area.id).where(Area.region_id == region_id)))


@dataclass(frozen=True)
class RegionOption:
    id: int
    name: str


def region_options(session: Session) -> list[RegionOption]:
    """Every region by name (head office picks one for a region dashboard)."""
    return [RegionOption(rid, name) for rid, name in session.execute(select(Region.id, Region.name)
                                                                     .order_by(Region.name))]


# ---------------------------------------------------------------------------------------------------------------
# Checklists


@dataclass(frozen=True)
class ChecklistOption:
    id: int
    title: str
    visits: int


def _ordered_options(titles: Sequence[tuple[int, str]], counts: Mapping[int, int]) -> list[ChecklistOption]:
    """Checklists most visited first, then by title: the order the filters offer and the default they pick."""
    options = [ChecklistOption(cid, title, counts.get(cid, 0)) for cid, title in titles]
    return sorted(options, key=lambda o: (-o.visits, o.title))


def _offered_titles(session: Session, lang: str) -> list[tuple[int, str]]:
    """Titles of the checklists a manager can choose: those ever published (a draft-only checklist, such as a
    form just imported, has no visits and nothing to show)."""
    offered = select(ChecklistVersion.checklist_id).where(ChecklistVersion.status != "draft").distinct()
    return list(checklist_titles_in(session, lang, session.scalars(offered).all()).items())


# The visits that say which checklists the stores use: those shoppers sent, counted already or waiting for head
# office's review. While review is on, counting approved visits alone would open a page on a checklist nobody has
# had approved yet while the one in use waits, and the page's note on visits waiting for review would be of the
# wrong checklist.
SENT_STATUSES = ("submitted", "approved")


def _visit_counts(session: Session, area_ids: Sequence[int], period: Period | None, *, by_area: bool
                  ) -> list[tuple[int, ...]]:
    """Sent visits per checklist (per area and checklist with `by_area`) in these areas, submitted in `period`
    (over all history when None)."""
    keys = (Store.area_id, ChecklistVersion.checklist_id) if by_area else (ChecklistVersion.checklist_id,)
    q = (select(*keys, func.count(Visit.id))
         .join(Visit, Visit.checklist_version_id == ChecklistVersion.id)
         .join(Store, Visit.store_id == Store.id)
         .where(Store.area_id.in_(list(area_ids)), Visit.status.in_(SENT_STATUSES))
         .group_by(*keys))
    if period is not None:
        q = q.where(Visit.submitted_at >= period.start, Visit.submitted_at < period.end)
    return [tuple(row) for row in session.execute(q)]


def list_checklist_options(session: Session, area_ids: Sequence[int], lang: str = "en", period: Period | None = None
                           ) -> list[ChecklistOption]:
    """Checklists with sent visits (`SENT_STATUSES`) in these areas, most visited first (then all others, by
    title), titled in `lang`. With `period`, most visited in that period: a page opens with the checklist the
    stores use now, not one they used long ago (and counting one period is cheaper than counting all history);
    when no checklist has a visit in the period, most visited over all history."""
    counts = dict(_visit_counts(session, area_ids, period, by_area=False)) if period is not None else {}
    if not counts:
        counts = dict(_visit_counts(session, area_ids, None, by_area=False))
    return _ordered_options(_offered_titles(session, lang), counts)


def choose_checklist(options: Sequence[ChecklistOption], wanted: int | None) -> ChecklistOption | None:
    """The option asked for, else the first (the most visited); None without options."""
    for option in options:
        if option.id == wanted:
            return option
    return options[0] if options else None


def default_checklists(session: Session, area_ids: Sequence[int], lang: str = "en", period: Period | None = None
                       ) -> dict[int, ChecklistOption | None]:
    """Per area, the checklist its dashboard over `period` shows when none is chosen (`choose_checklist(
    list_checklist_options(..., period), None)`)."""
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    if period is not None:
        for area_id, checklist_id, n in _visit_counts(session, area_ids, period, by_area=True):
            counts[area_id][checklist_id] = n
    quiet = [aid for aid in area_ids if aid not in counts]  # no visit in the period: all history decides
    if quiet:
        for area_id, checklist_id, n in _visit_counts(session, quiet, None, by_area=True):
            counts[area_id][checklist_id] = n
    titles = _offered_titles(session, lang)
    return {aid: choose_checklist(_ordered_options(titles, counts[aid]), None) for aid in area_ids}


def definition_for(session: Session, version_id: int) -> scoring.Checklist:
    """The parsed definition of a checklist version (parsed once per content: see services.definitions).
    Raises NotFoundError."""
    memo: dict[int, scoring.Checklist] = session.info.setdefault("parsed_definitions", {})
    if version_id in memo:
        return memo[version_id]
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    memo[version_id] = checklist_from_definition(version.definition)
    return memo[version_id]


def latest_version_id(session: Session, checklist_id: int) -> int | None:
    """The newest version of a checklist (its texts and section order head the pages)."""
    return session.scalar(select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist_id)
                          .order_by(ChecklistVersion.number.desc()).limit(1))


def checklist_title(session: Session, option: ChecklistOption | None, lang: str) -> str:
    """A checklist's title in `lang`, from its newest version's own texts (the option's is English)."""
    if option is None:
        return ""
    newest = latest_version_id(session, option.id)
    return definition_for(session, newest).title.get(lang) if newest is not None else option.title


def grades_of(session: Session, checklist_id: int | None, lang: str) -> GradeScale:
    """The colour scale of a checklist's grade bands, from its newest version (empty for None)."""
    version_id = latest_version_id(session, checklist_id) if checklist_id is not None else None
    return grade_scale(definition_for(session, version_id) if version_id is not None else None, lang)


@dataclass(frozen=True)
class SectionHead:
    key: str
    title: str


def section_heads(session: Session, checklist_id: int, lang: str, seen_keys: Iterable[str] = ()) -> list[SectionHead]:
    """Sections in the newest version's order; keys only older versions had are added at the end."""
    heads: list[SectionHead] = []
    version_id = latest_version_id(session, checklist_id)
    if version_id is not None:
        for section in definition_for(session, version_id).sections:
            heads.append(SectionHead(section.key, section.title.get(lang)))
    known = {h.key for h in heads}
    heads.extend(SectionHead(key, key) for key in sorted(set(seen_keys) - known))
    return heads
