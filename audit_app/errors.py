"""Real pages for the errors a user can meet."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from audit_app.services.errors import NotFoundError, PermissionDeniedError

PAGES = {400, 403, 404, 405, 413, 429, 500}


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return render_template("errors/error.html", code=400, reason="csrf"), 400

    # A service's "no such thing" and "not yours" are the same pages as the authz helpers' 404 and 403.
    @app.errorhandler(NotFoundError)
    def service_not_found(error: NotFoundError):  # type: ignore[no-untyped-def]
        return render_template("errors/error.html", code=404, reason=None), 404

    @app.errorhandler(PermissionDeniedError)
    def service_forbidden(error: PermissionDeniedError):  # type: ignore[no-untyped-def]
        return render_template("errors/error.html", code=403, reason=None), 403

    # Unhandled exceptions reach this too, as InternalServerError (500), outside testing.
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        if code not in PAGES:
            return error
        return render_template("errors/error.html", code=code, reason=None), code
