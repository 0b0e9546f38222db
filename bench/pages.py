"""Server time of the scorecard pages beside a baseline endpoint of the same app, interleaved, with budgets.

Run:  .venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1:5432/NAME [--rounds 15]
      .venv/bin/python bench/pages.py --sqlite-from postgresql://postgres@127.0.0.1:5432/NAME --sqlite FILE
                                       # copies that database into the SQLite file FILE (once) and measures there

NAME is a database built by `bench/scale_data.py --database NAME --stores N`. The app is created in this process
with one extra route, a bare endpoint doing one trivial query (`SELECT 1`) and returning a word: the baseline.
Signs in as head office and as an area manager (of the first area of the manager with most areas), warms each
page once, then runs `--rounds` rounds; each round requests the baseline and then every page, each right after
a baseline request, so that load on the machine falls on page and baseline alike. Prints per page the minimum and
median server time (the in-process request, response body read) beside the baseline's in the same rounds, the
difference of the medians, and the page's budget.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from audit_app import create_app  # noqa: E402
from audit_app.config import Config, normalise_database_url  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from bench.scale_data import scale_targets, signed_in_clients  # noqa: E402  (the sign-ins scale_data.py makes)

BASELINE = "/bench-baseline"
# Budgets in ms of server time above the baseline, for the 2,000-store database. The other pages have no budget
# of their own: they must not get slower than before (docs/scale.md has both figures).
BUDGETS = {"region dashboard": 150, "head office home": 100}


def copy_to_sqlite(source_url: str, path: Path) -> None:
    """Every table of the PostgreSQL database `source_url` into a new SQLite file at the same revision."""
    import flask_migrate

    tmp = Path(tempfile.mkdtemp(prefix="storecheck-pages-"))
    source = sa.create_engine(normalise_database_url(source_url))
    with source.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    app = create_app(Config(database_url=f"sqlite:///{path}", secret_key="bench", upload_dir=tmp / "u",
                            instance_dir=tmp, csrf_enabled=False))
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        target = db.engine
        with source.connect() as src, target.begin() as dst:
            dst.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for table in db.metadata.sorted_tables:
                dst.execute(table.delete())
                result = src.execution_options(stream_results=True).execute(select(table))
                while rows := result.mappings().fetchmany(5000):
                    dst.execute(table.insert(), [dict(r) for r in rows])
        with target.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    source.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database built by bench/scale_data.py")
    parser.add_argument("--sqlite", type=Path, help="measure on this SQLite file (built with --sqlite-from)")
    parser.add_argument("--sqlite-from", help="PostgreSQL database to copy into the --sqlite file if it is missing")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    args = parser.parse_args()
    if args.sqlite:
        if not args.sqlite.exists():
            if not args.sqlite_from:
                raise SystemExit("--sqlite FILE does not exist: give --sqlite-from to build it")
            began = time.perf_counter()
            copy_to_sqlite(args.sqlite_from, args.sqlite)
            print(f"copied into {args.sqlite.name} in {time.perf_counter() - began:.0f} s")
        url = f"sqlite:///{args.sqlite}"
    elif args.database_url:
        url = normalise_database_url(args.database_url)
    else:
        raise SystemExit("give --database-url or --sqlite")
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-pages-"))
    app = create_app(Config(database_url=url, secret_key="bench", upload_dir=tmp / "uploads", instance_dir=tmp,
                            csrf_enabled=False))
    for name in ("storecheck.request", "matplotlib.font_manager"):
        logging.getLogger(name).disabled = True

    def baseline() -> str:
        db.session.execute(text("SELECT 1")).scalar()
        return "ok"

    app.add_url_rule(BASELINE, "bench_baseline", baseline)

    with app.app_context():
        session = db.session
        t = scale_targets(session)
        revision, head_email, manager_email = t.revision, t.head_email, t.manager_email
        area_id, region_id, store_id, stores, region_stores = t.area_id, t.region_id, t.store_id, t.stores, t.region_stores
        session.rollback()
    print(f"{url.split('@')[-1].split('/')[-1]} ({url.split(':')[0]}) at "
          f"revision {revision}: {stores} stores; region {region_id} {region_stores} stores; area {area_id}")

    pages = [
        (manager_email, "manager home (area manager)", "/manager/"),
        (head_email, "manager home (head office)", "/manager/"),
        (head_email, "region dashboard", f"/manager/regions/{region_id}"),
        (manager_email, "area dashboard", f"/manager/areas/{area_id}"),
        (manager_email, "store page", f"/manager/stores/{store_id}"),
        (head_email, "head office home", "/head-office/"),
    ]
    pages = [p for p in pages if args.only.lower() in p[1].lower()]
    clients = signed_in_clients(app, {p[0] for p in pages})

    def timed(client, path: str) -> float:  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        response = client.get(path)
        response.get_data()
        ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        response.close()
        return ms

    for email, _, path in pages:
        timed(clients[email], path)
        timed(clients[email], BASELINE)
    times: dict[str, list[float]] = {name: [] for _, name, _ in pages}
    bases: dict[str, list[float]] = {name: [] for _, name, _ in pages}
    for _ in range(args.rounds):
        for email, name, path in pages:
            bases[name].append(timed(clients[email], BASELINE))
            times[name].append(timed(clients[email], path))
    print(f"{'page':30} {'min ms':>8} {'median':>8}   {'baseline min':>12} {'median':>8}   "
          f"{'page - baseline':>15}   budget")
    for _, name, _ in pages:
        t, b = times[name], bases[name]
        over = statistics.median(t) - statistics.median(b)
        budget = BUDGETS.get(name)
        verdict = "no slower than before" if budget is None else \
            f"{budget:>5} ms {'ok' if over <= budget else 'OVER'}"
        print(f"{name:30} {min(t):8.1f} {statistics.median(t):8.1f}   {min(b):12.1f} {statistics.median(b):8.1f}   "
              f"{over:15.1f}   {verdict}")


if __name__ == "__main__":
    main()
