"""How fast are the scorecard pages, one store's PDF and an area's zip of PDFs? Prints figures beside baselines
measured in the same run, interleaved, with the budget beside each; asserts nothing.

    python bench/reports.py --database-url postgresql://postgres@127.0.0.1:5432/scale_2000
    python bench/reports.py --database-url sqlite:///bench.db --stores 200 --weeks 26

A database that already holds stores is read as it is (nothing is written to it: a database built by
`bench/scale_data.py`, 2,000 stores in areas of 20, works). An empty one is filled first with `--stores` stores in areas of
about 20 in up to three regions (so areas and regions grow with the stores, as a retailer's do), each with a scored
in-store visit every week for `--weeks` weeks, inserted in bulk with cards scored by the engine. Then it times,
in-process through the app:

- the area and region dashboards and the store page (server time, no network), beside a bare Flask page and the
  app's sign-in page;
- one store's PDF end to end, as the download does it (the service reads the database, the context, the charts
  drawn afresh, WeasyPrint), in English and Japanese, a different store of the area each time, beside WeasyPrint
  rendering a one-line page in the same process;
- the zip of one area's PDFs (the batch the job runs: data, contexts, charts, WeasyPrint, zip) with 1 and 2
  workers, in stores a second. The first 2-worker run includes starting whatever the workers come from.

Figures are the minimum and median of interleaved repeats (each measurement takes its turn with the others, so a
neighbour's load falls on all of them alike).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import io
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
from audit_app.services import checklists, jobs, pdf_jobs, users  # noqa: E402
from audit_app.services.scores import scorecard  # noqa: E402
from audit_app.services.scores.scope import make_period  # noqa: E402
from audit_app.services.scores.storage import section_percent  # noqa: E402
from audit_app.services.seed import _answer  # noqa: E402
from reports import charts  # noqa: E402

PASSWORD = "bench-password-not-secret"  # nosec B105 - benchmark data only
SCALE_PASSWORD = "quiet-harbour-lantern-47"  # nosec B105 - bench/scale_data.py's, benchmark data only
AREA_SIZE = 20
REGIONS = 3
# The budgets the PDF figures are held to (printed beside them).
BUDGET_PDF_MS = 400.0
BUDGET_ZIP_STORES_PER_S = 2.0  # with 2 workers on 2 cores
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def interleaved(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, float]]:
    """(minimum, median) wall time in ms of each run, after one warm-up call each; the runs take turns."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    for run in runs.values():
        run()
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            times[label].append((time.perf_counter() - start) * 1000)
    return {label: (min(values), statistics.median(values)) for label, values in times.items()}


def print_rows(title: str, figures: dict[str, tuple[float, float]], budgets: dict[str, float],
               floor: str | None = None) -> None:
    print(f"{title:<52} {'min':>9} {'median':>9} {'budget':>9}" + ("  × floor (min)" if floor else ""))
    for label, (low, median) in figures.items():
        budget = f"{budgets[label]:7.0f}ms" if label in budgets else f"{'':9}"
        ratio = f"  {low / figures[floor][0]:6.1f}×" if floor and label != floor else ""
        print(f"{label:<52} {low:7.1f}ms {median:7.1f}ms {budget}{ratio}")


