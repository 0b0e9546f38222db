"""Scorecards for area managers and head office: dashboards, store and visit pages, compare, CSV and PDFs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import (
    Response, abort, current_app, flash, redirect, render_template, request, send_file, stream_with_context, url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.authz import role_required
from audit_app.extensions import db
from audit_app.i18n import error_text
from audit_app.manager import bp
from audit_app.manager.forms import CompareStoresForm, FilterScorecardsForm
from audit_app.manager.wording import csv_headers, report_labels
from audit_app.routing import query_page
from audit_app.services import exports, fraud, jobs, pdf_jobs
from audit_app.services.scores import compare as compare_scores
from audit_app.services.scores import dashboard, home as home_scores, scorecard, store_page, visit_page
from audit_app.services.scores.scope import ChecklistOption, Period, make_period
from reports import page_charts

MANAGERS = ("area_manager", "head_office")
# Store managers open their own stores' pages, visits, PDFs and downloads (the services check which stores).
READERS = ("store_manager", *MANAGERS)
# The job page reloads itself this often while a batch is queued or running.
JOB_REFRESH_SECONDS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lang() -> str:
    return str(get_locale() or "en")


def _filters(form_class: type[FilterScorecardsForm] = FilterScorecardsForm) -> tuple[Any, Period, int | None, str,
                                                                                     bool]:
    form = form_class(request.args)
    days, checklist, sort, descending = form.values()
    return form, make_period(_now(), days), checklist, sort, descending


def _with_checklists(form: FilterScorecardsForm, options: tuple[ChecklistOption, ...],
                     chosen: ChecklistOption | None) -> None:
    form.checklist_choices = [(o.id, o.title) for o in options]
    form.checklist.data = chosen.id if chosen else None


def _pdf_args(period: Period, checklist: int | None) -> dict[str, Any]:
    config = current_app.config["STORECHECK_CONFIG"]
    return {"period": period, "checklist_id": checklist, "lang": _lang(), "labels": report_labels(),
            "branding": pdf_jobs.branding_from(config.brand_name, config.brand_accent, config.brand_logo),
            "upload_dir": config.upload_dir, "format_date": format_date, "now": _now()}


def _download(data: bytes, filename: str, content_type: str) -> Response:
    # content_type, not mimetype: Flask appends a charset to a text mimetype, which named utf-8 twice.
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/")
@role_required(*READERS)
def home():
    page = home_scores.get_manager_home(db.session, current_user, now=_now(), lang=_lang(), page=query_page())
    return render_template("manager/home.html", period_days=page.period_days, areas=page.areas,
                           region_links=page.regions, stores=page.stores, home=page)


def _dashboard(kind: str, scope_id: int) -> str:
    form, period, checklist, sort, descending = _filters()
    board = dashboard.get_scope_dashboard(db.session, current_user, kind, scope_id, period=period,
                                          checklist_id=checklist, lang=_lang(), sort=sort, descending=descending,
                                          page=form.page_number())
    _with_checklists(form, board.checklists, board.checklist)
    return render_template("manager/dashboard.html", board=board, form=form, labels=report_labels(),
                           zip_in_background=bool(current_app.config["STORECHECK_CONFIG"].redis_url))


@bp.route("/areas/<int:area_id>")
@role_required(*MANAGERS)
def area(area_id: int):
    return _dashboard("area", area_id)


@bp.route("/regions/<int:region_id>")
@role_required(*MANAGERS)
def region(region_id: int):
    return _dashboard("region", region_id)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(kind: str, scope_id: int, file_type: str = "csv") -> Response:
    # Everything that can refuse the download is checked here, before the first byte is sent.
    _form, period, checklist, _sort, _descending = _filters()
    export = exports.prepare_scope_export(db.session, current_user, kind, scope_id, period=period,
                                          checklist_id=checklist, lang=_lang(),
                                          headers=dict(csv_headers(), sheet=_("Counted visits")),
                                          labels=report_labels())
    chunks = exports.xlsx_chunks(export) if file_type == "xlsx" else exports.csv_chunks(export)
    response = Response(stream_with_context(chunks),
                        content_type=XLSX_TYPE if file_type == "xlsx" else "text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}.{file_type}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/areas/<int:area_id>/visits.csv")
@role_required(*MANAGERS)
def area_export(area_id: int):
    return _export("area", area_id)


@bp.route("/regions/<int:region_id>/visits.csv")
@role_required(*MANAGERS)
def region_export(region_id: int):
    return _export("region", region_id)


@bp.route("/stores/<int:store_id>/visits.csv")
@role_required(*READERS)
def store_export(store_id: int):
    return _export("store", store_id)


@bp.route("/areas/<int:area_id>/visits.xlsx")
@role_required(*MANAGERS)
def area_export_xlsx(area_id: int):
    return _export("area", area_id, "xlsx")


@bp.route("/regions/<int:region_id>/visits.xlsx")
@role_required(*MANAGERS)
def region_export_xlsx(region_id: int):
    return _export("region", region_id, "xlsx")


@bp.route("/stores/<int:store_id>/visits.xlsx")
@role_required(*READERS)
def store_export_xlsx(store_id: int):
    return _export("store", store_id, "xlsx")


@bp.route("/areas/<int:area_id>/scorecard-jobs", methods=["POST"])
@role_required(*MANAGERS)
def start_area_pdfs(area_id: int):
    days, checklist, _s, _d = FilterScorecardsForm(request.form).values()
    now = _now()
    period = make_period(now, days)
    wanted = jobs.ScorecardRequest(period_days=period.days, period_start=period.start, period_end=period.end,
                                   checklist_id=checklist, lang=_lang(), labels=report_labels())
    try:
        job = jobs.start_area_scorecards(db.session, current_user, area_id, request=wanted, queue=_job_queue(),
                                         now=now)
    except jobs.JobQueueUnavailableError:
        flash(_("The PDF scorecards cannot be prepared just now. Try again in a minute."), "error")
        return redirect(url_for("manager.area", area_id=area_id, days=days, checklist=checklist or ""), 303)
    return redirect(url_for("manager.pdf_job", job_id=job.id), 303)


def _job_queue() -> jobs.JobQueue:
    return jobs.job_queue(current_app.config["STORECHECK_CONFIG"])


@bp.route("/jobs/<job_id>")
@role_required(*MANAGERS)
def pdf_job(job_id: str):
    try:
        job = jobs.get_job(db.session, current_user, job_id, queue=_job_queue(), now=_now())
    except jobs.JobQueueUnavailableError:
        abort(503)
    return render_template("manager/job.html", job=job, refresh_seconds=JOB_REFRESH_SECONDS)


@bp.route("/jobs/<job_id>/scorecards.zip")
@role_required(*MANAGERS)
def pdf_job_download(job_id: str):
    try:
        path, filename = jobs.get_job_zip(db.session, current_user, job_id, queue=_job_queue(), now=_now())
    except jobs.JobNotReadyError:
        return redirect(url_for("manager.pdf_job", job_id=job_id))
    except jobs.JobQueueUnavailableError:
        abort(503)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/stores/<int:store_id>")
@role_required(*READERS)
def store(store_id: int):
    form, period, checklist, _, _ = _filters()
    labels = report_labels()
    page = store_page.get_store_page(db.session, current_user, store_id, period=period, checklist_id=checklist,
                                     lang=_lang(), labels=labels)
    _with_checklists(form, page.checklists, page.checklist)
    bands = page.grades.chart_bands()
    return render_template(
        "manager/store.html", page=page, form=form, labels=labels,
        trend_svg=page_charts.trend_charts(page.trend_days, page.area_trend, labels=labels, bands=bands,
                                           lang=_lang()),
        sections_svg=page_charts.sections_charts(page.section_rows, labels=labels, bands=bands))


@bp.route("/stores/<int:store_id>/scorecard.pdf")
@role_required(*READERS)
def store_pdf(store_id: int):
    _, period, checklist, _, _ = _filters()
    pdf = scorecard.store_scorecard(db.session, current_user, store_id, **_pdf_args(period, checklist))
    return _download(pdf.data, pdf.filename, "application/pdf")


def _photo_url(photo_id: int, variant: str) -> str:
    return url_for("photos.image", photo_id=photo_id, variant=variant)


@bp.route("/visits/<int:visit_id>")
@role_required(*READERS)
def visit(visit_id: int):
    labels = report_labels()
    page = visit_page.get_visit_page(
        db.session, current_user, visit_id, lang=_lang(), labels=labels, photo_alt=_("Photo for this question"),
        photo_urls=_photo_url if "photos.image" in current_app.view_functions else None)
    return render_template("manager/visit.html", page=page, labels=labels,
                           proof=fraud.visit_proof(db.session, current_user, visit_id))


@bp.route("/compare")
@role_required(*MANAGERS)
def compare():
    form, period, checklist, _s, _d = _filters(CompareStoresForm)
    if form.names_missing_store:
        abort(404)
    page = compare_scores.get_compare_page(db.session, current_user, form.store_ids, period=period,
                                           checklist_id=checklist, lang=_lang())
    if page.problem is not None:
        flash(error_text(page.problem), "error")
    comparison = page.comparison
    chart_svg = None
    if comparison is not None:
        _with_checklists(form, comparison.checklists, comparison.checklist)
        chart_svg = page_charts.compare_charts([h.title for h in comparison.sections],
                                               [(s.name, s.sections) for s in comparison.stores],
                                               bands=comparison.grades.chart_bands())
    return render_template("manager/compare.html", form=form, comparison=comparison, chart_svg=chart_svg,
                           choices=page.choices)
