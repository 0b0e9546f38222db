"""What changed between two versions of a checklist, one plain sentence each (for head office, and the audit log).

Questions are matched by key and named by their text, sections by their title, types, methods and effects in
words. Each line is a `Message`: `str()` gives English, `audit_app.i18n.message_text` the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from audit_app.services.errors import N_, Listing, Message, message
from audit_app.services.rubrics import Definition, RubricError, VersionInfo, get_version
from audit_app.services.words import LABELS


def _english(text: Any) -> str:
    return text if isinstance(text, str) else str(text.get("en", ""))


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


def _action_words(rule: dict[str, Any] | None) -> Message:
    if not rule:
        return message(N_("no action of its own"))
    if rule.get("create") is False:
        return message(N_("never creates an action"))
    assignee = message(N_("the store's manager")) if rule.get("assignee", "store_manager") == "store_manager" \
        else message(N_("the area manager"))
    words = message(N_("%(priority)s priority, due in %(days)s days, for %(assignee)s"),
                    priority=_label("priority", rule.get("priority", "medium")), days=rule.get("due_in_days", 7),
                    assignee=assignee)
    if rule.get("title"):
        words = message(N_("%(rule)s: “%(title)s”"), rule=words, title=_text(rule["title"]))
    if rule.get("evidence"):
        words = message(N_("%(rule)s, with a photo as evidence"), rule=words)
    return words


def _part_actions_words(parts: list[tuple[Any, dict[str, Any]]]) -> Listing:
    return Listing(tuple(message(N_("%(target)s: %(rule)s"), target=target, rule=_action_words(rule))
                         for target, rule in parts))


def _with_rules_apart(question: dict[str, Any]) -> dict[str, Any]:
    """The question with its options' and bands' actions moved into one field of their own, so a changed action
    reads as such and not as changed options or bands."""
    copy = dict(question)
    parts: list[tuple[Any, dict[str, Any]]] = []
    for name in ("options", "bands"):
        if copy.get(name):
            items = []
            for index, item in enumerate(copy[name], start=1):
                item = dict(item)
                rule = item.pop("action", None)
                if rule is not None:
                    target = _text(item["text"]) if name == "options" else message(N_("band %(n)s"), n=index)
                    parts.append((target, rule))
                items.append(item)
            copy[name] = items
    if parts:
        copy["part_actions"] = parts
    return copy


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
    ("action", N_("corrective action"), _action_words),
    ("part_actions", N_("corrective actions of options and bands"), _part_actions_words),
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
    old_questions = {q["key"]: (s, _with_rules_apart(q)) for s in old["sections"] for q in s["questions"]}
    new_questions = {q["key"]: (s, _with_rules_apart(q)) for s in new["sections"] for q in s["questions"]}
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
                said = [words(v) if v is not None or field in ("critical", "show_if", "audience", "action")
                        else "—"
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
