"""The REST API, /api/v1: JSON for other systems, authenticated by personal access tokens (docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from audit_app.api import views  # noqa: E402,F401
