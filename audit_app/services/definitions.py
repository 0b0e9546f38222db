"""Parsed checklist definitions, cached: parsing a large checklist takes milliseconds, and the scoring
engine compiles a plan per Checklist object, so handing out the same object again saves both."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import scoring


@lru_cache(maxsize=128)
def _parse(canonical: str) -> scoring.Checklist:
    return scoring.parse_checklist(json.loads(canonical))


def checklist_from_definition(definition: dict[str, Any]) -> scoring.Checklist:
    """The validated checklist for a stored definition (raises scoring.ChecklistError). Keyed by content, so a
    draft edited in place is never served stale."""
    return _parse(json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def grade_text(definition: scoring.Checklist, grade: str | None, lang: str) -> str:
    """A stored grade (the English label its version gave) in `lang`, from that version's grade bands."""
    if not grade:
        return ""
    for band in definition.grades:
        if band.label.get("en") == grade:
            return band.label.get(lang)
    return grade
