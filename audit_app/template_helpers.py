"""Filters and globals the templates use to show numbers, dates and translated checklist text."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date as babel_format_date

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import scoring
from audit_app.i18n import LANGUAGES
from audit_app.services import visit_pages

NAV = {
    "shopper": [("shopper.home", _l("My visits"))],
    "area_manager": [("manager.home", _l("Stores")), ("manager.compare", _l("Compare"))],
    "head_office": [("headoffice.home", _l("Overview")), ("manager.home", _l("Stores")),
                    ("headoffice.checklists", _l("Checklists")), ("headoffice.review_queue", _l("Review"))],
}


def percent(value: float | Fraction | None) -> str:
    """One decimal place, half up; an em dash when there is no value."""
    if value is None:
        return "—"
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) \
        else Decimal(repr(value))
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def signed(value: float | None) -> str:
    if value is None:
        return "—"
    shown = percent(value)
    if shown in ("0.0", "-0.0"):
        return "±0.0"
    return shown if shown.startswith("-") else f"+{shown}"


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
    """A date (or date and time, without seconds) in the reader's language; a time in the time zone `tz` (an IANA
    name such as a store's) when given and known, else in the app's."""
    if value is None:
        return "—"
    if isinstance(value, datetime) and with_time:
        zone = _zone(tz)
        if zone is not None:
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            local = aware.astimezone(zone)
            return f"{babel_format_date(local.date(), 'medium', locale=get_locale())} {local:%H:%M}"
        return f"{format_date(value, 'medium')} {format_datetime(value, 'HH:mm')}"
    return format_date(value, "medium")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def init_template_helpers(app: Flask) -> None:
    app.add_template_filter(percent, "pct")
    app.add_template_filter(signed, "signed")
    app.add_template_filter(localise, "t")
    app.add_template_filter(when, "when")
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
        }
