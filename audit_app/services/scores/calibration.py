"""Shopper calibration for head office: how lenient or harsh each shopper scores against the others who visited the
same stores, calibrated store means beside the raw ones, and how well two shoppers agree question by question when
they visited the same store a few days apart.

The model is additive: visit percent = store effect + shopper effect + noise, fitted by ordinary least squares
(numpy) with the shopper effects summing to zero, so a shopper's effect is the points they give above (lenient) or
below (harsh) the average shopper at the same stores. Its standard error comes from the residual variance and
(XᵀX)⁻¹, and its 95 % interval uses Student's t with the residual degrees of freedom. Shoppers are only comparable
through stores they share: each group of stores and shoppers linked by visits is fitted on its own (the effects
sum to zero within it); a shopper with no other shopper in their group is listed as not comparable.

Effects are then shrunk toward zero (empirical Bayes, partial pooling): shopper effects are taken to spread around
zero with a variance τ² estimated from the fitted effects themselves by the method of moments,
τ² = max(0, mean(effect²) − mean(se²)), and each effect is multiplied by τ² / (τ² + se²): an effect measured from
few or noisy visits moves most of the way to zero, a well-measured one keeps most of its size, and when the
effects spread no more than their errors do (τ² = 0) every one becomes zero. The shrunk effect's interval is
shrunk ± t × se × √(τ² / (τ² + se²)). A calibrated store mean is the mean of its visit percents after taking off
the shrunk effect of each visit's shopper, but only where that effect is distinguishable from zero (its interval
leaves out zero); a store that one shopper alone visited is never adjusted, because its store effect and its
shopper's effect cannot be told apart there. Each store says which of these left it unadjusted.

Agreement: pairs of visits of the same checklist to the same store by two different shoppers at most
`agreement_window_days` apart (each visit in one pair at most, nearest first). Per question, Krippendorff's alpha
(the `krippendorff` package): nominal for yes/no and choice questions, interval for scales, numbers, durations
and NPS; 1 is perfect agreement, 0 what chance alone would give.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Area, Store, User, Visit, VisitScore
from audit_app.services.errors import N_, PermissionDeniedError
from audit_app.services.scores.facts import fact_columns
from audit_app.services.scores.scope import (
    ChecklistOption, Period, choose_checklist, definition_for, latest_version_id, list_checklist_options,
)
from audit_app.services.scores.storage import fraction_of, statuses_for, stored_answers, stored_card_data
from audit_app.services.scores.uncertainty import Spread, t_interval, t_quantile
from audit_app.services.settings import get_settings

NOMINAL_TYPES = ("yes_no", "choice")
INTERVAL_TYPES = ("scale", "number", "duration", "nps")
MIN_PAIRS = 2


@dataclass(frozen=True)
class VisitRow:
    visit_id: int
    score_id: int
    store_id: int
    shopper_id: int
    submitted_at: datetime
    percent: float


@dataclass(frozen=True)
class ShopperEffect:
    shopper_id: int
    effect: float | None  # points above (+, lenient) or below (−, harsh) the average shopper; None: not comparable
    low: float | None
    high: float | None
    se: float | None
    visits: int
    stores: int
    # The effect shrunk toward zero (empirical Bayes) with its 95 % interval, and the share of the least-squares
    # effect it keeps, τ² / (τ² + se²); None where the effect or its standard error is unknown.
    shrunk: float | None = None
    shrunk_low: float | None = None
    shrunk_high: float | None = None
    weight: float | None = None

    @property
    def is_clear(self) -> bool:
        """The interval leaves out zero: the shopper is more lenient or harsher than the noise explains."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    @property
    def is_applied(self) -> bool:
        """The shrunk effect's interval leaves out zero, so calibrated store means take it off this shopper's
        visits (stores one shopper alone visited excepted)."""
        return (self.shrunk_low is not None and self.shrunk_high is not None
                and (self.shrunk_low > 0 or self.shrunk_high < 0))


