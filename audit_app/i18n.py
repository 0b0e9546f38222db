"""Language choice: the user's saved locale, else the session's, else the browser's."""

from __future__ import annotations

import threading
from functools import reduce
from typing import Any, Mapping

from babel.support import Translations
from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, gettext
from flask_login import current_user
from wtforms.i18n import messages_path

from audit_app.extensions import babel
from audit_app.languages import LANGUAGES
from audit_app.services.errors import Listing, Message, ServiceError

__all__ = ["LANGUAGES", "error_text", "init_i18n", "message_text", "select_locale"]


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a command or a job: the default language
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def _catalogue() -> Any:
    """The reader's translations, found once per request and locale. Flask-Babel finds them anew for every
    message (four lookups of the request's context and the locale's name each time), and a page shows a hundred
    messages or more. The memo is kept beside the locale Flask-Babel chose, on its own per-request namespace: one
    lookup of `g` a message. A page rendered in another language (`force_locale`, e-mails) has another locale
    object there, so it gets its own catalogue."""
    if not has_app_context():
        return get_translations()
    babel_context = getattr(g, "_flask_babel", None)
    if babel_context is not None:
        memo = getattr(babel_context, "storecheck_catalogue", None)
        if memo is not None and memo[0] is getattr(babel_context, "babel_locale", None):
            return memo[1]
    locale = get_locale()  # chooses the locale (and makes the namespace) on the request's first message
    catalogue = get_translations()
    if locale is not None:
        g._flask_babel.storecheck_catalogue = (locale, catalogue)
    return catalogue


_FORM_CATALOGUES: dict[str, Any] = {}
_FORM_CATALOGUES_LOCK = threading.Lock()


def _share_form_catalogue() -> None:
    """Hand Flask-WTF this locale's translations of wtforms' own messages, read from disk once per process:
    Flask-WTF reads the catalogue file again for every request that builds a form (its `wtforms_translations`
    of the request is where it looks first)."""
    if request.endpoint in (None, "static"):
        return  # no form there (and no reason to find who is signed in to learn their language)
    locale = get_locale()
    if locale is None:
        return
    key = str(locale)
    catalogue = _FORM_CATALOGUES.get(key)
    if catalogue is None:
        with _FORM_CATALOGUES_LOCK:
            catalogue = _FORM_CATALOGUES.get(key)
            if catalogue is None:
                catalogue = _FORM_CATALOGUES[key] = Translations.load(messages_path(), [locale], domain="wtforms")
    request.wtforms_translations = catalogue


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_share_form_catalogue)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
    )
    app.add_template_filter(message_text, "message_text")


def message_text(message: Any, params: Mapping[str, Any] | None = None) -> str:
    """A message in the reader's language: a message id (with `params`), a `Message`, or a list of Messages
    (phrases, each translated, joined into one sentence). Parameters that are Messages themselves are translated too."""
    if isinstance(message, Message):
        return message_text(message.id, message.params)
    if isinstance(message, Listing):
        return str(_param_text(message))
    if isinstance(message, (list, tuple)):  # phrases: one sentence, as `services.errors.english` writes it
        joined = gettext("; ").join(message_text(part) for part in message)
        return gettext("%(problems)s.", problems=joined[:1].upper() + joined[1:])
    text = str(message)
    if not text:
        return ""
    if not params:
        return gettext(text)
    return gettext(text, **{k: _param_text(v) for k, v in params.items()})


def _param_text(value: Any) -> Any:
    """A parameter in the reader's language: Messages translated, a Listing's parts joined, checklist text
    ({"en": ..., "ja": ...}) in the reader's language when it is written in it."""
    if isinstance(value, (Message, list, tuple)):
        return message_text(value)
    if isinstance(value, Listing):
        parts = [_param_text(part) for part in value.parts]
        return reduce(lambda first, rest: gettext("%(first)s; %(next)s", first=first, next=rest), parts) if parts else ""
    if isinstance(value, Mapping):
        lang = str(get_locale() or "en")
        return str(value.get(lang) or value.get("en", ""))
    return value


def error_text(error: BaseException) -> str:
    """A service's refusal in the reader's language: its message id translated, then its parameters filled.
    Anything else (a plain exception) shows its own text."""
    if isinstance(error, ServiceError):
        return message_text(error.message, error.params)
    return str(error)
