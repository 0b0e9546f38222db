"""The scorer: a checklist and a visit's answers in, an explained score card out.

The first time a checklist is scored it is compiled into a plan: every question's points function, its weight as
integer units over one denominator shared by the whole checklist, and the outcome of no answer, of N/A and of its
common raw answers made in advance ("yes", True, 3, "3", an option key...). Scoring a visit is then, per question,
one lookup by the raw answer (checked against the answer's exact type, as True == 1 == 1.0) and two integer
additions; answers met since (numbers, durations, multi choices) are remembered up to a bound, and the results of
comments and photos are built afresh through their slots. Exact Fractions are built once per section and for the
overall, and remembered by value. A stored checklist whose shared denominator would pass SHARED_DENOMINATOR_LIMIT
(possible only from before the schema bounded precision) is scored with plain Fraction sums instead.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final, Literal

from .criticals import CriticalFailure
from .errors import AnswerError
from .questions import NA, POINTS, TABLE_LIMIT, Answer, NotApplicable
from .schema import Checklist, Grade, Question
from .show_if import show_if_answer
from .text import Text

Excluded = Literal["hidden", "na", "unscored", "zero_weight", "unanswered"]
Method = Literal["weighted_sections", "points"]

_ZERO: Final = Fraction(0)
# Types that earn nothing unless given a weight; with weight 0 they are "unscored", not "zero_weight".
_UNSCORED_BY_DEFAULT: Final = frozenset({"nps", "text", "photo", "date", "time", "note"})


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question on the card. `earned` and `possible` are in weight units (0 when excluded).

    `answer` is the normalised answer (see `scoring.questions.Answer`), `NA`, or None (unanswered or hidden);
    `fraction` is the 0..1 share of the weight earned, None when the question is excluded; `excluded` gives the
    reason it counts in neither earned nor possible.
    """

    key: str
    type: str
    answer: Answer | NotApplicable | None
    fraction: Fraction | None
    earned: Fraction
    possible: Fraction
    excluded: Excluded | None
    is_critical_failure: bool


@dataclass(frozen=True, slots=True)
class SectionResult:
    """One section: sums over its counted questions; `percent` 0..100, None when nothing is possible.

    When a `zero_section` critical failed, `is_zeroed` is true, `earned` is 0 and `percent` is 0.
    """

    key: str
    title: Text
    weight: Fraction
    earned: Fraction
    possible: Fraction
    percent: Fraction | None
    is_zeroed: bool
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True, slots=True)
class ScoreCard:
    """A visit's explained score. Percents are exact Fractions in 0..100; round only to display them.

    `earned`/`possible` are the sums over counted questions after `zero_section`. `base_percent` is the overall
    before `zero_visit` and `cap`; `percent` after them (None when nothing is possible). `is_complete` is false
    while a shown required question is unanswered (listed in `missing_required`).
    """

    checklist_key: str
    method: Method
    earned: Fraction
    possible: Fraction
    percent: Fraction | None
    base_percent: Fraction | None
    grade: Grade | None
    sections: tuple[SectionResult, ...]
    critical_failures: tuple[CriticalFailure, ...]
    missing_required: tuple[str, ...]
    is_complete: bool

    def questions(self) -> Iterator[QuestionResult]:
        """Every question result in checklist order."""
        for section in self.sections:
            yield from section.questions

    def question(self, key: str) -> QuestionResult:
        """The result of the question with this key; raises KeyError when there is none."""
        for result in self.questions():
            if result.key == key:
                return result
        raise KeyError(key)


# ---------------------------------------------------------------------------------------------------------------
# Building results
#
# A frozen dataclass's __init__ sets every field through object.__setattr__, so building the results made afresh on
# each visit (photos, comments, numbers not remembered, every section and the card) took a fifth of the time a
# visit takes to score. Each builder below makes an object of a class with the same slots as the result class, in
# the same order, stores the fields into it and then turns it into the result class, which Python allows between
# classes of the same layout: what comes out is an instance of the result class, field for field what its
# constructor makes, built four times as fast. A field added to a result class and not here fails every visit
# (the layouts differ), never a card.

