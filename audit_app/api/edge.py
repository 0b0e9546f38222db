"""The API's edge: token authentication, per-token rate limits, problem+json errors, cursors and ETags.

Cookie sessions never authenticate the API: a request names its token in `Authorization: Bearer ...` or it is
refused with 401. Token requests need no CSRF token (the blueprint is exempt), since no browser sends the header
by itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode
from datetime import datetime, timezone
from typing import Any, NoReturn

from flask import Flask, Response, current_app, g, request
from limits import parse_many
from pydantic import BaseModel, ValidationError
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from werkzeug.exceptions import HTTPException

from audit_app.api import bp
from audit_app.api.schemas import Problem
from audit_app.extensions import csrf, db, limiter
from audit_app.routing import MAX_ID
from audit_app.services import api_tokens
from audit_app.services.errors import NotFoundError, PermissionDeniedError, ServiceError

PROBLEM = "application/problem+json"
DEFAULT_RATE_LIMIT = "600 per minute;20000 per hour"
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests", 500: "Internal server error", 503: "Service unavailable"}


class ApiProblem(Exception):
    """An error answered as application/problem+json."""

    def __init__(self, status: int, detail: str = "", *, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers or {}


def problem(status: int, detail: str = "", *, field: str | None = None) -> NoReturn:
    raise ApiProblem(status, detail, errors=[{"field": field, "detail": detail}] if field else None)


def _problem_response(error: ApiProblem) -> Response:
    body = Problem(title=TITLES.get(error.status, "Error"), status=error.status, detail=error.detail,
                   errors=error.errors).model_dump(mode="json")
    response = current_app.response_class(json.dumps(body), status=error.status, mimetype=PROBLEM)
    response.headers.update(error.headers)
    return response


def validation_problem(error: ValidationError, where: str) -> ApiProblem:
    """A pydantic error as a 422 naming each wrong field (`where` is "query" or "body")."""
    errors = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"]) or where
        errors.append({"field": path, "detail": item["msg"]})
    names = ", ".join(e["field"] for e in errors)
    return ApiProblem(422, f"The {'query parameters' if where == 'query' else 'request body'} "
                      f"did not validate: {names}.", errors=errors)


def _before_validation(req: Any, resp: Any, req_validation_error: Exception | None, *args: Any) -> None:
    if isinstance(req_validation_error, ValidationError):
        raise validation_problem(req_validation_error, "query" if req.method in ("GET", "DELETE") else "body")


spec = SpecTree(
    "flask",
    title="Storecheck API",
    version="1",
    description="Stores, checklists, assignments and scored visits of Storecheck. Authenticate with a personal "
                "access token: `Authorization: Bearer sct_...`.",
    mode="strict",
    annotations=False,
    path="api/v1/spectree",
    validation_error_status=422,
    validation_error_model=Problem,
    security_schemes=[SecurityScheme(name="token", data=SecuritySchemeData(
        type=SecureType.HTTP, scheme="bearer", description="A personal access token (sct_...)."))],
    security={"token": []},
    before=_before_validation,
    # Components named after the models themselves: the names integrators read in the document.
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
)


def caller() -> api_tokens.Caller:
    return g.api_caller  # type: ignore[no-any-return]


def require_write() -> api_tokens.Caller:
    """The caller, when their token may write."""
    who = caller()
    if not who.can_write:
        raise ApiProblem(403, "This token may only read: create a read and write token to change things.",
                         headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="read_write"'})
    return who


def now() -> datetime:
    return datetime.now(timezone.utc)


def _rate_limits() -> Any:
    return parse_many(current_app.config.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)  # Config.api_rate_limit


def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "Send a personal access token: Authorization: Bearer <token>.",
                         headers={"WWW-Authenticate": 'Bearer realm="storecheck"'})
    try:
        g.api_caller = api_tokens.authenticate(db.session, secret.strip(), now=now())
    except api_tokens.TokenRefusedError as error:
        raise ApiProblem(401, f"The access token is not valid ({error.reason}).",
                         headers={"WWW-Authenticate": 'Bearer realm="storecheck", error="invalid_token"'}) from None
    if limiter.enabled:
        limits = _rate_limits()
        key = str(g.api_caller.token_id)
        if not all(limiter.limiter.hit(limit, "api-token", key) for limit in limits):
            reset = max(limiter.limiter.get_window_stats(limit, "api-token", key).reset_time for limit in limits)
            retry = max(1, int(reset - datetime.now(timezone.utc).timestamp()))
            raise ApiProblem(429, "This token has made too many requests; try again later.",
                             headers={"Retry-After": str(retry)})


def _conditional(response: Response) -> Response:
    """ETags on every read, so a client that sends If-None-Match gets 304 when nothing changed."""
    response.headers["Vary"] = "Authorization"
    if request.method == "GET" and response.status_code == 200 and not response.direct_passthrough:
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.add_etag()
        response.make_conditional(request)
    return response


def encode_cursor(last_id: int | None) -> str | None:
    if last_id is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; a cursor this API did not make is a 422 naming `cursor`."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
        if isinstance(after, int) and not isinstance(after, bool) and 0 <= after <= MAX_ID:
            return after
    except (ValueError, TypeError, KeyError, binascii.Error):
        pass
    problem(422, "This cursor was not made by this API: use next_cursor of the previous page.", field="cursor")


def page_body(items: list[Any], model: type[BaseModel], last_id: int | None) -> dict[str, Any]:
    """A page as JSON: its items, the cursor of the next page and a link to it."""
    cursor = encode_cursor(last_id)
    link = None
    if cursor is not None:
        args = request.args.to_dict(flat=False)
        args["cursor"] = [cursor]
        link = f"{request.base_url}?{urlencode(args, doseq=True)}"
    return {"data": [model.model_validate(item, from_attributes=True).model_dump(mode="json") for item in items],
            "next_cursor": cursor, "links": {"next": link}}


bp.before_request(_authenticate)
bp.after_request(_conditional)
bp.register_error_handler(ApiProblem, _problem_response)
bp.register_error_handler(NotFoundError, lambda e: _problem_response(ApiProblem(404, str(e))))
bp.register_error_handler(PermissionDeniedError, lambda e: _problem_response(ApiProblem(403, str(e))))
bp.register_error_handler(ServiceError, lambda e: _problem_response(ApiProblem(422, str(e))))
bp.register_error_handler(HTTPException, lambda e: _problem_response(ApiProblem(e.code or 500, e.description or "")))


def problem_for_unrouted(error: HTTPException) -> Response:
    """A 404 or 405 under /api/v1 that no API route answered (the app's error pages call this)."""
    return _problem_response(ApiProblem(error.code or 500, error.description or ""))


def init_api(app: Flask) -> None:
    """Register the blueprint, exempt from CSRF (its requests carry a token, never a cookie session)."""
    csrf.exempt(bp)
    app.register_blueprint(bp, url_prefix="/api/v1")
