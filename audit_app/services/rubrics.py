"""Rubrics: drafts and their editing, publishing and retiring versions, diffs, YAML, what-if and re-scoring.

A draft's definition is always a valid checklist: every edit goes through `scoring.parse_checklist`, and an edit
that the schema rejects raises `RubricProblemsError` with every problem and its path, and stores nothing.
Published and retired versions never change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Checklist, ChecklistVersion, Store, User, Visit, VisitScore
from audit_app.services import audit, scorecards
from audit_app.services.checklists import YamlTextError, load_yaml_text, retire_replaced_versions
from audit_app.services.definitions import checklist_from_definition
from audit_app.services.errors import N_, Listing, Message, NotFoundError, ServiceError, message
from audit_app.services.visits import visit_answers
from audit_app.services.words import LABELS

Definition = dict[str, Any]
# Visits whose stored score stands (or may stand again): what-if and re-scoring look at these.
SCORED_STATUSES = ("submitted", "approved", "returned")


class RubricError(ServiceError):
    pass


class RubricProblemsError(RubricError):
    """The schema rejected a definition; `problems` lists each `scoring.Problem` (path and message)."""

    def __init__(self, problems: list[scoring.Problem]) -> None:
        self.problems = problems
        super().__init__(f"The checklist has {len(problems)} problem(s); nothing was saved.")


class NotADraftError(RubricError):
    def __init__(self) -> None:
        super().__init__("Only a draft can be changed; published and retired versions never change.")


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    id: int
    checklist_id: int
    checklist_key: str
    checklist_title: str
    number: int
    status: str
    created_at: datetime
    published_at: datetime | None
    published_by: str | None
    definition: Definition
    visits: int


def _info(session: Session, version: ChecklistVersion, visits: int | None = None) -> VersionInfo:
    checklist = session.get(Checklist, version.checklist_id)
    publisher = session.get(User, version.published_by_id) if version.published_by_id else None
    if visits is None:
        visits = session.scalar(select(func.count(Visit.id)).where(Visit.checklist_version_id == version.id)) or 0
    return VersionInfo(version.id, checklist.id, checklist.key, checklist.title, version.number, version.status,
                       version.created_at, version.published_at, publisher.name if publisher else None,
                       copy.deepcopy(version.definition), visits)


def get_version(session: Session, version_id: int) -> VersionInfo:
    """One version with its definition; raises NotFoundError."""
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    return _info(session, version)


def get_checklist(session: Session, checklist_id: int) -> tuple[Checklist, list[VersionInfo]]:
    """A checklist and its versions, newest first; raises NotFoundError."""
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFoundError(N_("No such checklist."))
    counts = dict(session.execute(
        select(Visit.checklist_version_id, func.count(Visit.id)).join(ChecklistVersion)
        .where(ChecklistVersion.checklist_id == checklist_id).group_by(Visit.checklist_version_id)
    ).all())
    versions = session.scalars(select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist_id)
                               .order_by(ChecklistVersion.number.desc()))
    return checklist, [_info(session, v, counts.get(v.id, 0)) for v in versions]


def _load_draft(session: Session, version_id: int) -> ChecklistVersion:
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    if version.status != "draft":
        raise NotADraftError()
    return version


def validate(data: Definition) -> Definition:
    """The definition as the schema resolves it; raises RubricProblemsError with every problem."""
    try:
        return scoring.checklist_to_data(scoring.parse_checklist(data))
    except scoring.ChecklistError as error:
        raise RubricProblemsError(list(error.problems)) from None


# --- creating drafts ---------------------------------------------------------------------------


def starter_definition(key: str, title: str, channel: str) -> Definition:
    """The smallest useful checklist: one section with one yes/no question, and three grades."""
    return {
        "key": key, "title": title, "channel": channel, "scoring": "weighted_sections",
        "grades": [{"min": 90, "label": "Excellent"}, {"min": 75, "label": "Good"}, {"min": 0, "label": "Needs work"}],
        "sections": [{"key": "general", "title": "General", "weight": 1, "questions": [
            {"key": "greeted", "type": "yes_no", "text": "Were you greeted within a minute of entering?"}]}],
    }


def create_checklist(session: Session, actor: User, *, key: str, title: str, channel: str,
                     now: datetime) -> VersionInfo:
    """A new checklist with a draft version 1; raises RubricError for a key in use, RubricProblemsError."""
    definition = validate(starter_definition(key, title, channel))
    if session.scalar(select(Checklist.id).where(Checklist.key == key)) is not None:
        raise RubricError(N_("A checklist with the key %(key)s already exists."), key=key)
    record = Checklist(key=key, title=title, channel=channel, allow_unassigned=False, created_at=now)
    session.add(record)
    session.flush()
    version = ChecklistVersion(checklist_id=record.id, number=1, definition=definition, status="draft",
                               created_at=now)
    session.add(version)
    session.flush()
    audit.record(session, actor=actor, action="checklist.create", entity_type="checklist", entity_id=record.id,
                 now=now, after={"key": key, "title": title})
    session.commit()
    return _info(session, version, 0)


def _existing_draft(session: Session, checklist_id: int) -> ChecklistVersion | None:
    return session.scalar(select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist_id,
                                                         ChecklistVersion.status == "draft"))


def _next_number(session: Session, checklist_id: int) -> int:
    top = session.scalar(select(func.max(ChecklistVersion.number)).where(ChecklistVersion.checklist_id == checklist_id))
    return (top or 0) + 1


def start_draft(session: Session, actor: User, version_id: int, *, now: datetime) -> VersionInfo:
    """A new draft copying `version_id`'s definition; raises RubricError when the checklist has a draft already."""
    source = session.get(ChecklistVersion, version_id)
    if source is None:
        raise NotFoundError(N_("No such checklist version."))
    if _existing_draft(session, source.checklist_id) is not None:
        raise RubricError(N_("This checklist already has a draft: edit or discard it first."))
    draft = ChecklistVersion(checklist_id=source.checklist_id, number=_next_number(session, source.checklist_id),
                             definition=copy.deepcopy(source.definition), status="draft", created_at=now)
    session.add(draft)
    session.flush()
    audit.record(session, actor=actor, action="checklist.draft", entity_type="checklist_version", entity_id=draft.id,
                 now=now, after={"number": draft.number, "from_number": source.number})
    session.commit()
    return _info(session, draft, 0)


