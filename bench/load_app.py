"""The WSGI app bench/load.py runs under gunicorn: Storecheck plus two baseline endpoints registered on the same
Flask app, so they go through the same workers, middleware, session and sign-in check as the app's own pages:

- `GET /bench/bare`: signed in, one trivial query (`SELECT 1`), a two-byte answer: the baseline for pages;
- `POST /bench/bare-insert`: signed in, one row inserted into the bench's own table `bench_rows` (load.py creates
  it: bench/load_data.py BENCH_TABLE) and committed: the baseline for a submit.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask_login import current_user, login_required
from sqlalchemy import text

from audit_app.extensions import csrf, db
from wsgi import app

BARE_PATH = "/bench/bare"
BARE_INSERT_PATH = "/bench/bare-insert"


@app.get(BARE_PATH)
@login_required
def bench_bare() -> str:
    db.session.execute(text("SELECT 1")).scalar()
    return "ok"


@app.post(BARE_INSERT_PATH)
@csrf.exempt
@login_required
def bench_bare_insert() -> tuple[str, int]:
    db.session.execute(text("INSERT INTO bench_rows (user_id, created_at) VALUES (:u, :t)"),
                       {"u": current_user.id, "t": datetime.now(timezone.utc)})
    db.session.commit()
    return "stored", 201