_new: Final = object.__new__


class _QuestionResultSlots:
    __slots__ = ("key", "type", "answer", "fraction", "earned", "possible", "excluded", "is_critical_failure")


class _SectionResultSlots:
    __slots__ = ("key", "title", "weight", "earned", "possible", "percent", "is_zeroed", "questions")


class _ScoreCardSlots:
    __slots__ = (
        "checklist_key", "method", "earned", "possible", "percent", "base_percent", "grade", "sections",
        "critical_failures", "missing_required", "is_complete",
    )


def _question_result(
    key: str, qtype: str, answer: Answer | NotApplicable | None, fraction: Fraction | None, earned: Fraction,
    possible: Fraction, excluded: Excluded | None, is_critical_failure: bool,
) -> QuestionResult:
    """QuestionResult(key, qtype, answer, ...), built as fast as can be."""
    result = _new(_QuestionResultSlots)
    result.key = key
    result.type = qtype
    result.answer = answer
    result.fraction = fraction
    result.earned = earned
    result.possible = possible
    result.excluded = excluded
    result.is_critical_failure = is_critical_failure
    result.__class__ = QuestionResult
    return result  # type: ignore[return-value]


def _section_result(
    key: str, title: Text, weight: Fraction, earned: Fraction, possible: Fraction, percent: Fraction | None,
    is_zeroed: bool, questions: tuple[QuestionResult, ...],
) -> SectionResult:
    """SectionResult(key, title, weight, ...), built as fast as can be."""
    section = _new(_SectionResultSlots)
    section.key = key
    section.title = title
    section.weight = weight
    section.earned = earned
    section.possible = possible
    section.percent = percent
    section.is_zeroed = is_zeroed
    section.questions = questions
    section.__class__ = SectionResult
    return section  # type: ignore[return-value]


def _score_card(
    checklist_key: str, method: Method, earned: Fraction, possible: Fraction, percent: Fraction | None,
    base_percent: Fraction | None, grade: Grade | None, sections: tuple[SectionResult, ...],
    critical_failures: tuple[CriticalFailure, ...], missing_required: tuple[str, ...],
) -> ScoreCard:
    """ScoreCard(checklist_key, method, ...) with `is_complete` the card's: no required question missing."""
    card = _new(_ScoreCardSlots)
    card.checklist_key = checklist_key
    card.method = method
    card.earned = earned
    card.possible = possible
    card.percent = percent
    card.base_percent = base_percent
    card.grade = grade
    card.sections = sections
    card.critical_failures = critical_failures
    card.missing_required = missing_required
    card.is_complete = not missing_required
    card.__class__ = ScoreCard
    return card  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------------
# The compiled plan

# Past this shared denominator a checklist is scored with plain Fraction sums instead. Every checklist the schema
# accepts stays below it (weights and fractions over divisors of 10^4 or numbers up to 100, scales of up to 1,000
# steps: at most about 10^482), and integers of that size still add in well under a microsecond; a stored version
# from before those bounds (weights like 1/999983, 1/999979, ...) would otherwise multiply its denominators into
# an integer of hundreds of thousands of digits.
SHARED_DENOMINATOR_LIMIT: Final = 10**500
# Above this shared denominator the overall percent is summed from the reduced section percents: the unreduced
# ratio would multiply every section's possible points together.
_LARGE_DENOMINATOR: Final = 10**18
# Results of raw answers remembered per question on top of the prepared ones (numbers, durations, long scales,
# multi choices), and per checklist in all: enough for the values shoppers really give, few enough that a
# checklist of 1,000 questions keeps at most some ten megabytes of them.
_REMEMBERED_ANSWERS: Final = 1024
_REMEMBERED_PER_CHECKLIST: Final = 40_000
# Exact ratios (section and overall percents) remembered per checklist: visits repeat the same few.
_REMEMBERED_RATIOS: Final = 4096
# Answers to these types are free text: remembering them would only keep shoppers' words in memory.
_NOT_REMEMBERED: Final = frozenset({"text", "photo", "note"})
# Raw answers of these exact types are remembered: equal values of one of them always read alike. (Equal values
# of different types need not: True == 1 == 1.0, but a scale takes only the 1.)
_REMEMBERED_KINDS: Final = frozenset({str, int, float, bool, tuple})
# Stands in an outcome's failure place for an unanswered required question: the card lists it as missing.
_MISSING: Final = object()


