"""What every head-office view shares: the role check, the clock, the reader's language and the version loaders."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import abort, flash, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.headoffice.forms import CsvImportForm
from audit_app.services import rubrics
from audit_app.services.csv_import import ImportRejectedError

head_office = role_required("head_office")


def now() -> datetime:
    return datetime.now(timezone.utc)


def lang() -> str:
    return str(get_locale() or "en")


def refuse_unless_valid(form: Any) -> None:
    if not form.validate_on_submit():
        abort(400)


def get_version(version_id: int) -> rubrics.VersionInfo:
    """The version (a missing one raises NotFoundError, which the app shows as its 404 page)."""
    return rubrics.get_version(db.session, version_id)


def get_draft(version_id: int) -> rubrics.VersionInfo:
    """The version when it is a draft; 409 for a published or retired one."""
    info = get_version(version_id)
    if info.status != "draft":
        abort(409)
    return info


def csv_import(kind: str, run: Any) -> Any:
    """The CSV import page of `kind` (stores or people): `run(text, dry_run)` is the service call."""
    form = CsvImportForm()
    report = None
    rejected = None
    if form.validate_on_submit():
        try:
            report = run(form.csv_text.data, bool(form.dry_run.data))
        except ImportRejectedError as error:
            rejected = error.report
        else:
            if not form.dry_run.data:
                flash(_("Imported: %(c)d created, %(u)d updated, %(n)d unchanged.", c=len(report.created),
                        u=len(report.updated), n=len(report.unchanged)), "success")
    status = 422 if rejected else 200
    return render_template("headoffice/import_csv.html", form=form, kind=kind, report=report, rejected=rejected,
                           dry_run=bool(form.dry_run.data)), status