@dataclass(frozen=True)
class Fit:
    effects: dict[int, ShopperEffect]
    store_effects: dict[int, float]
    residual_df: int
    residual_sd: float | None
    fitted_visits: int
    prior_sd: float | None = None  # τ: how much shopper effects spread beyond their errors; None without any


def _components(rows: Sequence[VisitRow]) -> list[set[tuple[str, int]]]:
    """Groups of stores and shoppers linked by visits (union-find over the bipartite graph)."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(node: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for row in rows:
        a, b = find(("store", row.store_id)), find(("shopper", row.shopper_id))
        if a != b:
            parent[a] = b
    groups: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
    for node in list(parent):
        groups[find(node)].add(node)
    return list(groups.values())


def _fit_group(rows: Sequence[VisitRow]) -> tuple[dict[int, tuple[float, float | None]], dict[int, float], int,
                                                  float]:
    """One linked group: per shopper (effect, standard error or None), per store its effect, the residual
    degrees of freedom and the residual sum of squares."""
    stores = sorted({r.store_id for r in rows})
    shoppers = sorted({r.shopper_id for r in rows})
    s_index = {sid: i for i, sid in enumerate(stores)}
    k_index = {kid: i for i, kid in enumerate(shoppers)}
    n, p = len(rows), len(stores) + len(shoppers) - 1
    x = np.zeros((n, p))
    y = np.zeros(n)
    last = len(shoppers) - 1
    for i, row in enumerate(rows):
        x[i, s_index[row.store_id]] = 1.0
        j = k_index[row.shopper_id]
        if j == last:  # the last shopper's effect is minus the sum of the others'
            x[i, len(stores):] = -1.0
        else:
            x[i, len(stores) + j] = 1.0
        y[i] = row.percent
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    shopper_coef = [float(c) for c in coef[len(stores):]] + [-float(np.sum(coef[len(stores):]))]
    df = n - p
    residuals = y - x @ coef
    rss = float(residuals @ residuals)
    cov = None
    if rank == p and df > 0:
        cov = rss / df * np.linalg.inv(x.T @ x)[len(stores):, len(stores):]
    effects: dict[int, tuple[float, float | None]] = {}
    for kid in shoppers:
        j = k_index[kid]
        se = None
        if cov is not None:
            variance = float(np.sum(cov)) if j == last else float(cov[j, j])
            se = math.sqrt(max(0.0, variance))
        effects[kid] = (shopper_coef[j], se)
    return effects, {sid: float(coef[s_index[sid]]) for sid in stores}, max(df, 0), rss


def fit_shopper_effects(rows: Sequence[VisitRow]) -> Fit:
    """Least-squares fit of percent = store effect + shopper effect, the shopper effects summing to zero within
    each group of stores and shoppers linked by visits (each group fitted on its own: shoppers are only
    comparable through stores they share). A shopper alone in their group is not comparable (effect None);
    standard errors and 95 % intervals come from the group's residual variance and Student's t with its
    residual degrees of freedom (None without any)."""
    visits_of: dict[int, int] = defaultdict(int)
    stores_of: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        visits_of[row.shopper_id] += 1
        stores_of[row.shopper_id].add(row.store_id)
    effects = {sid: ShopperEffect(sid, None, None, None, None, visits_of[sid], len(stores_of[sid]))
               for sid in visits_of}
    store_effects: dict[int, float] = {}
    total_df, total_rss, fitted = 0, 0.0, 0
    for group in _components(rows):
        used = [r for r in rows if ("store", r.store_id) in group]
        if len({r.shopper_id for r in used}) < 2:
            continue
        found, stores, df, rss = _fit_group(used)
        store_effects.update(stores)
        fitted += len(used)
        total_df += df
        total_rss += rss
        t = t_quantile(df) if df > 0 else None
        for kid, (effect, se) in found.items():
            low = high = None
            if se is not None and t is not None:
                low, high = effect - t * se, effect + t * se
            effects[kid] = ShopperEffect(kid, effect, low, high, se, visits_of[kid], len(stores_of[kid]))
    sd = math.sqrt(total_rss / total_df) if total_df > 0 else None
    shrunk, prior_sd = shrink_effects(effects)
    return Fit(shrunk, store_effects, total_df, sd, fitted, prior_sd)


def shrink_effects(effects: dict[int, ShopperEffect]) -> tuple[dict[int, ShopperEffect], float | None]:
    """Each effect with a standard error shrunk toward zero by τ² / (τ² + se²), τ² = max(0, mean(effect²) −
    mean(se²)) over those effects (method of moments: the effects' spread less what their errors alone would
    give); the interval keeps the least-squares one's multiplier of Student's t. Returns the effects and τ (None
    when no effect has a standard error)."""
    measured = [e for e in effects.values() if e.effect is not None and e.se is not None]
    if not measured:
        return effects, None
    tau2 = max(0.0, sum(e.effect ** 2 for e in measured) / len(measured)  # type: ignore[operator]
               - sum(e.se ** 2 for e in measured) / len(measured))  # type: ignore[operator]
    out = dict(effects)
    for e in measured:
        se2 = e.se ** 2  # type: ignore[operator]
        weight = tau2 / (tau2 + se2) if tau2 + se2 > 0 else 0.0
        shrunk = weight * e.effect  # type: ignore[operator]
        low = high = None
        if e.low is not None and e.high is not None:
            # se × t is the least-squares interval's half width; a model that fits exactly (se 0) has none.
            half = (e.high - e.low) / 2 * math.sqrt(weight)
            low, high = shrunk - half, shrunk + half
        out[e.shopper_id] = replace(e, shrunk=shrunk, shrunk_low=low, shrunk_high=high, weight=weight)
    return out, math.sqrt(tau2)


def calibrate_store(visits: Sequence[VisitRow], fit: Fit) -> tuple[float | None, int, str | None]:
    """One store's calibrated mean: the mean of its visit percents less the shrunk effect of each visit's shopper
    where that effect is distinguishable from zero (`ShopperEffect.is_applied`). Returns (mean, visits adjusted,
    why it was left as scored: "not_comparable" (mean None), "one_shopper", "no_clear_effect"; None when
    adjusted)."""
    if not visits or visits[0].store_id not in fit.store_effects or any(
            fit.effects[v.shopper_id].effect is None for v in visits):
        return None, 0, "not_comparable"
    raw = sum(v.percent for v in visits) / len(visits)
    if len({v.shopper_id for v in visits}) < 2:
        return raw, 0, "one_shopper"
    offsets = [fit.effects[v.shopper_id].shrunk if fit.effects[v.shopper_id].is_applied else None for v in visits]
    adjusted = sum(1 for o in offsets if o is not None)
    if not adjusted:
        return raw, 0, "no_clear_effect"
    return sum(v.percent - (o or 0.0) for v, o in zip(visits, offsets)) / len(visits), adjusted, None


@dataclass(frozen=True)
class ShopperLine:
    name: str
    effect: ShopperEffect


@dataclass(frozen=True)
class CalibratedStore:
    id: int
    code: str
    name: str
    area_name: str
    visits: int
    shoppers: int
    raw_mean: float
    raw_low: float | None
    raw_high: float | None
    calibrated_mean: float | None  # None: its shoppers are not comparable with the others
    adjusted_visits: int = 0  # of its visits, those whose shopper's effect was taken off
    # Why the store was left as scored: "one_shopper" (its store and shopper effects are confounded),
    # "no_clear_effect" (no shopper of its visits has an effect distinguishable from zero), "not_comparable";
    # None when adjusted.
    unadjusted: str | None = None

    @property
    def adjustment(self) -> float | None:
        return None if self.calibrated_mean is None else self.calibrated_mean - self.raw_mean


@dataclass(frozen=True)
class QuestionAgreement:
    key: str
    text: str
    section_title: str
    level: str  # "nominal" | "interval"
    pairs: int  # pairs where both shoppers answered
    same: int  # of them, with the same answer
    alpha: float | None  # None: fewer than MIN_PAIRS pairs, or every answer alike (nothing to tell apart)


@dataclass(frozen=True)
class Calibration:
    checklists: tuple[ChecklistOption, ...]
    checklist: ChecklistOption | None
    start: datetime
    end: datetime
    shoppers: tuple[ShopperLine, ...]
    stores: tuple[CalibratedStore, ...]
    residual_df: int
    residual_sd: float | None
    fitted_visits: int
    window_days: int
    pairs: int
    agreement: tuple[QuestionAgreement, ...]
    min_visits: int
    prior_sd: float | None = None  # τ of the shrinkage (`shrink_effects`)


def _rows(session: Session, checklist_id: int, statuses: tuple[str, ...], start: datetime, end: datetime
          ) -> list[VisitRow]:
    found = fact_columns(session, (Visit.id, VisitScore.id, Visit.store_id, Visit.shopper_id, Visit.submitted_at,
                                   VisitScore.percent_num, VisitScore.percent_den),
                         checklist_id=checklist_id, statuses=statuses, start=start, end=end)
    rows = []
    for vid, sid, store, shopper, at, num, den in found:
        value = fraction_of(num, den)
        if value is not None:
            rows.append(VisitRow(vid, sid, store, shopper, at, float(value)))
    return rows


def pair_visits(rows: Sequence[VisitRow], window: timedelta) -> list[tuple[VisitRow, VisitRow]]:
    """Pairs of visits to the same store by two different shoppers at most `window` apart; each visit in one
    pair at most, the closest in time paired first."""
    by_store: dict[int, list[VisitRow]] = defaultdict(list)
    for row in rows:
        by_store[row.store_id].append(row)
    pairs = []
    for visits in by_store.values():
        candidates = sorted(
            ((abs(b.submitted_at - a.submitted_at), i, j) for i, a in enumerate(visits) for j, b in enumerate(visits)
             if i < j and a.shopper_id != b.shopper_id and abs(b.submitted_at - a.submitted_at) <= window),
            key=lambda c: (c[0], c[1], c[2]))
        taken: set[int] = set()
        for _, i, j in candidates:
            if i not in taken and j not in taken:
                taken.update((i, j))
                pairs.append((visits[i], visits[j]))
    return pairs


def _coded(value: object, question_type: str, options: Sequence[str]) -> float | None:
    if value is None or value is scoring.NA or isinstance(value, (dict, list)):
        return None
    if question_type == "yes_no":
        return {"yes": 1.0, "no": 0.0}.get(str(value))
    if question_type == "choice":
        return float(options.index(value)) if value in options else None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def krippendorff_alpha(first: Sequence[float | None], second: Sequence[float | None], level: str) -> float | None:
    """Krippendorff's alpha of two coders' values per unit (None for missing) at `level` ("nominal" or
    "interval"); None with fewer than MIN_PAIRS units both coded, or when every value is the same (the expected
    disagreement is zero and alpha is undefined)."""
    both = [(a, b) for a, b in zip(first, second) if a is not None and b is not None]
    if len(both) < MIN_PAIRS or len({v for pair in both for v in pair}) < 2:
        return None
    import krippendorff

    data = np.array([[a for a, _ in both], [b for _, b in both]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def agreement_by_question(session: Session, pairs: Sequence[tuple[VisitRow, VisitRow]], version_id: int,
                          lang: str) -> tuple[QuestionAgreement, ...]:
    """Per question of the checklist's newest version that can be compared (yes/no, choice, scale, number,
    duration, NPS), how the two shoppers of each pair answered: exact matches and Krippendorff's alpha."""
    definition = definition_for(session, version_id)
    questions = [(section, q) for section in definition.sections for q in section.questions
                 if q.type in NOMINAL_TYPES + INTERVAL_TYPES]
    keys = {q.key for _, q in questions}
    cards = stored_card_data(session, [v.score_id for pair in pairs for v in pair])
    answers = {sid: stored_answers(card, keys) for sid, card in cards.items()}
    found = []
    for section, question in questions:
        options = [o.key for o in question.options] if question.options else []
        first = [_coded(answers.get(a.score_id, {}).get(question.key), question.type, options) for a, _ in pairs]
        second = [_coded(answers.get(b.score_id, {}).get(question.key), question.type, options) for _, b in pairs]
        both = [(x, y) for x, y in zip(first, second) if x is not None and y is not None]
        if not both:
            continue
        level = "nominal" if question.type in NOMINAL_TYPES else "interval"
        found.append(QuestionAgreement(question.key, question.text.get(lang), section.title.get(lang), level,
                                       len(both), sum(1 for x, y in both if x == y),
                                       krippendorff_alpha(first, second, level)))
    return tuple(found)


