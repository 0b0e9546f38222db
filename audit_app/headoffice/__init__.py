from flask import Blueprint

bp = Blueprint("headoffice", __name__)

from audit_app.headoffice import views  # noqa: E402,F401
from audit_app.headoffice import review_views  # noqa: E402,F401
