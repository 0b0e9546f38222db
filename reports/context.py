"""Score cards and facts turned into plain, display-ready values for the web pages and the PDF scorecards.

Everything here is data in, data out: the caller (the app) loads visits, photos and averages and passes them in;
these functions only arrange and word them. Wording comes from a `labels` mapping the caller translates
(`DEFAULT_LABELS` gives the English keys and texts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import scoring

DEFAULT_LABELS: dict[str, str] = {
    "yes": "Yes",
    "no": "No",
    "na": "N/A",
    "unanswered": "Not answered",
    "seconds": "{n} s",
    "scale": "{value} (scale {min}–{max})",
    "photo_answer": "Photo attached",
    "excluded.na": "Not applicable: counts in neither earned nor possible",
    "excluded.hidden": "Not asked: hidden by an earlier answer",
    "excluded.unscored": "Not scored: recorded for information",
    "excluded.zero_weight": "Carries no points",
    "excluded.unanswered": "Optional and not answered",
    "effect.zero_section": "Critical failure: the section scores 0",
    "effect.zero_visit": "Critical failure: the visit scores 0",
    "effect.cap": "Critical failure: the visit is capped at {cap}%",
    "points": "{earned} of {possible}",
    "section_zeroed": "Set to 0 by a critical failure",
    "good_is_no": "“No” is the good answer here.",
    "store": "Store",
    "area": "Area",
    "region": "Region",
    "period": "Period",
    "generated": "Generated",
    "overall": "Overall score",
    "grade": "Grade",
    "change_since_previous": "Change since the previous visit",
    "area_average": "Area average",
    "rank_in_area": "Rank in area",
    "rank_value": "{rank} of {count}",
    "visits_in_period": "Visits in the period",
    "period_mean": "This store's period mean",
    "critical_in_period": "Critical failures in the period",
    "latest_visit_failures": "Critical failures in the latest visit",
    "grade_key": "Colours follow the checklist's grades:",
    "latest_visit": "Latest visit",
    "sections_vs_area": "Sections against the area average",
    "trend": "Visit scores over time",
    "this_store": "This store",
    "area_monthly_mean": "Area (monthly mean)",
    "question": "Question",
    "answer": "Answer",
    "points_heading": "Points",
    "critical_failures": "Critical failures",
    "no_critical_failures": "No critical failures.",
    "comments": "Comments",
    "photos": "Photos",
    "rubric_version": "Checklist version",
    "page": "Page",
    "of": "of",
    "averaging": "Averages are the mean of visit percents; each visit counts once.",
    "no_visits": "No counted visits in this period.",
    "kpis": "Customer KPIs",
    "comment_on": "On “{question}”",
}


# ---------------------------------------------------------------------------------------------------------------
# Numbers


def percent_text(value: Fraction | float | None) -> str:
    """A percent (0..100) with one decimal place, half up; "—" when there is none (`scoring.format_percent`)."""
    return scoring.format_percent(value)


def signed_text(value: Fraction | float | None) -> str:
    """A change in percentage points with its sign ("+2.5", "−1.0", "±0.0"); "—" when there is none."""
    return scoring.format_change(value)


def points_text(value: Fraction) -> str:
    """Question points in weight units: whole numbers bare, otherwise up to two decimals (half up)."""
    if value.denominator == 1:
        return str(value.numerator)
    shown = str(scoring.round_half_up(value, 2))
    return shown.rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------------------------
# Grade colours

TONES = ("a", "b", "c", "d")  # best to worst; the CSS classes score-a.., heat-a.. and the chart colours
# (background, text) per tone: the same in static/css (score-*, heat-*), the PDF and the charts.
TONE_COLOURS: dict[str, tuple[str, str]] = {
    "a": ("#1f7a3a", "#ffffff"),
    "b": ("#a8d5a2", "#12461f"),
    "c": ("#f6c76b", "#4a2f00"),
    "d": ("#e8867c", "#4a0d08"),
    "none": ("#f4f6f9", "#5b6675"),
}


@dataclass(frozen=True)
class GradeBand:
    min: Fraction
    label: str  # in the reader's language
    key: str  # the English label, as stored with each visit score
    tone: str  # one of TONES


@dataclass(frozen=True)
class GradeScale:
    """A checklist's grade bands (highest `min` first) and the colour tone of each, so that every page, chart
    and PDF colours a score by the grade it earns, never by fixed thresholds."""

    bands: tuple[GradeBand, ...] = ()

    def band_for(self, percent: Fraction | float | None, grade: str | None = None) -> GradeBand | None:
        """The band a stored grade label names (a visit keeps the grade of the version it was scored with),
        else the band `percent` reaches; None without either or without bands."""
        if grade is not None:
            for band in self.bands:
                if grade in (band.key, band.label):
                    return band
        if percent is None:
            return None
        exact = percent if isinstance(percent, Fraction) else Fraction(Decimal(repr(percent)))
        for band in self.bands:
            if exact >= band.min:
                return band
        return None

    def tone(self, percent: Fraction | float | None, grade: str | None = None) -> str:
        """"a" (best) .. "d" (worst) for the grade of this score; "none" when there is no score or scale."""
        band = self.band_for(percent, grade)
        return band.tone if band is not None else "none"

    def label(self, percent: Fraction | float | None, grade: str | None = None) -> str | None:
        band = self.band_for(percent, grade)
        return band.label if band is not None else None

    def chart_bands(self) -> tuple[tuple[float, str], ...]:
        """(lowest percent, colour) per band, highest first: what the charts shade and colour bars with."""
        return tuple((float(band.min), TONE_COLOURS[band.tone][0]) for band in self.bands)

    def key_rows(self) -> tuple[tuple[GradeBand, str], ...]:
        """Each band with the range of percents it covers ("90–100", "75–89.9"), for a colour key."""
        rows = []
        upper: Fraction | None = None
        for band in self.bands:
            low = percent_text(band.min)
            high = "100" if upper is None else percent_text(upper - Fraction(1, 10))
            rows.append((band, f"{low.removesuffix('.0')}–{high.removesuffix('.0')}"))
            upper = band.min
        return tuple(rows)


def tone_of(index: int, count: int) -> str:
    """Spread `count` grade bands over the four tones: the best always "a", the worst always "d"."""
    if count <= 1:
        return TONES[0]
    return TONES[round(index * (len(TONES) - 1) / (count - 1))]


def grade_scale(definition: scoring.Checklist | None, lang: str) -> GradeScale:
    """The colour scale of a checklist version's grade bands, labels in `lang` (empty scale for None)."""
    if definition is None:
        return GradeScale()
    count = len(definition.grades)
    return GradeScale(tuple(GradeBand(g.min, g.label.get(lang), str(g.label), tone_of(i, count))
                            for i, g in enumerate(definition.grades)))


