"""Head office: figures that show their uncertainty across the chain (best and worst stores, shopper calibration)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, lang, now
from audit_app.headoffice.stats_forms import ChainFilterForm
from audit_app.i18n import error_text
from audit_app.services.scores import calibration as calibration_service
from audit_app.services.scores import chain


def _form() -> ChainFilterForm:
    return ChainFilterForm(request.args)


@bp.route("/rankings")
@head_office
def rankings():
    form = _form()
    read = form.read(now().date())
    ranking = problem = None
    if read is not None:
        checklist_id, start, end = read
        try:
            ranking = chain.get_chain_ranking(db.session, current_user, checklist_id=checklist_id, start=start, end=end,
                                              top=form.top.data, firm_only=form.firm.data == "leave", lang=lang())
        except chain.RankingError as error:
            problem = error_text(error)
    return render_template("headoffice/rankings.html", form=form, ranking=ranking, problem=problem)


@bp.route("/calibration")
@head_office
def calibration():
    form = _form()
    read = form.read(now().date())
    result = None
    if read is not None:
        checklist_id, start, end = read
        result = calibration_service.get_calibration(db.session, current_user, checklist_id=checklist_id,
                                                     start=start, end=end, lang=lang())
    return render_template("headoffice/calibration.html", form=form, result=result)

