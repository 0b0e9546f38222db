"""An outbox message as an e-mail: subject, plain text and simple HTML in the recipient's language, with links
to the public address of the app and, for a kind one may refuse, one-click unsubscribe headers (RFC 8058)."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Mapping

from flask import Flask, render_template, url_for
from flask_babel import force_locale, format_date, gettext

from audit_app.config import Config
from audit_app.mail.links import unsubscribe_token
from audit_app.models import OutboxMessage
from audit_app.services import notifications


def _resolve(value: Any) -> Any:
    """Links of the context ({"endpoint", "values"}) as absolute addresses; everything else as it is."""
    if isinstance(value, Mapping):
        if set(value) == {"endpoint", "values"}:
            return url_for(value["endpoint"], _external=True, **dict(value["values"]))
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _in_lang(lang: str):  # type: ignore[no-untyped-def]
    def pick(value: Any) -> str:
        if isinstance(value, Mapping):
            return str(value.get(lang) or value.get("en") or "")
        return "" if value is None else str(value)

    return pick


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value), "medium")


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def render_message(app: Flask, message: OutboxMessage, config: Config, *, with_secret: bool = True) -> EmailMessage:
    """The e-mail for one outbox message; `with_secret=False` leaves a reset link out (to show it to someone else).
    Raises KeyError for a kind no longer registered."""
    kind = notifications.KINDS[message.kind]
    lang = message.locale if message.locale in notifications.LANGS else "en"
    context = dict(message.context or {})
    secret = context.pop(notifications.SECRET, None) if with_secret else None
    context.pop(notifications.SECRET, None)
    with app.test_request_context("/", base_url=config.public_url), force_locale(lang):
        values = _resolve(context)
        unsubscribe = None
        if kind.is_optional and message.user_id is not None:
            unsubscribe = url_for("auth.unsubscribe", _external=True,
                                  token=unsubscribe_token(config.secret_key, message.user_id, kind.key))
        values.update(
            brand=config.brand_name, lang=lang, in_lang=_in_lang(lang), day=_day, percent=_percent,
            unsubscribe_url=unsubscribe, preferences_url=url_for("auth.email_preferences", _external=True),
            sign_in_url=url_for("auth.login", _external=True),
            reset_url=url_for("auth.reset_password", token=secret, _external=True) if secret else None)
        subject_params = {k: v for k, v in values.items() if isinstance(v, (str, int, float))}
        subject = gettext(kind.subject, **subject_params)
        text = render_template(f"email/{kind.template}.txt", subject=subject, **values)
        html = render_template(f"email/{kind.template}.html", subject=subject, **values)
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = config.mail_from
    email["To"] = message.to_address
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(config.mail_from)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(f"outbox-{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Storecheck-Kind"] = kind.key
    if unsubscribe:
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email