def fill(app: Flask, stores: int, weeks: int) -> None:
    """Organisation, people, the in-store checklist and weekly scored visits, in bulk (a bench@ head office
    and area manager of the first area sign in)."""
    session = db.session
    rng = random.Random(5)
    library = checklists.load_library()
    checklist = library["in_store_visit"]
    version = checklists.publish_checklist(session, checklist, now=NOW)
    # As a retailer grows it has more areas of about AREA_SIZE stores, in REGIONS regions (fewer when small).
    regions = [Region(code=f"R{r}", name=f"Region {r}") for r in range(min(REGIONS, max(1, stores // AREA_SIZE)))]
    session.add_all(regions)
    session.flush()
    areas = [Area(code=f"A{a:03d}", name=f"Area {a:03d}", region_id=regions[a % len(regions)].id)
             for a in range(max(1, stores // AREA_SIZE))]
    session.add_all(areas)
    session.flush()
    shops = [Store(code=f"S{s:04d}", name=f"Store {s:04d}", city="Tokyo", address="", timezone="Asia/Tokyo",
                   area_id=areas[s % len(areas)].id, is_active=True) for s in range(stores)]
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
                 # The readers (dashboards, store pages, the PDF) use the exact percent's parts.
                 "percent_num": c.percent.numerator if c.percent is not None else None,
                 "percent_den": c.percent.denominator if c.percent is not None else None,
                 "grade": str(c.grade.label) if c.grade else None, "critical_failures": len(c.critical_failures),
                 "card": data, "scored_at": NOW}
                for vid, (c, data) in zip(ids, picks)]).scalars().all()
            conn.execute(sa.insert(SectionScore), [
                {"visit_score_id": sid, "section_key": s.key, "earned": fmt(s.earned), "possible": fmt(s.possible),
                 "percent": float(s.percent) if s.percent is not None else None, "is_zeroed": s.is_zeroed,
                 "percent_num": exact.numerator if exact is not None else None,
                 "percent_den": exact.denominator if exact is not None else None}
                for sid, (c, _) in zip(score_ids, picks) for s in c.sections
                for exact in [section_percent(s.earned, s.possible)]])
        if shop_index % 50 == 49:
            print(f"  {shop_index + 1} stores filled ({time.perf_counter() - started:.0f} s)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--stores", type=int, default=500, help="stores to fill an empty database with")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of visits to fill an empty database with")
    parser.add_argument("--repeat", type=int, default=15, help="repeats of each page and PDF")
    parser.add_argument("--zip-repeat", type=int, default=2, help="repeats of each area zip")
    parser.add_argument("--area", type=int, default=None, help="the area to time (default: the first)")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (an empty database is filled first; one with stores is only read)")
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
            have = db.session.scalar(sa.select(sa.func.count(Store.id))) or 0
        except sa.exc.DBAPIError:
            db.session.rollback()
        if not have:
            if "bench_scale_origin" in sa.inspect(db.engine).get_table_names():
                parser.error("a database built by bench/scale_data.py is only ever read, and this one has no stores")
            print(f"filling {args.stores} stores × {args.weeks} weeks ...", flush=True)
            db.session.remove()
            import flask_migrate

            flask_migrate.upgrade()
            fill(app, args.stores, args.weeks)
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
        visits = db.session.scalar(sa.select(sa.func.count(Visit.id)))
        stores = db.session.scalar(sa.select(sa.func.count(Store.id)))
        now = (db.session.scalar(sa.select(sa.func.max(Visit.submitted_at))) or NOW).replace(microsecond=0)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        area = db.session.get(Area, args.area) if args.area else db.session.scalar(sa.select(Area).order_by(Area.id))
        area_id, region_id = area.id, area.region_id
        area_ids = list(db.session.scalars(sa.select(Store.id).where(Store.area_id == area_id,
                                                                     Store.is_active.is_(True)).order_by(Store.code)))
        region_stores = db.session.scalar(sa.select(sa.func.count(Store.id)).join(Area)
                                          .where(Area.region_id == region_id))
        head = db.session.scalar(sa.select(User).where(User.role == "head_office", User.is_active_user.is_(True))
                                 .order_by(User.email != "head@bench.example", User.id))
        head_email = head.email
        store_id = area_ids[0]
        latest_visit = db.session.scalar(sa.select(Visit.id).where(Visit.store_id == store_id)
                                         .order_by(Visit.submitted_at.desc()).limit(1))
        db.session.remove()
    print(f"database: {url.split('://')[0].split('+')[0]}, {stores} stores, {visits} visits; area {area_id} has "
          f"{len(area_ids)} active stores, its region {region_stores}; {os.cpu_count()} cores\n")

    import weasyprint

    from reports.pdf import render_html

    # Head office signs in with this script's password, or that of bench/scale_data.py's database.
    bare = Flask("bare")
    bare.add_url_rule("/", "index", lambda: "ok")
    bare_client = bare.test_client()
    client = app.test_client()
    signed_in = any(client.post("/login", data={"email": head_email, "password": password}).status_code == 302
                    for password in (PASSWORD, SCALE_PASSWORD))
    if signed_in:
        def page(path: str) -> Callable[[], Any]:
            def run() -> Any:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response
            return run

        pages = {
            "baseline: bare Flask page": page_bare(bare_client),
            "baseline: the app's sign-in page": lambda: app.test_client().get("/login"),
            "area dashboard (90 days)": page(f"/manager/areas/{area_id}"),
            "region dashboard (90 days)": page(f"/manager/regions/{region_id}"),
            "store page (90 days), charts cached": page(f"/manager/stores/{store_id}"),
            "store page (90 days), first view": lambda: (charts.clear_cache(),
                                                         page(f"/manager/stores/{store_id}")())[1],
            "visit page": page(f"/manager/visits/{latest_visit}"),
        }
        print_rows(f"server time, {args.repeat} interleaved", interleaved(pages, args.repeat), {})
    else:
        print(f"(pages skipped: {head_email} signs in with neither benchmark password)")

    one_line = "<p>Storecheck 店舗</p>"
    for lang in ("en", "ja"):
        with app.test_request_context("/", headers={"Accept-Language": lang}):
            from audit_app.manager.wording import report_labels

            kwargs = dict(period=make_period(now, 90), checklist_id=None, lang=lang, labels=report_labels(),
                          branding=pdf_jobs.branding_from("Storecheck", "#0b6e69", None),
                          upload_dir=config.upload_dir, format_date=jobs.date_formatter(lang, "Asia/Tokyo"), now=now)
            turn = iter(range(10**9))

            def one_pdf() -> None:
                # A different store each time, charts drawn afresh: what a manager downloading one store waits for.
                charts.clear_cache()
                with app.app_context():
                    head_user = db.session.get(User, head.id)
                    sid = area_ids[next(turn) % len(area_ids)]
                    scorecard.store_scorecard(db.session, head_user, sid, **kwargs)
                    db.session.remove()

            label = f"one store PDF end to end ({lang})"
            figures = interleaved({"baseline: WeasyPrint, one-line page": lambda: render_html(one_line),
                                   label: one_pdf}, args.repeat)
            print()
            print_rows(f"PDF ({lang}), {args.repeat} interleaved", figures, {label: BUDGET_PDF_MS},
                       floor="baseline: WeasyPrint, one-line page")
    print(f"(charts as {pdf_jobs.CHART_FORMAT.upper()}; weasyprint {weasyprint.__version__})")

    print(f"\nzip of area {area_id} ({len(area_ids)} stores, English), stores a second; "
          f"budget ≥ {BUDGET_ZIP_STORES_PER_S:.1f} with 2 workers")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from audit_app.manager.wording import report_labels

        zip_kwargs = dict(period=make_period(now, 90), checklist_id=None, lang="en", labels=dict(report_labels()),
                          branding=pdf_jobs.branding_from("Storecheck", "#0b6e69", None),
                          upload_dir=config.upload_dir, format_date=jobs.date_formatter("en", "Asia/Tokyo"), now=now)
    rates: dict[int, list[float]] = {1: [], 2: []}
    for attempt in range(args.zip_repeat):
        for workers in (2, 1):
            charts.clear_cache()
            with app.app_context():
                head_user = db.session.get(User, head.id)
                out = io.BytesIO()
                start = time.perf_counter()
                batch = pdf_jobs.area_scorecards(db.session, head_user, area_id, into=out, workers=workers,
                                                 **zip_kwargs)
                elapsed = time.perf_counter() - start
                db.session.remove()
            rate = batch.stores / elapsed
            note = "  (the first 2-worker batch of this process)" if attempt == 0 and workers == 2 else ""
            print(f"  {workers} worker(s), run {attempt + 1}: {elapsed:6.1f} s, {rate:5.2f} stores/s, "
                  f"{len(out.getvalue()) // 1024} KiB{note}", flush=True)
            rates[workers].append(rate)
    for workers, values in rates.items():
        print(f"{workers} worker(s): best {max(values):5.2f} stores/s, median {statistics.median(values):5.2f}"
              + (f"  budget ≥ {BUDGET_ZIP_STORES_PER_S:.1f}" if workers == 2 else ""))
    return 0


def page_bare(client: Any) -> Callable[[], Any]:
    return lambda: client.get("/")


if __name__ == "__main__":
    raise SystemExit(main())