class _Unread:
    """The type of no raw answer, so that `_UNKNOWN` matches none."""


# One raw answer's outcome as the scoring loop adds it up: its result on the card, the earned and possible units it
# adds to its section (0 when the question is excluded), the critical failure it makes (None, or _MISSING for an
# unanswered required question) and the exact type of the raw answer it is the outcome of.
_Hit = tuple[QuestionResult, "int | Fraction", "int | Fraction", object, type]
# What a lookup finds for a raw answer that has no outcome yet: it is read.
_UNKNOWN: Final[_Hit] = (QuestionResult("", "", None, None, _ZERO, _ZERO, None, False), 0, 0, None, _Unread)
# What an answer earning a given numerator puts on the card and adds up, whatever the answer: the result's fraction,
# earned, possible, excluded and is_critical_failure, then the earned units, possible units and critical failure.
_Shape = tuple[
    "Fraction | None", Fraction, Fraction, "Excluded | None", bool, "int | Fraction", "int | Fraction",
    "CriticalFailure | None",
]


@dataclass(frozen=True, slots=True)
class _QuestionPlan:
    key: str
    type: str
    position: int
    read: Callable[[object], tuple[Answer, int]]
    exclusion: Excluded | None  # "unscored" or "zero_weight" whatever the answer, else None
    weight: Fraction
    denominator: int
    possible_units: int | Fraction
    units_per_numerator: int | Fraction
    failure: CriticalFailure | None
    zeroes_section: bool
    show_if_target: int  # position of the question show_if names, -1 when always shown
    show_if_values: tuple[object, ...]
    show_if_multi: bool
    needs_care: bool  # has a show_if, or is a multi question (its answers come as lists)
    hidden: QuestionResult
    shapes: list[_Shape]  # by numerator; empty when there would be too many
    prepared: dict[Answer, _Hit]  # by normalised answer, for the few answers a question can be given
    # Outcomes by raw answer (a multi answer's list as a tuple), each checked against the type of the answer it
    # was made for: None (unanswered), NA where allowed, the common answers prepared in advance and answers met
    # since. A raw answer equal to one of them but of another type is looked up in `clashes` by (type, answer).
    known: dict[object, _Hit]
    clashes: dict[tuple[type, object], _Hit]
    remembered: list[int]  # answers remembered so far by every question of the checklist (one shared counter)
    # What the scoring loop calls for a raw answer that `known` has not got: `outcome`, or `fresh` for a question
    # whose answers are never remembered.
    unknown: Callable[[object], _Hit] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unknown", self.fresh if self.type in _NOT_REMEMBERED else self.outcome)

    def shape(self, numerator: int) -> _Shape:
        """What an answer earning numerator / denominator of the question's points makes (see _Shape)."""
        if self.exclusion is not None:
            return None, _ZERO, _ZERO, self.exclusion, False, 0, 0, None
        fraction = Fraction(numerator, self.denominator)
        weight = self.weight
        # One Fraction built instead of a product (which reduces twice); equal, as every Fraction is reduced.
        earned = Fraction(numerator * weight.numerator, self.denominator * weight.denominator)
        fails = self.failure is not None and numerator < self.denominator
        return (
            fraction, earned, weight, None, fails, numerator * self.units_per_numerator, self.possible_units,
            self.failure if fails else None,
        )

    def answered(self, answer: Answer, numerator: int, kind: type) -> _Hit:
        """The outcome of a read answer earning numerator / denominator, for a raw answer of type `kind`."""
        fraction, earned, possible, excluded, fails, units, possible_units, failure = (
            self.shapes[numerator] if self.shapes else self.shape(numerator)
        )
        result = _question_result(self.key, self.type, answer, fraction, earned, possible, excluded, fails)
        return result, units, possible_units, failure, kind

    def outcome(self, raw: object) -> _Hit:
        """The outcome of a raw answer that `known` has not got: read it, and remember it when worth remembering.

        Raises AnswerError for an answer this question cannot take (N/A where it is not allowed included).
        """
        if raw is NA:  # allowed N/A is in `known`
            raise AnswerError(self.key, "this question cannot be answered N/A")
        kind = type(raw)
        if self.clashes:
            try:
                hit = self.clashes.get((kind, raw))
            except TypeError:  # unhashable, so never remembered; reading it below says what is wrong with it
                hit = None
            if hit is not None:
                return hit
        try:
            answer, numerator = self.read(raw)
        except ValueError as err:
            raise AnswerError(self.key, str(err)) from None
        prepared = self.prepared.get(answer) if self.prepared else None
        if prepared is None:
            hit = self.answered(answer, numerator, kind)
        else:
            result, units, possible_units, failure, _ = prepared
            hit = result, units, possible_units, failure, kind
        self.remember(raw, hit)
        return hit

    def fresh(self, raw: object) -> _Hit:
        """`outcome` for a question whose answers are never remembered (comments, photos): read and built every
        time, in as few steps as can be, as every visit has some. Raises AnswerError."""
        if raw is NA:  # allowed N/A is in `known`
            raise AnswerError(self.key, "this question cannot be answered N/A")
        try:
            answer, numerator = self.read(raw)
        except ValueError as err:
            raise AnswerError(self.key, str(err)) from None
        fraction, earned, possible, excluded, fails, units, possible_units, failure = (
            self.shapes[numerator] if self.shapes else self.shape(numerator)
        )
        result = _question_result(self.key, self.type, answer, fraction, earned, possible, excluded, fails)
        return result, units, possible_units, failure, type(raw)

    def remember(self, raw: object, hit: _Hit) -> None:
        """Keep the outcome of a raw answer that was read, for the next visit giving it, within the bounds."""
        kind = hit[4]
        if kind not in _REMEMBERED_KINDS or self.remembered[0] >= _REMEMBERED_PER_CHECKLIST:
            return
        if len(self.known) + len(self.clashes) >= _REMEMBERED_ANSWERS:
            return
        # (True,) equals (1,) but chooses an option called "yes": only lists of option keys as text are kept.
        if kind is tuple and not all(type(item) is str for item in raw):  # type: ignore[attr-defined]
            return
        self.keep(raw, hit)
        self.remembered[0] += 1

    def keep(self, raw: object, hit: _Hit) -> None:
        """Look this outcome up by its raw answer from now on."""
        if raw in self.known:
            self.clashes[type(raw), raw] = hit
        else:
            self.known[raw] = hit


