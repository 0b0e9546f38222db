from flask import Blueprint

bp = Blueprint("auth", __name__)

from audit_app.auth import mail_views, token_views, views  # noqa: E402,F401
