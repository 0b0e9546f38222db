"""The load bench's virtual users: shoppers who fill in and submit visits through the pages (about one submit in
ten sent twice), area managers who browse their dashboards, and a steady stream to a bare endpoint. Each user is
one thread behind its own client address; every request is timed and checked as it is answered."""

from __future__ import annotations

import html
import http.client
import io
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import scoring
from audit_app.services.seed import answers_at
from bench.load_data import NOW, PASSWORD, RECEIPT, Plan
from tools import harness

REPLAY_SHARE = 0.1
BARE_STREAMS, BARE_PAUSE = 2, 0.25
ERRORS_SHOWN = 5
SECTION = re.compile(r"/shopper/visits/(\d+)/sections/(\d+)")
QUESTION = re.compile(r'<div class="question[^"]*" id="q-(\w+)" data-key="\w+" data-type="(\w+)"([^>]*)>')


@dataclass
class Page:
    status: int
    location: str  # a redirect's target (path, query and fragment), "" otherwise
    text: str


@dataclass
class Recorder:
    # label, status, ms, ok, request id, when it was sent (time.monotonic())
    samples: list[tuple[str, int, float, bool, str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the first few, described

    def add(self, label: str, status: int, ms: float, problem: str | None, request_id: str = "",
            sent: float | None = None) -> None:
        at = sent if sent is not None else time.monotonic() - ms / 1000
        self.samples.append((label, status, ms, problem is None, request_id, at))
        if problem is not None and len(self.errors) < ERRORS_SHOWN:
            self.errors.append(f"{label}: {problem}")


@dataclass
class Run:
    port: int
    deadline: float
    think: tuple[float, float]
    stop: threading.Event
    recorder: Recorder = field(default_factory=Recorder)
    submitted: dict[str, int] = field(default_factory=dict)  # client UUID -> visit id, for each visit submitted
    replayed: set[str] = field(default_factory=set)

    def active(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def pause(self, rng: random.Random) -> bool:
        """Think for a while; False once the run is over."""
        left = self.deadline - time.monotonic()
        if left > 0:
            self.stop.wait(min(rng.uniform(*self.think), left))
        return self.active()


def excerpt(text: str, limit: int = 240) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())[:limit]


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Browser:
    """One user's cookies and client address (as behind a reverse proxy); every request is timed and checked."""

    def __init__(self, run: Run, address: str) -> None:
        self.run = run
        self.address = address
        self.client = harness.Browser(f"http://127.0.0.1:{run.port}", {
            "X-Forwarded-For": address, "User-Agent": "storecheck-load",
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Encoding": "gzip"})

    def get(self, label: str, path: str, *, to: str | None = None) -> Page | None:
        return self.request(label, "GET", path, to=to)

    def post(self, label: str, path: str, fields: list[tuple[str, str]], *, to: str,
             files: list[tuple[str, str, bytes]] | None = None) -> Page | None:
        if files is not None:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request(label, "POST", path, body=body, content_type=content_type, to=to)

    def request(self, label: str, method: str, path: str, *, body: bytes | None = None,
                content_type: str | None = None, to: str | None = None, expect: int = 200) -> Page | None:
        """Send one request; `to` is the redirect expected (a regular expression), else a 200 is.
        Returns None after recording an error."""
        request_id = uuid.uuid4().hex  # the app logs it with its own time for the request
        sent = time.monotonic()
        start = time.perf_counter()
        try:
            reply = self.client.request(method, path, body=body, content_type=content_type,
                                        headers={"X-Request-ID": request_id}, timeout=120)
        except (*harness.TRANSPORT_ERRORS, http.client.HTTPException) as error:
            self.run.recorder.add(label, 0, (time.perf_counter() - start) * 1000, f"{method} {path}: {error!r}",
                                  request_id, sent)
            return None
        ms = (time.perf_counter() - start) * 1000
        parts = urlsplit(reply.headers.get("Location", ""))
        location = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment
                                                                              else "")
        page = Page(reply.status, location, reply.text)
        problem = None
        if to is None and page.status != expect:
            problem = f"{method} {path} answered {page.status} {location} {excerpt(reply.text)}"
        elif to is not None and (page.status not in (302, 303) or not re.fullmatch(to, location)):
            problem = f"{method} {path} answered {page.status} {location or excerpt(reply.text)}, expected a redirect to {to}"
        self.run.recorder.add(label, page.status, ms, problem, request_id, sent)
        return page if problem is None else None


def form_values(key: str, value: Any) -> list[tuple[str, str]]:
    """An answer as the section form posts it: N/A as its box, several options as several values."""
    if value is None:
        return []
    if value is scoring.NA:
        return [(f"na-{key}", "1")]
    return [(f"q-{key}", str(v)) for v in (value if isinstance(value, list) else [value])]


def hidden_value(page_html: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page_html):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    return ""


def sign_in(browser: Browser, email: str, home: str, rng: random.Random) -> bool:
    page = browser.get("GET login", "/login")
    if page is None or not browser.run.pause(rng):
        return False
    fields = [("csrf_token", hidden_value(page.text, "csrf_token")), ("email", email), ("password", PASSWORD),
              ("next", "")]
    return (browser.post("POST login", "/login", fields, to="/") is not None
            and browser.get("GET / (redirect)", "/", to=re.escape(home)) is not None)


class Shopper:
    def __init__(self, run: Run, email: str, address: str, definition: scoring.Checklist, seed: int) -> None:
        self.run, self.email, self.definition = run, email, definition
        self.browser = Browser(run, address)
        self.rng = random.Random(seed)

    def __call__(self) -> None:
        if not sign_in(self.browser, self.email, "/shopper/", self.rng):
            return
        while self.run.active():
            home = self.browser.get("GET shopper home", "/shopper/")
            text = home.text if home else ""
            progress = re.search(r'<section aria-labelledby="progress-h">(.*?)</section>', text, re.S)
            resume = re.search(r'href="(/shopper/visits/\d+)"', progress.group(1)) if progress else None
            start = re.search(r'<form method="post" action="(/shopper/assignments/\d+/start)"[^>]*>(.*?)</form>',
                              text, re.S)
            if not self.run.pause(self.rng):
                return
            if resume is not None:
                self.fill(resume.group(1), None)
            elif start is not None:
                self.start(start.group(1), hidden_value(start.group(2), "csrf_token"),
                           hidden_value(start.group(2), "client_uuid"))

    def start(self, action: str, csrf: str, client_uuid: str) -> None:
        fields = [("csrf_token", csrf), ("client_uuid", client_uuid), ("latitude", ""), ("longitude", ""),
                  ("accuracy", "")]
        page = self.browser.post("POST start visit", action, fields, to=r"/shopper/visits/\d+")
        if page is not None:
            self.fill(page.location, client_uuid)

    def fill(self, visit_path: str, client_uuid: str | None) -> None:
        """Answer every section still open, in order, then review and submit (`client_uuid`: the one the visit
        was started with, None for a visit in progress)."""
        page = self.browser.get("GET visit (redirect)", visit_path, to=re.escape(visit_path) + r"/sections/\d+")
        target = page.location if page else ""
        answers, _hidden = answers_at(self.definition, self.rng.uniform(0.6, 0.98), self.rng, NOW)
        for _ in range(3 * len(self.definition.sections)):  # a question a section reveals sends it back once
            if not SECTION.fullmatch(target):
                break
            page = self.browser.get("GET section", target)
            if page is None or not self.run.pause(self.rng):
                return
            fields, files = self.section_form(page.text, answers)
            page = self.browser.post("POST section", target, fields, files=files,
                                     to=re.escape(visit_path) + r"/(sections/\d+(#q-\w+)?|review)")
            target = page.location.split("#")[0] if page else ""
        if target != f"{visit_path}/review":
            return
        page = self.browser.get("GET review", target)
        if page is None or not self.run.pause(self.rng):
            return
        on_page = hidden_value(page.text, "client_uuid")
        if client_uuid is not None and on_page != client_uuid:
            self.run.recorder.add("GET review", page.status, 0, f"{target} carries another visit's client UUID")
            return
        self.submit(visit_path, [("csrf_token", hidden_value(page.text, "csrf_token")), ("client_uuid", on_page),
                                 ("latitude", ""), ("longitude", ""), ("accuracy", "")], on_page)

    def section_form(self, page_html: str, answers: dict[str, Any]
                     ) -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
        """What a browser sends for the questions shown (hidden ones are disabled), from the visit's answers."""
        fields = [("csrf_token", hidden_value(page_html, "csrf_token")), ("go", "next")]
        files: list[tuple[str, str, bytes]] = []
        for key, kind, attributes in QUESTION.findall(page_html):
            if re.search(r"\shidden\s*$", attributes):
                continue
            question = self.definition.question(key)
            # The tokens of what the page shows, as a browser posts them back with the form.
            fields += [(f"b-{key}", hidden_value(page_html, f"b-{key}")),
                       (f"bc-{key}", hidden_value(page_html, f"bc-{key}"))]
            if kind == "photo":
                stored = f'name="remove-{key}"' in page_html  # a stored photo offers "Remove photo"
                if question.required and not stored:
                    files.append((f"f-{key}", "receipt.jpg", RECEIPT))
            else:
                fields += form_values(key, answers.get(key))
            fields.append((f"c-{key}", ""))
        return fields, files

    def submit(self, visit_path: str, fields: list[tuple[str, str]], client_uuid: str) -> None:
        """Submit once; for about one visit in ten, twice: together (a double tap) or one after the other."""
        path, done = f"{visit_path}/submit", re.escape(visit_path)
        results: list[Page | None] = []

        def replay() -> None:
            results.append(self.browser.post("POST submit (replay)", path, fields, to=done))

        twice = self.rng.random() < REPLAY_SHARE
        double_tap = twice and self.rng.random() < 0.5
        second = threading.Thread(target=replay) if double_tap else None
        if second is not None:
            second.start()
        results.append(self.browser.post("POST submit", path, fields, to=done))
        if second is not None:
            second.join()
        elif twice:
            replay()
        if any(results):
            self.run.submitted[client_uuid] = int(visit_path.rsplit("/", 1)[1])
            if twice:
                self.run.replayed.add(client_uuid)
            self.browser.get("GET submitted visit", visit_path)


class Manager:
    def __init__(self, run: Run, email: str, address: str, seed: int) -> None:
        self.run, self.email = run, email
        self.browser = Browser(run, address)
        self.rng = random.Random(seed)

    def __call__(self) -> None:
        browser, rng = self.browser, self.rng
        if not sign_in(browser, self.email, "/manager/", rng):
            return
        while self.run.active():
            home = browser.get("GET manager home", "/manager/")
            areas = sorted(set(re.findall(r'href="(/manager/areas/\d+)"', home.text))) if home else []
            if not self.run.pause(rng) or not areas:
                continue
            area = rng.choice(areas)
            board = browser.get("GET area dashboard", area)
            stores = sorted(set(re.findall(r'href="/manager/stores/(\d+)', board.text))) if board else []
            if not self.run.pause(rng) or not stores:
                continue
            store = browser.get("GET store page", f"/manager/stores/{rng.choice(stores)}")
            visit_ids = sorted(set(re.findall(r'href="/manager/visits/(\d+)"', store.text))) if store else []
            if visit_ids and self.run.pause(rng):
                browser.get("GET visit page", f"/manager/visits/{rng.choice(visit_ids)}")
            if self.run.pause(rng):
                browser.get("GET area CSV", f"{area}/visits.csv")
            if self.run.pause(rng):
                chosen = rng.sample(stores, min(len(stores), rng.randint(2, 4)))
                browser.get("GET compare", "/manager/compare?" + urlencode([("stores", s) for s in chosen]))
            self.run.pause(rng)


def bare_stream(run: Run, address: str, email: str) -> None:
    """Signed in like everyone else, alternately the bare page and the bare insert (bench/load_app.py), the
    baselines served by the same workers in the same run."""
    browser = Browser(run, address)
    if not sign_in(browser, email, "/manager/", random.Random(address)):
        return
    while run.active():
        browser.get("GET bare (baseline)", "/bench/bare")
        run.stop.wait(BARE_PAUSE)
        if run.active():
            browser.request("POST bare insert (baseline)", "POST", "/bench/bare-insert", body=b"",
                            content_type="application/x-www-form-urlencoded", expect=201)
            run.stop.wait(BARE_PAUSE)


def drive(run: Run, plan: Plan, definition: scoring.Checklist, ramp_up: float) -> float:
    """Start every user at its moment of the ramp-up, wait for all; returns the seconds the traffic took."""
    crowd: list[tuple[float, Callable[[], None]]] = []
    for i, email in enumerate(plan.shoppers):
        crowd.append((i / len(plan.shoppers), Shopper(run, email, f"10.0.{i // 250}.{i % 250 + 1}", definition, i)))
    for i, email in enumerate(plan.managers):
        crowd.append((i / len(plan.managers), Manager(run, email, f"10.1.{i // 250}.{i % 250 + 1}", 10_000 + i)))
    crowd += [(0.0, lambda i=i: bare_stream(run, f"10.2.0.{i + 1}", plan.managers[i % len(plan.managers)]))
              for i in range(BARE_STREAMS)]

    def delayed(delay: float, user: Callable[[], None]) -> None:
        if not run.stop.wait(delay):
            user()

    threads = [threading.Thread(target=delayed, args=(share * ramp_up, user), daemon=True)
               for share, user in crowd]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=1)
    return time.perf_counter() - start