@dataclass(frozen=True, slots=True)
class _SectionPlan:
    key: str
    title: Text
    weight: Fraction
    weight_units: int
    questions: tuple[_QuestionPlan, ...]
    start: int  # position of its first question in the checklist
    stop: int  # position after its last


@dataclass(frozen=True, slots=True)
class _Plan:
    key: str
    method: Method
    denominator: int
    questions: tuple[_QuestionPlan, ...]
    sections: tuple[_SectionPlan, ...]
    positions: Mapping[str, int]
    ratios: dict[tuple[int, int], Fraction]
    figures_of: dict[tuple[int | Fraction, int | Fraction], tuple[Fraction, Fraction, Fraction | None]]
    grade_bounds: tuple[tuple[Grade, int, int], ...]  # each grade with its min as numerator and denominator
    sums_fractions: bool  # no shared denominator: units are exact Fractions over a denominator of 1

    def ratio(self, numerator: int | Fraction, denominator: int | Fraction) -> Fraction:
        """numerator / denominator as a Fraction, remembered: building a Fraction costs a gcd and a microsecond."""
        if self.sums_fractions:
            return Fraction(numerator, denominator)
        key = (numerator, denominator)
        found = self.ratios.get(key)  # type: ignore[arg-type]
        if found is None:
            found = Fraction(numerator, denominator)
            if len(self.ratios) < _REMEMBERED_RATIOS:
                self.ratios[key] = found  # type: ignore[index]
        return found

    def figures(self, earned: int | Fraction, possible: int | Fraction) -> tuple[Fraction, Fraction, Fraction | None]:
        """A section's earned and possible points and its percent (None when nothing is possible) from its units.

        Remembered by the units, as sections repeat their figures: one lookup instead of three ratios.
        """
        key = (earned, possible)
        found = self.figures_of.get(key)
        if found is None:
            found = (
                self.ratio(earned, self.denominator) if earned else _ZERO,
                self.ratio(possible, self.denominator) if possible else _ZERO,
                self.ratio(100 * earned, possible) if possible else None,
            )
            if len(self.figures_of) < _REMEMBERED_RATIOS:
                self.figures_of[key] = found
        return found

    def final_percent(self, base: Fraction | None, failures: list[CriticalFailure]) -> Fraction | None:
        """`criticals.final_percent(base, failures)`, comparing each cap with the percent as integers (see `grade`)."""
        if base is None:
            return None
        final, numerator, denominator = base, base.numerator, base.denominator
        for failure in failures:
            cap = failure.cap
            if failure.effect == "zero_visit":
                final, numerator, denominator = _ZERO, 0, 1
            elif failure.effect == "cap" and cap is not None:
                if cap.numerator * denominator < numerator * cap.denominator:
                    final, numerator, denominator = cap, cap.numerator, cap.denominator
        return final

    def grade(self, percent: Fraction | None) -> Grade | None:
        """The grade of a final percent, as `grade_for` finds it, comparing integers instead of Fractions.

        percent >= min is n/d >= m/e, that is n·e >= m·d (denominators are positive); a Fraction comparison goes
        through the numbers ABCs and costs a microsecond, and every visit's percent is new.
        """
        if percent is None:
            return None
        numerator, denominator = percent.numerator, percent.denominator
        for grade, min_numerator, min_denominator in self.grade_bounds:
            if numerator * min_denominator >= min_numerator * denominator:
                return grade
        return None


