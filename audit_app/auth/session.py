"""Flask-Login wiring: a session names the user and the password generation it was made under."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from audit_app.extensions import db, login_manager
from audit_app.models import User
from audit_app.services import users


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def load_user(user_id: str) -> User | None:
    return users.user_for_session(db.session, user_id)
