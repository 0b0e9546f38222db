"""Flask-Login wiring: a session names the user and the password generation it was made under."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from audit_app.extensions import db, login_manager
from audit_app.models import User


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def load_user(user_id: str) -> User | None:
    uid, _, token = user_id.partition(":")
    if not uid.isdigit() or not token:
        return None
    user = db.session.get(User, int(uid))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user