def import_yaml(session: Session, actor: User, text: str, *, now: datetime) -> VersionInfo:
    """Read a checklist from YAML into a new draft: of the checklist with its key, or of a new checklist.

    Raises RubricProblemsError (YAML or schema problems), RubricError when that checklist already has a draft.
    """
    try:
        data = load_yaml_text(text)
    except YamlTextError as error:
        raise RubricProblemsError([scoring.Problem("", f"not valid YAML: {error}")]) from None
    if not isinstance(data, dict):
        raise RubricProblemsError([scoring.Problem("", "the top level must be a mapping (`key: value` lines)")])
    definition = validate(data)
    record = session.scalar(select(Checklist).where(Checklist.key == definition["key"]))
    if record is None:
        record = Checklist(key=definition["key"], title=_english(definition["title"]), channel=definition["channel"],
                           allow_unassigned=False, created_at=now)
        session.add(record)
        session.flush()
    elif _existing_draft(session, record.id) is not None:
        raise RubricError(N_("This checklist already has a draft: discard it before importing another."))
    draft = ChecklistVersion(checklist_id=record.id, number=_next_number(session, record.id), definition=definition,
                             status="draft", created_at=now)
    session.add(draft)
    session.flush()
    audit.record(session, actor=actor, action="checklist.import", entity_type="checklist_version",
                 entity_id=draft.id, now=now, after={"key": record.key, "number": draft.number})
    session.commit()
    return _info(session, draft, 0)


