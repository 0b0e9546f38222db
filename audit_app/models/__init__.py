"""The data model: one module per aggregate. Importing this package registers every table."""

from audit_app.models.actions import Action, ActionEvent
from audit_app.models.api_tokens import ApiToken
from audit_app.models.audit_log import AuditLog
from audit_app.models.checklists import Checklist, ChecklistVersion
from audit_app.models.flags import FLAG_KINDS, VisitFlag
from audit_app.models.mail import EmailPreference, OutboxMessage, PasswordResetToken
from audit_app.models.org import Area, Region, Store
from audit_app.models.plans import PlanVisit, UnavailableDates, VisitPlan
from audit_app.models.ratelimits import RateLimitCounter
from audit_app.models.scores import ScoreSummary, SectionScore, VisitScore
from audit_app.models.settings import Setting
from audit_app.models.users import ROLES, User, area_managers, store_managers
from audit_app.models.visits import Answer, Assignment, Photo, Visit
from audit_app.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "Action",
    "ActionEvent",
    "Answer",
    "ApiToken",
    "Area",
    "area_managers",
    "Assignment",
    "AuditLog",
    "Checklist",
    "ChecklistVersion",
    "EmailPreference",
    "FLAG_KINDS",
    "OutboxMessage",
    "PasswordResetToken",
    "Photo",
    "PlanVisit",
    "RateLimitCounter",
    "Region",
    "ROLES",
    "ScoreSummary",
    "SectionScore",
    "Setting",
    "Store",
    "store_managers",
    "UnavailableDates",
    "User",
    "Visit",
    "VisitFlag",
    "VisitPlan",
    "VisitScore",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
