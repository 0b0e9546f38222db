"""Small builders for checklist data, so a vector reads like the YAML it stands for."""

from __future__ import annotations

from typing import Any

GRADES: list[dict[str, Any]] = [
    {"min": 90, "label": "Excellent"},
    {"min": 75, "label": "Good"},
    {"min": 60, "label": "Needs improvement"},
    {"min": 0, "label": "Poor"},
]


def q(key: str, type: str, **fields: Any) -> dict[str, Any]:
    """A question as plain data; `text` is made up from the key unless given."""
    return {"key": key, "type": type, "text": key.replace("_", " ").capitalize() + "?", **fields}


def opt(key: Any, fraction: Any = 0) -> dict[str, Any]:
    """An option of a choice or multi question."""
    return {"key": key, "text": str(key).capitalize(), "fraction": fraction}


def section(key: str, *questions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A section as plain data."""
    return {"key": key, "title": key.replace("_", " ").capitalize(), **fields, "questions": list(questions)}


def checklist(*sections: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A whole checklist as plain data, with the usual four grade bands unless given."""
    data: dict[str, Any] = {"key": "example", "title": "Example", "channel": "in_store", "grades": GRADES}
    data.update(fields)
    data["sections"] = list(sections)
    return data


QUEUE_BANDS = [{"max": 120, "fraction": 1}, {"max": 300, "fraction": 0.5}, {"fraction": 0}]
