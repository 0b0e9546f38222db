"""E-mail: password reset, e-mail choices, unsubscribe links and the outbox head office reads."""

from __future__ import annotations

from flask import current_app

from audit_app.extensions import db
from audit_app.mail.links import unsubscribe_token
from audit_app.services import notifications
from tests.factories import NOW
from tests.web.authz import ROLES, Case, only


def _everyone(status: int) -> dict[str, int]:
    return {role: status for role in ROLES}


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    message = notifications.notify(db.session, notifications.VISIT_RETURNED.key, world.shopper,
                                   {"store": "Ginza", "note": "Add the receipt.",
                                    "link": notifications.link("shopper.home")}, now=NOW)
    db.session.commit()
    assert message is not None
    token = unsubscribe_token(current_app.config["SECRET_KEY"], world.shopper.id, "visit_returned")
    signed_out = {**_everyone(200)}
    return [
        Case("auth.forgot_password", "GET", "/password/forgot", signed_out),
        # The same answer for an address that belongs to someone and one that does not.
        Case("auth.forgot_password", "POST", "/password/forgot", _everyone(302), data={"email": world.shopper.email}),
        Case("auth.forgot_password", "POST", "/password/forgot", _everyone(302), data={"email": "nobody@x.example"}),
        Case("auth.reset_password", "GET", "/password/reset/not-a-real-link", _everyone(410)),
        Case("auth.reset_password", "POST", "/password/reset/not-a-real-link", _everyone(410),
             data={"new": "a long new pass phrase", "confirm": "a long new pass phrase"}),
        Case("auth.reset_password", "GET", "/password/reset/" + "x" * 500, _everyone(404)),
        Case("auth.email_preferences", "GET", "/account/email", only({r: 200 for r in ROLES if r != "anonymous"})),
        Case("auth.email_preferences", "POST", "/account/email", only({r: 302 for r in ROLES if r != "anonymous"}),
             data={"kind": "weekly_digest"}),
        # A signed link is its own authority: whoever holds it may stop that kind of e-mail, signed in or not.
        Case("auth.unsubscribe", "GET", f"/email/unsubscribe/{token}", _everyone(200)),
        Case("auth.unsubscribe", "POST", f"/email/unsubscribe/{token}", _everyone(200),
             data={"List-Unsubscribe": "One-Click"}),
        Case("auth.unsubscribe", "GET", f"/email/unsubscribe/{token}x", _everyone(404)),
        Case("auth.unsubscribe", "POST", "/email/unsubscribe/forged", _everyone(404),
             data={"List-Unsubscribe": "One-Click"}),
        Case("headoffice.outbox_message", "GET", f"/head-office/outbox/{message.id}", only({"head": 200})),
        Case("headoffice.outbox_message", "GET", "/head-office/outbox/99999999", only({"head": 404})),
        Case("headoffice.outbox_message", "GET", "/head-office/outbox/99999999999999999999",
             only({"head": 404}, others=404, anonymous=404)),
    ]


