"""Programme settings: defaults in code, head office's choices in the `settings` table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from audit_app.models import Setting, User
from audit_app.services import audit
from audit_app.services.errors import N_, ServiceError


class SettingsError(ServiceError):
    pass


@dataclass(frozen=True)
class ProgrammeSettings:
    # Submitted visits wait for head office's approval before they count in scorecards.
    review_required: bool = False
    # Area managers see who the shopper was (on visit pages and in CSV exports).
    show_shopper_to_managers: bool = True
    # A store's mean or rank resting on fewer counted visits than this is shown as provisional.
    min_visits_for_figures: int = 3
    # Two shoppers' visits to the same store this many days apart or less are compared for agreement.
    agreement_window_days: int = 7
    # Proof-of-visit checks (services.fraud): the thresholds behind each flag.
    default_radius_m: int = 150  # a store without its own radius: how far from it a visit may be, in metres
    max_accuracy_m: int = 250  # a location less precise than this gives no verdict (unless far outside anyway)
    min_visit_minutes: int = 10  # a checklist without its own plausible minimum: visits faster than this
    time_slack_minutes: int = 15  # entered/left times and photo times may be this far outside start-submit
    late_submit_hours: int = 24  # a submit this long after the visit started is flagged
    similar_photo_bits: int = 6  # photos whose perceptual hashes differ in at most this many of 64 bits
    entered_question: str = "arrival_time"  # the time question where the shopper says when they entered
    left_question: str = "departure_time"  # ... and when they left


_CACHE_KEY = "storecheck.settings"
_KNOWN = frozenset(f.name for f in fields(ProgrammeSettings))


def get_settings(session: Session) -> ProgrammeSettings:
    """The current settings: stored values over the defaults (unknown stored keys are ignored).

    Read once per transaction: a submit or a dashboard asks several services that each need them, and within
    one transaction they cannot change except through `update_settings`, which forgets the copy."""
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    stored = {row.key: row.value for row in session.scalars(select(Setting)) if row.key in _KNOWN}
    settings = replace(ProgrammeSettings(), **stored)
    # The statement above began a transaction when there was none: the copy belongs to that one.
    session.info[_CACHE_KEY] = (session.get_transaction(), settings)
    return settings


def update_settings(session: Session, actor: User, changes: dict[str, Any], *, now: datetime) -> ProgrammeSettings:
    """Change some settings (head office), logging before and after. Raises SettingsError for unknown keys."""
    current = get_settings(session)
    types = {f.name: f.type for f in fields(ProgrammeSettings)}
    unknown = sorted(set(changes) - set(types))
    if unknown:
        raise SettingsError(N_("Unknown setting(s): %(names)s."), names=", ".join(unknown))
    for key, value in changes.items():
        row = session.get(Setting, key)
        if row is None:
            row = Setting(key=key)
            session.add(row)
        row.value = value
        row.updated_at = now
        row.updated_by_id = actor.id
    updated = replace(current, **changes)
    session.info.pop(_CACHE_KEY, None)
    audit.record(session, actor=actor, action="settings.update", entity_type="settings", entity_id="programme",
                 now=now, before=asdict(current), after=asdict(updated))
    session.commit()
    return updated
