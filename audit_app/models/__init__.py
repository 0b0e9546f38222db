"""The data model: one module per aggregate. Importing this package registers every table."""

from audit_app.models.audit_log import AuditLog
from audit_app.models.checklists import Checklist, ChecklistVersion
from audit_app.models.org import Area, Region, Store
from audit_app.models.ratelimits import RateLimitCounter
from audit_app.models.scores import SectionScore, VisitScore
from audit_app.models.settings import Setting
from audit_app.models.users import ROLES, User, area_managers
from audit_app.models.visits import Answer, Assignment, Photo, Visit

__all__ = [
    "Answer", "Area", "Assignment", "AuditLog", "Checklist", "ChecklistVersion", "Photo", "ROLES",
    "RateLimitCounter", "Region", "SectionScore", "Setting", "Store", "User", "Visit", "VisitScore", "area_managers",
]