# ---------------------------------------------------------------------------------------------------------------
# One visit's explained card


@dataclass(frozen=True)
class CardPhoto:
    """A photo to show: `thumb` and `full` are URLs (web) or data URIs (PDF); `full` may be None."""

    thumb: str
    full: str | None
    alt: str


@dataclass(frozen=True)
class QuestionLine:
    key: str
    text: str
    type: str
    answer: str
    earned: Fraction
    possible: Fraction
    points: str  # "0.5 of 1", or "" when excluded
    fraction: Fraction | None
    excluded: str | None
    excluded_text: str
    is_critical: bool
    is_critical_failure: bool
    effect_text: str
    comment: str
    photos: tuple[CardPhoto, ...] = ()
    is_head_office_only: bool = False
    is_good_no: bool = False  # a yes/no question whose good answer is "no" ("Did you see a hazard?")

    @property
    def is_full(self) -> bool:
        return self.excluded is None and self.fraction == 1

    @property
    def is_failed(self) -> bool:
        """Counted and earned less than its full points."""
        return self.excluded is None and self.possible > 0 and self.earned < self.possible


@dataclass(frozen=True)
class SectionLine:
    key: str
    title: str
    weight: Fraction
    earned: Fraction
    possible: Fraction
    percent: Fraction | None
    percent_text: str
    is_zeroed: bool
    questions: tuple[QuestionLine, ...]


@dataclass(frozen=True)
class FailureLine:
    question_key: str
    question_text: str
    section_title: str
    effect: str
    effect_text: str


