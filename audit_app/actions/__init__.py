from flask import Blueprint

bp = Blueprint("actions", __name__)

from audit_app.actions import views  # noqa: E402,F401
