"""Language choice: the user's saved locale, else the session's, else the browser's."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import gettext
from flask_login import current_user

from audit_app.extensions import babel
from audit_app.services.errors import ServiceError

LANGUAGES = {"en": "English", "ja": "日本語"}


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a command or a job: the default language
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)


def error_text(error: ServiceError) -> str:
    """A service's refusal in the reader's language: its message id translated, then its parameters filled."""
    message = str(error.message)
    if not message:
        return ""
    return gettext(message, **error.params) if error.params else gettext(message)
