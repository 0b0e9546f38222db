"""A checklist version tried out by head office: the version to fill in, and answers scored without saving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import scoring
from audit_app.services import rubrics
from audit_app.services.definitions import checklist_from_definition


@dataclass(frozen=True)
class PreviewPage:
    """A version and its validated checklist, as the preview form shows it."""

    version: rubrics.VersionInfo
    checklist: scoring.Checklist


@dataclass(frozen=True)
class PreviewScore:
    """The score card of previewed answers, or the answer that could not be scored (then `card` is None)."""

    card: scoring.ScoreCard | None
    error: scoring.AnswerError | None


def get_preview(session: Session, version_id: int) -> PreviewPage:
    """The version with its checklist; raises NotFoundError for a missing version."""
    info = rubrics.get_version(session, version_id)
    return PreviewPage(info, checklist_from_definition(info.definition))


def score_preview(checklist: scoring.Checklist, answers: Mapping[str, Any]) -> PreviewScore:
    """Score answers as a submitted visit would be scored; nothing is stored. Never raises for a bad answer: it
    comes back as `error` (the AnswerError naming its question)."""
    try:
        return PreviewScore(scoring.score(checklist, answers), None)
    except scoring.AnswerError as error:
        return PreviewScore(None, error)
