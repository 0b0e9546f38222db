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
