"""Figures that show their uncertainty: head office's chain-wide ranking and shopper calibration."""

from __future__ import annotations

from tests.web.authz import Case, only


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    head_only = only({"head": 200})
    return [
        Case("headoffice.rankings", "GET", "/head-office/rankings", head_only),
        Case("headoffice.rankings", "GET", "/head-office/rankings?start=2026-01-01&end=2026-03-31&top=5&firm=leave",
             head_only),
        # A malformed date is an error on the page for head office (what was typed stays), nothing to others.
        Case("headoffice.rankings", "GET", "/head-office/rankings?start=not-a-date&checklist=999999999999",
             head_only),
        Case("headoffice.calibration", "GET", "/head-office/calibration", head_only),
        Case("headoffice.calibration", "GET", "/head-office/calibration?start=2026-01-01&end=2026-03-31&checklist=1",
             head_only),
    ]