def export_yaml(definition: Definition) -> str:
    """A version's definition as YAML text that `import_yaml` reads back identical."""
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)


def _english(text: Any) -> str:
    return text if isinstance(text, str) else str(text.get("en", ""))


# --- editing drafts ----------------------------------------------------------------------------


def edit_draft(session: Session, actor: User, version_id: int, change: Callable[[Definition], Definition], *,
               now: datetime) -> VersionInfo:
    """Apply `change` (a pure edit of the definition, see the `*_edit` helpers) to a draft and save it when valid.

    Raises NotADraftError, RubricProblemsError (nothing saved), RubricError from the edit itself.
    """
    draft = _load_draft(session, version_id)
    changed = change(copy.deepcopy(draft.definition))
    resolved = validate(changed)
    checklist = session.get(Checklist, draft.checklist_id)
    if resolved["key"] != checklist.key:
        raise RubricProblemsError([scoring.Problem("key", "the key of a checklist cannot change between versions")])
    draft.definition = resolved
    checklist.title = _english(resolved["title"])
    session.commit()
    return _info(session, draft, 0)


def discard_draft(session: Session, actor: User, version_id: int, *, now: datetime) -> int:
    """Delete a draft nobody has visited with; returns its checklist id. Raises NotADraftError."""
    draft = _load_draft(session, version_id)
    checklist_id = draft.checklist_id
    audit.record(session, actor=actor, action="checklist.discard", entity_type="checklist_version",
                 entity_id=draft.id, now=now, before={"number": draft.number})
    session.delete(draft)
    session.commit()
    return checklist_id


def settings_edit(*, title: Any, description: Any, channel: str, method: str,
                  grades: list[dict[str, Any]]) -> Callable[[Definition], Definition]:
    def change(data: Definition) -> Definition:
        data["title"] = title
        if description:
            data["description"] = description
        else:
            data.pop("description", None)
        data["channel"] = channel
        if method != data.get("scoring"):
            for section in data["sections"]:
                if method == "points":
                    section.pop("weight", None)
                else:
                    section.setdefault("weight", 1)
        data["scoring"] = method
        data["grades"] = grades
        return data
    return change


def section_edit(index: int | None, values: dict[str, Any]) -> Callable[[Definition], Definition]:
    """Change section `index` (key, title, weight), or add a new one at the end when index is None."""
    def change(data: Definition) -> Definition:
        sections = data["sections"]
        if index is None:
            section = {"questions": []}
            sections.append(section)
        else:
            section = _at(sections, index)
        section.update(values)
        if data.get("scoring") == "points":
            section.pop("weight", None)
        return data
    return change


def question_edit(section: int, index: int | None, question: dict[str, Any]) -> Callable[[Definition], Definition]:
    """Replace question `index` of a section, or append it when index is None."""
    def change(data: Definition) -> Definition:
        questions = _at(data["sections"], section)["questions"]
        if index is None:
            questions.append(question)
        else:
            _at(questions, index)
            questions[index] = question
        return data
    return change


def move_edit(section: int, question: int | None, step: int) -> Callable[[Definition], Definition]:
    """Move a section (question None) or a question up (-1) or down (+1); a question moves across sections
    at the edges."""
    def change(data: Definition) -> Definition:
        sections = data["sections"]
        if question is None:
            _swap(sections, section, step)
            return data
        questions = _at(sections, section)["questions"]
        _at(questions, question)
        target = question + step
        if 0 <= target < len(questions):
            _swap(questions, question, step)
        elif 0 <= section + step < len(sections):
            moving = questions.pop(question)
            neighbour = sections[section + step]["questions"]
            if step < 0:
                neighbour.append(moving)
            else:
                neighbour.insert(0, moving)
        else:
            raise RubricError(N_("That is already at the edge."))
        return data
    return change