def get_calibration(session: Session, user: User, *, checklist_id: int | None, start: datetime, end: datetime,
                    lang: str = "en") -> Calibration:
    """Shopper leniency (additive least-squares model, with 95 % intervals), calibrated store means beside the
    raw ones, and per-question agreement of shoppers who visited the same store within the programme's window,
    for one checklist's counted visits in [start, end). Raises PermissionDeniedError (head office only)."""
    if user.role != "head_office":
        raise PermissionDeniedError(N_("Shopper calibration is for head office."))
    settings = get_settings(session)
    statuses = statuses_for(session)
    area_ids = list(session.scalars(select(Area.id)))
    options = tuple(list_checklist_options(session, area_ids, lang, Period((end - start).days, start, end)))
    chosen = choose_checklist(options, checklist_id)
    window = settings.agreement_window_days
    if chosen is None:
        return Calibration(options, None, start, end, (), (), 0, None, 0, window, 0, (),
                           settings.min_visits_for_figures)
    rows = _rows(session, chosen.id, statuses, start, end)
    fit = fit_shopper_effects(rows)
    names = dict(session.execute(select(User.id, User.name)
                                 .where(User.id.in_(list(fit.effects)))).all()) if fit.effects else {}
    shoppers = tuple(sorted((ShopperLine(names.get(k, "?"), e) for k, e in fit.effects.items()),
                            key=lambda s: (s.effect.effect is None, -(s.effect.effect or 0), s.name)))
    by_store: dict[int, list[VisitRow]] = defaultdict(list)
    for row in rows:
        by_store[row.store_id].append(row)
    store_rows = dict((sid, (code, name, area)) for sid, code, name, area in session.execute(
        select(Store.id, Store.code, Store.name, Area.name).join(Area, Store.area_id == Area.id)
        .where(Store.id.in_(list(by_store))))) if by_store else {}
    stores = []
    for sid, visits in by_store.items():
        raw = t_interval(Spread.of(v.percent for v in visits), settings.min_visits_for_figures)
        calibrated, adjusted, why = calibrate_store(visits, fit)
        code, name, area = store_rows.get(sid, ("", "?", ""))
        stores.append(CalibratedStore(sid, code, name, area, len(visits), len({v.shopper_id for v in visits}),
                                      raw.mean, raw.low, raw.high, calibrated, adjusted,  # type: ignore[arg-type]
                                      why))
    stores.sort(key=lambda s: (-abs(s.adjustment or 0), s.name))
    pairs = pair_visits(rows, timedelta(days=window))
    newest = latest_version_id(session, chosen.id)
    agreement = agreement_by_question(session, pairs, newest, lang) if pairs and newest is not None else ()
    return Calibration(options, chosen, start, end, shoppers, tuple(stores), fit.residual_df, fit.residual_sd,
                       fit.fitted_visits, window, len(pairs), agreement, settings.min_visits_for_figures,
                       fit.prior_sd)
