"""EXPLAIN (ANALYZE, BUFFERS) every query of the scorecard, export and review pages on a production-sized database.

Run:  .venv/bin/python bench/scale_data.py --database NAME      # builds NAME (2,000 stores: about four minutes)
      .venv/bin/python bench/explain.py --database-url postgresql://postgres@127.0.0.1:5432/NAME \
          [--rounds 5] [--explain-runs 3] [--top 4] [--plans] [--only PAGE-SUBSTRING]
      (or DATABASE_URL=... instead of --database-url)

Signs in with the Flask test client as head office and as an area manager of two areas, and requests each page:
once to warm caches, `--rounds` times for the median wall time, then `--rounds` more times with every SQL
statement recorded (SQLAlchemy `before_cursor_execute`/`after_cursor_execute`) with its parameters and the time
the driver took; the recorded request with the least DB time is kept (the figures are noisy on a busy machine).
Each distinct statement of it is then run again under EXPLAIN (ANALYZE, BUFFERS) with the same parameters,
`--explain-runs` times, keeping the fastest.

Prints per page: HTTP status, number of queries, DB ms (driver time, summed), EXPLAIN ms (server execution
times, summed), shared buffers touched (the work done; unlike the times, much the same on a busy machine) and
the median wall ms; then the slowest statements with their plan's top node, buffers, JIT compilation time when
PostgreSQL spent any, and every sequential scan of a big table (visits, answers, visit_scores, section_scores,
photos, assignments), flagged "SEQ". `--plans` prints the slowest statements' whole plans. Ends with a Markdown
table of the pages. Reads only: the EXPLAINed statements are SELECTs, run in a transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select, text  # noqa: E402

from audit_app import create_app  # noqa: E402
from audit_app.config import Config, normalise_database_url  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Visit  # noqa: E402
from audit_app.services.scores.storage import COUNTED_STATUSES  # noqa: E402
from bench.scale_data import scale_targets, signed_in_clients  # noqa: E402  (the sign-ins scale_data.py made)

BIG_TABLES = {"visits", "answers", "visit_scores", "section_scores", "photos", "assignments"}


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


@dataclass
class Explained:
    sql: str
    calls: int
    driver_ms: float
    exec_ms: float
    jit_ms: float
    top: str
    buffers: int
    seq_scans: list[str]
    plan_text: str


@dataclass
class PageResult:
    name: str
    path: str
    status: int
    queries: int
    db_ms: float
    explain_ms: float
    wall_ms: float
    explained: list[Explained] = field(default_factory=list)

    @property
    def buffers(self) -> int:
        """Shared buffers the page's distinct statements touch (hit or read): work done, whatever the load."""
        return sum(e.buffers for e in self.explained)


def _describe(node: dict[str, Any]) -> str:
    kind = node["Node Type"]
    if "Relation Name" in node:
        kind += f" on {node['Relation Name']}"
    if "Index Name" in node:
        kind += f" using {node['Index Name']}"
    return kind


