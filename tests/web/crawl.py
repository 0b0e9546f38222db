"""A breadth-first crawl of the pages a signed-in person can reach, and the checks made on every page.

Used by tests/web/test_crawl.py: follows every same-site link and every GET form (submitted with its defaults)
from the home page, at most a few URLs per pattern (numbers in the path replaced by a placeholder), and records
what a person would notice: server errors, broken links, internal keys or message ids in the page, English left
in a Japanese page, downloads that do not open.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import openpyxl
import yaml
from flask.testing import FlaskClient

# Elements whose text is not read as interface wording: code and form contents are the person's own data
# (keys head office types in, answers being edited), scripts and styles are not shown.
SKIPPED_TEXT = {"script", "style", "code", "textarea", "svg", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]]


@dataclass
class Page:
    """What a person sees of one HTML page: its words (with the language each is in), links and GET forms."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (text, lang)
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)

    @property
    def words(self) -> str:
        return " ".join(t for t, _ in self.texts)


class _Reader(HTMLParser):
    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, str, bool]] = [("", page_lang, False)]  # (tag, lang, skipped)
        self.form: Form | None = None
        self.select: tuple[str, list[tuple[str, bool]]] | None = None
        self.option: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        _, lang, skipped = self.stack[-1]
        if tag == "html" and a.get("lang"):
            lang = a["lang"]
        lang = a.get("lang", lang)
        skipped = skipped or tag in SKIPPED_TEXT or "hidden" in a
        if tag not in VOID:
            self.stack.append((tag, lang, skipped))
        if tag == "a" and a.get("href"):
            self.page.links.append(a["href"])
        for name in ("title", "aria-label", "placeholder", "alt"):
            if a.get(name) and not skipped and tag not in ("svg",):
                self.page.texts.append((a[name], lang))
        if tag == "form":
            self.form = Form(a.get("action", ""), []) if a.get("method", "get").lower() == "get" else None
            if self.form is not None:
                self.page.forms.append(self.form)
        elif tag == "input" and self.form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "file"):
                return
            self.form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and self.form is not None and a.get("name"):
            self.select = (a["name"], [])
        elif tag == "option" and self.select is not None:
            self.option = (a.get("value", ""), "selected" in a)
            self.select[1].append(self.option)
        if tag == "input" and a.get("type", "").lower() in ("submit", "button") and a.get("value") and not skipped:
            self.page.texts.append((a["value"], lang))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None and self.form is not None:
            name, options = self.select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            self.form.fields.extend((name, v) for v in chosen)
            self.select = None
        if tag == "form":
            self.form = None
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        _, lang, skipped = self.stack[-1]
        text = " ".join(data.split())
        if text and not skipped:
            self.page.texts.append((text, lang))


def read_page(html: str, lang: str) -> Page:
    reader = _Reader(lang)
    reader.feed(html)
    reader.close()
    return reader.page


def pattern_of(url: str) -> str:
    """The URL with numbers in its path replaced, and its query reduced to the names of its parameters."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$|\.)", "/<n>", parts.path)
    path = re.sub(r"/[0-9a-f]{16,}(?=/|$)", "/<id>", path)
    names = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(names) if names else "")


# --- what a person must never see -------------------------------------------------------------------

# A snake_case identifier (two or more lower-case words joined by "_"): a key, not a word.
SNAKE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
# A dotted message id or action name such as "excluded.na" or "checklist.published".
DOTTED = re.compile(r"(?<![\w@/.-])[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*(?![\w@/-])")
# JSON objects, and a model's name with its row id ("user 21", "checklist_version 3").
JSON_OBJECT = re.compile(r"\{\s*\"[^\"]+\"\s*:")
ENTITY_ID = re.compile(r"\b(?:user|store|visit|area|region|assignment|checklist|checklist_version|settings) \d+\b"
                       r"(?![-/:.]\d)")
# Placeholders left unfilled by a translation.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{[a-z_]+\}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_NAME = re.compile(r"\b[\w-]+\.(?:csv|xlsx|pdf|zip|yaml|jpg|png)\b")
TIME_ZONE = re.compile(r"\b(?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z_]+\b")


def raw_keys(text: str) -> list[str]:
    """Internal keys and message ids in a page's words (e-mail addresses and file names aside)."""
    text = TIME_ZONE.sub(" ", FILE_NAME.sub(" ", EMAIL.sub(" ", text)))
    found = SNAKE.findall(text) + DOTTED.findall(text) + JSON_OBJECT.findall(text) + ENTITY_ID.findall(text)
    found += PLACEHOLDER.findall(text)
    return found


