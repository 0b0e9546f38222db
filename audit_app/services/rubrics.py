"""Rubrics: drafts and their editing, publishing and retiring versions, YAML.

What changed between versions is `services.rubric_diff`; what-if and re-scoring are `services.scores.rescoring`.

A draft's definition is always a valid checklist: every edit goes through `scoring.parse_checklist`, and an edit
that the schema rejects raises `RubricProblemsError` with every problem and its path, and stores nothing.
Published and retired versions never change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scoring
from audit_app.models import Checklist, ChecklistVersion, User, Visit
from audit_app.services import audit, webhooks
from audit_app.services.checklists import YamlTextError, load_yaml_text, retire_replaced_versions
from audit_app.services.errors import N_, NotFoundError, ServiceError

Definition = dict[str, Any]


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
    return import_definition(session, actor, data, now=now)


def import_definition(session: Session, actor: User | None, data: Definition, *, now: datetime,
                      source: dict[str, Any] | None = None) -> VersionInfo:
    """Store a checklist definition (from YAML, an XLSForm, ...) as a new draft: of the checklist with its key,
    or of a new checklist. `source` is added to the audit entry (where the definition came from).

    Raises RubricProblemsError (schema problems), RubricError when that checklist already has a draft.
    """
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
                 entity_id=draft.id, now=now, after={"key": record.key, "number": draft.number, **(source or {})})
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
    webhooks.emit(session, "checklist.published", resource_id=checklist.id, now=now, key=checklist.key,
                  version=draft.number)
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


def set_min_minutes(session: Session, actor: User, checklist_id: int, minutes: int | None, *, now: datetime) -> None:
    """Set the shortest plausible visit of a checklist in minutes (None: the programme's default); faster visits
    are flagged by the proof-of-visit checks. Logged. Raises NotFoundError."""
    checklist = session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFoundError(N_("No such checklist."))
    before = checklist.min_minutes
    checklist.min_minutes = minutes
    audit.record(session, actor=actor, action="checklist.min_minutes", entity_type="checklist",
                 entity_id=checklist.id, now=now, before={"min_minutes": before}, after={"min_minutes": minutes})
    session.commit()
