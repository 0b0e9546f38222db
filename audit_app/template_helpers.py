"""Filters and globals the templates use to show numbers, dates and translated checklist text."""

from __future__ import annotations

import re
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Mapping

from babel import dates as babel_dates
from flask import Flask, request
from flask_babel import format_date, get_locale, gettext, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

import scoring
from audit_app.i18n import LANGUAGES
from audit_app.services import visit_pages
from audit_app.services.webhooks import EVENT_TYPES
from audit_app.services.words import LABELS
from audit_app.services.zones import local_time, utc_offset

NAV = {
    "shopper": [("shopper.home", _l("My visits"))],
    "store_manager": [("manager.home", _l("My stores")), ("actions.index", _l("Corrective actions"))],
    "area_manager": [("manager.home", _l("Stores")), ("actions.index", _l("Corrective actions")),
                     ("manager.compare", _l("Compare"))],
    "head_office": [("headoffice.home", _l("Overview")), ("manager.home", _l("Stores")),
                    ("actions.index", _l("Corrective actions")), ("headoffice.checklists", _l("Checklists")),
                    ("headoffice.review_queue", _l("Review"))],
}


def audit_value(value: Any, field: str) -> str:
    """A value from the audit log in words: statuses, roles, languages and yes/no translated, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if field == "status":
        return label(value, "status")
    if field == "role":
        return label(value, "role")
    if field == "priority":
        return label(value, "priority")
    if field == "scope":
        return label(value, "plan_scope")
    if field == "frequency":
        return label(value, "plan_frequency")
    if field == "locale":
        return LANGUAGES.get(value, value)
    if field == "source":
        return {"xlsform": "XLSForm", "yaml": "YAML"}.get(value, str(value))
    if field == "percent" and isinstance(value, (int, float)):
        return f"{percent(value)}%"
    if field == "window" and isinstance(value, list):
        return " – ".join(str(v) for v in value)
    if field == "event_types" and isinstance(value, list):
        return gettext(", ").join(gettext(EVENT_TYPES[v].label) if v in EVENT_TYPES else str(v) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def label(value: Any, kind: str) -> str:
    """The words for a stored key of one kind (see LABELS), translated; an unknown key is shown as it is."""
    if value is None or value == "":
        return "—"
    english = LABELS[kind].get(str(value))
    return gettext(english) if english else str(value)


def label_choices(kind: str, values: Any) -> list[tuple[str, Any]]:
    """(value, words) pairs for a form's choices, translated when the form is shown."""
    return [(value, _l(LABELS[kind][value]) if value in LABELS[kind] else value) for value in values]


def percent(value: float | Fraction | None) -> str:
    """One decimal place, half up; an em dash when there is no value (`scoring.format_percent`)."""
    return scoring.format_percent(value)


def signed(value: float | Fraction | None) -> str:
    """A change with its sign ("+2.5", "-1.0", "±0.0"); an em dash when there is none (`scoring.format_change`)."""
    return scoring.format_change(value, minus="-")


def localise(text: Any) -> str:
    """Checklist text in the current language, falling back to English."""
    if text is None:
        return ""
    lang = str(get_locale() or "en")
    if hasattr(text, "get") and not isinstance(text, Mapping):
        return text.get(lang)
    if isinstance(text, Mapping):
        return text.get(lang) or text.get("en") or ""
    return str(text)


def when(value: date | datetime | None, with_time: bool = False, tz: str | None = None) -> str:
    """A date (or date and time, without seconds) in the reader's language.

    With `tz` (a store's time zone) a timestamp is shown in that zone, and a time says its offset ("08:30 UTC+9");
    without it, in the app's DEFAULT_TIMEZONE, with its offset too."""
    if value is None:
        return "—"
    if isinstance(value, datetime) and tz:
        local = local_time(value, tz)
        locale = str(get_locale() or "en")
        day = babel_dates.format_date(local.date(), "medium", locale=locale)
        if not with_time:
            return day
        return f"{day} {local:%H:%M} {utc_offset(local)}"
    if isinstance(value, datetime) and with_time:
        # The app's zone, said beside the time: head office may read it from anywhere.
        local = to_user_timezone(value)
        return f"{format_date(value, 'medium')} {local:%H:%M} {utc_offset(local)}"
    return format_date(value, "medium")


def heat_cell(value: Fraction | float | None, scale: Any) -> Markup:
    """One cell of a heat map: the percent on its grade's tone, the grade named for screen readers and on hover.
    A function, not a macro: a region's map has thousands of cells, and a macro call costs ten times as much."""
    if value is None:
        return Markup('<td class="heat heat-none"><span class="visually-hidden">{}</span>—</td>').format(
            gettext("no score"))
    band = scale.band_for(value) if scale else None
    tone = band.tone if band is not None else "none"
    if band is None or not band.label:
        return Markup('<td class="heat heat-{}">{}</td>').format(tone, percent(value))
    return Markup('<td class="heat heat-{}" title="{}">{}<span class="visually-hidden"> ({})</span></td>').format(
        tone, band.label, percent(value), band.label)


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: str | None) -> Markup:
    """Text written with Markdown's `code` spans (the API document's descriptions), escaped, each span as
    <code>."""
    parts = _CODE_SPAN.split(text or "")  # text, code, text, code, ..., text
    return Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                           for i, part in enumerate(parts))


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page links a pager shows: the first, the last and two either side of the current page; None where
    pages are left out."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def init_template_helpers(app: Flask) -> None:
    app.add_template_global(heat_cell, "heat_cell")
    app.add_template_global(page_numbers, "page_numbers")
    app.add_template_filter(code_spans, "code_spans")
    app.add_template_filter(percent, "pct")
    app.add_template_filter(signed, "signed")
    app.add_template_filter(localise, "t")
    app.add_template_filter(when, "when")
    app.add_template_filter(label, "label")
    app.add_template_filter(audit_value, "audit_value")
    from audit_app.i18n import message_text

    app.add_template_filter(message_text, "message")
    app.add_template_test(lambda value: value is scoring.NA, "not_applicable")
    app.add_template_filter(visit_pages.answer_token, "answer_token")
    app.add_template_filter(visit_pages.comment_token, "comment_token")

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        role = current_user.role if current_user and current_user.is_authenticated else None
        return {
            "nav_items": NAV.get(role, []),
            "languages": LANGUAGES,
            "current_locale": str(get_locale() or "en"),
            "brand_name": app.config["STORECHECK_CONFIG"].brand_name,
            "current_path": request.full_path.rstrip("?") if request else "/",
            "app_timezone": app.config["STORECHECK_CONFIG"].default_timezone,
        }
