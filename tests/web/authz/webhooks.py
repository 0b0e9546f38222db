"""Webhooks: every page and action is for head office only (403 for shoppers and area managers)."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import NOW
from tests.web.authz import Case, only

HEAD = "/head-office/webhooks"
# A documentation address (TEST-NET-1): a delivery to it is refused before any connection is made.
URL = "https://192.0.2.10/storecheck"


def _endpoint(**fields) -> WebhookEndpoint:  # type: ignore[no-untyped-def]
    endpoint = WebhookEndpoint(url=URL, description="", event_types=["visit.approved"], secret="whsec_test",
                               is_active=True, consecutive_failures=0, created_at=NOW, updated_at=NOW, **fields)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def cases(world) -> list[Case]:  # type: ignore[no-untyped-def]
    kept, switched, deleted = _endpoint(), _endpoint(), _endpoint()
    event = WebhookEvent(id="evt_" + "a" * 32, type="visit.approved", created_at=NOW,
                         data={"object": "visit", "id": 1, "url": "/api/v1/visits/1"})
    db.session.add(event)
    db.session.flush()
    delivery = WebhookDelivery(endpoint_id=kept.id, event_id=event.id, status="succeeded", attempts=1,
                               created_at=NOW, response_code=200, response_excerpt="ok", error="")
    db.session.add(delivery)
    db.session.commit()
    ok, moved = only({"head": 200}), only({"head": 302})
    missing = only({"head": 404})
    return [
        Case("headoffice.webhooks_list", "GET", HEAD, ok),
        Case("headoffice.new_webhook", "GET", f"{HEAD}/new", ok),
        Case("headoffice.new_webhook", "POST", f"{HEAD}/new", only({"head": 422}),
             data={"url": "http://127.0.0.1/x", "event_types": "visit.approved"}),
        Case("headoffice.webhook", "GET", f"{HEAD}/{kept.id}", ok),
        Case("headoffice.webhook", "GET", f"{HEAD}/999999", missing),
        # An absurd id is no route at all: 404 for everyone, signed in or not.
        Case("headoffice.webhook", "GET", f"{HEAD}/99999999999999999999", only({}, others=404, anonymous=404)),
        Case("headoffice.edit_webhook", "GET", f"{HEAD}/{kept.id}/edit", ok),
        Case("headoffice.edit_webhook", "POST", f"{HEAD}/{kept.id}/edit", only({"head": 422}),
             data={"url": URL}),
        Case("headoffice.edit_webhook", "GET", f"{HEAD}/999999/edit", missing),
        Case("headoffice.test_webhook", "POST", f"{HEAD}/{kept.id}/test", moved),
        Case("headoffice.test_webhook", "POST", f"{HEAD}/999999/test", missing),
        Case("headoffice.redeliver_webhook", "POST", f"{HEAD}/{kept.id}/deliveries/{delivery.id}/redeliver", moved),
        Case("headoffice.redeliver_webhook", "POST", f"{HEAD}/{switched.id}/deliveries/{delivery.id}/redeliver",
             missing),
        Case("headoffice.rotate_webhook_secret", "POST", f"{HEAD}/{kept.id}/secret", ok),
        Case("headoffice.rotate_webhook_secret", "POST", f"{HEAD}/999999/secret", missing),
        Case("headoffice.set_webhook_active", "POST", f"{HEAD}/{switched.id}/active", moved, data={"active": "0"}),
        Case("headoffice.set_webhook_active", "POST", f"{HEAD}/999999/active", missing, data={"active": "1"}),
        Case("headoffice.delete_webhook", "POST", f"{HEAD}/{deleted.id}/delete", moved),
        Case("headoffice.delete_webhook", "POST", f"{HEAD}/999999/delete", missing),
    ]
