"""Health and readiness: open to monitors without signing in."""

from __future__ import annotations

from tests.web.authz import ROLES, Case


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    return [
        Case("ops.healthz", "GET", "/healthz", dict.fromkeys(ROLES, 200)),
        Case("ops.readyz", "GET", "/readyz", dict.fromkeys(ROLES, 200)),
    ]
