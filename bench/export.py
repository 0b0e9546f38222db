"""Measure the streamed visits export (CSV and xlsx) for head office: rows/s, first-byte time and peak memory growth.

Run:  .venv/bin/python bench/export.py [--database-url postgresql://postgres@127.0.0.1:5432/scale_2000]
                                        [--sizes 10000,100000] [--repeats 3] [--visits 100000] [--before]

Without --database-url it builds a SQLite database of its own (in a temporary directory, removed afterwards):
one region, 100 stores, the shipped in-store checklist and `--visits` submitted visits over two years, each with a
stored card scored by the real engine. With --database-url it only reads (a database built by `bench/scale_data.py`
is never written). The export is head office's over every area for two years (the checklist the dashboards
choose, the in-store visit on the 2,000-store database: 73,187 rows); a smaller size exports a shorter period that
holds about that many rows (its newest ones), so it reads only its own visits; a larger one is capped at what the
database holds.

For each size and format it prints, interleaved over the repeats, minimum and median of
  - rows/s over the whole export (planning, query, formatting, writing to a null sink),
  - time to the first byte (the header chunk) and to the first chunk carrying visit rows,
  - peak memory growth: Python allocations (tracemalloc, in a separate run so its cost does not slow the timed ones)
    and resident set size (VmHWM after resetting it through /proc/self/clear_refs, Linux only),
beside a baseline measured in the same run (csv.writer writing the same number of plain rows of the same width
to a null sink) and the budget (>= 15,000 rows/s, <= 150 MB growth at 100,000 rows, first byte < 1 s).
--openpyxl adds the same sheet written by openpyxl's write-only mode, for comparison with the app's own writer.
--before also times the first, in-memory export (kept under tests/ as the reference) at the smallest size, once.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import Config, normalise_database_url  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Area, ChecklistVersion, Region, ScoreSummary, Store, User, Visit, VisitScore  # noqa: E402
from audit_app.services import checklists as checklist_service  # noqa: E402
from audit_app.services import exports, users  # noqa: E402
from audit_app.services.scores.scope import Period, get_region_scope  # noqa: E402
from audit_app.services.scores.storage import card_summary  # noqa: E402
from audit_app.services.seed import answers_at  # noqa: E402
from reports.context import DEFAULT_LABELS  # noqa: E402

RATE_BUDGET = 15_000  # rows/s at least
MEMORY_BUDGET_MB = 150  # growth at 100,000 rows at most
FIRST_BYTE_BUDGET = 1.0  # seconds at most
MB = 1024 * 1024
PASSWORD = "quiet-harbour-lantern-47"  # nosec B105 - benchmark data only


def _exact(value: Any) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def build_sqlite(tmp: Path, visits: int) -> str:
    """A SQLite database with `visits` submitted, scored in-store visits over two years."""
    url = f"sqlite:///{tmp / 'export-bench.db'}"
    app = create_app(Config(database_url=url, secret_key="bench", upload_dir=tmp / "uploads", instance_dir=tmp,
                            csrf_enabled=False))
    rng = random.Random(2026)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    began = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        session = db.session
        head = users.create_user(session, email="head1@bench.example", name="Head Office 1", password=PASSWORD,
                                 role="head_office", now=now)
        region = Region(code="EAST", name="East")
        session.add(region)
        session.flush()
        stores = []
        for a in range(5):
            area = Area(region_id=region.id, code=f"A{a + 1:03d}", name=f"East {a + 1:03d}")
            session.add(area)
            session.flush()
            for s in range(20):
                n = a * 20 + s + 1
                store = Store(area_id=area.id, code=f"S{n:04d}", name=f"銀座 {n:04d}" if n % 3 == 0 else
                              f"Tokyo {n:04d}", timezone="Asia/Tokyo")
                session.add(store)
                stores.append(store)
        shoppers = [users.create_user(session, email=f"shopper{n}@bench.example", name=f"Shopper {n:03d}",
                                      password=PASSWORD, role="shopper", now=now) for n in range(10)]
        checklist = checklist_service.load_library()["in_store_visit"]
        version = checklist_service.publish_checklist(session, checklist, now=now - timedelta(days=800), actor=head)
        session.commit()
        store_ids, shopper_ids, version_id = [s.id for s in stores], [s.id for s in shoppers], version.id
        pool = []
        when = datetime(1999, 12, 31, 12, 0, tzinfo=timezone.utc)
        for i in range(60):
            answers, _ = answers_at(checklist, 0.2 + 0.79 * i / 59, rng, when)
            card = scoring.score(checklist, answers)
            pool.append(card)
        engine = db.engine
        with engine.begin() as conn:
            for start in range(0, visits, 5000):
                visit_rows, score_rows, summary_rows = [], [], []
                for i in range(start, min(visits, start + 5000)):
                    card = pool[rng.randrange(len(pool))]
                    submitted = now - timedelta(seconds=rng.randrange(730 * 86400))
                    visit_rows.append({
                        "id": i + 1, "client_uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                        "store_id": rng.choice(store_ids), "shopper_id": rng.choice(shopper_ids),
                        "checklist_version_id": version_id, "status": "approved" if i % 5 else "submitted",
                        "started_at": submitted - timedelta(minutes=40), "submitted_at": submitted,
                        "review_note": "", "updated_at": submitted})
                    data = scoring.card_to_data(card)
                    score_rows.append({
                        "id": i + 1, "visit_id": i + 1, "checklist_version_id": version_id, "is_current": True,
                        "earned": _exact(card.earned), "possible": _exact(card.possible),
                        "percent_exact": _exact(card.percent) if card.percent is not None else None,
                        "percent": float(card.percent) if card.percent is not None else None,
                        "grade": str(card.grade.label.get("en")) if card.grade is not None else None,
                        "critical_failures": len(card.critical_failures), "card": data, "scored_at": submitted})
                    summary_rows.append({"visit_score_id": i + 1, "summary": card_summary(data)})
                conn.execute(sa.insert(Visit), visit_rows)
                conn.execute(sa.insert(VisitScore), score_rows)
                conn.execute(sa.insert(ScoreSummary), summary_rows)
        engine.dispose()
    print(f"SQLite database with {visits:,} visits built in {time.perf_counter() - began:.1f} s")
    return url


class NullSink:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: Any) -> int:
        self.bytes += len(data)
        return len(data)


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _measure(produce: Callable[[], Iterator[bytes]], traced: bool) -> dict[str, float]:
    """Consume the chunks into a null sink; seconds, first-byte and first-row times, memory growth in MB."""
    gc.collect()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    rss_ok = _reset_rss_peak()
    rss_before = _rss_kb("VmRSS")
    began = time.perf_counter()
    first = first_row = None
    sink = NullSink()
    for n, chunk in enumerate(produce()):
        if first is None:
            first = time.perf_counter() - began
        elif first_row is None and chunk:
            first_row = time.perf_counter() - began
        sink.write(chunk)
    elapsed = time.perf_counter() - began
    result = {"seconds": elapsed, "first": first or elapsed, "first_row": first_row or elapsed,
              "rss": (_rss_kb("VmHWM") - rss_before) / 1024 if rss_ok else float("nan"), "bytes": sink.bytes}
    if traced:
        result["traced"] = (tracemalloc.get_traced_memory()[1] - base) / MB
        tracemalloc.stop()
    return result


def baseline_chunks(rows: int, width: int) -> Iterator[bytes]:
    """csv.writer writing `rows` plain rows of `width` short cells, in the export's chunk size."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    row = [f"cell {i}" for i in range(width)]
    yield ("\ufeff" + ",".join(row) + "\r\n").encode("utf-8")
    for n in range(rows):
        writer.writerow(row)
        if n % exports.BATCH_ROWS == exports.BATCH_ROWS - 1:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def openpyxl_chunks(export: exports.VisitExport) -> Iterator[bytes]:
    """The same sheet through openpyxl's write-only mode (the alternative to the app's own writer): it keeps the
    sheet in a temporary file and zips it on save, so its first byte comes only at the end."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(export.sheet_name)
    sheet.freeze_panes = "A2"
    sheet.append(export.header)
    for cells in export.rows():
        row = []
        for kind, value in zip(export.kinds, cells):
            if kind == exports.PERCENT and value is not None:
                cell = WriteOnlyCell(sheet, value=float(value) / 100)
                cell.number_format = "0.0%"
                row.append(cell)
            elif kind == exports.DATETIME and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                row.append(cell)
            else:
                row.append(float(value) if value.__class__.__name__ == "Decimal" else value)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    yield out.getvalue()


def _limited(export: exports.VisitExport, rows: int) -> exports.VisitExport:
    return replace(export, rows=lambda **options: islice(export.rows(**options), rows))


def _stats(values: list[float]) -> str:
    return f"min {min(values):9.3f}  median {statistics.median(values):9.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="read this database (PostgreSQL) instead of building a SQLite one")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--visits", type=int, default=100_000, help="visits in the SQLite database it builds")
    parser.add_argument("--openpyxl", action="store_true",
                        help="also write the sheet with openpyxl's write-only mode (needs openpyxl installed)")
    parser.add_argument("--before", action="store_true", help="also time the first, in-memory export once")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))
    url = normalise_database_url(args.database_url) if args.database_url else build_sqlite(tmp, args.visits)
    app = create_app(Config(database_url=url, secret_key="bench", upload_dir=tmp / "uploads", instance_dir=tmp,
                            csrf_enabled=False))
    try:
        _run(app, args, sizes, end=datetime.now(timezone.utc) + timedelta(days=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(app: Any, args: argparse.Namespace, sizes: list[int], end: datetime) -> None:
    with app.app_context():
        session = db.session
        print(f"database: {session.get_bind().dialect.name}; python {sys.version.split()[0]}")
        head = session.scalar(sa.select(User).where(User.role == "head_office")
                              .order_by(User.id).limit(1))
        period = Period(start=end - timedelta(days=800), end=end, days=800)
        region_id = session.scalar(
            sa.select(Region.id).join(Area, Area.region_id == Region.id).join(Store, Store.area_id == Area.id)
            .join(Visit, Visit.store_id == Store.id).group_by(Region.id).order_by(sa.func.count().desc()).limit(1))
        region_scope = get_region_scope(session, head, region_id)
        all_areas = tuple(session.scalars(sa.select(Area.id).order_by(Area.id)))
        # Head office over everything: the region's scope widened to every area, as the biggest export gets.
        scope = replace(region_scope, area_ids=all_areas)
        plan = dict(period=period, checklist_id=None, lang="en", headers={}, labels=DEFAULT_LABELS)
        probe = exports.prepare_export(session, head, scope, **plan)
        available = sum(1 for _ in probe.rows())
        width = len(probe.header)
        session.rollback()
        print(f"export: head office, {len(all_areas)} areas, {available:,} visit rows of {width} columns")
        budget_line = (f"budget: >= {RATE_BUDGET:,} rows/s, <= {MEMORY_BUDGET_MB} MB growth at 100,000 rows, "
                       f"first byte < {FIRST_BYTE_BUDGET:.0f} s")
        print(budget_line + "\n")

        def plan_for(rows: int) -> dict[str, Any]:
            """The plan of an export of about `rows` rows: a period that starts at the rows-th newest visit, so a
            smaller export reads only its own visits, as a real one of that size does."""
            if rows >= available:
                return plan
            stamps = list(session.scalars(sa.select(Visit.submitted_at).where(Visit.submitted_at.is_not(None))
                                          .order_by(Visit.submitted_at.desc()).limit(rows)))
            return dict(plan, period=Period(start=stamps[-1], end=end, days=800))

        def produce(kind: str, rows: int) -> Callable[[], Iterator[bytes]]:
            sized = plan_for(rows) if kind != "baseline" else plan

            def run() -> Iterator[bytes]:
                if kind == "baseline":
                    yield from baseline_chunks(rows, width)
                    return
                export = _limited(exports.prepare_export(session, head, scope, **sized), rows)
                yield from (exports.csv_chunks(export) if kind == "csv" else exports.xlsx_chunks(export)
                            if kind == "xlsx" else openpyxl_chunks(export))
                session.rollback()
            return run

        kinds = ("baseline", "csv", "xlsx") + (("openpyxl",) if args.openpyxl else ())
        for size in sizes:
            rows = min(size, available)
            timed: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
            for _ in range(args.repeats):
                for kind in kinds:  # interleaved: each repeat runs every kind once
                    timed[kind].append(_measure(produce(kind, rows), traced=False))
            traced = {kind: _measure(produce(kind, rows), traced=True) for kind in kinds}
            print(f"--- {rows:,} rows ({args.repeats} interleaved repeats) ---")
            for kind in kinds:
                runs = timed[kind]
                rates = [rows / r["seconds"] for r in runs]
                print(f"{kind:8} rows/s      {_stats(rates)}   (budget >= {RATE_BUDGET:,}; "
                      f"{runs[0]['bytes'] / MB:.1f} MB written)")
                print(f"{kind:8} first byte  {_stats([r['first'] for r in runs])} s (budget < {FIRST_BYTE_BUDGET} s)"
                      f"; first rows {_stats([r['first_row'] for r in runs])} s")
                print(f"{kind:8} RSS growth  {_stats([r['rss'] for r in runs])} MB; tracemalloc peak "
                      f"{traced[kind]['traced']:.1f} MB (budget <= {MEMORY_BUDGET_MB} MB at 100,000 rows)")
            print()
        if args.before:
            sys.path.insert(0, str(ROOT))
            from tests.services.export_reference import reference_csv

            rows = min(sizes[0], available)
            # The first export reads the whole scope: give it a period holding about `rows` visits.
            stamps = list(session.scalars(sa.select(Visit.submitted_at).where(Visit.submitted_at.is_not(None))
                                          .order_by(Visit.submitted_at.desc()).limit(rows)))
            small = Period(start=stamps[-1], end=end, days=800)
            small_plan = dict(plan, period=small)
            count = sum(1 for _ in exports.prepare_export(session, head, scope, **small_plan).rows())
            old = _measure(lambda: iter([reference_csv(session, head, scope, **small_plan)]), traced=False)
            session.rollback()
            new = _measure(lambda: exports.csv_chunks(exports.prepare_export(session, head, scope, **small_plan)),
                           traced=False)
            session.rollback()
            print(f"--- before/after on the same {count:,} rows (one run each) ---")
            for name, r in (("first", old), ("streamed", new)):
                print(f"{name:8} rows/s {count / r['seconds']:10,.0f}  first byte {r['first']:.3f} s  "
                      f"RSS growth {r['rss']:.1f} MB")


if __name__ == "__main__":
    main()