# Interface English that may stand in a Japanese page: product and standard names, abbreviations, and the words of
# the editor's band syntax ("max 120: 1", "otherwise: 0"), which head office types as they are.
ENGLISH_ALLOWED = {"otherwise",
    "CSV", "Excel", "PDF", "SMTP", "NPS", "CSAT", "YAML", "KPI", "KPIs", "N/A", "ID", "URL", "UTC", "JST", "API", "CES", "XLSForm",
    "v", "s", "min", "max", "OK", "English", "Storecheck", "zip", "JST", "SNS", "Wi-Fi", "Cookie", "Apple", "Google", "Pay", "GMT", "cm", "kg", "mm", "m", "km",
    "ODK", "KoboToolbox", "MB", "SE",
}
ASCII_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:\s+[A-Za-z][A-Za-z'’-]*)*")


@lru_cache(maxsize=8)
def _data_pattern(known_data: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of the data's strings as whole words, longest first."""
    strings = sorted({d for d in known_data if len(d) > 2 and re.search("[A-Za-z]", d)}, key=len, reverse=True)
    if not strings:
        return None
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(d) for d in strings) + r")(?![A-Za-z])")


def without_data(text: str, known_data: Iterable[str] | re.Pattern[str] | None) -> str:
    """The text with the data's own words (names, checklist content) taken out."""
    pattern = known_data if isinstance(known_data, re.Pattern) or known_data is None \
        else _data_pattern(tuple(sorted(set(known_data))))
    return pattern.sub(" ", text) if pattern is not None else text


def untranslated(texts: Iterable[tuple[str, str]], known_data: Iterable[str] | re.Pattern[str] | None) -> list[str]:
    """Runs of English words in Japanese text that are neither data nor allowed names."""
    data = known_data if isinstance(known_data, re.Pattern) else _data_pattern(tuple(sorted(set(known_data))))
    found = []
    for text, lang in texts:
        if not lang.startswith("ja"):
            continue
        rest = without_data(TIME_ZONE.sub(" ", FILE_NAME.sub(" ", EMAIL.sub(" ", text))), data)
        for run in ASCII_WORDS.findall(rest):
            words = [w for w in run.split() if w not in ENGLISH_ALLOWED and len(w) > 1]
            if words:
                found.append(run)
    return found


# --- downloads ----------------------------------------------------------------------------------------


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_problem(content_type: str, data: bytes) -> str | None:
    """None when the file opens as what it says it is, else what is wrong."""
    kind = content_type.split(";")[0].strip()
    try:
        if kind == "text/csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            if not rows or len(rows[0]) < 2:
                return "CSV has no header"
            if any(len(r) != len(rows[0]) for r in rows):
                return "CSV rows differ in length from the header"
            return None
        if kind == "application/pdf":
            return None if data.startswith(b"%PDF") else "not a PDF"
        if kind == "application/zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                bad = archive.testzip()
                return f"zip member {bad} is damaged" if bad else None
        if kind == XLSX:
            sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
            rows = list(sheet.iter_rows(values_only=True))
            if not rows or len(rows[0]) < 2 or any(cell in (None, "") for cell in rows[0]):
                return "workbook has no header"
            if any(len(r) > len(rows[0]) for r in rows):
                return "workbook rows are longer than the header"
            return None
        if kind in ("application/x-yaml", "application/yaml", "text/yaml"):
            return None if isinstance(yaml.safe_load(data.decode("utf-8")), dict) else "YAML is not a mapping"
        if kind == "image/jpeg":
            return None if data.startswith(b"\xff\xd8") else "not a JPEG"
        if kind in ("application/json", "text/javascript", "image/svg+xml", "text/css"):
            return None
    except Exception as error:  # noqa: BLE001 - any failure to open is the finding
        return f"does not open: {error!r}"
    return f"unexpected content type {content_type}"


