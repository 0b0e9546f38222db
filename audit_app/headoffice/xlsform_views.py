"""Head office: importing an XLSForm (ODK / KoboToolbox questionnaire) as a draft checklist."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

import scoring
from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now
from audit_app.headoffice.forms import ImportXlsformForm
from audit_app.headoffice.problems import problem_text
from audit_app.i18n import error_text, message_text
from audit_app.services import xlsform
from audit_app.services.errors import ServiceError


@bp.route("/checklists/import-xlsform", methods=["GET", "POST"])
@head_office
def import_xlsform():
    form = ImportXlsformForm()
    result = rejected = None
    filename = None
    if request.method == "POST" and form.validate_on_submit():
        upload = form.file.data
        filename = _display_name(upload.filename or "")
        try:
            # One byte more than the limit, so that the service can say the file is too large.
            data = upload.read(xlsform.MAX_XLSFORM_BYTES + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file
        try:
            result = xlsform.import_xlsform(db.session, current_user, data, filename, now=now(),
                                            key=(form.key.data or "").strip() or None, channel=form.channel.data,
                                            dry_run=bool(form.dry_run.data))
        except xlsform.XlsformRejectedError as error:
            rejected = error
            form.file.errors = [_("%(file)s was not imported; fix the problems listed above and choose it again.",
                                  file=filename)]
        except ServiceError as error:
            form.file.errors = [error_text(error)]
    elif request.method == "POST" and form.file.data is not None:
        filename = _display_name(form.file.data.filename or "")
    failed = request.method == "POST" and result is None
    return render_template("headoffice/import_xlsform.html", form=form, filename=filename, result=result,
                           rows=problem_rows(rejected.problems if rejected else result.skipped if result else []),
                           rejected=rejected, outline=_outline(result.definition) if result else [],
                           dry_run=bool(form.dry_run.data)), (422 if failed else 200)


def problem_rows(problems: list[xlsform.XlsformProblem] | tuple[xlsform.XlsformProblem, ...]) -> list[dict[str, Any]]:
    """Each problem as the table shows it, in the reader's language."""
    rows = []
    for problem in problems:
        reason = problem.reason
        text = problem_text(reason) if isinstance(reason, scoring.Problem) else message_text(reason)
        if isinstance(reason, scoring.Problem) and reason.path:
            text = f"{reason.path}: {text}"
        rows.append({"sheet": problem.sheet, "line": problem.line, "column": problem.column, "reason": text,
                     "blocking": problem.blocking})
    return rows


def _outline(definition: dict[str, Any]) -> list[dict[str, Any]]:
    language = lang()

    def text(value: Any) -> str:
        return value.get(language) or value.get("en", "") if isinstance(value, dict) else str(value)
    return [{"key": section["key"], "title": text(section["title"]),
             "questions": [{"key": q["key"], "type": q["type"], "text": text(q["text"]),
                            "required": q.get("required", False), "show_if": q.get("show_if")}
                           for q in section["questions"]]}
            for section in definition["sections"]]


def _display_name(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name[:200] or "—"

