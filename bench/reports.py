"""How fast are the scorecard pages and PDFs? Prints figures beside baselines measured in the same run; asserts
nothing.

    python bench/reports.py --database-url postgresql://postgres@127.0.0.1:5432/storecheck_bench \
        [--stores 500] [--weeks 104] [--repeat 25]

The first run fills the database (its public schema is rebuilt) with `--stores` stores in areas of ten, each with a
scored in-store visit every week for `--weeks` weeks, inserted in bulk with cards scored by the engine. Later runs
reuse it. Then it times, in-process through the app (server time, no network):

- the area dashboard and the store page (median of --repeat requests), beside a bare Flask page and the app's
  sign-in page;
- one store's PDF scorecard with PNG charts and with SVG charts, beside WeasyPrint rendering a one-line page;
- a batch of 40 store PDFs on one process and on every core.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLCONFIGDIR", str(ROOT / ".cache" / "matplotlib"))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import Config, normalise_database_url  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import (  # noqa: E402
    Area, Region, SectionScore, Store, User, Visit, VisitScore,
)
from audit_app.services import checklists, pdf_jobs, users  # noqa: E402
from audit_app.services.scores import scorecard  # noqa: E402
from audit_app.services.scores.scope import make_period  # noqa: E402
from audit_app.services.seed import _answer  # noqa: E402
from reports import charts  # noqa: E402

PASSWORD = "bench-password-not-secret"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and minimum wall time of `run` in milliseconds, after one warm-up call."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def fill(app: Flask, stores: int, weeks: int) -> None:
    """Organisation, people, the in-store checklist and weekly scored visits, in bulk."""
    session = db.session
    rng = random.Random(5)
    library = checklists.load_library()
    checklist = library["in_store_visit"]
    version = checklists.publish_checklist(session, checklist, now=NOW)
    regions = [Region(code=f"R{r}", name=f"Region {r}") for r in range(max(1, stores // 100))]
    session.add_all(regions)
    session.flush()
    areas = [Area(code=f"A{a:03d}", name=f"Area {a:03d}", region_id=regions[a % len(regions)].id)
             for a in range((stores + 9) // 10)]
    session.add_all(areas)
    session.flush()
    shops = [Store(code=f"S{s:04d}", name=f"Store {s:04d}", city="Tokyo", address="", timezone="Asia/Tokyo",
                   area_id=areas[s // 10].id, is_active=True) for s in range(stores)]
    session.add_all(shops)
    session.commit()
    users.create_user(session, email="head@bench.example", name="Head", password=PASSWORD, role="head_office",
                      now=NOW)
    users.create_user(session, email="manager@bench.example", name="Manager", password=PASSWORD,
                      role="area_manager", now=NOW, area_codes=[areas[0].code])
    shopper = users.create_user(session, email="shopper@bench.example", name="Shopper", password=PASSWORD,
                                role="shopper", now=NOW)
    # A pool of scored answer sets at varied quality; each visit takes one.
    pool = []
    for index in range(300):
        quality = 0.45 + 0.5 * index / 300
        answers = {q.key: a for _, q in checklist.questions()
                   if (a := _answer(q, quality, rng, NOW)) is not None}
        card = scoring.score(checklist, answers)
        pool.append((card, scoring.card_to_data(card)))
    pool.sort(key=lambda c: c[0].percent or 0)
    engine = db.engine
    fmt = lambda f: f"{f.numerator}/{f.denominator}"  # noqa: E731
    started = time.perf_counter()
    for shop_index, shop in enumerate(shops):
        base = rng.randint(0, 200)
        visit_rows = []
        for week in range(weeks):
            at = NOW - timedelta(days=7 * week + rng.randint(0, 5), hours=rng.randint(1, 9))
            visit_rows.append({"client_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "store_id": shop.id,
                               "shopper_id": shopper.id, "checklist_version_id": version.id, "status": "submitted",
                               "started_at": at - timedelta(minutes=40), "submitted_at": at, "updated_at": at,
                               "review_note": ""})
        with engine.begin() as conn:
            ids = conn.execute(sa.insert(Visit).returning(Visit.id, sort_by_parameter_order=True),
                               visit_rows).scalars().all()
            picks = [pool[min(len(pool) - 1, max(0, base + rng.randint(-60, 60)))] for _ in ids]
            score_ids = conn.execute(sa.insert(VisitScore).returning(VisitScore.id, sort_by_parameter_order=True), [
                {"visit_id": vid, "checklist_version_id": version.id, "is_current": True, "earned": fmt(c.earned),
                 "possible": fmt(c.possible), "percent_exact": fmt(c.percent) if c.percent is not None else None,
                 "percent": float(c.percent) if c.percent is not None else None,
                 "grade": str(c.grade.label) if c.grade else None, "critical_failures": len(c.critical_failures),
                 "card": data, "scored_at": NOW}
                for vid, (c, data) in zip(ids, picks)]).scalars().all()
            conn.execute(sa.insert(SectionScore), [
                {"visit_score_id": sid, "section_key": s.key, "earned": fmt(s.earned), "possible": fmt(s.possible),
                 "percent": float(s.percent) if s.percent is not None else None, "is_zeroed": s.is_zeroed}
                for sid, (c, _) in zip(score_ids, picks) for s in c.sections])
        if shop_index % 50 == 49:
            print(f"  {shop_index + 1} stores filled ({time.perf_counter() - started:.0f} s)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--batch", type=int, default=40)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (PostgreSQL; its public schema is rebuilt on the first run)")
    url = normalise_database_url(args.database_url)
    instance = ROOT / ".cache" / "bench-instance"
    config = Config(database_url=url, secret_key="bench", upload_dir=instance / "uploads", instance_dir=instance,
                    csrf_enabled=False)
    app = create_app(config)
    # One JSON line per request on standard error would bury the figures.
    logging.getLogger("storecheck.request").disabled = True
    with app.app_context():
        have = 0
        try:
            have = db.session.scalar(sa.select(sa.func.count(Visit.id))) or 0
        except sa.exc.DBAPIError:
            db.session.rollback()
        if have < args.stores * args.weeks * 0.9:
            print(f"filling {args.stores} stores × {args.weeks} weeks ...", flush=True)
            db.session.remove()
            with db.engine.begin() as conn:
                if db.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                    conn.exec_driver_sql("CREATE SCHEMA public")
            db.engine.dispose()
            import flask_migrate

            flask_migrate.upgrade()
            fill(app, args.stores, args.weeks)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
        visits = db.session.scalar(sa.select(sa.func.count(Visit.id)))
        stores = db.session.scalar(sa.select(sa.func.count(Store.id)))
        area = db.session.scalar(sa.select(Area).where(Area.code == "A000"))
        store_id = db.session.scalar(sa.select(Store.id).where(Store.area_id == area.id).limit(1))
        batch_ids = list(db.session.scalars(sa.select(Store.id).order_by(Store.code).limit(args.batch)))
        head = db.session.scalar(sa.select(User).where(User.email == "head@bench.example"))
        db.session.remove()
    print(f"database: {url.split('://')[0]}, {stores} stores, {visits} visits; "
          f"{os.cpu_count()} cores\n")

    bare = Flask("bare")
    bare.add_url_rule("/", "index", lambda: "ok")
    bare_client = bare.test_client()
    client = app.test_client()
    client.post("/login", data={"email": "manager@bench.example", "password": PASSWORD})
    rows = [
        ("baseline: bare Flask page", lambda: bare_client.get("/")),
        ("baseline: the app's sign-in page", lambda: app.test_client().get("/login")),
        ("area dashboard (90 days)", lambda: client.get(f"/manager/areas/{area.id}")),
        ("area dashboard (12 months)", lambda: client.get(f"/manager/areas/{area.id}?days=365")),
        ("store page (90 days), charts cached", lambda: client.get(f"/manager/stores/{store_id}")),
        ("store page (90 days), first view", lambda: (charts.clear_cache(),
                                                      client.get(f"/manager/stores/{store_id}"))[1]),
        ("visit page", lambda: client.get(f"/manager/visits/{latest_visit}")),
    ]
    with app.app_context():
        latest_visit = db.session.scalar(sa.select(Visit.id).where(Visit.store_id == store_id)
                                         .order_by(Visit.submitted_at.desc()).limit(1))
    print(f"{'server time, median of ' + str(args.repeat):<44} {'median':>9} {'min':>9}")
    for label, run in rows:
        response = run()
        assert response.status_code == 200, (label, response.status_code)
        median, low = median_ms(run, args.repeat)
        print(f"{label:<44} {median:8.1f}ms {low:8.1f}ms")

    import weasyprint

    from reports.pdf import render_html, render_scorecard

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from flask_babel import format_date

        from audit_app.manager.wording import report_labels

        period = make_period(NOW, 90)
        kwargs = dict(period=period, checklist_id=None, lang="en", labels=report_labels(),
                      branding=pdf_jobs.branding_from("Storecheck", "#0b6e69", None), upload_dir=config.upload_dir,
                      format_date=format_date, now=NOW)
        context = scorecard.scorecard_context(db.session, head, store_id, **kwargs)
        contexts = [scorecard.scorecard_context(db.session, head, sid, **kwargs) for sid in batch_ids]
        build = median_ms(lambda: scorecard.scorecard_context(db.session, head, store_id, **kwargs), 5)
        db.session.remove()
    repeat = max(3, args.repeat // 3)
    print(f"\n{'PDF, median of ' + str(repeat):<44} {'median':>9} {'min':>9}")
    one_line = "<p>Storecheck 店舗</p>"
    print(f"{'baseline: WeasyPrint, one-line page':<44} {median_ms(lambda: render_html(one_line), repeat)[0]:8.1f}ms")
    print(f"{'gathering one store scorecard (queries)':<44} {build[0]:8.1f}ms {build[1]:8.1f}ms")
    for fmt in ("png", "svg"):
        median, low = median_ms(lambda: render_scorecard(context, chart_format=fmt), repeat)
        size = len(render_scorecard(context, chart_format=fmt))
        print(f"{'one store PDF, ' + fmt.upper() + ' charts':<44} {median:8.1f}ms {low:8.1f}ms  {size // 1024} KiB")
    print(f"(the app renders with {pdf_jobs.CHART_FORMAT.upper()} charts; weasyprint {weasyprint.__version__})")

    print(f"\nbatch of {len(contexts)} store PDFs")
    for workers in sorted({1, os.cpu_count() or 1}):
        start = time.perf_counter()
        pdf_jobs.render_many(contexts, workers=workers)
        elapsed = time.perf_counter() - start
        print(f"{workers} process(es){'':<32} {elapsed:8.1f} s  ({elapsed / len(contexts) * 1000:.0f} ms a store)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
