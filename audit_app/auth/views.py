from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from audit_app.auth import bp
from audit_app.auth.forms import ChangePasswordForm, ChooseLanguageForm, SignInForm, SignOutForm
from audit_app.auth.throttle import LimiterSignInThrottle
from audit_app.extensions import db, limiter
from audit_app.i18n import message_text
from audit_app.services import users as user_service

# A language picked before signing in, kept apart from the session's language so that only a real choice (and
# not a language left in the cookie by whoever signed in last) is carried into the account.
SIGN_IN_LOCALE = "sign_in_locale"
HOME_ENDPOINTS = {
    "shopper": "shopper.home",
    "store_manager": "manager.home",
    "area_manager": "manager.home",
    "head_office": "headoffice.home",
}


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so a crafted link cannot send a user elsewhere after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_ENDPOINTS[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute;100 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.index"))
    form = SignInForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        status = 401
        try:
            user = user_service.authenticate(
                db.session, email=form.email.data, password=form.password.data,
                now=datetime.now(timezone.utc), throttle=LimiterSignInThrottle.for_request(),
                chosen_locale=session.get(SIGN_IN_LOCALE),
            )
        except user_service.SignInThrottledError:
            form.form_errors.append(_("Too many failed sign-ins. Please wait a few minutes and try again."))
            status = 429
        except user_service.InvalidCredentialsError:
            form.form_errors.append(_("That e-mail and password do not match. Please try again."))
        else:
            session.clear()
            login_user(user)
            session["locale"] = user.locale
            return redirect(_safe_next(form.next.data) or url_for("auth.index"))
    else:
        status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    form = SignOutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            user_service.end_sessions(db.session, current_user._get_current_object())
        language = str(get_locale() or "")  # the sign-in page that follows speaks the language they worked in
        logout_user()
        session.clear()
        if language:
            session["locale"] = language
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def choose_language():
    form = ChooseLanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            user_service.set_locale(db.session, current_user._get_current_object(), form.locale.data)
        else:
            session[SIGN_IN_LOCALE] = form.locale.data
    return redirect(_safe_next(form.next.data) or url_for("auth.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        problems = user_service.change_password(
            db.session, user, current=form.current.data, new=form.new.data, now=datetime.now(timezone.utc),
            password_hash_method=current_app.config["STORECHECK_CONFIG"].password_hash_method)
        if not problems:
            login_user(user)  # this session carries on under the new token; every other one has ended
            flash(_("Your password has been changed. You are still signed in here and signed out everywhere else."),
                  "info")
            return redirect(url_for("auth.index"))
        form.current.errors = [message_text(problems["current"])] if "current" in problems else []
        form.new.errors = [message_text(problems["new"])] if "new" in problems else []
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("auth/password.html", form=form), status
