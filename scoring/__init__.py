"""Storecheck's scoring engine: checklist definitions in, explained score cards out.

Pure Python: the standard library, plus pydantic for the checklist schema. No I/O, no clock, no randomness, so a
visit scores the same today and in five years, and scores in about 40 µs (a 60-question visit, one core).

    checklist = parse_checklist(yaml.safe_load(text))      # ChecklistError lists every problem
    card = score(checklist, {"greeting": "yes", "queue_wait": 95, "toilets": NA})
    format_percent(card.percent), card.grade.label.get("ja")
"""

from .aggregates import ces_mean, competition_ranks, csat, mean, mean_and_spread, nps, percentile
from .criticals import CriticalFailure
from .display import format_change, format_percent, round_half_up
from .cards import card_from_data, card_to_data
from .engine import QuestionResult, ScoreCard, SectionResult, score
from .errors import AnswerError, ChecklistError, Phrase, Problem, Word
from .questions import NA, POINTS, Answer, NotApplicable
from .schema import (
    Band,
    Checklist,
    Critical,
    Grade,
    Option,
    Question,
    Section,
    ShowIf,
    checklist_to_data,
    parse_checklist,
)
from .text import Text

__all__ = [
    "NA",
    "POINTS",
    "AnswerError",
    "Answer",
    "Band",
    "Checklist",
    "ChecklistError",
    "Critical",
    "CriticalFailure",
    "Grade",
    "NotApplicable",
    "Option",
    "Phrase",
    "Problem",
    "Question",
    "QuestionResult",
    "ScoreCard",
    "Section",
    "SectionResult",
    "ShowIf",
    "Text",
    "Word",
    "card_from_data",
    "card_to_data",
    "ces_mean",
    "competition_ranks",
    "checklist_to_data",
    "csat",
    "format_change",
    "format_percent",
    "mean",
    "mean_and_spread",
    "nps",
    "parse_checklist",
    "percentile",
    "round_half_up",
    "score",
]