def _exclusion(question: Question) -> Excluded | None:
    if question.is_scored:
        return None
    unscored = question.type in _UNSCORED_BY_DEFAULT or (question.type in ("number", "duration") and not question.bands)
    return "unscored" if unscored else "zero_weight"


def _shared_denominator(denominators: Iterator[int]) -> int | None:
    """The least common multiple of these denominators, or None once it passes SHARED_DENOMINATOR_LIMIT."""
    shared = 1
    for denominator in denominators:
        shared = math.lcm(shared, denominator)
        if shared > SHARED_DENOMINATOR_LIMIT:
            return None
    return shared


def _raw_forms(answer: Answer) -> Iterator[object]:
    """The raw answers a shopper's form or an API client sends for a normalised answer."""
    yield answer
    if isinstance(answer, int):
        yield str(answer)
        yield float(answer)
    elif answer in ("yes", "no"):
        yield answer == "yes"


def _compile(checklist: Checklist) -> _Plan:
    flat = list(checklist.questions())
    positions = {question.key: index for index, (_, question) in enumerate(flat)}
    points = [POINTS[question.type](question) for _, question in flat]
    shared = _shared_denominator(
        question.weight.denominator * rule.denominator
        for (_, question), rule in zip(flat, points)
        if question.is_scored
    )
    # Without a shared denominator, units are the exact Fractions themselves over a denominator of 1.
    denominator = 1 if shared is None else shared
    plans = []
    remembered = [0]
    for position, ((section, question), rule) in enumerate(zip(flat, points)):
        weight = question.weight
        units_per_numerator: int | Fraction
        possible_units: int | Fraction
        if shared is None:
            units_per_numerator, possible_units = weight / rule.denominator, weight
        else:
            units_per_numerator = int(weight * denominator / rule.denominator)
            possible_units = int(weight * denominator)
        critical = question.critical
        show_if = question.show_if
        target_position, target, show_if_values = -1, None, tuple[object, ...]()
        if show_if is not None:
            target_position = positions[show_if.question]
            target = flat[target_position][1]
            show_if_values = tuple(show_if_answer(target, value) for value in show_if.values)

        plan = _QuestionPlan(
            key=question.key,
            type=question.type,
            position=position,
            read=rule.read,
            exclusion=_exclusion(question),
            weight=weight,
            denominator=rule.denominator,
            possible_units=possible_units,
            units_per_numerator=units_per_numerator,
            failure=(
                CriticalFailure(question.key, section.key, critical.effect, critical.cap) if critical else None
            ),
            zeroes_section=critical is not None and critical.effect == "zero_section",
            show_if_target=target_position,
            show_if_values=show_if_values,
            show_if_multi=target is not None and target.type == "multi",
            needs_care=show_if is not None or question.type == "multi",
            hidden=QuestionResult(question.key, question.type, None, None, _ZERO, _ZERO, "hidden", False),
            shapes=[],
            prepared={},
            known={},
            clashes={},
            remembered=remembered,
        )
        _prepare(plan, question, rule.answers)
        plans.append(plan)
    weight_denominator = math.lcm(1, *(section.weight.denominator for section in checklist.sections))
    sections, start = [], 0
    for section in checklist.sections:
        stop = start + len(section.questions)
        weight_units = int(section.weight * weight_denominator)
        sections.append(_SectionPlan(
            section.key, section.title, section.weight, weight_units, tuple(plans[start:stop]), start, stop,
        ))
        start = stop
    grade_bounds = tuple((grade, grade.min.numerator, grade.min.denominator) for grade in checklist.grades)
    return _Plan(
        checklist.key, checklist.scoring, denominator, tuple(plans), tuple(sections), positions, {}, {},
        grade_bounds, shared is None,
    )


