"""Head office: webhook endpoints, their secrets (shown once), test events and delivery logs."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from audit_app.extensions import db
from audit_app.headoffice import bp
from audit_app.headoffice.common import head_office, now, refuse_unless_valid
from audit_app.headoffice.forms import ActionForm, WebhookEndpointForm, _choices
from audit_app.i18n import error_text
from audit_app.services import webhooks


def _settings() -> webhooks.DeliverySettings:
    return webhooks.DeliverySettings.from_config(current_app.config["STORECHECK_CONFIG"])


def _form(endpoint: webhooks.EndpointRow | None = None) -> WebhookEndpointForm:
    form = WebhookEndpointForm(data={"url": endpoint.url, "description": endpoint.description,
                                     "event_types": list(endpoint.event_types)} if endpoint else None)
    form.event_types.choices = _choices((key, _l(kind.label)) for key, kind in webhooks.EVENT_TYPES.items())
    return form


def _field_error(form: WebhookEndpointForm, error: webhooks.WebhookError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(error_text(error))  # type: ignore[union-attr]


@bp.route("/webhooks")
@head_office
def webhooks_list():
    return render_template("headoffice/webhooks.html", endpoints=webhooks.list_endpoints(db.session),
                           event_types=webhooks.EVENT_TYPES)


@bp.route("/webhooks/new", methods=["GET", "POST"])
@head_office
def new_webhook():
    form = _form()
    if form.validate_on_submit():
        try:
            created = webhooks.create_endpoint(db.session, current_user, url=form.url.data,
                                               event_types=form.event_types.data or [],
                                               description=form.description.data or "", settings=_settings(),
                                               now=now())
        except webhooks.WebhookError as error:
            _field_error(form, error)
        else:
            return render_template("headoffice/webhook_secret.html", endpoint=webhooks.get_endpoint(
                db.session, created.id), secret=created.secret, is_new=True)
    status = 422 if request.method == "POST" else 200
    return render_template("headoffice/webhook_form.html", form=form, endpoint=None), status


@bp.route("/webhooks/<int:endpoint_id>")
@head_office
def webhook(endpoint_id: int):
    endpoint = webhooks.get_endpoint(db.session, endpoint_id)
    return render_template("headoffice/webhook.html", endpoint=endpoint, action=ActionForm(),
                           deliveries=webhooks.list_deliveries(db.session, endpoint_id),
                           event_types=webhooks.EVENT_TYPES, errors=webhooks.ERRORS)


@bp.route("/webhooks/<int:endpoint_id>/edit", methods=["GET", "POST"])
@head_office
def edit_webhook(endpoint_id: int):
    endpoint = webhooks.get_endpoint(db.session, endpoint_id)
    form = _form(endpoint) if request.method == "GET" else _form()
    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(db.session, current_user, endpoint_id, url=form.url.data,
                                     event_types=form.event_types.data or [],
                                     description=form.description.data or "", settings=_settings(), now=now())
        except webhooks.WebhookError as error:
            _field_error(form, error)
        else:
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("headoffice.webhook", endpoint_id=endpoint_id))
    status = 422 if request.method == "POST" else 200
    return render_template("headoffice/webhook_form.html", form=form, endpoint=endpoint), status


@bp.route("/webhooks/<int:endpoint_id>/active", methods=["POST"])
@head_office
def set_webhook_active(endpoint_id: int):
    refuse_unless_valid(ActionForm())
    active = request.form.get("active") == "1"
    webhooks.set_endpoint_active(db.session, current_user, endpoint_id, active, now=now())
    flash(_("The endpoint is on: new events are sent to it.") if active
          else _("The endpoint is off: nothing is sent to it."), "success")
    return redirect(url_for("headoffice.webhook", endpoint_id=endpoint_id))


@bp.route("/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@head_office
def rotate_webhook_secret(endpoint_id: int):
    refuse_unless_valid(ActionForm())
    created = webhooks.rotate_secret(db.session, current_user, endpoint_id, now=now())
    return render_template("headoffice/webhook_secret.html", endpoint=webhooks.get_endpoint(db.session, created.id),
                           secret=created.secret, is_new=False)


@bp.route("/webhooks/<int:endpoint_id>/test", methods=["POST"])
@head_office
def test_webhook(endpoint_id: int):
    refuse_unless_valid(ActionForm())
    webhooks.send_test_event(db.session, current_user, endpoint_id, now=now())
    flash(_("A test event is on its way; its delivery appears below."), "success")
    return redirect(url_for("headoffice.webhook", endpoint_id=endpoint_id))


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@head_office
def redeliver_webhook(endpoint_id: int, delivery_id: int):
    refuse_unless_valid(ActionForm())
    try:
        webhooks.redeliver(db.session, current_user, endpoint_id, delivery_id, now=now())
    except webhooks.WebhookError as error:
        flash(error_text(error), "error")
    else:
        flash(_("The event is sent again, with the same event id."), "success")
    return redirect(url_for("headoffice.webhook", endpoint_id=endpoint_id))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@head_office
def delete_webhook(endpoint_id: int):
    refuse_unless_valid(ActionForm())
    webhooks.delete_endpoint(db.session, current_user, endpoint_id, now=now())
    flash(_("Endpoint deleted."), "success")
    return redirect(url_for("headoffice.webhooks_list"))
