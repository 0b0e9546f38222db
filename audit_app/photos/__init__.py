from flask import Blueprint

bp = Blueprint("photos", __name__)

from audit_app.photos import views  # noqa: E402,F401
