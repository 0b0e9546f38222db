"""The engine as it stood before plans were keyed on raw answers, kept unchanged as a test oracle: every
card the engine gives must equal the card this one gives.

The scorer: a checklist and a visit's answers in, an explained score card out.

The first time a checklist is scored it is compiled into a plan: every question's points function, its weight as
integer units over one denominator shared by the whole checklist, and the results of its common answers made in
advance. Scoring a visit is then lookups and integer sums; exact Fractions are built once per section and for the
overall, never per answer.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from scoring.criticals import CriticalFailure, final_percent
from scoring.errors import AnswerError
from scoring.grades import grade_for
from scoring.questions import NA, Answer, NotApplicable

from .questions import POINTS, TABLE_LIMIT
from scoring.schema import Checklist, Grade, Question
from scoring.show_if import show_if_answer
from scoring.text import Text

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


@dataclass(frozen=True, slots=True)
class _QuestionPlan:
    key: str
    type: str
    section: int
    read: Callable[[object], tuple[Answer, int]]
    required: bool
    allow_na: bool
    exclusion: Excluded | None  # "unscored" or "zero_weight" whatever the answer, else None
    weight: Fraction
    denominator: int
    possible_units: int
    units_per_numerator: int
    fractions: tuple[Fraction, ...]  # by numerator; empty when there would be too many
    earned: tuple[Fraction, ...]
    failure: CriticalFailure | None
    show_if_target: int  # position of the question show_if names, -1 when always shown
    show_if_values: tuple[object, ...]
    show_if_multi: bool
    hidden: QuestionResult
    not_applicable: QuestionResult
    unanswered: QuestionResult
    prepared: dict[Answer, tuple[QuestionResult, int]]

    def answered(self, answer: Answer, numerator: int) -> tuple[QuestionResult, int]:
        """The result of a given answer and the earned units it adds to its section."""
        if self.exclusion is not None:
            return QuestionResult(self.key, self.type, answer, None, _ZERO, _ZERO, self.exclusion, False), 0
        if self.fractions:
            fraction, earned = self.fractions[numerator], self.earned[numerator]
        else:
            fraction = Fraction(numerator, self.denominator)
            earned = self.weight * fraction
        fails = self.failure is not None and numerator < self.denominator
        result = QuestionResult(self.key, self.type, answer, fraction, earned, self.weight, None, fails)
        return result, numerator * self.units_per_numerator


@dataclass(frozen=True, slots=True)
class _SectionPlan:
    key: str
    title: Text
    weight: Fraction
    weight_units: int
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class _Plan:
    key: str
    method: Method
    grades: tuple[Grade, ...]
    denominator: int
    questions: tuple[_QuestionPlan, ...]
    sections: tuple[_SectionPlan, ...]
    positions: Mapping[str, int]


def _exclusion(question: Question) -> Excluded | None:
    if question.is_scored:
        return None
    unscored = question.type in _UNSCORED_BY_DEFAULT or (question.type in ("number", "duration") and not question.bands)
    return "unscored" if unscored else "zero_weight"


def _compile(checklist: Checklist) -> _Plan:
    flat = list(checklist.questions())
    positions = {question.key: index for index, (_, question) in enumerate(flat)}
    points = [POINTS[question.type](question) for _, question in flat]
    denominator = math.lcm(
        1,
        *(
            question.weight.denominator * rule.denominator
            for (_, question), rule in zip(flat, points)
            if question.is_scored
        ),
    )
    section_index = {section.key: index for index, section in enumerate(checklist.sections)}
    plans = []
    for (section, question), rule in zip(flat, points):
        exclusion = _exclusion(question)
        weight = question.weight
        units_per_numerator = int(weight * denominator / rule.denominator)
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
            section=section_index[section.key],
            read=rule.read,
            required=question.required,
            allow_na=question.allow_na,
            exclusion=exclusion,
            weight=weight,
            denominator=rule.denominator,
            possible_units=int(weight * denominator),
            units_per_numerator=units_per_numerator,
            fractions=fractions,
            earned=tuple(weight * fraction for fraction in fractions),
            failure=(
                CriticalFailure(question.key, section.key, critical.effect, critical.cap) if critical else None
            ),
            show_if_target=target_position,
            show_if_values=show_if_values,
            show_if_multi=target is not None and target.type == "multi",
            hidden=QuestionResult(question.key, question.type, None, None, _ZERO, _ZERO, "hidden", False),
            not_applicable=QuestionResult(question.key, question.type, NA, None, _ZERO, _ZERO, "na", False),
            unanswered=QuestionResult(
                question.key, question.type, None, None, _ZERO, _ZERO, exclusion or "unanswered", False
            ),
            prepared={},
        )
        for answer in rule.answers:
            plan.prepared[answer] = plan.answered(answer, rule.read(answer)[1])
        plans.append(plan)
    weight_denominator = math.lcm(1, *(section.weight.denominator for section in checklist.sections))
    sections, start = [], 0
    for section in checklist.sections:
        stop = start + len(section.questions)
        weight_units = int(section.weight * weight_denominator)
        sections.append(_SectionPlan(section.key, section.title, section.weight, weight_units, start, stop))
        start = stop
    return _Plan(
        checklist.key, checklist.scoring, checklist.grades, denominator, tuple(plans), tuple(sections), positions
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
    for key in answers:
        if key not in positions:
            raise AnswerError(str(key), f"there is no question {key!r} in checklist {plan.key!r}")

    values: list[Answer | None] = [None] * len(plan.questions)
    results: list[QuestionResult] = []
    earned = [0] * len(plan.sections)
    possible = [0] * len(plan.sections)
    failures: list[CriticalFailure] = []
    missing: list[str] = []
    get = answers.get
    append = results.append
    for position, question in enumerate(plan.questions):
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
        try:
            answer, numerator = question.read(raw)
        except ValueError as err:
            raise AnswerError(question.key, str(err)) from None
        values[position] = answer
        prepared = question.prepared.get(answer) if question.prepared else None
        result, units = prepared if prepared is not None else question.answered(answer, numerator)
        append(result)
        if question.exclusion is None:
            earned[question.section] += units
            possible[question.section] += question.possible_units
            if result.is_critical_failure:
                # Checked: narrows the type; the plan only marks failable questions.
                assert question.failure is not None  # nosec B101
                failures.append(question.failure)

    zeroed = {failure.section_key for failure in failures if failure.effect == "zero_section"}
    denominator = plan.denominator
    sections = []
    # Σ(weight × percent) as an unreduced ratio of integers; one Fraction at the end instead of one per section.
    weighted_numerator, weighted_denominator, weight_units = 0, 1, 0
    for index, section in enumerate(plan.sections):
        section_earned, section_possible = earned[index], possible[index]
        is_zeroed = section.key in zeroed
        if is_zeroed:
            section_earned = earned[index] = 0
        percent = None
        if section_possible:
            percent = Fraction(100 * section_earned, section_possible)
            weighted_numerator = (
                weighted_numerator * section_possible + section.weight_units * section_earned * weighted_denominator
            )
            weighted_denominator *= section_possible
            weight_units += section.weight_units
        sections.append(
            SectionResult(
                section.key,
                section.title,
                section.weight,
                Fraction(section_earned, denominator) if section_earned else _ZERO,
                Fraction(section_possible, denominator) if section_possible else _ZERO,
                percent,
                is_zeroed,
                tuple(results[section.start : section.stop]),
            )
        )

    total_earned, total_possible = sum(earned), sum(possible)
    base: Fraction | None
    if plan.method == "points":
        base = Fraction(100 * total_earned, total_possible) if total_possible else None
    else:
        base = Fraction(100 * weighted_numerator, weighted_denominator * weight_units) if weight_units else None
    percent = final_percent(base, failures)
    return ScoreCard(
        checklist_key=plan.key,
        method=plan.method,
        earned=Fraction(total_earned, denominator),
        possible=Fraction(total_possible, denominator),
        percent=percent,
        base_percent=base,
        grade=grade_for(plan.grades, percent),
        sections=tuple(sections),
        critical_failures=tuple(failures),
        missing_required=tuple(missing),
        is_complete=not missing,
    )
