"""Authorisation cases, one module per feature: each defines `cases(world) -> list[Case]`.

The matrix test collects every module here, requests every case as every role, and fails when a route of the
app has no case. A new page or action adds its cases to its feature's module (or a new module).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

ROLES = ("anonymous", "shopper", "store_manager", "other_manager", "manager", "head")
LOGIN = "login"  # expected: a redirect to the sign-in page


@dataclass(frozen=True)
class Case:
    """One request and the status each role must get.

    `data` is form data for POSTs (a valid CSRF token is added). `setup(world)` may return a dict merged
    into data, for cases that need fresh objects per role (for example a draft visit of that role).

    An `api` case is a REST API request: it carries the role's read and write personal access token (anonymous
    sends none and gets 401, never a redirect), `json` as its body, and no CSRF token. The client's cookie
    session is still there, and must not count.
    """

    endpoint: str
    method: str
    path: str
    expected: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Any], dict[str, Any]] | None = None
    api: bool = False
    json: Any = None


def only(allowed: dict[str, Any], others: Any = 403, anonymous: Any = LOGIN) -> dict[str, Any]:
    """Expected statuses: `allowed` for the roles named, `others` for the rest, `anonymous` for anonymous."""
    expected = {role: others for role in ROLES}
    expected["anonymous"] = anonymous
    expected.update(allowed)
    return expected


def all_cases(world: Any) -> list[Case]:
    found: list[Case] = []
    for module in pkgutil.iter_modules(__path__):
        found.extend(importlib.import_module(f"{__name__}.{module.name}").cases(world))
    return found
