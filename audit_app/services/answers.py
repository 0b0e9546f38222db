"""What an answer to a question may be: the checks a stored answer passes, said in the shopper's words, and the
fingerprints (tokens) a page sends back of the answers it showed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import scoring
from scoring.questions import fraction_earned
from audit_app.models import Photo
from audit_app.services.errors import N_, Message, message

PHOTO_NOT_STORED = N_("This photo is not stored with this visit. Please take it again.")
TOKEN_LENGTH = 16


def answer_problem(question: scoring.Question, value: Any) -> Message | None:
    """Why `value` cannot be the answer to `question` (plain words, translated where shown), or None when it can."""
    if value is None:
        return None
    if value is scoring.NA:
        return None if question.allow_na else message(N_("This question cannot be answered N/A."))
    try:
        fraction_earned(question, value)
    except ValueError:
        return expected_answer(question)
    return None


def expected_answer(question: scoring.Question) -> Message:
    """What an answer to `question` looks like, said to the shopper whose answer it cannot take."""
    qtype = str(question.type)
    if qtype == "scale":
        return message(N_("Choose a whole number from %(low)s to %(high)s."), low=question.min, high=question.max)
    if qtype in ANSWER_SHAPES:
        return message(ANSWER_SHAPES[qtype])
    return message(N_("This answer cannot be taken; please answer the question again."))


ANSWER_SHAPES = {
    "yes_no": N_("Answer yes or no."),
    "choice": N_("Choose one of the options."),
    "multi": N_("Choose from the options, each at most once."),
    "number": N_("Enter a number, for example 3 or 2.5."),
    "duration": N_("Enter the time in seconds (95) or minutes:seconds (1:35)."),
    "nps": N_("Choose a whole number from 0 to 10."),
    "text": N_("Enter text."),
    "photo": N_("Add a photo."),
    "date": N_("Enter a date, for example 2026-11-20."),
    "time": N_("Enter a time, for example 14:30."),
    "note": N_("This is a note for you; it takes no answer."),
}


def stored_photos(session: Session, visit_id: int) -> set[tuple[str, str]]:
    """(question key, SHA-256) of every photo stored with the visit."""
    return {(key, sha256) for key, sha256 in session.execute(
        select(Photo.question_key, Photo.sha256).where(Photo.visit_id == visit_id))}


def photo_problem(question: scoring.Question, value: Any, stored_photos: set[tuple[str, str]]) -> Message | None:
    """A photo answer names a photo stored with this visit for this question; anything else is refused."""
    if question.type != "photo" or value is None or value is scoring.NA:
        return None
    if not isinstance(value, str) or (question.key, value) not in stored_photos:
        return message(PHOTO_NOT_STORED)
    return None


def _token(canonical: Any) -> str:
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:TOKEN_LENGTH]


def answer_token(value: Any) -> str:
    """A short fingerprint of a stored answer (a value, scoring.NA, or None when unanswered).

    A page sends back the token of the answer it showed (`b-KEY`), so a save can tell what this page changed
    from what another screen changed meanwhile. The order of a multi answer's options does not matter.
    """
    if value is scoring.NA:
        return _token({"na": True})
    if value is None:
        return _token(None)
    if isinstance(value, (list, tuple)):
        value = sorted(value, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return _token({"v": value})


def comment_token(text: str | None) -> str:
    """A short fingerprint of a stored comment ("" when there is none), sent back as `bc-KEY`."""
    return _token({"c": text or ""})