def reorder_edit(section: int | None, order: list[int]) -> Callable[[Definition], Definition]:
    """Put a section's questions (or the sections, when section is None) in a new order of their indexes."""
    def change(data: Definition) -> Definition:
        items = data["sections"] if section is None else _at(data["sections"], section)["questions"]
        if sorted(order) != list(range(len(items))):
            raise RubricError(N_("The new order must name every item once."))
        items[:] = [items[i] for i in order]
        return data
    return change


def remove_edit(section: int, question: int | None) -> Callable[[Definition], Definition]:
    def change(data: Definition) -> Definition:
        sections = data["sections"]
        if question is None:
            _at(sections, section)
            del sections[section]
        else:
            questions = _at(sections, section)["questions"]
            _at(questions, question)
            del questions[question]
        return data
    return change


def _at(items: list[Any], index: int) -> Any:
    if not 0 <= index < len(items):
        raise RubricError(N_("That item no longer exists; reload the page."))
    return items[index]


def _swap(items: list[Any], index: int, step: int) -> None:
    _at(items, index)
    target = index + step
    if not 0 <= target < len(items):
        raise RubricError(N_("That is already at the edge."))
    items[index], items[target] = items[target], items[index]


# --- publishing --------------------------------------------------------------------------------


def publish_draft(session: Session, actor: User, version_id: int, *, now: datetime) -> VersionInfo:
    """Make a draft the checklist's published version: new visits use it, existing ones keep theirs, and the
    version it replaces is retired (both logged)."""
    draft = _load_draft(session, version_id)
    validate(draft.definition)
    draft.status = "published"
    draft.published_at = now
    draft.published_by_id = actor.id
    checklist = session.get(Checklist, draft.checklist_id)
    audit.record(session, actor=actor, action="checklist.publish", entity_type="checklist_version",
                 entity_id=draft.id, now=now, before={"status": "draft"},
                 after={"key": checklist.key, "number": draft.number, "status": "published"})
    retire_replaced_versions(session, draft, now=now, actor=actor)
    session.commit()
    return _info(session, draft)


def retire_version(session: Session, actor: User, version_id: int, *, now: datetime) -> VersionInfo:
    """Stop new visits on a published version (visits already made keep it). Raises RubricError."""
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    if version.status != "published":
        raise RubricError(N_("Only a published version can be retired."))
    version.status = "retired"
    audit.record(session, actor=actor, action="checklist.retire", entity_type="checklist_version",
                 entity_id=version.id, now=now, before={"status": "published"},
                 after={"number": version.number, "status": "retired"})
    session.commit()
    return _info(session, version)


# --- diff --------------------------------------------------------------------------------------


def _t(text: Any) -> str:
    return _english(text) if text is not None else ""


def _text(text: Any) -> Any:
    """Checklist text as a message parameter: shown in the reader's language when the checklist has it."""
    return text if text is not None else ""


def _bands_words(bands: list[dict[str, Any]]) -> Listing:
    parts = []
    for band in bands:
        if "max" in band:
            parts.append(message(N_("≤ %(limit)s → %(fraction)s"), limit=band["max"], fraction=band["fraction"]))
        elif "min" in band:
            parts.append(message(N_("≥ %(limit)s → %(fraction)s"), limit=band["min"], fraction=band["fraction"]))
        else:
            parts.append(message(N_("otherwise → %(fraction)s"), fraction=band["fraction"]))
    return Listing(tuple(parts))


def _options_words(options: list[dict[str, Any]]) -> Listing:
    return Listing(tuple(message(N_("%(text)s → %(fraction)s"), text=_text(o["text"]), fraction=o["fraction"])
                         for o in options))


def _label(kind: str, value: Any) -> Any:
    """A stored key (a question type, scoring method, KPI, critical effect) as its words, translated when shown."""
    words = LABELS[kind].get(str(value)) if value is not None else None
    return message(words) if words else value


def _critical_words(critical: dict[str, Any] | None) -> Message:
    if not critical:
        return message(N_("not critical"))
    if critical["effect"] == "cap":
        return message(N_("critical: caps the visit at %(cap)s%%"), cap=critical["cap"])
    return _label("effect", critical["effect"])


