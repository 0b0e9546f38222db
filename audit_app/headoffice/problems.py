"""Checklist problems (`scoring.Problem`) in the reader's language.

The schema in `scoring/` words its problems in English, as plain text built from its own templates (it imports
nothing of the web). Here each of those templates is matched and re-said through the catalogue with the same
values; a problem no pattern knows is shown in English as it is.
"""

from __future__ import annotations

import re

from flask_babel import gettext

import scoring
from audit_app.services.errors import N_

# (pattern of the schema's English wording, message id with the pattern's named groups as placeholders)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), msgid) for pattern, msgid in (
    (r"`(?P<field>[^`]+)` is required but missing", N_("`%(field)s` is required but missing")),
    (r"(?P<value>.+) is not a valid key: use lower-case letters, digits and _, starting with a letter",
     N_("%(value)s is not a valid key: use lower-case letters, digits and _, starting with a letter")),
    (r"unknown channel (?P<value>.+) \(expected one of: (?P<allowed>.*)\)",
     N_("unknown channel %(value)s (expected one of: %(allowed)s)")),
    (r"unknown question type (?P<value>.+) \(expected one of: (?P<allowed>.*)\)",
     N_("unknown question type %(value)s (expected one of: %(allowed)s)")),
    (r"unknown critical effect (?P<value>.+) \(expected one of: (?P<allowed>.*)\)",
     N_("unknown critical effect %(value)s (expected one of: %(allowed)s)")),
    (r"unknown kpi (?P<value>.+) \(expected one of: (?P<allowed>.*)\)",
     N_("unknown kpi %(value)s (expected one of: %(allowed)s)")),
    (r"unknown scoring method (?P<value>.+) \(expected one of: (?P<allowed>.*)\)",
     N_("unknown scoring method %(value)s (expected one of: %(allowed)s)")),
    (r"there is no question (?P<key>\S+) in this checklist \(did you mean (?P<close>\S+)\?\)",
     N_("there is no question %(key)s in this checklist (did you mean %(close)s?)")),
    (r"the top level must be a mapping \(`key: value` lines\), not (?P<got>.+)",
     N_("the top level must be a mapping (`key: value` lines), not %(got)s")),
    (r"unknown field `(?P<field>[^`]+)` \(did you mean `(?P<close>[^`]+)`\? allowed here: (?P<allowed>.*)\)",
     N_("unknown field `%(field)s` (did you mean `%(close)s`? allowed here: %(allowed)s)")),
    (r"unknown field `(?P<field>[^`]+)` \(allowed here: (?P<allowed>.*)\)",
     N_("unknown field `%(field)s` (allowed here: %(allowed)s)")),
    (r"text must not be empty", N_("text must not be empty")),
    (r"the `(?P<lang>[^`]+)` text must not be empty", N_("the `%(lang)s` text must not be empty")),
    (r"translated text needs an English \(`en`\) version", N_("translated text needs an English (`en`) version")),
    (r"a (?P<qtype>\w+) question needs `(?P<field>\w+)`", N_("a %(qtype)s question needs `%(field)s`")),
    (r"`(?P<field>\w+)` only applies to (?P<users>.+) questions \(this one is (?P<qtype>\w+)\)",
     N_("`%(field)s` only applies to %(users)s questions (this one is %(qtype)s)")),
    (r"needs at least one option", N_("needs at least one option")),
    (r"option key (?P<key>.+) is used twice in this question", N_("option key %(key)s is used twice in this question")),
    (r"the last band must have neither `min` nor `max`, so that every value matches a band",
     N_("the last band must have neither `min` nor `max`, so that every value matches a band")),
    (r"all bands of a question use the same side: either every band has `max` or every band has `min`",
     N_("all bands of a question use the same side: either every band has `max` or every band has `min`")),
    (r"bands must be written in order: each `max` larger than the one before",
     N_("bands must be written in order: each `max` larger than the one before")),
    (r"bands must be written in order: each `min` smaller than the one before",
     N_("bands must be written in order: each `min` smaller than the one before")),
    (r"a band has either `max` or `min`, not both", N_("a band has either `max` or `min`, not both")),
    (r"`max` \((?P<high>.+)\) must be larger than `min` \((?P<low>.+)\)",
     N_("`max` (%(high)s) must be larger than `min` (%(low)s)")),
    (r"a note takes no answer, so it cannot be `required`", N_("a note takes no answer, so it cannot be `required`")),
    (r"a note earns no points, so it cannot have a `weight`",
     N_("a note earns no points, so it cannot have a `weight`")),
    (r"a (?P<qtype>\w+) question with a weight above 0 needs `bands` to turn values into points",
     N_("a %(qtype)s question with a weight above 0 needs `bands` to turn values into points")),
    (r"a note cannot be critical: it takes no answer", N_("a note cannot be critical: it takes no answer")),
    (r"a critical question must carry points \(weight above 0\), otherwise it can never fail",
     N_("a critical question must carry points (weight above 0), otherwise it can never fail")),
    (r"a critical question must be able to fail, but every option earns full points",
     N_("a critical question must be able to fail, but every option earns full points")),
    (r"a critical question must be able to fail, but every band earns full points",
     N_("a critical question must be able to fail, but every band earns full points")),
    (r"a critical question must be able to fail, but any answer to a (?P<qtype>\w+) question earns full points",
     N_("a critical question must be able to fail, but any answer to a %(qtype)s question earns full points")),
    (r"a critical with `effect: cap` needs `cap: P` \(a percentage\)",
     N_("a critical with `effect: cap` needs `cap: P` (a percentage)")),
    (r"a section needs at least one question", N_("a section needs at least one question")),
    (r"a checklist needs at least one section", N_("a checklist needs at least one section")),
    (r"needs at least one grade band \(the last with `min: 0`\)",
     N_("needs at least one grade band (the last with `min: 0`)")),
    (r"grade bands go from the highest `min` down, each `min` lower than the one before",
     N_("grade bands go from the highest `min` down, each `min` lower than the one before")),
    (r"the last grade band must have `min: 0`, so every score gets a grade",
     N_("the last grade band must have `min: 0`, so every score gets a grade")),
    (r"the key (?P<key>.+) is already used at (?P<where>\S+); every section and question needs its own key",
     N_("the key %(key)s is already used at %(where)s; every section and question needs its own key")),
    (r"(?P<what>.+) must be a number \(like 2, 0\.25 or \"1/3\"\), got (?P<got>.+)",
     N_("%(what)s must be a number (like 2, 0.25 or \"1/3\"), got %(got)s")),
    (r"(?P<what>.+) must be between (?P<low>\S+) and (?P<high>\S+) \(got (?P<got>.+)\)",
     N_("%(what)s must be between %(low)s and %(high)s (got %(got)s)")),
    (r"(?P<what>.+) must be at least (?P<low>\S+) \(got (?P<got>.+)\)",
     N_("%(what)s must be at least %(low)s (got %(got)s)")),
    (r"(?P<what>.+) must not be negative \(got (?P<got>.+)\)", N_("%(what)s must not be negative (got %(got)s)")),
    (r"expected a whole number, got (?P<got>.+)", N_("expected a whole number, got %(got)s")),
    (r"expected true or false, got (?P<got>.+)", N_("expected true or false, got %(got)s")),
    (r"show_if takes `equals` or `in`, not both", N_("show_if takes `equals` or `in`, not both")),
    (r"show_if needs `equals: value` or `in: \[values\]`", N_("show_if needs `equals: value` or `in: [values]`")),
    (r"a question cannot depend on itself", N_("a question cannot depend on itself")),
    (r"question (?P<key>.+) comes later in the checklist; show_if may only name an earlier question",
     N_("question %(key)s comes later in the checklist; show_if may only name an earlier question")),
    (r"there is no question (?P<key>\S+) in this checklist", N_("there is no question %(key)s in this checklist")),
    (r"kpi `(?P<kpi>\w+)` needs a (?P<wanted>.+) question \(this one is (?P<qtype>\w+)\)",
     N_("kpi `%(kpi)s` needs a %(wanted)s question (this one is %(qtype)s)")),
    (r"kpi `csat` needs a scale from 1 to 5", N_("kpi `csat` needs a scale from 1 to 5")),
    (r"section weights only apply with `scoring: weighted_sections`; this checklist uses `scoring: points`, "
     r"so remove the weight",
     N_("section weights only apply with `scoring: weighted_sections`; this checklist uses `scoring: points`, "
        "so remove the weight")),
    (r"not valid YAML: nested too deeply", N_("not valid YAML: nested too deeply")),
    (r"not valid YAML: (?P<error>.+)", N_("not valid YAML: %(error)s")),
    (r"the top level must be a mapping \(`key: value` lines\)",
     N_("the top level must be a mapping (`key: value` lines)")),
    (r"the key of a checklist cannot change between versions",
     N_("the key of a checklist cannot change between versions")),
))


def problem_text(message: str) -> str:
    """One problem's message in the reader's language (English when no pattern knows it)."""
    for pattern, msgid in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            # The message id is the English template itself, so an untranslated one reads as before.
            return gettext(msgid, **values) if values else gettext(msgid)
    return message


def problem_line(problem: scoring.Problem) -> str:
    """A problem as the `path: message` line the editor lists, in the reader's language."""
    text = problem_text(problem.message)
    return f"{problem.path}: {text}" if problem.path else text