def _prepare(plan: _QuestionPlan, question: Question, answers: tuple[Answer, ...]) -> None:
    """Make in advance what answers earning each numerator make, and the outcomes of no answer, of N/A where
    allowed and of the common raw answers."""
    if plan.denominator <= TABLE_LIMIT:
        plan.shapes.extend(plan.shape(numerator) for numerator in range(plan.denominator + 1))
    unanswered = QuestionResult(
        question.key, question.type, None, None, _ZERO, _ZERO, plan.exclusion or "unanswered", False
    )
    plan.keep(None, (unanswered, 0, 0, _MISSING if question.required else None, type(None)))
    if question.allow_na:
        not_applicable = QuestionResult(question.key, question.type, NA, None, _ZERO, _ZERO, "na", False)
        plan.keep(NA, (not_applicable, 0, 0, None, NotApplicable))
    for answer in answers:
        outcome = plan.answered(answer, plan.read(answer)[1], type(answer))
        plan.prepared[answer] = outcome
        for raw in _raw_forms(answer):
            try:
                normalised, _ = plan.read(raw)
            except ValueError:
                continue
            if normalised == answer:
                result, units, possible_units, failure, _ = outcome
                plan.keep(raw, (result, units, possible_units, failure, type(raw)))


# Compiling costs about as much as scoring a hundred visits, so plans are kept for as long as their checklist
# lives. Keyed by identity: hashing a whole checklist on every call would cost more than scoring it.
_plans: dict[int, tuple[weakref.ref[Checklist], _Plan]] = {}


def _plan_for(checklist: Checklist) -> _Plan:
    key = id(checklist)
    entry = _plans.get(key)
    if entry is not None and entry[0]() is checklist:
        return entry[1]
    plan = _compile(checklist)

    def forget(ref: weakref.ref[Checklist]) -> None:
        if _plans.get(key, (None,))[0] is ref:
            del _plans[key]

    _plans[key] = (weakref.ref(checklist, forget), plan)
    return plan


# ---------------------------------------------------------------------------------------------------------------
# Scoring


