"""Real pages for the errors a user can meet."""

from __future__ import annotations

import errno

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from audit_app.extensions import db
from audit_app.services.errors import NotFoundError, PermissionDeniedError

PAGES = {400, 403, 404, 405, 409, 413, 429, 500, 503}
# The disk (or the user's quota, or a file size limit) is full: nothing more can be written.
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _wants_json() -> bool:
    """The phone's autosave and other script requests: they get JSON they can act on, never an HTML page."""
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _too_large():  # type: ignore[no-untyped-def]
    """413 for a script: nothing of the request was read or saved, and the message says what to do."""
    limit_mb = max(1, round((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)))
    response = jsonify(ok=False, reason="too_large", message=_(
        "This save is larger than %(size)s MB, so nothing of it was saved. Your answers are kept on this phone: "
        "choose a smaller photo and save again.", size=limit_mb))
    response.status_code = 413
    return response


def _lost_database(error: DBAPIError) -> bool:
    """The database went away or is busy (restart, failover, a lock held too long), not a bug in a query."""
    return isinstance(error, OperationalError) or bool(error.connection_invalidated)


def _unavailable(reason: str, code: int, retry_after: int | None):  # type: ignore[no-untyped-def]
    """An error page that needs nothing from the database: the request's transaction is abandoned first."""
    try:
        get_locale()  # decide the language while the signed-in person is still at hand
    except Exception:  # noqa: BLE001  (the language is a nicety here; the page must render regardless)
        current_app.logger.debug("language unavailable for the error page", exc_info=True)
    g._login_user = current_app.login_manager.anonymous_user()
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()
    if _wants_json():
        response = jsonify(ok=False, reason=reason)
    else:
        response = current_app.make_response(render_template("errors/error.html", code=code, reason=reason))
    response.status_code = code
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _forget_user() -> None:
    g._login_user = current_app.login_manager.anonymous_user()


def _error_page(code: int, reason: str | None = None):  # type: ignore[no-untyped-def]
    """The error page, rendered on a clean database session.

    The request may have failed inside a write (an integrity error, an aborted PostgreSQL transaction): the session
    then refuses every query until it is rolled back, and the page's header (the signed-in person's name) would
    crash the error page itself, leaving a bare 500 without security headers or a request-log line. Nothing of a
    failed request is kept anyway: every change commits in one transaction.
    """
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()
        _forget_user()
    try:
        return render_template("errors/error.html", code=code, reason=reason), code
    except DBAPIError:
        # The person could not be loaded again (the database went away meanwhile): the page without them.
        current_app.logger.warning("error page rendered without the signed-in person", exc_info=True)
        db.session.close()
        _forget_user()
        return render_template("errors/error.html", code=code, reason=reason), code


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        if _wants_json() and not current_user.is_authenticated:
            # A phone's autosave after the session ended: the form's token died with it. The script keeps the
            # answers and asks the shopper to sign in again, which a 400 would not tell it.
            response = jsonify(ok=False, reason="signed_out", message=_("Sign in again to send what is on this phone."))
            response.status_code = 401
            return response
        return _error_page(400, "csrf")

    # A service's "no such thing" and "not yours" are the same pages as the authz helpers' 404 and 403.
    @app.errorhandler(NotFoundError)
    def service_not_found(error: NotFoundError):  # type: ignore[no-untyped-def]
        return _error_page(404)

    @app.errorhandler(PermissionDeniedError)
    def service_forbidden(error: PermissionDeniedError):  # type: ignore[no-untyped-def]
        return _error_page(403)

    # Nothing was half-written: every change commits in one transaction, so the user can simply retry.
    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):  # type: ignore[no-untyped-def]
        if not _lost_database(error):
            raise error
        current_app.logger.error("database unavailable: %s", error.orig or error)
        return _unavailable("database", 503, retry_after=5)

    @app.errorhandler(OSError)
    def storage_error(error: OSError):  # type: ignore[no-untyped-def]
        if error.errno not in NO_SPACE:
            raise error
        current_app.logger.error("out of storage space: %s", error)
        return _unavailable("storage", 507, retry_after=None)

    # Unhandled exceptions reach this too, as InternalServerError (500), outside testing.
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        if request.path.startswith("/api/v1/"):  # a URL no API route matched: a problem, never an HTML page
            from audit_app.api.edge import problem_for_unrouted

            return problem_for_unrouted(error)
        if code not in PAGES:
            return error
        if code == 413 and _wants_json():
            return _too_large()
        return _error_page(code)
