"""The head-office blueprint `bp`; its views live in one module per part of the programme, all on this blueprint."""

from flask import Blueprint

bp = Blueprint("headoffice", __name__)

from audit_app.headoffice import home_views  # noqa: E402,F401
from audit_app.headoffice import rubric_views  # noqa: E402,F401
from audit_app.headoffice import editor_views  # noqa: E402,F401
from audit_app.headoffice import org_views  # noqa: E402,F401
from audit_app.headoffice import people_views  # noqa: E402,F401
from audit_app.headoffice import assignment_views  # noqa: E402,F401
from audit_app.headoffice import plan_views  # noqa: E402,F401
from audit_app.headoffice import settings_views  # noqa: E402,F401
from audit_app.headoffice import review_views  # noqa: E402,F401
from audit_app.headoffice import xlsform_views  # noqa: E402,F401

from audit_app.headoffice import stats_views  # noqa: E402,F401
from audit_app.headoffice import webhook_views  # noqa: E402,F401
