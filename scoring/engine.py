"""The scorer: a checklist and a visit's answers in, an explained score card out.

The first time a checklist is scored it is compiled into a plan: every question's points function, its weight as
integer units over one denominator shared by the whole checklist, and the outcome of its common raw answers made in
advance ("yes", True, 3, "3", an option key...). Scoring a visit is then a table lookup and two integer additions
per question; answers met since (numbers, durations, multi choices) are remembered up to a bound. Exact Fractions
are built once per section and for the overall, and remembered by value. A stored checklist whose shared
denominator would pass SHARED_DENOMINATOR_LIMIT (possible only from before the schema bounded precision) is scored
with plain Fraction sums instead.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from .criticals import CriticalFailure, final_percent
from .errors import AnswerError
from .grades import grade_for
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

# One answer's outcome: its result on the card, the earned and possible units it adds to its section (0 when the
# question is excluded), the critical failure it makes (or None) and the normalised answer.
_Hit = tuple[QuestionResult, "int | Fraction", "int | Fraction", "CriticalFailure | None", Answer]


@dataclass(frozen=True, slots=True)
class _QuestionPlan:
    key: str
    type: str
    position: int
    read: Callable[[object], tuple[Answer, int]]
    required: bool
    allow_na: bool
    exclusion: Excluded | None  # "unscored" or "zero_weight" whatever the answer, else None
    is_counted: bool  # exclusion is None: its answers add to earned and possible
    weight: Fraction
    denominator: int
    possible_units: int | Fraction
    units_per_numerator: int | Fraction
    fractions: tuple[Fraction, ...]  # by numerator; empty when there would be too many
    earned: tuple[Fraction, ...]
    failure: CriticalFailure | None
    zeroes_section: bool
    show_if_target: int  # position of the question show_if names, -1 when always shown
    show_if_values: tuple[object, ...]
    show_if_multi: bool
    is_show_if_target: bool  # a later question's show_if names this one, so its answer is kept
    hidden: QuestionResult
    not_applicable: QuestionResult
    unanswered: QuestionResult
    prepared: dict[Answer, tuple[QuestionResult, int | Fraction]]
    # Raw answers whose outcome is known without reading them: text and whole numbers here (the common case: a str
    # never equals an int), other types by their exact type (True equals 1 and 1.0 equals 1, but means otherwise).
    known: dict[object, _Hit]
    others: dict[type, dict[object, _Hit]]
    remembers: bool
    remembered: list[int]  # answers remembered so far by every question of the checklist (one shared counter)

    def answered(self, answer: Answer, numerator: int) -> tuple[QuestionResult, int | Fraction]:
        """The result of a given answer and the earned units it adds to its section."""
        if self.exclusion is not None:
            return QuestionResult(self.key, self.type, answer, None, _ZERO, _ZERO, self.exclusion, False), 0
        if self.fractions:
            fraction, earned = self.fractions[numerator], self.earned[numerator]
        else:
            fraction = Fraction(numerator, self.denominator)
            weight = self.weight
            # One Fraction built instead of a product (which reduces twice); equal, as every Fraction is reduced.
            earned = Fraction(numerator * weight.numerator, self.denominator * weight.denominator)
        fails = self.failure is not None and numerator < self.denominator
        result = QuestionResult(self.key, self.type, answer, fraction, earned, self.weight, None, fails)
        return result, numerator * self.units_per_numerator

    def outcome(self, raw: object) -> _Hit:
        """Read a raw answer the long way; remember its outcome when the answer is worth remembering."""
        kind = type(raw)
        if kind is float or kind is bool:
            hit = self.others.get(kind, {}).get(raw)
            if hit is not None:
                return hit
        elif kind is list and self.remembers:
            # A multi answer: remembered by its options in the order given (a list cannot be a key).
            chosen = tuple(raw)  # type: ignore[arg-type]
            try:
                hit = self.others.get(tuple, {}).get(chosen)
            except TypeError:  # an unhashable item: not an option, so reading it below says so
                pass
            else:
                if hit is not None:
                    return hit
                raw, kind = chosen, tuple
        try:
            answer, numerator = self.read(raw)
        except ValueError as err:
            raise AnswerError(self.key, str(err)) from None
        prepared = self.prepared.get(answer) if self.prepared else None
        hit = self.hit(*(prepared if prepared is not None else self.answered(answer, numerator)), answer)
        if self.remembers and self.remembered[0] < _REMEMBERED_PER_CHECKLIST:
            if kind is int or kind is str or kind is float or kind is tuple:
                known = self.known if kind is int or kind is str else self.others.setdefault(kind, {})
                try:
                    if len(known) < _REMEMBERED_ANSWERS:
                        known[raw] = hit
                        self.remembered[0] += 1
                except TypeError:  # a tuple holding something unhashable
                    pass
        return hit

    def hit(self, result: QuestionResult, units: int | Fraction, answer: Answer) -> _Hit:
        """An answer's outcome as the scoring loop adds it up."""
        if self.exclusion is not None:
            return result, 0, 0, None, answer
        return result, units, self.possible_units, self.failure if result.is_critical_failure else None, answer