def _yes_no(value: Any) -> Message:
    return message(N_("yes")) if value else message(N_("no"))


def _audience_words(value: Any) -> Message:
    return message(N_("head office only")) if value == "head_office" else message(N_("everyone"))


_QUESTION_FIELDS: tuple[tuple[str, str, Callable[[Any], Any] | None], ...] = (
    ("type", N_("type"), lambda v: _label("question_type", v)),
    ("text", N_("text"), _text),
    ("help", N_("help"), _text),
    ("weight", N_("weight"), str),
    ("required", N_("required"), _yes_no),
    ("allow_na", N_("N/A allowed"), _yes_no),
    ("good", N_("good answer"), lambda v: _yes_no(v == "yes")),
    ("min", N_("scale minimum"), str),
    ("max", N_("scale maximum"), str),
    ("options", N_("options"), _options_words),
    ("bands", N_("bands"), _bands_words),
    ("critical", N_("critical"), _critical_words),
    ("show_if", N_("show if"), None),  # worded with the checklist's question texts, in diff_definitions
    ("kpi", N_("KPI"), lambda v: _label("kpi", v)),
    ("audience", N_("who sees the answer"), _audience_words),
)


def _grades_words(grades: list[dict[str, Any]]) -> Listing:
    return Listing(tuple(message(N_("%(label)s from %(min)s%%"), label=_text(g["label"]), min=g["min"])
                         for g in grades))


def diff_definitions(old: Definition, new: Definition) -> list[Message]:
    """What changed from `old` to `new`, one plain sentence each. Questions are matched by key and named by their
    text, sections by their title, types, methods and effects in words. Each is a Message: `str()` gives English,
    `audit_app.i18n.message_text` the reader's language."""
    lines: list[Message] = []
    if _t(old["title"]) != _t(new["title"]):
        lines.append(message(N_("Title changed from “%(old)s” to “%(new)s”."), old=_text(old["title"]),
                             new=_text(new["title"])))
    if old.get("scoring") != new.get("scoring"):
        lines.append(message(N_("Scoring method changed from %(old)s to %(new)s."),
                             old=_label("method", old.get("scoring")), new=_label("method", new.get("scoring"))))
    old_grades, new_grades = _grades_words(old["grades"]), _grades_words(new["grades"])
    if str(old_grades) != str(new_grades):
        lines.append(message(N_("Grades changed from %(old)s to %(new)s."), old=old_grades, new=new_grades))
    old_sections = {s["key"]: s for s in old["sections"]}
    new_sections = {s["key"]: s for s in new["sections"]}
    for key, section in new_sections.items():
        if key not in old_sections:
            lines.append(message(N_("Section “%(title)s” added with %(n)s question(s)."),
                                 title=_text(section["title"]), n=len(section["questions"])))
            continue
        before = old_sections[key]
        if _t(before["title"]) != _t(section["title"]):
            lines.append(message(N_("Section “%(old)s” renamed to “%(new)s”."), old=_text(before["title"]),
                                 new=_text(section["title"])))
        if before.get("weight") != section.get("weight"):
            lines.append(message(N_("Section “%(title)s” weight changed from %(old)s to %(new)s."),
                                 title=_text(section["title"]), old=before.get("weight", "—"),
                                 new=section.get("weight", "—")))
    for key, section in old_sections.items():
        if key not in new_sections:
            lines.append(message(N_("Section “%(title)s” removed."), title=_text(section["title"])))
    old_questions = {q["key"]: (s, q) for s in old["sections"] for q in s["questions"]}
    new_questions = {q["key"]: (s, q) for s in new["sections"] for q in s["questions"]}
    texts = {key: question["text"] for key, (_, question) in {**old_questions, **new_questions}.items()}

    def show_if_words(value: Any) -> Message:
        if not value:
            return message(N_("always shown"))
        answers = value.get("in", [value.get("equals")])
        return message(N_("“%(question)s” is answered %(value)s"),
                       question=_text(texts.get(value["question"], value["question"])),
                       value=", ".join(str(a) for a in answers))

    moved = False
    for key, (section, question) in new_questions.items():
        if key not in old_questions:
            lines.append(message(N_("Question “%(text)s” (%(type)s) added to section “%(section)s”."),
                                 text=_text(question["text"]), type=_label("question_type", question["type"]),
                                 section=_text(section["title"])))
            continue
        old_section, before = old_questions[key]
        # A question whose text changed is named by its old text, the one the reader knows.
        name = _text(before["text"])
        if old_section["key"] != section["key"]:
            moved = True
            lines.append(message(N_("Question “%(text)s” moved from section “%(old)s” to “%(new)s”."), text=name,
                                 old=_text(old_section["title"]), new=_text(section["title"])))
        for field, label, words in _QUESTION_FIELDS:
            was, now = before.get(field), question.get(field)
            if was != now:
                words = words or show_if_words
                said = [words(v) if v is not None or field in ("critical", "show_if", "audience") else "—"
                        for v in (was, now)]
                lines.append(message(N_("Question “%(text)s”: %(field)s changed from “%(old)s” to “%(new)s”."),
                                     text=name, field=message(label), old=said[0], new=said[1]))
    for key, (_, question) in old_questions.items():
        if key not in new_questions:
            lines.append(message(N_("Question “%(text)s” removed."), text=_text(question["text"])))
    old_order = [k for k in old_questions if k in new_questions]
    new_order = [k for k in new_questions if k in old_questions]
    if old_order != new_order and not moved:
        lines.append(message(N_("The order of questions changed.")))
    return lines


