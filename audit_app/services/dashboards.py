"""Nothing lives here any more: the score read side is the package `services.scores`.

These names stay importable for callers that have not moved yet (head office views, background jobs).
"""

from audit_app.services.scores.home import list_area_summaries
from audit_app.services.scores.scope import Period, get_area_scope, make_period

__all__ = ["Period", "get_area_scope", "list_area_summaries", "make_period"]