def score(checklist: Checklist, answers: Mapping[str, object]) -> ScoreCard:
    """Score one visit: every question's points, section and overall percents, critical effects and the grade.

    `answers` maps question keys to raw answers (see `scoring.questions` for what each type takes); `NA` means
    "not applicable", a missing key or None means unanswered. Answers to questions hidden by show_if are ignored.
    Arithmetic is exact (Fraction); nothing is rounded. Raises AnswerError naming the question for an answer it
    cannot take, N/A where `allow_na` is false, an answer to a note, or a key that is not a question.
    """
    plan = _plan_for(checklist)
    positions = plan.positions
    if not positions.keys() >= answers.keys():
        for key in answers:
            if key not in positions:
                raise AnswerError(str(key), f"there is no question {key!r} in checklist {plan.key!r}")

    # Every question's result by its position in the checklist; a show_if reads the answer on its target's.
    results: list[QuestionResult] = [None] * len(plan.questions)  # type: ignore[list-item]
    failures: list[CriticalFailure] = []
    missing: list[str] = []
    get = answers.get
    sections = []
    figures_of = plan.figures_of
    is_small = not plan.sums_fractions and plan.denominator <= _LARGE_DENOMINATOR
    total_earned: int | Fraction = 0
    total_possible: int | Fraction = 0
    # Σ(weight × percent) as an unreduced ratio of integers; one Fraction at the end instead of one per section.
    weighted_numerator: int | Fraction = 0
    weighted_denominator: int | Fraction = 1
    weight_units = 0
    for section in plan.sections:
        earned: int | Fraction = 0
        possible: int | Fraction = 0
        is_zeroed = False
        for question in section.questions:
            raw = get(question.key)
            if question.needs_care:
                target = question.show_if_target
                if target >= 0:
                    shown = results[target].answer
                    if shown is None or shown is NA or not (
                        any(value in shown for value in question.show_if_values)  # type: ignore[operator]
                        if question.show_if_multi else shown in question.show_if_values
                    ):
                        results[question.position] = question.hidden
                        continue
                if type(raw) is list:  # a multi answer as JSON sends it: looked up by its options as given
                    raw = tuple(raw)  # type: ignore[arg-type]
            try:
                hit = question.known.get(raw, _UNKNOWN)
            except TypeError:  # unhashable: no question takes it, and reading it says why
                hit = _UNKNOWN
            result, units, possible_units, failure, kind = hit
            if kind is not type(raw):
                result, units, possible_units, failure, kind = question.unknown(raw)
            results[question.position] = result
            earned += units
            possible += possible_units
            if failure is not None:
                if failure is _MISSING:
                    missing.append(question.key)
                else:
                    failures.append(failure)  # type: ignore[arg-type]
                    if question.zeroes_section:
                        is_zeroed = True

        if is_zeroed:
            earned = 0
        figures = figures_of.get((earned, possible))
        if figures is None:
            figures = plan.figures(earned, possible)
        section_earned, section_possible, percent = figures
        if possible:
            if is_small:
                weighted_numerator = (
                    weighted_numerator * possible + section.weight_units * earned * weighted_denominator
                )
                weighted_denominator *= possible
            weight_units += section.weight_units
            total_earned += earned
            total_possible += possible
        sections.append(_section_result(
            section.key, section.title, section.weight, section_earned, section_possible, percent, is_zeroed,
            tuple(results[section.start:section.stop]),
        ))

    ratio = plan.ratio
    base: Fraction | None
    if plan.method == "points":
        base = ratio(100 * total_earned, total_possible) if total_possible else None
    elif not weight_units:
        base = None
    elif not is_small:
        weighted = sum(
            (section_plan.weight_units * result.percent
             for section_plan, result in zip(plan.sections, sections) if result.percent is not None),
            _ZERO,
        )
        base = weighted / weight_units
    else:
        base = ratio(100 * weighted_numerator, weighted_denominator * weight_units)
    percent = plan.final_percent(base, failures) if failures else base
    denominator = plan.denominator
    return _score_card(
        plan.key,
        plan.method,
        ratio(total_earned, denominator) if total_earned else _ZERO,
        ratio(total_possible, denominator) if total_possible else _ZERO,
        percent,
        base,
        plan.grade(percent),
        tuple(sections),
        tuple(failures),
        tuple(missing),
    )