def diff_versions(session: Session, old_id: int, new_id: int) -> tuple[VersionInfo, VersionInfo, list[Message]]:
    """Two versions of one checklist and what changed between them; raises NotFoundError, RubricError."""
    old, new = get_version(session, old_id), get_version(session, new_id)
    if old.checklist_id != new.checklist_id:
        raise RubricError(N_("Both versions must belong to the same checklist."))
    return old, new, diff_definitions(old.definition, new.definition)


# --- what-if and re-scoring --------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfRow:
    store_id: int
    store_name: str
    visits: int
    old_percent: float | None
    new_percent: float | None
    old_rank: int | None
    new_rank: int | None

    @property
    def change(self) -> float | None:
        if self.old_percent is None or self.new_percent is None:
            return None
        return self.new_percent - self.old_percent

    @property
    def rank_movement(self) -> int | None:
        """Places moved up (positive) or down (negative)."""
        if self.old_rank is None or self.new_rank is None:
            return None
        return self.old_rank - self.new_rank


@dataclass(frozen=True)
class WhatIf:
    version: VersionInfo
    visits: int
    dropped_answers: int
    rows: list[WhatIfRow]


def _rescore(checklist: scoring.Checklist, answers: dict[str, Any]) -> tuple[scoring.ScoreCard, int]:
    """Score stored answers under another version: answers to questions it lacks, or that it no longer
    accepts, are left out (and counted)."""
    keys = {question.key for _, question in checklist.questions()}
    kept = {k: v for k, v in answers.items() if k in keys}
    dropped = len(answers) - len(kept)
    while True:
        try:
            return scoring.score(checklist, kept), dropped
        except scoring.AnswerError as error:
            kept.pop(error.question_key, None)
            dropped += 1


def _ranks(values: dict[int, float | None]) -> dict[int, int]:
    """Competition ranks (1 is best; equal values share a rank)."""
    scored = sorted((v for v in values.values() if v is not None), reverse=True)
    return {k: scored.index(v) + 1 for k, v in values.items() if v is not None}


