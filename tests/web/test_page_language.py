"""Templates speak the reader's language, message by message, even when one request renders in two: an e-mail
to a Japanese reader sent while an English page is being made (`force_locale`), and back again."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale


def test_one_request_renders_each_template_in_the_language_it_is_given(app: Flask) -> None:
    template = '{{ _("Sign out") }} · {{ ngettext("%(num)s visit", "%(num)s visits", 2) }}'
    # Each request in its own application context, as a server runs it (the fixture's context holds the database).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template) == "Sign out · 2 visits"
        with force_locale("ja"):
            japanese = render_template_string(template)
        assert japanese.startswith("ログアウト · ")
        assert render_template_string(template) == "Sign out · 2 visits"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert render_template_string(template) == japanese
        with force_locale("en"):
            assert render_template_string(template) == "Sign out · 2 visits"


def test_the_forms_own_messages_come_in_each_readers_language(app: Flask) -> None:
    """wtforms' own messages (a field too long) follow the reader's language from one request to the next,
    though their catalogue is read once per process and language."""
    from babel.support import Translations
    from wtforms.i18n import messages_path

    too_long = "Field cannot be longer than %(max)d character."
    plural = "Field cannot be longer than %(max)d characters."
    expected = {lang: Translations.load(messages_path(), [lang], domain="wtforms").ungettext(too_long, plural, 254)
                % {"max": 254} for lang in ("en", "ja")}
    assert expected["en"] != expected["ja"]
    client = app.test_client()
    for lang in ("ja", "en", "ja"):
        token = _csrf(client.get("/login", headers={"Accept-Language": lang}).get_data(as_text=True))
        page = client.post("/login", data={"csrf_token": token, "email": "a" * 300 + "@example.com",
                                           "password": "x"}, headers={"Accept-Language": lang})
        assert expected[lang] in page.get_data(as_text=True), lang


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found is not None
    return found.group(1)
