"""XLSForm import: the upload page and its form are for head office only."""

from __future__ import annotations

from tests.web.authz import Case, only

HEAD = "/head-office"


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    # A POST without a file is a form error for head office (422) and refused for everyone else before it is read.
    return [
        Case("headoffice.import_xlsform", "GET", f"{HEAD}/checklists/import-xlsform", only({"head": 200})),
        Case("headoffice.import_xlsform", "POST", f"{HEAD}/checklists/import-xlsform", only({"head": 422}),
             data={"channel": "in_store", "dry_run": "y"}),
    ]
