"""Parsed checklist definitions, cached: parsing a large checklist takes milliseconds, and the scoring
engine compiles a plan per Checklist object, so handing out the same object again saves both."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Checklist, ChecklistVersion


@lru_cache(maxsize=128)
def _parse(canonical: str) -> scoring.Checklist:
    # A stored definition was valid when it was saved: read it back without the bounds new checklists meet.
    return scoring.parse_checklist(json.loads(canonical), stored=True)


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


def checklist_titles_in(session: Session, lang: str, checklist_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Each checklist's title in `lang`, from its newest published or retired version (its draft when it has no
    other), falling back to the English title `checklists.title` keeps."""
    q = select(Checklist.id, Checklist.title)
    if checklist_ids is not None:
        q = q.where(Checklist.id.in_(set(checklist_ids)))
    english = dict(session.execute(q).all())
    if not english:
        return {}
    newest = (select(ChecklistVersion.checklist_id, func.max(ChecklistVersion.number).label("number"))
              .where(ChecklistVersion.checklist_id.in_(list(english)))
              .group_by(ChecklistVersion.checklist_id, ChecklistVersion.status == "draft")
              .subquery())
    found: dict[int, tuple[bool, Any]] = {}
    # Only the title is read out of each definition: sending and decoding whole definitions (tens of kB each)
    # cost more than the rest of the page's queries.
    for checklist_id, status, title in session.execute(
            select(ChecklistVersion.checklist_id, ChecklistVersion.status, ChecklistVersion.definition["title"]).join(
                newest, (ChecklistVersion.checklist_id == newest.c.checklist_id)
                & (ChecklistVersion.number == newest.c.number))):
        if checklist_id not in found or found[checklist_id][0]:  # a published or retired version beats a draft
            found[checklist_id] = (status == "draft", title)
    titles = {}
    for checklist_id, title in english.items():
        text = found.get(checklist_id, (True, None))[1]
        if isinstance(text, dict):
            title = text.get(lang) or text.get("en") or title
        titles[checklist_id] = title
    return titles
