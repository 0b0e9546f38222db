"""Nothing lives here any more: stored scores are `services.scores.storage`, the home pages' rows
`services.scores.rows`.

These names stay importable for callers that have not moved yet (visits, review, shopper views).
"""

from audit_app.services.scores.rows import list_visit_rows
from audit_app.services.scores.storage import Rescored, rescored, store_card

__all__ = ["Rescored", "list_visit_rows", "rescored", "store_card"]
