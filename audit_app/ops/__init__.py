"""Endpoints for load balancers and monitors: no sign-in, no session, nothing secret."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from audit_app.ops import views  # noqa: E402,F401
