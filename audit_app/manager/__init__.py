from flask import Blueprint

bp = Blueprint("manager", __name__)

from audit_app.manager import views  # noqa: E402,F401