def _walk(node: dict[str, Any]):  # type: ignore[no-untyped-def]
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _short(sql: str, width: int = 150) -> str:
    flat = re.sub(r"\s+", " ", sql).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def explain(raw: Any, statements: list[Statement], runs: int) -> list[Explained]:
    """EXPLAIN (ANALYZE, BUFFERS) each distinct statement `runs` times; the fastest run is kept."""
    groups: dict[tuple[str, str], list[Statement]] = {}
    for st in statements:
        groups.setdefault((st.sql, repr(st.params)), []).append(st)
    found = []
    cursor = raw.cursor()
    for (sql, _), same in groups.items():
        if not re.match(r"\s*(SELECT|WITH)\b", sql, re.I):
            found.append(Explained(sql, len(same), sum(s.ms for s in same), 0.0, 0.0, "(not a SELECT)", 0, [], ""))
            continue
        docs = []
        for _ in range(max(1, runs)):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, same[0].params)
            doc = cursor.fetchone()[0]
            docs.append((json.loads(doc) if isinstance(doc, str) else doc)[0])
        best = min(docs, key=lambda d: d["Execution Time"])
        plan = best["Plan"]
        seqs = [f"SEQ {n['Relation Name']} ({n.get('Actual Rows', 0) * n.get('Actual Loops', 1):,} rows)"
                for n in _walk(plan) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in BIG_TABLES]
        buffers = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, same[0].params)
        plan_text = "\n".join(row[0] for row in cursor.fetchall())
        jit = best.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
        found.append(Explained(sql, len(same), sum(s.ms for s in same), best["Execution Time"], jit,
                               _describe(plan), buffers, seqs, plan_text))
    raw.rollback()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="default: $DATABASE_URL")
    parser.add_argument("--rounds", type=int, default=5,
                        help="timed requests per page (median wall time) and recorded requests (fastest kept)")
    parser.add_argument("--explain-runs", type=int, default=3, help="EXPLAIN ANALYZE runs per statement (fastest kept)")
    parser.add_argument("--top", type=int, default=4, help="slowest statements shown per page")
    parser.add_argument("--plans", action="store_true", help="print the slowest statements' whole plans")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith(("postgresql", "postgres:")):
        raise SystemExit("Give a PostgreSQL DATABASE_URL (a database built by bench/scale_data.py).")
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-explain-"))
    app = create_app(Config(database_url=normalise_database_url(args.database_url), secret_key="bench",
                            upload_dir=tmp / "uploads", instance_dir=tmp, csrf_enabled=False))
    for name in ("storecheck.request", "matplotlib.font_manager"):  # one JSON line per request; font fallbacks
        logging.getLogger(name).disabled = True

    with app.app_context():
        session = db.session
        t = scale_targets(session)
        revision, area_id, region_id, store_id = t.revision, t.area_id, t.region_id, t.store_id
        visit_id = session.scalar(select(Visit.id).where(Visit.store_id == store_id,
                                                         Visit.status.in_(COUNTED_STATUSES))
                                  .order_by(Visit.submitted_at.desc()).limit(1))
        review_id = session.scalar(select(Visit.id).where(Visit.status == "submitted")
                                   .order_by(Visit.submitted_at).limit(1))
        counts = {name: session.execute(text(f"SELECT count(*) FROM {name}")).scalar()
                  for name in ("stores", "visits", "answers", "visit_scores", "section_scores")}
        region_stores = t.region_stores
        session.rollback()
        head_email, manager_email = t.head_email, t.manager_email
        engine = db.engine
        print(f"database at revision {revision}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"area manager {manager_email} (area {area_id}); region {region_id} has {region_stores} stores; "
              f"store {store_id}; visit {visit_id}\n")

    pages = [
        (manager_email, "manager home (area manager)", "/manager/"),
        (head_email, "manager home (head office)", "/manager/"),
        (head_email, "region dashboard", f"/manager/regions/{region_id}"),
        (manager_email, "area dashboard", f"/manager/areas/{area_id}"),
        (manager_email, "store page", f"/manager/stores/{store_id}"),
        (manager_email, "visit page", f"/manager/visits/{visit_id}"),
        (manager_email, "area CSV", f"/manager/areas/{area_id}/visits.csv"),
        (head_email, "region CSV", f"/manager/regions/{region_id}/visits.csv"),
        (manager_email, "store CSV", f"/manager/stores/{store_id}/visits.csv"),
        (head_email, "head office home", "/head-office/"),
        (head_email, "review queue", "/head-office/review"),
        (head_email, "review visit", f"/head-office/visits/{review_id}"),
        (head_email, "head office stores", "/head-office/stores"),
    ]
    pages = [p for p in pages if args.only.lower() in p[1].lower()]
    clients = signed_in_clients(app, {p[0] for p in pages})

    # Requests run outside any app context, so each gets its own (and its own `g` and session), as in production.
    results = []
    if True:
        for email, name, path in pages:
            client = clients[email]
            client.get(path).close()  # warm: parsed checklists, templates, connection
            walls = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                response = client.get(path)
                response.get_data()
                walls.append((time.perf_counter() - began) * 1000)
                response.close()
            recorded: list[list[Statement]] = []
            statements: list[Statement] = []

            def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
                conn.info["began"] = time.perf_counter()

            def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
                statements.append(Statement(statement, parameters,
                                            (time.perf_counter() - conn.info.pop("began")) * 1000))

            event.listen(engine, "before_cursor_execute", before)
            event.listen(engine, "after_cursor_execute", after)
            try:
                for _ in range(max(1, args.rounds)):
                    statements = []
                    response = client.get(path)
                    response.get_data()
                    status = response.status_code
                    response.close()
                    recorded.append(statements)
            finally:
                event.remove(engine, "before_cursor_execute", before)
                event.remove(engine, "after_cursor_execute", after)
            statements = min(recorded, key=lambda run: sum(s.ms for s in run))
            raw = engine.raw_connection()
            try:
                explained = explain(raw, statements, args.explain_runs)
            finally:
                raw.close()
            result = PageResult(name, path, status, len(statements), sum(s.ms for s in statements),
                                sum(e.exec_ms for e in explained), statistics.median(walls), explained)
            results.append(result)
            _print_page(result, args.top, args.plans)

    print("\n| page | path | queries | DB ms | EXPLAIN ms | buffers | wall ms | slowest statement (plan top node) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        slowest = max(r.explained, key=lambda e: e.exec_ms) if r.explained else None
        print(f"| {r.name} | `{r.path}` | {r.queries} | {r.db_ms:.0f} | {r.explain_ms:.0f} | {r.buffers:,} | "
              f"{r.wall_ms:.0f} | "
              f"{f'{slowest.exec_ms:.0f} ms: {slowest.top}' if slowest else ''}"
              f"{' SEQ' if slowest and slowest.seq_scans else ''} |")


def _print_page(r: PageResult, top: int, plans: bool) -> None:
    flag = "" if r.status == 200 else "  <-- not 200"
    print(f"== {r.name}  {r.path}  [{r.status}]{flag}")
    print(f"   {r.queries} queries, DB {r.db_ms:.1f} ms, EXPLAIN {r.explain_ms:.1f} ms, {r.buffers:,} buffers, "
          f"wall {r.wall_ms:.0f} ms")
    for e in sorted(r.explained, key=lambda e: -e.exec_ms)[:top]:
        calls = f" ×{e.calls}" if e.calls > 1 else ""
        jit = f", JIT {e.jit_ms:.0f} ms" if e.jit_ms else ""
        print(f"   {e.exec_ms:8.1f} ms{calls}  {e.top}  ({e.buffers:,} buffers{jit})"
              + (f"  {'; '.join(e.seq_scans)}" if e.seq_scans else ""))
        print(f"              {_short(e.sql)}")
        if plans and e.plan_text:
            print("\n".join("              | " + line for line in e.plan_text.splitlines()))
    print()


if __name__ == "__main__":
    main()
