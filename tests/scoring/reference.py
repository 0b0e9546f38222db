"""A deliberately plain scorer written straight from DESIGN.md's "Scoring rules", for checking the fast one.

It shares nothing with the engine but the parsed checklist: no plan, no integer units, no prepared results.
It assumes valid answers (the engine's validation is tested separately).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scoring import NA, Checklist, Question


@dataclass(frozen=True)
class Figures:
    percent: Fraction | None
    base_percent: Fraction | None
    earned: Fraction
    possible: Fraction
    grade: str | None
    sections: dict[str, Fraction | None]
    failures: list[str]
    missing: list[str]


def normalise(question: Question, raw: Any) -> Any:
    if question.type in ("yes_no", "choice") and isinstance(raw, bool):
        return "yes" if raw else "no"
    if question.type == "multi":
        return set(raw)
    if question.type in ("number", "duration"):
        return Fraction(str(raw)) if isinstance(raw, float) else Fraction(raw)
    return raw


def fraction(question: Question, value: Any) -> Fraction:
    """The fraction of its weight an answer earns, as DESIGN.md words it."""
    kind = question.type
    if kind == "yes_no":
        return Fraction(1) if value == question.good else Fraction(0)
    if kind == "scale":
        assert question.min is not None and question.max is not None
        return Fraction(value - question.min, question.max - question.min)
    if kind == "choice":
        return next(option.fraction for option in question.options if option.key == value)
    if kind == "multi":
        return min(Fraction(1), sum((option.fraction for option in question.options if option.key in value),
                                    Fraction(0)))
    if kind in ("number", "duration"):
        for band in question.bands:
            if (band.max is not None and value <= band.max) or (band.min is not None and value >= band.min) or (
                    band.max is None and band.min is None):
                return band.fraction
        raise AssertionError("no band matched")
    if kind == "nps":
        return Fraction(value, 10)
    return Fraction(1)


def reference_score(checklist: Checklist, answers: dict[str, Any]) -> Figures:
    shown: dict[str, Any] = {}  # answers of questions that are visible and answered (not N/A)
    earned: dict[str, Fraction] = {s.key: Fraction(0) for s in checklist.sections}
    possible: dict[str, Fraction] = {s.key: Fraction(0) for s in checklist.sections}
    failures: list[tuple[str, str, str, Fraction | None]] = []
    missing: list[str] = []
    for section, question in checklist.questions():
        if question.show_if is not None:
            target = checklist.question(question.show_if.question)
            if question.show_if.question not in shown:
                continue
            value = shown[question.show_if.question]
            wanted = list(question.show_if.values)
            if target.type == "multi":
                if not any(w in value for w in wanted):
                    continue
            elif value not in wanted:
                continue
        raw = answers.get(question.key)
        if raw is None:
            if question.required:
                missing.append(question.key)
            continue
        if raw is NA:
            continue
        value = normalise(question, raw)
        shown[question.key] = value
        if question.type == "note" or question.weight == 0:
            continue
        earned_here = question.weight * fraction(question, value)
        earned[section.key] += earned_here
        possible[section.key] += question.weight
        if question.critical is not None and earned_here < question.weight:
            failures.append((question.key, section.key, question.critical.effect, question.critical.cap))

    for _, section_key, effect, _ in failures:
        if effect == "zero_section":
            earned[section_key] = Fraction(0)
    percents = {key: (100 * earned[key] / possible[key] if possible[key] else None) for key in earned}
    base: Fraction | None
    if checklist.scoring == "points":
        total = sum(possible.values(), Fraction(0))
        base = 100 * sum(earned.values(), Fraction(0)) / total if total else None
    else:
        counted = [s for s in checklist.sections if percents[s.key] is not None]
        weights = sum((s.weight for s in counted), Fraction(0))
        base = sum((s.weight * percents[s.key] for s in counted), Fraction(0)) / weights if weights else None  # type: ignore[operator]
    final = base
    if final is not None:
        if any(effect == "zero_visit" for _, _, effect, _ in failures):
            final = Fraction(0)
        caps = [cap for _, _, effect, cap in failures if effect == "cap" and cap is not None]
        if caps:
            final = min([final, *caps])
    grade = None
    if final is not None:
        grade = next(str(g.label) for g in checklist.grades if final >= g.min)
    return Figures(final, base, sum(earned.values(), Fraction(0)), sum(possible.values(), Fraction(0)), grade,
                   percents, [key for key, _, _, _ in failures], missing)
