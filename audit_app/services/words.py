"""The words for the keys the data stores, in English and marked for the catalogue: pages (`label` in
audit_app.template_helpers) and service messages show these, translated, never the key itself."""

from __future__ import annotations

from audit_app.services.errors import N_

# English words for the keys the data stores (checklist channels, statuses, question types, scoring methods,
# critical effects, roles, KPIs, audit actions and fields): pages show these, translated, never the key itself.
LABELS: dict[str, dict[str, str]] = {
    "channel": {
        "in_store": N_("In store"), "online": N_("Online"), "phone": N_("Phone"), "chat": N_("Live chat"),
        "email": N_("E-mail channel"), "social": N_("Social media"), "app": N_("Mobile app"),
        "returns": N_("Returns and after-sales"),
    },
    "status": {
        "draft": N_("draft"), "published": N_("published"), "retired": N_("retired"), "submitted": N_("submitted"),
        "approved": N_("approved"), "returned": N_("returned"), "voided": N_("voided"), "open": N_("open"),
        "started": N_("started"), "done": N_("done"), "cancelled": N_("cancelled"),
    },
    "question_type": {
        "yes_no": N_("Yes / no"), "scale": N_("Scale"), "choice": N_("One choice"), "multi": N_("Several choices"),
        "number": N_("Number"), "duration": N_("Duration (stopwatch)"), "nps": N_("Recommendation (0–10)"),
        "text": N_("Text"), "photo": N_("Photo"), "date": N_("Date"), "time": N_("Time"),
        "note": N_("Note for the shopper"),
    },
    "method": {
        "weighted_sections": N_("Weighted sections (mean of section percents by weight)"),
        "points": N_("Points (all points earned over all points possible)"),
    },
    "effect": {
        "zero_section": N_("Critical: sets the section to 0"), "zero_visit": N_("Critical: sets the visit to 0"),
        "cap": N_("Critical: caps the visit at a percentage"),
    },
    "role": {
        "shopper": N_("Shopper"), "area_manager": N_("Area manager"), "head_office": N_("Head office"),
        "store_manager": N_("Store manager"),
    },
    "kpi": {
        "csat": N_("CSAT (satisfaction)"), "ces": N_("Customer effort"), "nps": N_("NPS"),
        "fcr": N_("First-contact resolution"), "greeting_time": N_("Time until greeted"),
        "queue_wait": N_("Checkout queue wait"), "response_time": N_("Response time"),
        "hold_time": N_("Phone hold time"),
    },
    "action": {
        "checklist.create": N_("Created a checklist"), "checklist.draft": N_("Started a draft"),
        "checklist.import": N_("Imported a draft from YAML"), "checklist.discard": N_("Discarded a draft"),
        "checklist.publish": N_("Published a version"), "checklist.retire": N_("Retired a version"),
        "checklist.rescore": N_("Re-scored past visits"),
        "checklist.unassigned": N_("Changed whether visits need an assignment"),
        "visit.submit": N_("Submitted a visit"), "visit.approve": N_("Approved a visit"),
        "visit.return": N_("Returned a visit to the shopper"), "visit.void": N_("Voided a visit"),
        "store.create": N_("Created a store"), "store.update": N_("Changed a store"),
        "store.import": N_("Imported stores"), "store.activate": N_("Reactivated a store"),
        "store.deactivate": N_("Deactivated a store"),
        "user.create": N_("Added a person"), "user.update": N_("Changed a person"),
        "user.import": N_("Imported people"), "user.password": N_("Changed their own password"),
        "user.activate": N_("Reactivated a person"), "user.deactivate": N_("Deactivated a person"),
        "area.create": N_("Created an area"), "area.update": N_("Changed an area"),
        "area.activate": N_("Reactivated an area"), "area.deactivate": N_("Deactivated an area"),
        "region.create": N_("Created a region"), "region.update": N_("Changed a region"),
        "region.activate": N_("Reactivated a region"), "region.deactivate": N_("Deactivated a region"),
        "assignment.create": N_("Assigned a visit"), "assignment.bulk": N_("Assigned an area's stores"),
        "assignment.cancel": N_("Cancelled an assignment"), "settings.update": N_("Changed the settings"),
    },
    "kind": {
        "checklist": N_("Checklists"), "visit": N_("Shoppers' visits"), "store": N_("Stores"), "user": N_("People"),
        "area": N_("Areas"), "region": N_("Regions"), "assignment": N_("Assignments"), "settings": N_("Settings"),
    },
    "field": {
        "status": N_("Status"), "is_active": N_("Active"), "code": N_("Code"), "name": N_("Name"),
        "region_id": N_("Region"), "area_id": N_("Area"), "store_id": N_("Store"), "shopper_id": N_("Shopper"),
        "checklist_id": N_("Checklist"), "email": N_("E-mail"), "role": N_("Role"), "locale": N_("Language"),
        "areas": N_("Areas"), "city": N_("City"), "address": N_("Address"), "timezone": N_("Time zone"),
        "key": N_("Key"), "title": N_("Title"), "number": N_("Version"), "from_number": N_("Started from version"),
        "replaced_by": N_("Replaced by version"),
        "visits": N_("Visits"), "percent": N_("Score"), "window": N_("Visit window"), "stores": N_("Stores"),
        "created": N_("Created"), "updated": N_("Updated"), "allow_unassigned": N_("Visits without an assignment"),
        "review_required": N_("Review required"), "show_shopper_to_managers": N_("Area managers see shoppers"),
    },
}
