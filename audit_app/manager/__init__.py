from flask import Blueprint

from reports.context import points_text

bp = Blueprint("manager", __name__)
bp.add_app_template_filter(points_text, "points")

from audit_app.manager import views  # noqa: E402,F401
