"""Password reset by e-mail, each person's choice of e-mails, and the one-click unsubscribe link."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf

from audit_app.auth import bp
from audit_app.auth.forms import EmailPreferencesForm, ForgotPasswordForm, ResetPasswordForm, UnsubscribeForm
from audit_app.extensions import csrf, db, limiter
from audit_app.i18n import error_text, message_text
from audit_app.mail.links import read_unsubscribe_token
from audit_app.services import notifications, password_reset

# A reset link's secret is 43 characters of base64url; anything much longer is not one.
MAX_SECRET = 100


def _config():  # type: ignore[no-untyped-def]
    return current_app.config["STORECHECK_CONFIG"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_password_reset(db.session, form.email.data, now=_now(),
                                              valid_for=timedelta(minutes=_config().password_reset_minutes))
        # The same answer whether or not the address belongs to anyone.
        flash(_("If that address belongs to an account, a link to choose a new password is on its way. "
                "It works once, for %(minutes)d minutes.", minutes=_config().password_reset_minutes), "info")
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    if len(token) > MAX_SECRET:
        abort(404)
    form = ResetPasswordForm()
    status = 200
    try:
        if form.validate_on_submit():
            problems = password_reset.reset_password(db.session, token, form.new.data, now=_now(),
                                                     password_hash_method=_config().password_hash_method)
            if not problems:
                flash(_("Your password has been changed and you have been signed out everywhere. "
                        "Sign in with the new password."), "info")
                return redirect(url_for("auth.login"))
            form.new.errors = [message_text(problems["new"])]
            status = 422
        else:
            password_reset.check_reset_link(db.session, token, now=_now())
            status = 422 if request.method == "POST" else 200
    except password_reset.ResetLinkError as error:
        return render_template("auth/reset_password.html", form=None, problem=error_text(error)), 410
    response = current_app.make_response((render_template("auth/reset_password.html", form=form, problem=None),
                                          status))
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's secret stays out of other sites' logs
    return response


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def email_preferences():
    user = current_user._get_current_object()
    form = EmailPreferencesForm()
    if form.validate_on_submit():
        known = {kind.key for kind in notifications.kinds_for(user.role)}
        chosen = [kind for kind in request.form.getlist("kind") if kind in known]
        notifications.set_preferences(db.session, user, chosen, now=_now())
        flash(_("Your e-mail choices have been saved."), "success")
        return redirect(url_for("auth.email_preferences"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/email_preferences.html", form=form,
                           preferences=notifications.list_preferences(db.session, user),
                           is_email_on=bool(_config().smtp_url)), status


@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # a mail program's one-click POST (RFC 8058) carries no token; the page's own form is checked below
@limiter.limit("30 per minute", methods=["POST"])
def unsubscribe(token: str):
    named = read_unsubscribe_token(_config().secret_key, token) if len(token) <= 300 else None
    if named is None:
        abort(404)
    user_id, kind = named
    form = UnsubscribeForm()
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        if not one_click:
            try:
                validate_csrf(request.form.get("csrf_token"))
            except CSRFError:
                abort(400)
            except Exception:  # wtforms' ValidationError: a missing or wrong token
                abort(400)
        found = notifications.unsubscribe(db.session, user_id, kind, now=_now())
        if one_click:
            return "", 200
        return render_template("auth/unsubscribe.html", form=None, found=found, done=True)
    found = notifications.describe_unsubscribe(db.session, user_id, kind)
    return render_template("auth/unsubscribe.html", form=form, found=found, done=False)
