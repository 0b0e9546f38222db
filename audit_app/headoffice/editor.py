"""Between the rubric editor's forms and checklist data: text fields in, definition dicts out, and the schema's
problem paths mapped back onto the form field they concern."""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from functools import reduce
from typing import Any

from flask_babel import gettext as _

import scoring
from audit_app.headoffice.problems import problem_line, problem_text
from audit_app.services import rubrics


class LineError(ValueError):
    """A line of a multi-line field that cannot be read; the message names the line."""


def text_value(en: str, ja: str = "") -> Any:
    en, ja = (en or "").strip(), (ja or "").strip()
    if not en:
        return ""
    return {"en": en, "ja": ja} if ja else en


def keep_translations(old: Any, english: str) -> Any:
    """The new English text, keeping the old translations when the English did not change."""
    english = (english or "").strip()
    if isinstance(old, dict) and old.get("en") == english:
        return old
    return english


def text_parts(value: Any) -> tuple[str, str]:
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, ""
    return value.get("en", ""), value.get("ja", "")


def _number(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def parse_options(text: str) -> list[dict[str, Any]]:
    options = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise LineError(_("Line %(n)d: write key | text | fraction.", n=number))
        option: dict[str, Any] = {"key": parts[0], "text": text_value(parts[1], parts[3] if len(parts) > 3 else "")}
        if len(parts) > 2 and parts[2]:
            option["fraction"] = _number(parts[2])
        options.append(option)
    return options


def options_text(options: list[dict[str, Any]]) -> str:
    lines = []
    for option in options:
        en, ja = text_parts(option["text"])
        line = f"{option['key']} | {en} | {option.get('fraction', 0)}"
        lines.append(f"{line} | {ja}" if ja else line)
    return "\n".join(lines)


_BAND = re.compile(r"\s*(max|min|<=|≤|>=|≥|otherwise|else)\s*([^:]*?)\s*:\s*(\S+)\s*", re.IGNORECASE)


def parse_bands(text: str) -> list[dict[str, Any]]:
    bands = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _BAND.fullmatch(line)
        if not match:
            raise LineError(_("Line %(n)d: write “max 120: 1”, “min 10: 0.5” or “otherwise: 0”.", n=number))
        side, limit, fraction = match.group(1).lower(), match.group(2), match.group(3)
        band: dict[str, Any] = {}
        if side in ("max", "<=", "≤", "min", ">=", "≥"):
            if not limit:
                raise LineError(_("Line %(n)d: the band needs a limit, like “max 120: 1”.", n=number))
            band["max" if side in ("max", "<=", "≤") else "min"] = _number(limit)
        band["fraction"] = _number(fraction)
        bands.append(band)
    return bands


def bands_text(bands: list[dict[str, Any]]) -> str:
    lines = []
    for band in bands:
        if "max" in band:
            lines.append(f"max {band['max']}: {band['fraction']}")
        elif "min" in band:
            lines.append(f"min {band['min']}: {band['fraction']}")
        else:
            lines.append(f"otherwise: {band['fraction']}")
    return "\n".join(lines)


def _points_words(fraction: Any) -> str:
    share = Fraction(str(fraction))
    if share == 1:
        return _("all the points")
    if share == 0:
        return _("no points")
    return _("%(fraction)s of the points", fraction=fraction)


def bands_words(bands: list[dict[str, Any]], qtype: str) -> str:
    """Bands in words, in the order they are tried (the first that matches counts): what the outline shows."""
    seconds = qtype == "duration"
    parts = []
    for band in bands:
        points = _points_words(band["fraction"])
        if "max" in band:
            parts.append(_("%(limit)s s or less: %(points)s", limit=band["max"], points=points) if seconds else
                         _("%(limit)s or less: %(points)s", limit=band["max"], points=points))
        elif "min" in band:
            parts.append(_("%(limit)s s or more: %(points)s", limit=band["min"], points=points) if seconds else
                         _("%(limit)s or more: %(points)s", limit=band["min"], points=points))
        else:
            parts.append(_("otherwise: %(points)s", points=points))
    # Joined as the reader's language joins a list ("; " in English, "、" in Japanese).
    return reduce(lambda first, rest: _("%(first)s; %(next)s", first=first, next=rest), parts) if parts else ""


def parse_grades(text: str) -> list[dict[str, Any]]:
    grades = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise LineError(_("Line %(n)d: write minimum | label.", n=number))
        grades.append({"min": _number(parts[0]), "label": text_value(parts[1], parts[2] if len(parts) > 2 else "")})
    return grades


def grades_text(grades: list[dict[str, Any]]) -> str:
    lines = []
    for grade in grades:
        en, ja = text_parts(grade["label"])
        lines.append(f"{grade['min']} | {en}" + (f" | {ja}" if ja else ""))
    return "\n".join(lines)


def _rule_words() -> tuple[dict[str, str], dict[str, str], str]:
    """The words the option and band rules are written with, in the reader's language: priorities, assignees,
    and the word for a band ("band 3")."""
    priorities = {"low": _("low"), "medium": _("medium"), "high": _("high"), "critical": _("critical")}
    assignees = {"store_manager": _("store"), "area_manager": _("area")}
    return priorities, assignees, _("band")


def _read_word(text: str, words: dict[str, str]) -> str:
    """A key from its word in the reader's language or in English (a key unknown to both is kept, for the
    schema to name)."""
    text = text.strip().lower()
    english = {"store": "store_manager", "area": "area_manager"}
    for key, word in words.items():
        if text in (key, word.lower()):
            return key
    return english.get(text, text)


def _band_number(target: str, band_word: str) -> int | None:
    match = re.fullmatch(rf"(?:band|{re.escape(band_word)})\s*(\d+)", target.strip(), re.IGNORECASE)
    return int(match.group(1)) if match else None


def parse_action_rules(text: str) -> dict[str, dict[str, Any]]:
    """Option and band rules by target (an option key, or "band 3"); raises LineError naming the line."""
    priorities, assignees, band_word = _rule_words()
    rules: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 4 or not parts[0]:
            raise LineError(_("Line %(n)d: write option key (or band 3) | priority | due in days | assignee | title.",
                              n=number))
        rule: dict[str, Any] = {"priority": _read_word(parts[1], priorities), "due_in_days": _number(parts[2]),
                                "assignee": _read_word(parts[3], assignees)}
        title = text_value(parts[4] if len(parts) > 4 else "", parts[5] if len(parts) > 5 else "")
        if title:
            rule["title"] = title
        band = _band_number(parts[0], band_word)
        rules[f"band {band}" if band is not None else parts[0]] = rule
    return rules


def action_rules_text(question: dict[str, Any]) -> str:
    """The option and band rules of a question as the form's lines, in the reader's words."""
    priorities, assignees, band_word = _rule_words()
    lines = []
    targets = [(o["key"], o) for o in question.get("options", [])] + \
        [(f"{band_word} {i}", b) for i, b in enumerate(question.get("bands", []), start=1)]
    for target, item in targets:
        rule = item.get("action")
        if rule:
            en, ja = text_parts(rule.get("title"))
            priority = rule.get("priority", "medium")
            assignee = rule.get("assignee", "store_manager")
            line = f"{target} | {priorities.get(priority, priority)} | {rule.get('due_in_days', 7)} | " \
                   f"{assignees.get(assignee, assignee)}"
            if en:
                line += f" | {en}" + (f" | {ja}" if ja else "")
            lines.append(line)
    return "\n".join(lines)


def _question_rule(form: Any) -> dict[str, Any] | None:
    mode = form.action_mode.data
    if mode == "off":
        return {"create": False}
    if mode != "rule":
        return None
    rule: dict[str, Any] = {"priority": form.action_priority.data, "assignee": form.action_assignee.data,
                            "due_in_days": _number(form.action_due_days.data or "7")}
    title = text_value(form.action_title_en.data, form.action_title_ja.data)
    if title:
        rule["title"] = title
    guidance = text_value(form.action_guidance_en.data, form.action_guidance_ja.data)
    if guidance:
        rule["guidance"] = guidance
    rule["evidence"] = bool(form.action_evidence.data)
    return rule


def _attach_rules(question: dict[str, Any], rules: dict[str, dict[str, Any]], old: dict[str, Any]) -> list[str]:
    """Put option and band rules on their options and bands (keeping guidance and evidence of an unchanged
    target's old rule); returns the targets that name no option or band."""
    old_rules = {o["key"]: o.get("action") for o in old.get("options", [])}
    old_rules.update({f"band {i}": b.get("action") for i, b in enumerate(old.get("bands", []), start=1)})
    unknown = set(rules)
    for target, item in [(o["key"], o) for o in question.get("options", [])] + \
            [(f"band {i}", b) for i, b in enumerate(question.get("bands", []), start=1)]:
        if target in rules:
            rule = dict(rules[target])
            previous = old_rules.get(target) or {}
            for kept in ("guidance", "evidence"):
                if kept in previous:
                    rule[kept] = previous[kept]
            item["action"] = rule
            unknown.discard(target)
    return sorted(unknown)


def _show_if_values(text: str) -> list[Any]:
    return [_number(v) for v in (part.strip() for part in text.split(",")) if v]


def question_from_form(form: Any, old: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The question dict a QuestionForm describes, and errors for lines it could not read (by field name).

    Fields that do not apply to the chosen type are left out, so a type change does not trip over old values.
    Translations the form does not show (scale labels, units) are kept from `old` while their English is unchanged.
    """
    old = old or {}
    qtype = form.type.data
    errors: dict[str, list[str]] = {}
    question: dict[str, Any] = {"key": form.key.data.strip(), "type": qtype,
                                "text": text_value(form.text_en.data, form.text_ja.data)}
    help_text = text_value(form.help_en.data, form.help_ja.data)
    if help_text:
        question["help"] = help_text
    if qtype != "note":
        if (form.weight.data or "").strip():
            question["weight"] = _number(form.weight.data)
        question["required"] = bool(form.required.data)
    question["allow_na"] = bool(form.allow_na.data)
    if qtype == "yes_no":
        question["good"] = form.good.data
    if qtype == "scale":
        question["min"], question["max"] = form.min.data, form.max.data
        for name in ("min_label", "max_label"):
            if (getattr(form, name).data or "").strip():
                question[name] = keep_translations(old.get(name), getattr(form, name).data)
    if qtype == "number" and (form.unit.data or "").strip():
        question["unit"] = keep_translations(old.get("unit"), form.unit.data)
    if qtype in ("choice", "multi"):
        try:
            question["options"] = parse_options(form.options.data or "")
        except LineError as error:
            errors["options"] = [str(error)]
    if qtype in ("number", "duration") and (form.bands.data or "").strip():
        try:
            question["bands"] = parse_bands(form.bands.data)
        except LineError as error:
            errors["bands"] = [str(error)]
    if form.critical_effect.data:
        critical: dict[str, Any] = {"effect": form.critical_effect.data}
        if (form.critical_cap.data or "").strip():
            critical["cap"] = _number(form.critical_cap.data)
        question["critical"] = critical
    if (form.show_if_question.data or "").strip():
        values = _show_if_values(form.show_if_values.data or "")
        show_if: dict[str, Any] = {"question": form.show_if_question.data.strip()}
        if len(values) == 1:
            show_if["equals"] = values[0]
        else:
            show_if["in"] = values
        question["show_if"] = show_if
    if form.kpi.data:
        question["kpi"] = form.kpi.data
    if form.head_office_only.data:
        question["audience"] = "head_office"
    rule = _question_rule(form)
    if rule is not None:
        question["action"] = rule
    try:
        unknown = _attach_rules(question, parse_action_rules(form.action_rules.data or ""), old)
    except LineError as error:
        errors["action_rules"] = [str(error)]
    else:
        if unknown:
            errors["action_rules"] = [_("No option or band is called %(names)s.", names=", ".join(unknown))]
    return question, errors


def fill_question_form(form: Any, question: dict[str, Any]) -> None:
    form.key.data = question["key"]
    form.type.data = question["type"]
    form.text_en.data, form.text_ja.data = text_parts(question["text"])
    form.help_en.data, form.help_ja.data = text_parts(question.get("help"))
    form.weight.data = str(question["weight"]) if "weight" in question else ""
    form.required.data = question.get("required", False)
    form.allow_na.data = question.get("allow_na", False)
    form.good.data = question.get("good", "yes")
    form.min.data, form.max.data = question.get("min"), question.get("max")
    form.min_label.data = text_parts(question.get("min_label"))[0]
    form.max_label.data = text_parts(question.get("max_label"))[0]
    form.unit.data = text_parts(question.get("unit"))[0]
    form.options.data = options_text(question.get("options", []))
    form.bands.data = bands_text(question.get("bands", []))
    critical = question.get("critical") or {}
    form.critical_effect.data = critical.get("effect", "")
    form.critical_cap.data = str(critical.get("cap", "")) if critical.get("cap") is not None else ""
    show_if = question.get("show_if") or {}
    form.show_if_question.data = show_if.get("question", "")
    values = show_if.get("in", [show_if["equals"]] if "equals" in show_if else [])
    form.show_if_values.data = ", ".join(str(v) for v in values)
    form.kpi.data = question.get("kpi", "")
    form.head_office_only.data = question.get("audience") == "head_office"
    rule = question.get("action")
    form.action_mode.data = "" if rule is None else ("off" if rule.get("create") is False else "rule")
    if rule and rule.get("create", True):
        form.action_priority.data = rule.get("priority", "medium")
        form.action_due_days.data = str(rule.get("due_in_days", 7))
        form.action_assignee.data = rule.get("assignee", "store_manager")
        form.action_title_en.data, form.action_title_ja.data = text_parts(rule.get("title"))
        form.action_guidance_en.data, form.action_guidance_ja.data = text_parts(rule.get("guidance"))
        form.action_evidence.data = bool(rule.get("evidence"))
    form.action_rules.data = action_rules_text(question)


_QUESTION_FIELD = {
    "key": "key", "type": "type", "text": "text_en", "help": "help_en", "weight": "weight", "required": "required",
    "allow_na": "allow_na", "good": "good", "min": "min", "max": "max", "min_label": "min_label",
    "max_label": "max_label", "unit": "unit", "options": "options", "bands": "bands", "critical": "critical_effect",
    "kpi": "kpi", "audience": "head_office_only", "action": "action_mode",
}
_PART = re.compile(r"\.?([A-Za-z_]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [m.group(1) if m.group(1) else int(m.group(2)) for m in _PART.finditer(path)]


def _with_index(message: str, rest: list[str | int], noun: str) -> str:
    index = next((p for p in rest if isinstance(p, int)), None)
    return _("%(noun)s %(n)d: %(message)s", noun=noun, n=index + 1, message=message) if index is not None else message


def map_problems(problems: list[scoring.Problem], prefix: str, fields: dict[str, str]) -> tuple[
        dict[str, list[str]], list[str]]:
    """Split schema problems into those of one part of the checklist (`prefix`, like `sections[1].questions[0]`),
    keyed by form field, and the others (as `path: message` lines)."""
    target = _parts(prefix)
    by_field: dict[str, list[str]] = {}
    others: list[str] = []
    for problem in problems:
        parts = _parts(problem.path)
        if parts[:len(target)] != target or len(parts) == len(target):
            if parts == target:
                by_field.setdefault("__all__", []).append(problem_text(problem))
            else:
                others.append(problem_line(problem))
            continue
        rest = parts[len(target):]
        head = rest[0]
        if head == "critical" and "cap" in rest:
            name = "critical_cap"
        elif head == "action" and len(rest) > 1:
            name = {"priority": "action_priority", "due_in_days": "action_due_days", "assignee": "action_assignee",
                    "title": "action_title_en", "guidance": "action_guidance_en"}.get(str(rest[1]), "action_mode")
        elif head in ("options", "bands") and "action" in rest:
            name = "action_rules"
        elif head == "show_if":
            name = "show_if_values" if any(p in ("equals", "in") for p in rest) else "show_if_question"
        else:
            name = fields.get(str(head), "")
        if not name:
            others.append(problem_line(problem))
            continue
        message = problem_text(problem)
        if head == "options":
            message = _with_index(message, rest[1:], _("Option"))
        elif head == "bands":
            message = _with_index(message, rest[1:], _("Band"))
        elif head == "grades":
            message = _with_index(message, rest[1:], _("Grade"))
        by_field.setdefault(name, []).append(message)
    return by_field, others


def question_problems(problems: list[scoring.Problem], section: int, question: int) -> tuple[
        dict[str, list[str]], list[str]]:
    return map_problems(problems, f"sections[{section}].questions[{question}]", _QUESTION_FIELD)


def section_problems(problems: list[scoring.Problem], section: int) -> tuple[dict[str, list[str]], list[str]]:
    return map_problems(problems, f"sections[{section}]", {"key": "key", "title": "title_en", "weight": "weight"})


def settings_problems(problems: list[scoring.Problem]) -> tuple[dict[str, list[str]], list[str]]:
    by_field: dict[str, list[str]] = {}
    others: list[str] = []
    names = {"title": "title_en", "description": "description", "channel": "channel", "scoring": "method",
             "grades": "grades"}
    for problem in problems:
        parts = _parts(problem.path)
        name = names.get(str(parts[0])) if parts else None
        if name:
            message = problem_text(problem)
            message = _with_index(message, parts[1:], _("Grade")) if name == "grades" else message
            by_field.setdefault(name, []).append(message)
        else:
            others.append(problem_line(problem))
    return by_field, others


def apply_errors(form: Any, by_field: dict[str, list[str]]) -> list[str]:
    """Attach errors to their form fields; returns those for no field (shown above the form)."""
    left = []
    for name, messages in by_field.items():
        field = getattr(form, name, None)
        if field is None or name == "__all__":
            left.extend(messages)
            continue
        field.errors = list(field.errors) + messages
    return left


def shown_text(value: Any, lang: str) -> str:
    """Checklist text in `lang` when it is written in it, else in English."""
    english, japanese = text_parts(value)
    return japanese if lang == "ja" and japanese else english


def outline(definition: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """Sections and questions with their display facts in `lang`, for the editor's outline (`show_if` names the
    earlier question's text, `critical_cap` is the cap of a capping critical)."""
    texts = {q["key"]: shown_text(q["text"], lang) for s in definition["sections"] for q in s["questions"]}
    sections = []
    for i, section in enumerate(definition["sections"]):
        questions = []
        for j, question in enumerate(section["questions"]):
            critical = question.get("critical") or {}
            shown_if = (question.get("show_if") or {}).get("question")
            questions.append({
                "index": j, "key": question["key"], "type": question["type"], "text": shown_text(question["text"], lang),
                "weight": question.get("weight", 0), "required": question.get("required", False),
                "allow_na": question.get("allow_na", False), "critical": critical.get("effect"),
                "critical_cap": critical.get("cap"),
                "show_if": texts.get(shown_if, shown_if) if shown_if else None,
                "head_office_only": question.get("audience") == "head_office",
                "bands": bands_words(question.get("bands", []), question["type"]),
            })
        sections.append({"index": i, "key": section["key"], "title": shown_text(section["title"], lang),
                         "weight": section.get("weight"), "questions": questions})
    return sections


def new_section_args(values: dict[str, Any]) -> dict[str, str]:
    """A new section's values as the query arguments that carry them to its first question's page."""
    title_en, title_ja = text_parts(values["title"])
    return {"new_section_key": values["key"], "new_section_title": title_en, "new_section_title_ja": title_ja,
            "new_section_weight": str(values.get("weight", ""))}


def new_section_from_args(args: Any) -> dict[str, Any]:
    """The new section carried in the query arguments (see `new_section_args`), as section values."""
    section: dict[str, Any] = {"key": args["new_section_key"],
                               "title": text_value(args.get("new_section_title", ""),
                                                   args.get("new_section_title_ja", ""))}
    if args.get("new_section_weight"):
        section["weight"] = _number(args["new_section_weight"])
    return section


def question_change(section: int, question: int | None, data: dict[str, Any],
                    new_section: dict[str, Any] | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The edit that saves a question: into its section, or into a new section saved together with it."""
    if new_section is None:
        return rubrics.question_edit(section, question, data)

    def change(definition: dict[str, Any]) -> dict[str, Any]:
        definition = rubrics.section_edit(None, new_section)(definition)
        return rubrics.question_edit(section, None, data)(definition)

    return change


def earlier_questions(sections: list[dict[str, Any]], section: int, question: int | None,
                      lang: str) -> list[tuple[str, str]]:
    """(key, text in `lang`) of every question before this one (a new one goes last in its section): the
    questions a show_if may name, since it may only name an earlier question."""
    flat = [q for s in sections[:section + 1] for q in s["questions"]]
    stop = sum(len(s["questions"]) for s in sections[:section]) + (question if question is not None else len(flat))
    return [(q["key"], shown_text(q["text"], lang)) for q in flat[:stop]]
