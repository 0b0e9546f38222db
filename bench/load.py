"""Load: gunicorn + PostgreSQL on loopback under shoppers and area managers at once, beside baseline endpoints.

Run: .venv/bin/python bench/load.py [--duration 60] [--shoppers 200] [--managers 20] [--workers N]
                                    [--ramp-up 20] [--think 1 3]

Needs PostgreSQL at postgresql://postgres@127.0.0.1:5432/ with trust authentication. The bench drops and
recreates its own database, storecheck_load or $STORECHECK_LOAD_DATABASE (no other database is touched), migrates it and builds, through the
app's services: 20 areas of 10 stores, the shoppers (each with a few open assignments of the in-store checklist),
one area manager per area and five months of submitted visits for the dashboards. As at any moment of a working
day, every shopper has already started one visit and answered its sections up to a random one. It then serves
bench/load_app.py (the app plus two baseline endpoints on the same Flask app) with the repository's gunicorn.conf.py and drives it with one
thread per virtual user, each behind its own X-Forwarded-For address, as behind a reverse proxy
(TRUSTED_PROXIES=1; sign-in is rate-limited per client address):

- shoppers sign in through the form and open their home page; they continue the visit in progress, then start
  their next assignment; they read and save every section still open (a receipt photo included), open the review
  page and submit; about one submit in ten is sent twice, as a double tap or a retry, and must still store one
  visit with one score;
- area managers sign in and browse their home page, area dashboard, store and visit pages, the area CSV export
  and compare;
- two streams, signed in like everyone else, alternate a bare page (sign-in check and `SELECT 1`) and a bare
  one-row insert, the baselines, served by the same workers in the same run.

Every client asks for gzip, as a browser does, so compression is part of every figure.

Users pause a random think time between actions; redirects are followed at once, as a browser does. Prints
throughput, then, for the steady part of the run (requests sent from five seconds after the ramp-up, sign-ins left
out, so the scrypt hashing of the arrivals does not fill every percentile), count, errors, minimum, median and
95th percentile per endpoint as the users saw them, beside the median the app logged for the same requests (the
difference is time spent waiting for a free worker) and that server time as a multiple of its baseline's, with the
budget (a section page 3x the bare page, a submit 4x the bare insert); then the ramp-up and sign-ins apart; checks in the
database that every visit it submitted exists once, submitted, with one current score; prints each gunicorn
worker's memory. Exits 1 on any error or mismatch; asserts no timings. The database is left for inspection.

The data is built in bench/load_data.py, the users are bench/load_users.py, the figures bench/load_report.py;
gunicorn and the HTTP client are the harness the fault tests use too (tools/harness.py).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from audit_app.config import Config  # noqa: E402
from audit_app.services import checklists  # noqa: E402
from bench.load_data import (  # noqa: E402
    AREAS, BENCH_TABLE, CHECKLIST, DATABASE, OPEN_ASSIGNMENTS, SERVER, build_data, recreate_database,
)
from bench.load_report import LoadServer, check_exactly_once, print_memory, print_traffic  # noqa: E402
from bench.load_users import BARE_STREAMS, Run, drive  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of traffic, ramp-up included")
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--ramp-up", type=float, default=20, help="seconds over which users arrive")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                        help="seconds a user pauses between actions")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the clean-up below on a plain kill too
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-load-"))
    env = {"DATABASE_URL": f"{SERVER}/{DATABASE}", "SECRET_KEY": secrets.token_urlsafe(32),
           "UPLOAD_DIR": str(tmp / "uploads"), "INSTANCE_DIR": str(tmp), "TRUSTED_PROXIES": "1",
           "RATELIMIT_STORAGE_URL": "memory://"}
    server = None
    try:
        started = time.perf_counter()
        recreate_database()
        plan = build_data(Config.from_env(env), args.shoppers, args.managers, random.Random(2026))
        print(f"setup: database {DATABASE}, {plan.stores} stores in {AREAS} areas, {len(plan.shoppers)} shoppers "
              f"with {OPEN_ASSIGNMENTS} open assignments each, {len(plan.managers)} area managers, "
              f"{plan.history} submitted visits of history: {time.perf_counter() - started:.1f} s")
        with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
            conn.execute(BENCH_TABLE)  # the bare insert's table, before the workers start
        server = LoadServer(env, args.workers, tmp / "gunicorn.log")
        server.ready()
        time.sleep(1)  # let the other workers finish booting
        workers_at_start = server.boots()
        print(f"gunicorn: {len(server.worker_pids())} workers on {os.cpu_count()} cores, shared with this client; "
              f"{args.duration:.0f} s of traffic, {args.ramp_up:.0f} s ramp-up, think {args.think[0]:g}-"
              f"{args.think[1]:g} s, {BARE_STREAMS} bare streams")
        started_traffic = time.monotonic()
        run = Run(server.port, started_traffic + args.duration, tuple(args.think), threading.Event())
        definition = checklists.load_library()[CHECKLIST]
        try:
            seconds = drive(run, plan, definition, args.ramp_up)
        finally:
            run.stop.set()
        errors = print_traffic(run.recorder, seconds, server.app_ms(), started_traffic + args.ramp_up + 5)
        once = check_exactly_once(run, plan.assignment_ids)
        print_memory(server, workers_at_start)
        problems = server.problems()
        if problems:
            print("gunicorn's log besides requests (first 60 lines):")
            print("\n".join(f"  {line}" for line in problems[:60]))
        return 0 if errors == 0 and once else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn stopped")
