"""The load bench's figures: what gunicorn and the app logged, the traffic table, the exactly-once check of
every submitted visit, and the workers' memory."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import psycopg

from bench.load_data import DATABASE, SERVER
from bench.load_users import ERRORS_SHOWN, Recorder, Run
from tools import harness

ORDER = ["GET bare (baseline)", "POST bare insert (baseline)", "GET login", "POST login", "GET / (redirect)", "GET shopper home",
         "POST start visit", "GET visit (redirect)", "GET section", "POST section", "GET review", "POST submit",
         "POST submit (replay)", "GET submitted visit", "GET manager home", "GET area dashboard", "GET store page",
         "GET visit page", "GET area CSV", "GET compare"]
MEMORY_BUDGET_MB = 250
SIGN_IN = {"GET login", "POST login", "GET / (redirect)"}
# Budgets, as times the median of the baseline served in the same run: pages against the bare page, the submit
# against the bare insert.
BUDGETS = {"GET section": ("GET bare (baseline)", 3.0), "POST submit": ("POST bare insert (baseline)", 4.0)}


class LoadServer(harness.Gunicorn):
    """gunicorn serving bench/load_app.py (the app and its baseline endpoints), read back for the figures."""

    def __init__(self, env: dict[str, str], workers: int | None, log_path: Path) -> None:
        # A session of its own: Ctrl+C reaches only the bench, which then stops gunicorn gracefully.
        super().__init__("bench.load_app:app", {**os.environ, **env}, log_path, workers=workers, own_session=True)

    def ready(self, timeout: float = 60) -> None:
        """Wait for /readyz; exits the bench with gunicorn's last lines when it does not come up."""
        try:
            self.wait_ready("/readyz", timeout)
        except AssertionError:
            code = self.process.poll()
            why = f"gunicorn exited with {code}" if code is not None else f"gunicorn not ready after {timeout:.0f} s"
            raise SystemExit(f"{why}:\n{self.log_tail()}") from None

    def problems(self) -> list[str]:
        """What gunicorn and the app wrote besides the one-JSON-line-per-request log, gunicorn's [INFO] lines and
        matplotlib's warnings about a missing font (counted in one line)."""
        lines = [line for line in self.log().splitlines()
                 if line.strip() and not line.startswith("{") and "[INFO]" not in line]
        fonts = sum(1 for line in lines if "findfont:" in line)
        rest = [line for line in lines if "findfont:" not in line]
        return rest + ([f"matplotlib: {fonts} warnings 'findfont: Font family ... not found' (fonts-noto-cjk is "
                        f"not installed, see README.md)"] if fonts else [])

    def app_ms(self) -> dict[str, float]:
        """Request id -> milliseconds the app itself took, from its request log (queueing in front excluded)."""
        times = {}
        for line in self.log().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                times[entry["request_id"]] = entry["ms"]
        return times

    def boots(self) -> int:
        return self.log().count("Booting worker")

    def stop(self, timeout: float = 40) -> None:
        super().stop(timeout)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def print_traffic(recorder: Recorder, seconds: float, app_ms: dict[str, float], steady_from: float) -> int:
    """The table of the steady part of the run (requests sent after the ramp-up, when every user has signed in:
    the sign-ins' scrypt hashing no longer shares the workers), then the ramp-up and the sign-ins on their own.
    `app ms` is the median the app logged for the same requests (the rest of a response's time is spent waiting
    for a free worker, or in the bench's own client); each row's app median is also given as a multiple of its
    baseline's app median, with the budget where there is one."""
    samples = recorder.samples
    errors = sum(1 for s in samples if not s[3])
    print(f"traffic: {len(samples)} requests in {seconds:.1f} s = {len(samples) / seconds:.1f} requests/s")
    steady = [s for s in samples if s[5] >= steady_from and s[0] not in SIGN_IN]
    ramp = [s for s in samples if s[5] < steady_from or s[0] in SIGN_IN]
    # Budgets are on server time: the app's own median per endpoint (queueing for a worker on a loaded machine
    # would otherwise make every endpoint look like the baseline).
    medians = {}
    for label in {s[0] for s in steady}:
        logged = [app_ms[s[4]] for s in steady if s[0] == label and s[4] in app_ms]
        if logged:
            medians[label] = percentile(logged, 0.5)
    print(f"steady part ({len(steady)} requests sent after the ramp-up, sign-ins left out):")
    _table(steady, app_ms, medians)
    print(f"ramp-up and sign-ins ({len(ramp)} requests; scrypt hashing shares the workers, so not comparable):")
    _table(ramp, app_ms, None)
    print(f"errors: {errors}")
    for line in recorder.errors:
        print(f"  {line}")
    return errors