@dataclass(frozen=True)
class CardView:
    """A score card worded for reading: every section and question, why anything did not count, criticals."""

    method: str
    percent: Fraction | None
    percent_text: str
    base_percent: Fraction | None
    base_percent_text: str
    grade: str | None
    earned: Fraction
    possible: Fraction
    is_complete: bool
    sections: tuple[SectionLine, ...]
    failures: tuple[FailureLine, ...]
    comments: tuple[tuple[str, str], ...] = field(default=())  # (question text, comment)

    @property
    def is_changed_by_criticals(self) -> bool:
        """Whether a zero_visit or cap failure changed the overall (zero_section acts before it)."""
        return self.percent != self.base_percent


def _label(labels: Mapping[str, str], key: str, **values: object) -> str:
    text = labels.get(key) or DEFAULT_LABELS.get(key, key)
    return text.format(**values) if values else text


def _number(value: Fraction | int) -> str:
    return points_text(Fraction(value))


def answer_text(question: scoring.Question | None, answer: object, lang: str,
                labels: Mapping[str, str] = DEFAULT_LABELS) -> str:
    """A normalised answer as a reader sees it: option texts, yes/no words, seconds, scale positions."""
    if answer is None:
        return _label(labels, "unanswered")
    if answer is scoring.NA:
        return _label(labels, "na")
    if question is None:
        return str(answer)
    kind = question.type
    if kind == "yes_no":
        return _label(labels, "yes" if answer == "yes" else "no")
    if kind == "choice":
        for option in question.options:
            if option.key == answer:
                return option.text.get(lang)
        return str(answer)
    if kind == "multi":
        chosen = set(answer) if isinstance(answer, (list, tuple)) else {answer}
        return ", ".join(o.text.get(lang) for o in question.options if o.key in chosen) or "—"
    if kind == "duration":
        return _label(labels, "seconds", n=_number(answer))  # type: ignore[arg-type]
    if kind == "number":
        unit = f" {question.unit.get(lang)}" if question.unit is not None else ""
        return f"{_number(answer)}{unit}"  # type: ignore[arg-type]
    if kind == "scale":
        return _label(labels, "scale", value=answer, min=question.min, max=question.max)
    if kind == "photo":
        return _label(labels, "photo_answer")
    return str(answer)


def effect_text(failure: scoring.CriticalFailure, labels: Mapping[str, str] = DEFAULT_LABELS) -> str:
    if failure.effect == "cap":
        return _label(labels, "effect.cap", cap=percent_text(failure.cap))
    return _label(labels, f"effect.{failure.effect}")


def card_view(
    definition: scoring.Checklist, card: scoring.ScoreCard, *, lang: str, labels: Mapping[str, str] = DEFAULT_LABELS,
    comments: Mapping[str, str] | None = None, photos: Mapping[str, Sequence[CardPhoto]] | None = None,
) -> CardView:
    """Word a stored score card with its checklist version's texts. Questions missing from the definition (never
    expected: a card is pinned to its version) show their key."""
    comments = comments or {}
    photos = photos or {}
    failures_by_key = {f.question_key: f for f in card.critical_failures}
    sections = []
    for section in card.sections:
        lines = []
        for result in section.questions:
            try:
                question: scoring.Question | None = definition.question(result.key)
            except KeyError:
                question = None
            text = question.text.get(lang) if question is not None else result.key
            failure = failures_by_key.get(result.key)
            lines.append(QuestionLine(
                key=result.key, text=text, type=result.type,
                answer=answer_text(question, result.answer, lang, labels),
                earned=result.earned, possible=result.possible,
                points=("" if result.excluded is not None else
                        _label(labels, "points", earned=points_text(result.earned),
                               possible=points_text(result.possible))),
                fraction=result.fraction, excluded=result.excluded,
                excluded_text=_label(labels, f"excluded.{result.excluded}") if result.excluded else "",
                is_critical=question is not None and question.critical is not None,
                is_critical_failure=result.is_critical_failure,
                effect_text=effect_text(failure, labels) if failure is not None else "",
                comment=comments.get(result.key, ""),
                photos=tuple(photos.get(result.key, ())),
                is_head_office_only=question is not None and not question.is_for_stores,
                is_good_no=question is not None and question.type == "yes_no" and question.good == "no",
            ))
        sections.append(SectionLine(
            key=section.key, title=section.title.get(lang), weight=section.weight, earned=section.earned,
            possible=section.possible, percent=section.percent, percent_text=percent_text(section.percent),
            is_zeroed=section.is_zeroed, questions=tuple(lines),
        ))
    titles = {s.key: s.title for s in sections}
    texts = {q.key: q.text for s in sections for q in s.questions}
    failures = tuple(
        FailureLine(question_key=f.question_key, question_text=texts.get(f.question_key, f.question_key),
                    section_title=titles.get(f.section_key, f.section_key), effect=f.effect,
                    effect_text=effect_text(f, labels))
        for f in card.critical_failures
    )
    ordered_comments = tuple((texts.get(key, key), text) for key, text in
                             sorted(comments.items(), key=lambda kv: list(texts).index(kv[0])
                                    if kv[0] in texts else len(texts)) if text)
    return CardView(
        method=card.method, percent=card.percent, percent_text=percent_text(card.percent),
        base_percent=card.base_percent, base_percent_text=percent_text(card.base_percent),
        grade=card.grade.label.get(lang) if card.grade is not None else None,
        earned=card.earned, possible=card.possible, is_complete=card.is_complete,
        sections=tuple(sections), failures=failures, comments=ordered_comments,
    )


