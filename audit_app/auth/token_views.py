"""Each person's own personal access tokens for the REST API: create (the secret shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from audit_app.auth import bp
from audit_app.auth.forms import CreateTokenForm, RevokeTokenForm
from audit_app.extensions import db
from audit_app.i18n import error_text
from audit_app.services import api_tokens


def _page(form: CreateTokenForm, secret: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    tokens = api_tokens.list_tokens(db.session, current_user)
    response = render_template("auth/tokens.html", form=form, revoke=RevokeTokenForm(), tokens=tokens, now=now,
                               secret=secret)
    return response, status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = CreateTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422 if request.method == "POST" else 200)
    now = datetime.now(timezone.utc)
    try:
        made = api_tokens.create_token(db.session, current_user, name=form.name.data, scope=form.scope.data,
                                       expires_at=now + timedelta(days=int(form.expires_in.data)), now=now)
    except api_tokens.TokenError as error:
        form.name.errors = [error_text(error)]
        return _page(form, status=422)
    # Rendered, not redirected: the secret must not travel in a flash message stored in the cookie.
    return _page(CreateTokenForm(formdata=None), secret=made.secret, status=201)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = RevokeTokenForm()
    if form.validate_on_submit():
        row = api_tokens.revoke_token(db.session, current_user, token_id, now=datetime.now(timezone.utc))
        flash(_("The token “%(name)s” is revoked: requests with it are refused from now on.", name=row.name), "info")
    return redirect(url_for("auth.tokens"))
