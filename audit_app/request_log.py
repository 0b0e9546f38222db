"""One JSON line per request on the `storecheck.request` logger: what a log pipeline can parse."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, Response, g, request, session
from sqlalchemy import inspect

logger = logging.getLogger("storecheck.request")


def _logged_user() -> str | None:
    """Who made the request, without a query of its own: the person the request loaded, else the id its session
    names (a static file loads nobody; an error page with the database gone had to forget them)."""
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity:
        return str(state.identity[0])
    return str(session.get("_user_id") or "").split(":")[0] or None


SECRET_PATH_ENDPOINTS = frozenset({"auth.reset_password", "auth.unsubscribe"})


def init_request_log(app: Flask) -> None:
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()
        # Behind a proxy that sets one, keep its id so the two logs can be joined.
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex

    def _loggable_path() -> str:
        # Secrets in a path (a password-reset link, an unsubscribe token) stay out of the log.
        if request.endpoint in SECRET_PATH_ENDPOINTS and request.url_rule is not None:
            return request.url_rule.rule
        return request.path

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        user = _logged_user()
        logger.info(json.dumps({
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": _loggable_path(),
            "endpoint": request.endpoint,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user": user,
            "remote": request.remote_addr,
            "bytes": response.calculate_content_length(),
        }, separators=(",", ":")))
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response