def _table(samples: list[tuple[str, int, float, bool, str, float]], app_ms: dict[str, float],
           medians: dict[str, float] | None) -> None:
    labels = sorted({s[0] for s in samples}, key=lambda label: (ORDER.index(label) if label in ORDER else 99, label))
    print(f"  {'endpoint':<28} {'count':>6} {'errors':>6} {'min ms':>8} {'median ms':>10} {'p95 ms':>9} "
          f"{'app median ms':>14}  app median vs baseline's")
    for label in labels:
        mine = [s for s in samples if s[0] == label]
        ms = [s[2] for s in mine]
        logged = [app_ms[s[4]] for s in mine if s[4] in app_ms]
        app = f"{percentile(logged, 0.5):.1f}" if logged else "-"
        versus = ""
        if medians is not None and label in medians:
            base, budget = BUDGETS.get(label, ("GET bare (baseline)", None))
            if label != base and medians.get(base):
                versus = f"{medians[label] / medians[base]:.1f}x {base.split(' (')[0]}"
                if budget is not None:
                    versus += f" (budget {budget:g}x: {'ok' if medians[label] / medians[base] <= budget else 'OVER'})"
        print(f"  {label:<28} {len(ms):>6} {sum(1 for s in mine if not s[3]):>6} {min(ms):>8.1f} "
              f"{percentile(ms, 0.5):>10.1f} {percentile(ms, 0.95):>9.1f} {app:>14}  {versus}")


def check_exactly_once(run: Run, assignment_ids: list[int]) -> bool:
    """Every visit the bench submitted exists once, submitted, with one score row (current) and one audit entry;
    no client UUID and no assignment of the run has two visits."""
    with psycopg.connect(f"{SERVER}/{DATABASE}") as conn:
        rows = conn.execute(
            "SELECT v.client_uuid, v.id, v.status,"
            " (SELECT count(*) FROM visit_scores s WHERE s.visit_id = v.id AND s.is_current),"
            " (SELECT count(*) FROM visit_scores s WHERE s.visit_id = v.id),"
            " (SELECT count(*) FROM audit_log a WHERE a.action = 'visit.submit' AND a.entity_type = 'visit'"
            "  AND a.entity_id = v.id::text)"
            " FROM visits v WHERE v.client_uuid = ANY(%s)", (list(run.submitted),)).fetchall()
        same_uuid = conn.execute("SELECT count(*) - count(DISTINCT client_uuid) FROM visits").fetchone()[0]
        same_assignment = conn.execute(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM visits WHERE assignment_id = ANY(%s)"
            " GROUP BY assignment_id) AS t", (assignment_ids,)).fetchone()[0]
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    problems, good, scores = [], 0, 0
    extra = int(same_uuid) + int(same_assignment)
    for client_uuid, visit_id in run.submitted.items():
        mine = found.get(client_uuid, [])
        scores += sum(r[3] for r in mine)
        extra += sum(max(0, r[4] - 1) + max(0, r[5] - 1) for r in mine)
        if len(mine) == 1 and mine[0][1:] == (visit_id, "submitted", 1, 1, 1):
            good += 1
        else:
            problems.append(f"visit {visit_id} ({client_uuid}): {mine or 'missing'}")
    print(f"exactly once: {good} visits, {scores} scores, {extra} duplicates")
    if not run.submitted:
        print("  nothing was submitted, so nothing was checked: run longer or with fewer users")
        return False
    print(f"  ({len(run.submitted)} visits submitted by the bench, {len(run.replayed)} of them submitted twice; "
          f"each has one row, status submitted, one score row and one submit in the audit log)")
    for line in problems[:ERRORS_SHOWN]:
        print(f"  {line}")
    n = len(run.submitted)
    return good == n and scores == n and extra == 0


def print_memory(server: LoadServer, workers_at_start: int) -> None:
    print(f"memory of the gunicorn workers after the run (budget {MEMORY_BUDGET_MB} MB each; "
          f"{server.boots() - workers_at_start} replaced during the run):")
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except FileNotFoundError:  # recycled a moment ago
            continue
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        pss = int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) / 1024
        verdict = "ok" if rss <= MEMORY_BUDGET_MB else "OVER BUDGET"
        print(f"  worker {pid}: RSS {rss:6.1f} MB, PSS {pss:6.1f} MB  {verdict}")