@dataclass(frozen=True, slots=True)
class _SectionPlan:
    key: str
    title: Text
    weight: Fraction
    weight_units: int
    questions: tuple[_QuestionPlan, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    key: str
    method: Method
    grades: tuple[Grade, ...]
    denominator: int
    questions: tuple[_QuestionPlan, ...]
    sections: tuple[_SectionPlan, ...]
    positions: Mapping[str, int]
    ratios: dict[tuple[int, int], Fraction]
    grade_of: dict[tuple[int, int], Grade | None]
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

    def grade(self, percent: Fraction | None) -> Grade | None:
        """The grade of a final percent, remembered by its exact value."""
        if percent is None:
            return None
        key = (percent.numerator, percent.denominator)
        if key in self.grade_of:
            return self.grade_of[key]
        found = grade_for(self.grades, percent)
        if len(self.grade_of) < _REMEMBERED_RATIOS:
            self.grade_of[key] = found
        return found


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
    targets = {question.show_if.question for _, question in flat if question.show_if is not None}
    points = [POINTS[question.type](question) for _, question in flat]
    shared = _shared_denominator(
        question.weight.denominator * rule.denominator
        for (_, question), rule in zip(flat, points)
        if question.is_scored
    )
    # Without a shared denominator, units are the exact Fractions themselves over a denominator of 1.
    denominator = 1 if shared is None else shared
    section_index = {section.key: index for index, section in enumerate(checklist.sections)}
    plans = []
    remembered = [0]
    for position, ((section, question), rule) in enumerate(zip(flat, points)):
        exclusion = _exclusion(question)
        weight = question.weight
        units_per_numerator: int | Fraction
        possible_units: int | Fraction
        if shared is None:
            units_per_numerator, possible_units = weight / rule.denominator, weight
        else:
            units_per_numerator = int(weight * denominator / rule.denominator)
            possible_units = int(weight * denominator)
        tabled = exclusion is None and rule.denominator <= TABLE_LIMIT
        fractions = tuple(Fraction(n, rule.denominator) for n in range(rule.denominator + 1)) if tabled else ()
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
            required=question.required,
            allow_na=question.allow_na,
            exclusion=exclusion,
            is_counted=exclusion is None,
            weight=weight,
            denominator=rule.denominator,
            possible_units=possible_units,
            units_per_numerator=units_per_numerator,
            fractions=fractions,
            earned=tuple(weight * fraction for fraction in fractions),
            failure=(
                CriticalFailure(question.key, section.key, critical.effect, critical.cap) if critical else None
            ),
            zeroes_section=critical is not None and critical.effect == "zero_section",
            show_if_target=target_position,
            show_if_values=show_if_values,
            show_if_multi=target is not None and target.type == "multi",
            is_show_if_target=question.key in targets,
            hidden=QuestionResult(question.key, question.type, None, None, _ZERO, _ZERO, "hidden", False),
            not_applicable=QuestionResult(question.key, question.type, NA, None, _ZERO, _ZERO, "na", False),
            unanswered=QuestionResult(
                question.key, question.type, None, None, _ZERO, _ZERO, exclusion or "unanswered", False
            ),
            prepared={},
            known={},
            others={},
            remembers=question.type not in _NOT_REMEMBERED,
            remembered=remembered,
        )
        for answer in rule.answers:
            outcome = plan.answered(answer, rule.read(answer)[1])
            plan.prepared[answer] = outcome
            for raw in _raw_forms(answer):
                try:
                    normalised, numerator = rule.read(raw)
                except ValueError:
                    continue
                if normalised == answer:
                    kind = type(raw)
                    known = plan.known if kind is str or kind is int else plan.others.setdefault(kind, {})
                    known[raw] = plan.hit(*outcome, normalised)
        plans.append(plan)
    weight_denominator = math.lcm(1, *(section.weight.denominator for section in checklist.sections))
    sections, start = [], 0
    for section in checklist.sections:
        stop = start + len(section.questions)
        weight_units = int(section.weight * weight_denominator)
        sections.append(
            _SectionPlan(section.key, section.title, section.weight, weight_units, tuple(plans[start:stop]))
        )
        start = stop
    return _Plan(
        checklist.key, checklist.scoring, checklist.grades, denominator, tuple(plans), tuple(sections), positions,
        {}, {}, shared is None,
    )


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

    values: list[Answer | None] = [None] * len(plan.questions)
    failures: list[CriticalFailure] = []
    missing: list[str] = []
    get = answers.get
    sections = []
    ratio = plan.ratio
    denominator = plan.denominator
    is_small = not plan.sums_fractions and denominator <= _LARGE_DENOMINATOR
    total_earned: int | Fraction = 0
    total_possible: int | Fraction = 0
    # Σ(weight × percent) as an unreduced ratio of integers; one Fraction at the end instead of one per section.
    weighted_numerator: int | Fraction = 0
    weighted_denominator: int | Fraction = 1
    weight_units = 0
    for section in plan.sections:
        results: list[QuestionResult] = []
        append = results.append
        earned: int | Fraction = 0
        possible: int | Fraction = 0
        is_zeroed = False
        for question in section.questions:
            target = question.show_if_target
            if target >= 0:
                shown = values[target]
                if shown is None:
                    append(question.hidden)
                    continue
                if question.show_if_multi:
                    if not any(value in shown for value in question.show_if_values):  # type: ignore[operator]
                        append(question.hidden)
                        continue
                elif shown not in question.show_if_values:
                    append(question.hidden)
                    continue
            raw = get(question.key)
            if raw is None:
                if question.required:
                    missing.append(question.key)
                append(question.unanswered)
                continue
            if raw is NA:
                if not question.allow_na:
                    raise AnswerError(question.key, "this question cannot be answered N/A")
                append(question.not_applicable)
                continue
            kind = type(raw)
            hit = question.known.get(raw) if kind is str or kind is int else None
            if hit is None:
                hit = question.outcome(raw)
            result, units, possible_units, failure, values[question.position] = hit
            append(result)
            earned += units
            possible += possible_units
            if failure is not None:
                failures.append(failure)
                if question.zeroes_section:
                    is_zeroed = True

        if is_zeroed:
            earned = 0
        percent = None
        if possible:
            percent = ratio(100 * earned, possible)
            if is_small:
                weighted_numerator = (
                    weighted_numerator * possible + section.weight_units * earned * weighted_denominator
                )
                weighted_denominator *= possible
            weight_units += section.weight_units
            total_earned += earned
            total_possible += possible
        sections.append(
            SectionResult(
                section.key,
                section.title,
                section.weight,
                ratio(earned, denominator) if earned else _ZERO,
                ratio(possible, denominator) if possible else _ZERO,
                percent,
                is_zeroed,
                tuple(results),
            )
        )

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
    percent = final_percent(base, failures) if failures else base
    return ScoreCard(
        checklist_key=plan.key,
        method=plan.method,
        earned=ratio(total_earned, denominator) if total_earned else _ZERO,
        possible=ratio(total_possible, denominator) if total_possible else _ZERO,
        percent=percent,
        base_percent=base,
        grade=plan.grade(percent),
        sections=tuple(sections),
        critical_failures=tuple(failures),
        missing_required=tuple(missing),
        is_complete=not missing,
    )
