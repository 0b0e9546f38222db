from __future__ import annotations

from flask import jsonify

from audit_app.extensions import db, limiter
from audit_app.ops import bp
from audit_app.services import health


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Alive and able to reach the database: 200, else 503."""
    report = health.check(db.session)
    return jsonify(status="ok" if report.database_ok else "error", database=report.database_ok), (
        200 if report.database_ok else 503)


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Ready for traffic: the database answers and its schema is at the migrations' head."""
    report = health.check(db.session)
    ready = report.database_ok and report.schema_current
    return jsonify(status="ready" if ready else "not ready", database=report.database_ok,
                   schema=report.schema_revision, expected=report.expected_revision), (200 if ready else 503)
