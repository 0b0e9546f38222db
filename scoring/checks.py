"""Checks that need the whole checklist: every key used once, show_if naming an earlier question with a value it
can take, and no section weights in a `points` checklist. They run on an outline, so they also run on the parts
of a checklist that do validate when other parts do not."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import N_, Phrase, PhraseError, phrase, problem_path
from .show_if import show_if_answer

if TYPE_CHECKING:
    from .schema import Question, ShowIf

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class QuestionOutline:
    loc: Loc
    key: str | None
    question: Question | None
    show_if: ShowIf | None


@dataclass(frozen=True)
class SectionOutline:
    loc: Loc
    key: str | None
    sets_weight: bool
    questions: tuple[QuestionOutline, ...]


@dataclass(frozen=True)
class Outline:
    """What the checks read of a checklist: its scoring method, and each section's and question's key and place."""

    scoring: object
    sections: tuple[SectionOutline, ...]


def cross_problems(outline: Outline) -> list[tuple[Loc, Phrase]]:
    """Every problem across sections and questions, each at its place, in document order."""
    problems: list[tuple[Loc, Phrase]] = []
    first_use: dict[str, Loc] = {}
    section_keys = {section.key for section in outline.sections if section.key}
    question_keys = {q.key for section in outline.sections for q in section.questions if q.key}
    earlier: dict[str, Question | None] = {}

    def claim(key: str | None, loc: Loc) -> None:
        if key is None:
            return
        if key in first_use:
            problems.append((loc + ("key",), phrase(
                N_("the key %(key)s is already used at %(where)s; every section and question needs its own key"),
                key=repr(key), where=problem_path(first_use[key]))))
        else:
            first_use[key] = loc

    for section in outline.sections:
        claim(section.key, section.loc)
        if outline.scoring == "points" and section.sets_weight:
            problems.append((section.loc + ("weight",), phrase(
                N_("section weights only apply with `scoring: weighted_sections`; this checklist uses "
                   "`scoring: points`, so remove the weight"))))
        for outline_q in section.questions:
            claim(outline_q.key, outline_q.loc)
            if outline_q.show_if is not None:
                problems += _show_if_problems(outline_q, earlier, section_keys, question_keys)
            if outline_q.key is not None and outline_q.key not in earlier:
                earlier[outline_q.key] = outline_q.question
    return problems


def _show_if_problems(
    outline_q: QuestionOutline,
    earlier: Mapping[str, Question | None],
    section_keys: set[str],
    question_keys: set[str],
) -> list[tuple[Loc, Phrase]]:
    # Checked: narrows the type; only called for show_if questions.
    assert outline_q.show_if is not None  # nosec B101
    show_if, loc = outline_q.show_if, outline_q.loc + ("show_if",)
    target_key = show_if.question
    if target_key == outline_q.key:
        return [(loc + ("question",), phrase(N_("a question cannot depend on itself")))]
    if target_key not in earlier:
        if target_key in question_keys:
            message = phrase(N_("question %(key)s comes later in the checklist; show_if may only name an earlier "
                                "question"), key=repr(target_key))
        elif target_key in section_keys:
            message = phrase(N_("%(key)s is a section; show_if must name a question"), key=repr(target_key))
        else:
            close = difflib.get_close_matches(target_key, sorted(question_keys), n=1)
            message = phrase(N_("there is no question %(key)s in this checklist (did you mean %(close)s?)"),
                             key=repr(target_key), close=repr(close[0])) if close else \
                phrase(N_("there is no question %(key)s in this checklist"), key=repr(target_key))
        return [(loc + ("question",), message)]
    target = earlier[target_key]
    if target is None:
        return []
    problems: list[tuple[Loc, Phrase]] = []
    for index, value in enumerate(show_if.values):
        try:
            show_if_answer(target, value)
        except PhraseError as err:
            place = loc + (("in", index) if show_if.in_ is not None else ("equals",))
            problems.append((place, err.phrase))
    return problems
