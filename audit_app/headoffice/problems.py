"""Checklist problems (`scoring.Problem`) in the reader's language.

A problem carries its message id (the English template, marked in `scoring/` for the catalogue) and the text of
its placeholders: the id is looked up in the catalogue and filled with the parameters, a parameter that is itself
a word (`scoring.Word`, like "a list") translated too. An id the catalogue does not know reads in English.
"""

from __future__ import annotations

import re

from flask_babel import gettext

import scoring
from audit_app.services.errors import N_

# Problems the services word themselves as plain text (no id yet): their English, and the id that says it.
_PLAIN_TEXT: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), msgid) for pattern, msgid in (
    (r"not valid YAML: (?P<error>.+)", N_("not valid YAML: %(error)s")),
    (r"the top level must be a mapping \(`key: value` lines\), not (?P<got>.+)",
     N_("the top level must be a mapping (`key: value` lines), not %(got)s")),
))
# Said as plain text by the services and known by the catalogue as they are (each is its own id).
_PLAIN_IDS = (
    N_("not valid YAML: nested too deeply"),
    N_("the top level must be a mapping (`key: value` lines)"),
    N_("the key of a checklist cannot change between versions"),
)


def problem_text(problem: scoring.Problem) -> str:
    """One problem's message in the reader's language (English when the catalogue does not know its id)."""
    if problem.params:
        return gettext(problem.id, **{name: _value(value) for name, value in problem.params.items()})
    for pattern, msgid in _PLAIN_TEXT:
        match = pattern.fullmatch(problem.id)
        if match:
            return gettext(msgid, **match.groupdict())
    return gettext(problem.id)


def problem_line(problem: scoring.Problem) -> str:
    """A problem as the `path: message` line the editor lists, in the reader's language."""
    text = problem_text(problem)
    return f"{problem.path}: {text}" if problem.path else text


def _value(value: str) -> str:
    return gettext(value) if isinstance(value, scoring.Word) else value