def without_questions(card: CardView, leave_out: Callable[[QuestionLine], bool]) -> CardView:
    """The card without the questions `leave_out` picks (and their comments); sections left empty go too.
    Figures are unchanged as long as the questions left out count for nothing: head-office-only questions carry
    no points (the schema says so) and hidden ones are excluded from the score."""
    sections = []
    dropped: set[str] = set()
    for section in card.sections:
        kept = tuple(q for q in section.questions if not leave_out(q))
        dropped.update(q.text for q in section.questions if leave_out(q) and q.comment)
        if kept:
            sections.append(replace(section, questions=kept))
    comments = tuple((text, comment) for text, comment in card.comments if text not in dropped)
    return replace(card, sections=tuple(sections), comments=comments)


def for_managers(card: CardView) -> CardView:
    """What area managers see of a card: everything but the questions meant for head office only."""
    return without_questions(card, lambda q: q.is_head_office_only)


def for_store(card: CardView) -> CardView:
    """What a store's scorecard prints: no head-office-only questions, and no questions an earlier answer hid
    (they were never asked, so "Not answered · Not asked" would only be noise)."""
    return without_questions(card, lambda q: q.is_head_office_only or q.excluded == "hidden")


# ---------------------------------------------------------------------------------------------------------------
# A store's PDF scorecard


@dataclass(frozen=True)
class Branding:
    name: str
    accent: str = "#0b6e69"
    logo: str | None = None  # a data: URI


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class ActionLine:
    """A corrective action of the store as its PDF lists it, already worded."""

    title: str
    priority: str
    status: str
    due_text: str
    assignee: str
    is_overdue: bool = False


@dataclass(frozen=True)
class ScorecardContext:
    """Everything one store's PDF shows, already worded; dates and numbers formatted by the caller."""

    lang: str
    labels: Mapping[str, str]
    branding: Branding
    title: str
    store_name: str
    store_code: str
    area_name: str
    region_name: str
    period_text: str
    generated_text: str
    checklist_title: str
    version_text: str
    latest_date_text: str
    overall_text: str
    grade: str | None
    change_text: str
    area_average_text: str
    rank_text: str
    visits_in_period: int
    sections: tuple[tuple[str, float | None, float | None], ...]  # title, store mean, area mean
    trend: tuple[tuple[date, float], ...]
    area_trend: tuple[tuple[date, float], ...]
    kpis: tuple[Fact, ...]
    card: CardView | None
    trend_alt: str = ""
    sections_alt: str = ""
    period_mean_text: str = "—"
    period_critical_failures: int = 0
    grades: GradeScale = GradeScale()
    # How sure the figures are, in words: "95% interval 70.1–78.5%", "provisional", and what they mean.
    period_interval_text: str = ""
    area_interval_text: str = ""
    rank_note: str = ""
    interval_note: str = ""
    kpi_note: str = ""
    actions: tuple[ActionLine, ...] = ()
