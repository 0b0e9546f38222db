"""Scorecards for area managers and head office: dashboards, store and visit pages, compare, CSV and PDFs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NoReturn

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from audit_app.authz import role_required
from audit_app.services.access import managed_area_ids
from audit_app.extensions import db
from audit_app.manager import bp
from audit_app.manager.forms import CompareStoresForm, FilterScorecardsForm
from audit_app.manager.wording import csv_headers, report_labels
from audit_app.services import dashboards, exports, jobs, pdf_jobs
from audit_app.services.errors import NotFoundError, PermissionDeniedError
from audit_app.services.zones import local_time
from reports import charts
from reports.context import PhotoRef

PERIOD_DAYS = dashboards.DEFAULT_PERIOD_DAYS  # the home page shows what each dashboard opens with
# Narrower than the PDF's charts, so their text stays legible when a page scales them to its width; a phone gets
# a narrower drawing still (CSS shows one of the two), whose 9 pt text shows at about 12 px on a 390 px screen.
WEB_CHART_WIDTH = 5.0
PHONE_CHART_WIDTH = 3.3
MANAGERS = ("area_manager", "head_office")
# The job page reloads itself this often while a batch is queued or running.
JOB_REFRESH_SECONDS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lang() -> str:
    return str(get_locale() or "en")


def _refuse(error: Exception) -> NoReturn:
    abort(404 if isinstance(error, NotFoundError) else 403)


def _filters(form_class: type[FilterScorecardsForm] = FilterScorecardsForm) -> tuple[Any, dashboards.Period,
                                                                                     int | None, str, bool]:
    form = form_class(request.args)
    days, checklist, sort, descending = form.values()
    return form, dashboards.make_period(_now(), days), checklist, sort, descending


def _with_checklists(form: FilterScorecardsForm, options: tuple[dashboards.ChecklistOption, ...],
                     chosen: dashboards.ChecklistOption | None) -> None:
    form.checklist_choices = [(o.id, o.title) for o in options]
    form.checklist.data = chosen.id if chosen else None


def _branding() -> Any:
    config = current_app.config["STORECHECK_CONFIG"]
    return pdf_jobs.branding_from(config.brand_name, config.brand_accent, config.brand_logo)


def _pdf_args(period: dashboards.Period, checklist: int | None) -> dict[str, Any]:
    config = current_app.config["STORECHECK_CONFIG"]
    return {"period": period, "checklist_id": checklist, "lang": _lang(), "labels": report_labels(),
            "branding": _branding(), "upload_dir": config.upload_dir, "format_date": format_date, "now": _now()}


def _download(data: bytes, filename: str, content_type: str) -> Response:
    # content_type, not mimetype: Flask appends a charset to a text mimetype, which named utf-8 twice.
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/")
@role_required(*MANAGERS)
def home():
    area_ids = None if current_user.role == "head_office" else managed_area_ids(db.session, current_user)
    period = dashboards.make_period(_now(), PERIOD_DAYS)
    return render_template("manager/home.html", period_days=PERIOD_DAYS,
                           areas=dashboards.list_area_summaries(db.session, area_ids, period=period, lang=_lang()),
                           region_links=_region_links() if current_user.role == "head_office" else [],
                           stores=dashboards.list_store_summaries(db.session, area_ids, period=period, lang=_lang()))


def _region_links() -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in dashboards.list_regions(db.session)]


def _dashboard(scope_loader: Any, scope_id: int):  # type: ignore[no-untyped-def]
    try:
        scope = scope_loader(db.session, current_user, scope_id)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    form, period, checklist, sort, descending = _filters()
    board = dashboards.get_dashboard(db.session, current_user, scope, period=period, checklist_id=checklist,
                                     lang=_lang(), sort=sort, descending=descending)
    _with_checklists(form, board.checklists, board.checklist)
    return render_template("manager/dashboard.html", board=board, form=form, labels=report_labels())


@bp.route("/areas/<int:area_id>")
@role_required(*MANAGERS)
def area(area_id: int):
    return _dashboard(dashboards.get_area_scope, area_id)


@bp.route("/regions/<int:region_id>")
@role_required(*MANAGERS)
def region(region_id: int):
    return _dashboard(dashboards.get_region_scope, region_id)


def _export(scope: dashboards.Scope, store_ids: list[int] | None = None) -> Response:
    _, period, checklist, _, _ = _filters()
    export = exports.export_visits(db.session, current_user, scope, period=period, checklist_id=checklist,
                                   lang=_lang(), headers=csv_headers(), labels=report_labels(), store_ids=store_ids)
    return _download(export.data, export.filename, "text/csv; charset=utf-8")


@bp.route("/areas/<int:area_id>/visits.csv")
@role_required(*MANAGERS)
def area_export(area_id: int):
    try:
        scope = dashboards.get_area_scope(db.session, current_user, area_id)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    return _export(scope)


@bp.route("/regions/<int:region_id>/visits.csv")
@role_required(*MANAGERS)
def region_export(region_id: int):
    try:
        scope = dashboards.get_region_scope(db.session, current_user, region_id)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    return _export(scope)


@bp.route("/areas/<int:area_id>/scorecard-jobs", methods=["POST"])
@role_required(*MANAGERS)
def start_area_pdfs(area_id: int):
    days, checklist, _s, _d = FilterScorecardsForm(request.form).values()
    now = _now()
    period = dashboards.make_period(now, days)
    wanted = jobs.ScorecardRequest(period_days=period.days, period_start=period.start, period_end=period.end,
                                   checklist_id=checklist, lang=_lang(), labels=report_labels())
    try:
        job = jobs.start_area_scorecards(db.session, current_user, area_id, request=wanted, queue=_job_queue(),
                                         now=now)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
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
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    except jobs.JobQueueUnavailableError:
        abort(503)
    return render_template("manager/job.html", job=job, refresh_seconds=JOB_REFRESH_SECONDS)


@bp.route("/jobs/<job_id>/scorecards.zip")
@role_required(*MANAGERS)
def pdf_job_download(job_id: str):
    try:
        path, filename = jobs.get_job_zip(db.session, current_user, job_id, queue=_job_queue(), now=_now())
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    except jobs.JobNotReadyError:
        return redirect(url_for("manager.pdf_job", job_id=job_id))
    except jobs.JobQueueUnavailableError:
        abort(503)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/stores/<int:store_id>")
@role_required(*MANAGERS)
def store(store_id: int):
    form, period, checklist, _, _ = _filters()
    try:
        page = dashboards.get_store_page(db.session, current_user, store_id, period=period, checklist_id=checklist,
                                         lang=_lang())
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    _with_checklists(form, page.dashboard.checklists, page.dashboard.checklist)
    labels = report_labels()
    trend_svg = sections_svg = None
    bands = page.dashboard.grades.chart_bands()
    if page.trend:
        trend_svg = tuple(charts.trend_chart(
            [(local_time(p.at, page.store.timezone).date(), float(p.percent)) for p in page.trend],
            [(d, float(v)) for d, v in page.area_trend],
            store_label=labels["this_store"], reference_label=labels["area_monthly_mean"], width=width,
            id_prefix=f"trend{n}", bands=bands, lang=_lang())
            for n, width in enumerate((WEB_CHART_WIDTH, PHONE_CHART_WIDTH)))
    if page.sections and any(s.store is not None for s in page.sections):
        rows = [(s.title, None if s.store is None else float(s.store), None if s.area is None else float(s.area))
                for s in page.sections]
        sections_svg = tuple(charts.sections_chart(rows, store_label=labels["this_store"],
                                                   reference_label=labels["area_average"], width=width,
                                                   id_prefix=f"sections{n}", bands=bands)
                             for n, width in enumerate((WEB_CHART_WIDTH, PHONE_CHART_WIDTH)))
    return render_template("manager/store.html", page=page, form=form, labels=labels, trend_svg=trend_svg,
                           sections_svg=sections_svg, kpis=pdf_jobs.kpi_facts(page.kpis, labels))


@bp.route("/stores/<int:store_id>/visits.csv")
@role_required(*MANAGERS)
def store_export(store_id: int):
    try:
        info = dashboards.store_info(db.session, store_id)
        dashboards.get_area_scope(db.session, current_user, info.area_id)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    scope = dashboards.Scope("area", info.area_id, info.area_name, info.region_id, info.region_name,
                             (info.area_id,))
    return _export(scope, [store_id])


@bp.route("/stores/<int:store_id>/scorecard.pdf")
@role_required(*MANAGERS)
def store_pdf(store_id: int):
    _, period, checklist, _, _ = _filters()
    try:
        pdf = pdf_jobs.store_scorecard(db.session, current_user, store_id, **_pdf_args(period, checklist))
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    return _download(pdf.data, pdf.filename, "application/pdf")


def _photo_ref(photo: dashboards.PhotoInfo) -> PhotoRef:
    alt = _("Photo for this question")
    if "photos.image" not in current_app.view_functions:
        return PhotoRef(thumb="", full=None, alt=alt)
    return PhotoRef(thumb=url_for("photos.image", photo_id=photo.id, variant="thumb"),
                    full=url_for("photos.image", photo_id=photo.id, variant="full"), alt=alt)


@bp.route("/visits/<int:visit_id>")
@role_required(*MANAGERS)
def visit(visit_id: int):
    try:
        page = dashboards.get_visit_page(db.session, current_user, visit_id, lang=_lang(), labels=report_labels(),
                                         photo_ref=_photo_ref)
    except (NotFoundError, PermissionDeniedError) as error:
        _refuse(error)
    return render_template("manager/visit.html", page=page, labels=report_labels())


@bp.route("/compare")
@role_required(*MANAGERS)
def compare():
    form, period, checklist, _s, _d = _filters(CompareStoresForm)
    choices = dashboards.visible_stores(db.session, current_user)
    comparison = None
    chart_svg = None
    wanted = form.store_ids
    if form.names_missing_store:
        abort(404)
    if wanted:
        try:
            comparison = dashboards.get_comparison(db.session, current_user, wanted, period=period,
                                                   checklist_id=checklist, lang=_lang())
        except (NotFoundError, PermissionDeniedError) as error:
            _refuse(error)
        except dashboards.DashboardError:
            flash(_("Choose between %(low)s and %(high)s stores to compare.", low=dashboards.COMPARE_MIN,
                    high=dashboards.COMPARE_MAX), "error")
        if comparison is not None:
            _with_checklists(form, comparison.checklists, comparison.checklist)
            if comparison.sections and any(v is not None for s in comparison.stores for v in s.sections):
                series = [(s.name, [None if v is None else float(v) for v in s.sections]) for s in comparison.stores]
                chart_svg = tuple(charts.compare_chart([h.title for h in comparison.sections], series, width=width,
                                                       id_prefix=f"compare{n}",
                                                       bands=comparison.grades.chart_bands())
                                  for n, width in enumerate((WEB_CHART_WIDTH, PHONE_CHART_WIDTH)))
    return render_template("manager/compare.html", form=form, comparison=comparison, chart_svg=chart_svg,
                           choices=choices)
