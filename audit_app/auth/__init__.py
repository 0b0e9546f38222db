from flask import Blueprint

bp = Blueprint("auth", __name__)

from audit_app.auth import views  # noqa: E402,F401