# --- the crawl ------------------------------------------------------------------------------------------


@dataclass
class Visited:
    url: str
    status: int
    content_type: str
    found_on: str


@dataclass
class CrawlResult:
    visited: list[Visited] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def patterns(self) -> set[str]:
        return {pattern_of(v.url) for v in self.visited}


def _same_site(href: str, base: str) -> str | None:
    if href.startswith(("mailto:", "tel:", "javascript:", "#", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if target.startswith("/static/"):
        return None
    return target


def crawl(client: FlaskClient, *, lang: str, known_data: Iterable[str], content: Iterable[str] = (),
          per_pattern: int = 3, start: str = "/", limit: int = 400) -> CrawlResult:
    """Breadth-first from `start`; every page checked as described in the module docstring.

    `known_data` is the data's text that exists in English only (it may stand in a Japanese page); `content` is
    all of the data's own text (names, checklist wording in every language), which is never read as a key."""
    known = _data_pattern(tuple(sorted(set(known_data))))
    everything = _data_pattern(tuple(sorted(set(known_data) | set(content))))
    result = CrawlResult()
    queue: deque[tuple[str, str]] = deque([(start, "(start)")])
    seen: set[str] = {start}
    per: dict[str, int] = {}
    while queue and len(result.visited) < limit:
        url, found_on = queue.popleft()
        where = f"{url} (linked from {found_on})"
        try:
            response = client.get(url)
        except Exception as error:  # noqa: BLE001 - the test app re-raises what production turns into a 500
            result.visited.append(Visited(url, 500, "", found_on))
            result.problems.append(f"500 {type(error).__name__}: {error}: {where}")
            continue
        body = response.get_data()
        response.close()
        if response.status_code in (301, 302, 303, 307, 308):
            target = _same_site(response.headers["Location"], "http://localhost" + url)
            result.visited.append(Visited(url, response.status_code, "", found_on))
            if target and target not in seen:
                seen.add(target)
                queue.appendleft((target, url))
            continue
        content_type = response.headers.get("Content-Type", "")
        result.visited.append(Visited(url, response.status_code, content_type, found_on))
        if response.status_code >= 400:
            result.problems.append(f"{response.status_code}: {where}")
            continue
        if not content_type.startswith("text/html"):
            problem = download_problem(content_type, body)
            if problem:
                result.problems.append(f"download {problem}: {where}")
            continue
        page = read_page(body.decode("utf-8"), lang)
        keys = sorted({f"{key!r} in {text[:90]!r}" for text, _ in page.texts
                       for key in raw_keys(without_data(text, everything))})
        if keys:
            result.problems.append(f"raw keys on {url}: " + "; ".join(keys[:12]))
        if lang == "ja":
            english = untranslated(page.texts, known)
            if english:
                result.problems.append(f"English in Japanese on {url}: {sorted(set(english))[:12]}")
        targets = [_same_site(h, "http://localhost" + url) for h in page.links]
        for form in page.forms:
            action = _same_site(form.action or url, "http://localhost" + url)
            if action:
                path = action.split("?")[0]
                targets.append(path + ("?" + urlencode(form.fields) if form.fields else ""))
        for target in targets:
            if not target or target in seen:
                continue
            key = pattern_of(target)
            # A PDF takes a good part of a second to render: one of each kind is enough to know they open.
            if per.get(key, 0) >= (1 if key.split("?")[0].endswith(".pdf") else per_pattern):
                continue
            per[key] = per.get(key, 0) + 1
            seen.add(target)
            queue.append((target, url))
    return result
