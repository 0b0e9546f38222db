"""Shopper page budgets: page weight, render, save and submit times, beside a bare Flask endpoint.

Run: .venv/bin/python bench/shopper.py [--rounds N]
Uses a throwaway SQLite database; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

import scoring  # noqa: E402
from audit_app import create_app  # noqa: E402
from audit_app.config import PROJECT_ROOT, Config  # noqa: E402
from audit_app.extensions import db  # noqa: E402
from audit_app.models import Area, Assignment, Region, Store  # noqa: E402
from audit_app.services import checklists, users, visits  # noqa: E402
from audit_app.services.seed import answers_at  # noqa: E402

NOW = datetime.now(timezone.utc)


def _receipt() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 900), "white").save(out, "JPEG")
    return out.getvalue()


RECEIPT = _receipt()
PASSWORD = "quiet lanterns drift past midnight"


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def form_fields(section: scoring.Section, answers: dict[str, Any]) -> dict[str, Any]:
    """The section form's fields for these answers: N/A as its box, several options as several values."""
    data: dict[str, Any] = {}
    for question in section.questions:
        value = answers.get(question.key)
        if value is scoring.NA:
            data[f"na-{question.key}"] = "1"
        elif value is not None:
            data[f"q-{question.key}"] = value
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    rounds = parser.parse_args().rounds
    tmp = Path(tempfile.mkdtemp(prefix="storecheck-bench-"))
    config = Config(database_url=f"sqlite:///{tmp / 'bench.db'}", secret_key="bench", upload_dir=tmp / "uploads",
                    instance_dir=tmp, csrf_enabled=False)
    app = create_app(config)

    @app.get("/__bare")
    def bare() -> str:
        return "ok"

    with app.app_context():
        flask_migrate.upgrade()
        region = Region(code="R", name="Region")
        db.session.add(region)
        db.session.flush()
        area = Area(code="A", name="Area", region_id=region.id)
        db.session.add(area)
        db.session.flush()
        store = Store(code="S", name="Store", area_id=area.id, is_active=True)
        db.session.add(store)
        db.session.commit()
        store_id = store.id
        shopper = users.create_user(db.session, email="bench@example.com", name="Bench", password=PASSWORD,
                                    role="shopper", now=NOW)
        library = checklists.load_library()
        largest = max(library.values(), key=lambda c: sum(1 for _ in c.questions()))
        version = checklists.publish_checklist(db.session, largest, now=NOW)
        shopper_id, checklist_id = shopper.id, version.checklist_id
    # One good answer set, the same every round, from the demo seed's generator (the one every bench uses).
    answers, _hidden = answers_at(largest, 0.95, random.Random(2026), NOW)

    def new_visit() -> int:
        with app.app_context():
            user = db.session.get(type(shopper), shopper_id)
            assignment = Assignment(shopper_id=shopper_id, store_id=store_id, checklist_id=checklist_id,
                                    window_start=NOW.date(), window_end=NOW.date(), status="open", created_at=NOW)
            db.session.add(assignment)
            db.session.commit()
            return visits.start_visit(db.session, user, client_uuid=str(uuid.uuid4()), assignment_id=assignment.id,
                                      now=NOW).id

    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
    visit_id = new_visit()
    section_url = f"/shopper/visits/{visit_id}/sections/7"  # the largest section (checkout)
    html = client.get(section_url).data
    css = (PROJECT_ROOT / "static/css/app.css").read_bytes()
    js = b"".join(path.read_bytes() for path in [PROJECT_ROOT / "static/js/visit.js",
                                               *sorted((PROJECT_ROOT / "static/js/visit").glob("*.js"))])
    external = re.findall(rb'(?:src|href)="https?://', html)
    gz = {name: len(gzip.compress(body, 9)) for name, body in (("html", html), ("css", css), ("js", js))}

    print(f"largest checklist: {largest.key} ({sum(1 for _ in largest.questions())} questions), {rounds} rounds")
    print(f"page weight, gzip: html {gz['html'] / 1024:.1f} KB + css {gz['css'] / 1024:.1f} KB + js "
          f"{gz['js'] / 1024:.1f} KB = {sum(gz.values()) / 1024:.1f} KB (budget 60 KB); requests to other hosts: "
          f"{len(external)}")
    bare_ms = median_ms(lambda: client.get("/__bare"), rounds)
    render_ms = median_ms(lambda: client.get(section_url), rounds)
    section = largest.sections[7]
    data = form_fields(section, answers)
    save_ms = median_ms(lambda: client.post(section_url, data=data), rounds)

    def fill_and_submit() -> Callable[[], Any]:
        vid = new_visit()
        for index, sec in enumerate(largest.sections):
            data = form_fields(sec, answers)
            for question in sec.questions:
                if question.type == "photo":
                    data[f"f-{question.key}"] = (io.BytesIO(RECEIPT), "receipt.jpg")
            client.post(f"/shopper/visits/{vid}/sections/{index}", data=data, content_type="multipart/form-data")
        with app.app_context():
            client_uuid = db.session.get(__import__("audit_app.models", fromlist=["Visit"]).Visit, vid).client_uuid
        return lambda: client.post(f"/shopper/visits/{vid}/submit", data={"client_uuid": client_uuid})

    submit_times = []
    for _ in range(max(5, rounds // 6)):
        submit = fill_and_submit()
        start = time.perf_counter()
        response = submit()
        submit_times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 302:
            raise SystemExit(f"submit answered {response.status_code}: " +
                             ", ".join(re.findall(r'#q-([a-z0-9_]+)', response.get_data(as_text=True))))
    submit_ms = statistics.median(submit_times)
    print(f"bare Flask endpoint:         {bare_ms:7.2f} ms median")
    print(f"render the largest section:  {render_ms:7.2f} ms median  ({render_ms / bare_ms:.1f}x bare; budget 50 ms)")
    print(f"save that section:           {save_ms:7.2f} ms median  ({save_ms / bare_ms:.1f}x bare; budget 50 ms)")
    print(f"submit and score the visit:  {submit_ms:7.2f} ms median  ({submit_ms / bare_ms:.1f}x bare; "
          f"budget 150 ms; {len(submit_times)} visits)")


if __name__ == "__main__":
    main()