def what_if(session: Session, version_id: int, *, last: int = 100) -> WhatIf:
    """Re-score the last `last` counted visits of the version's checklist under it, writing nothing.

    Per store: the mean of the stored visit percents (old), the mean under this version (new), and both ranks.
    """
    info = get_version(session, version_id)
    checklist = checklist_from_definition(info.definition)
    counted = scorecards.statuses_for(session)
    rows = session.execute(
        select(Visit.id, Visit.store_id, Store.name, VisitScore.percent)
        .join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .join(Store, Visit.store_id == Store.id)
        .join(VisitScore, (VisitScore.visit_id == Visit.id) & VisitScore.is_current.is_(True))
        .where(ChecklistVersion.checklist_id == info.checklist_id, Visit.status.in_(counted))
        .order_by(Visit.submitted_at.desc(), Visit.id.desc()).limit(last)
    ).all()
    old: dict[int, list[float]] = {}
    new: dict[int, list[float]] = {}
    names: dict[int, str] = {}
    counts: dict[int, int] = {}
    dropped_total = 0
    for visit_id, store_id, store_name, percent in rows:
        names[store_id] = store_name
        counts[store_id] = counts.get(store_id, 0) + 1
        card, dropped = _rescore(checklist, visit_answers(session, visit_id))
        dropped_total += dropped
        if percent is not None:
            old.setdefault(store_id, []).append(percent)
        if card.percent is not None:
            new.setdefault(store_id, []).append(float(card.percent))
    session.rollback()  # nothing was written; end the read transaction
    old_means = {s: (mean(old[s]) if s in old else None) for s in names}
    new_means = {s: (mean(new[s]) if s in new else None) for s in names}
    old_ranks, new_ranks = _ranks(old_means), _ranks(new_means)
    result = [
        WhatIfRow(s, names[s], counts[s], old_means[s], new_means[s], old_ranks.get(s), new_ranks.get(s))
        for s in names
    ]
    result.sort(key=lambda r: (r.new_rank is None, r.new_rank or 0, r.store_name))
    return WhatIf(info, len(rows), dropped_total, result)


def rescore_history(session: Session, actor: User, version_id: int, *, now: datetime) -> int:
    """Re-score every scored visit of the checklist under this published version, keeping the old scores.

    Each visit gets a new current VisitScore (the old ones stay, marked not current); one audit entry records
    who did it and how many visits changed. Returns that number. Raises RubricError for a draft or retired version.
    """
    version = session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFoundError(N_("No such checklist version."))
    if version.status != "published":
        raise RubricError(N_("History can only be re-scored under a published version."))
    checklist = checklist_from_definition(version.definition)
    visits = session.scalars(
        select(Visit).join(ChecklistVersion, Visit.checklist_version_id == ChecklistVersion.id)
        .where(ChecklistVersion.checklist_id == version.checklist_id, Visit.status.in_(SCORED_STATUSES))
        .order_by(Visit.id)
    ).all()
    for visit in visits:
        card, _ = _rescore(checklist, visit_answers(session, visit.id))
        scorecards.store_card(session, visit=visit, version_id=version.id, card=card, now=now, actor=actor)
    record = session.get(Checklist, version.checklist_id)
    audit.record(session, actor=actor, action="checklist.rescore", entity_type="checklist_version",
                 entity_id=version.id, now=now, after={"key": record.key, "number": version.number,
                                                       "visits": len(visits)},
                 detail=f"{len(visits)} visit(s) re-scored under version {version.number}; earlier scores kept")
    session.commit()
    return len(visits)


def set_allow_unassigned(session: Session, actor: User, checklist_id: int, allowed: bool, *, now: datetime) -> None:
    """Let shoppers fill in this checklist without an assignment (or stop them); logged. Raises NotFoundError."""
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFoundError(N_("No such checklist."))
    before = checklist.allow_unassigned
    checklist.allow_unassigned = allowed
    audit.record(session, actor=actor, action="checklist.unassigned", entity_type="checklist", entity_id=checklist.id,
                 now=now, before={"allow_unassigned": before}, after={"allow_unassigned": allowed})
    session.commit()
