"""Which role may open a page: the web's half of access control.

Which store, area, region or visit a person may see is decided in `audit_app.services.access`, where every
reader loads its resource; its NotFoundError and PermissionDeniedError become the 404 and 403 pages app-wide.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import abort
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., object])


def role_required(*roles: str) -> Callable[[F], F]:
    """Sign-in required (redirect to /login), then one of `roles` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: object, **kwargs: object) -> object:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
