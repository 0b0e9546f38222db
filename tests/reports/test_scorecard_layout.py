"""The PDF scorecard's layout: rows never split across pages, critical failures on page 1, one column layout."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from pypdf import PdfReader

import scoring
from reports.context import DEFAULT_LABELS, Branding, ScorecardContext, card_view, for_store, grade_scale, percent_text
from reports.pdf import render_scorecard

FILLER = "with several words so that the question runs over more than one line of its column"


def _long_checklist() -> dict[str, Any]:
    sections = []
    for s in range(5):
        questions = []
        for q in range(12):
            n = s * 12 + q
            if q != 1:
                questions.append({"key": f"q{n}", "type": "multi", "text": f"Q{n:03d}x which of these {FILLER}?",
                                  "options": [{"key": f"o{i}", "text": f"A{n:03d}x option {i} {FILLER}",
                                               "fraction": 0.25} for i in range(4)]})
            else:
                questions.append({"key": f"q{n}", "type": "yes_no", "text": f"Q{n:03d}x did it happen, {FILLER}?",
                                  **({"critical": {"effect": "cap", "cap": 60}} if q == 1 else {})})
        sections.append({"key": f"s{s}", "title": f"Section {s}", "questions": questions})
    return {"key": "long_visit", "title": "Long visit", "channel": "in_store",
            "grades": [{"min": 80, "label": "Good"}, {"min": 0, "label": "Poor"}], "sections": sections}


LONG = scoring.parse_checklist(_long_checklist())


def _answers() -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for _, question in LONG.questions():
        number = int(question.key[1:])
        # Answers of one to four options: rows of many heights, so some meet the foot of a page.
        answers[question.key] = [f"o{i}" for i in range(number % 4 + 1)] if question.type == "multi" else "no"
    return answers


def _context() -> ScorecardContext:
    card = scoring.score(LONG, _answers())
    labels = {**DEFAULT_LABELS, "yes": "Yes", "no": "No"}
    view = for_store(card_view(LONG, card, lang="en", labels=labels))
    return ScorecardContext(
        lang="en", labels=labels, branding=Branding("Storecheck"), title="t", store_name="Ginza", store_code="S1",
        area_name="Tokyo", region_name="Kanto", period_text="2026", generated_text="2026-11-20",
        checklist_title="Long visit", version_text="v1", latest_date_text="2026-11-01",
        overall_text=percent_text(card.percent), grade=str(card.grade.label), change_text="—",
        area_average_text="70.0%", rank_text="1 of 2", visits_in_period=3,
        sections=tuple((s.title, float(s.percent), 70.0) for s in view.sections),
        trend=((date(2026, 10, 1), 70.0), (date(2026, 11, 1), 80.0)), area_trend=(), kpis=(), card=view,
        period_mean_text="71.3%", period_critical_failures=7, grades=grade_scale(LONG, "en"),
    )


def _pages() -> list[str]:
    reader = PdfReader(io.BytesIO(render_scorecard(_context())))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _page_of(pages: list[str], token: str) -> int:
    return next(i for i, text in enumerate(pages) if token in text)


def test_no_question_is_split_from_its_answer_across_pages() -> None:
    pages = _pages()
    assert len(pages) >= 3
    for _, question in LONG.questions():
        number = int(question.key[1:])
        marker = f"Q{number:03d}x"
        where = [i for i, text in enumerate(pages) if marker in text]
        asked = where[-1]  # the failures list on page 1 names the critical ones too
        if question.type == "multi":
            # Each option of the answer is on the question's page: the row was kept whole.
            chosen = range(number % 4 + 1)
            assert {_page_of(pages, f"A{number:03d}x option {i}") for i in chosen} == {asked}, marker
        else:
            assert re.search(re.escape(marker) + r"[^?]*\? ! Critical failure: the visit is capped at 60.0% No 0 of 1",
                             pages[asked]), marker


def test_critical_failures_and_the_stores_period_mean_are_on_page_1() -> None:
    first = _pages()[0]
    assert "Critical failures in the latest visit" in first
    for section in range(5):
        assert f"Q{section * 12 + 1:03d}x" in first
    assert "this store's period mean" in first.casefold() and "71.3%" in first  # tiles' labels are upper case
    assert "Critical failures in the period: 7" in first
