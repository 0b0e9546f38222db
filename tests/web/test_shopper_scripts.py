"""The service worker keeps, for offline use, every script module the shopper pages load, and nothing else."""

from __future__ import annotations

import re

from audit_app.config import PROJECT_ROOT

JS = PROJECT_ROOT / "static" / "js"


def _names(text: str, anchor: str) -> set[str]:
    listed = re.search(anchor + r"\s*=\s*\[([^\]]*)\]", text, re.S)
    assert listed is not None
    return set(re.findall(r'"([\w-]+)"', listed.group(1)))


def test_the_service_worker_and_the_pages_list_every_visit_module() -> None:
    on_disk = {path.stem for path in (JS / "visit").glob("*.js")}
    imported = set(re.findall(r'(?:from |import\()"\./(?:visit/)?([\w-]+)\.js"',
                              "".join(p.read_text() for p in [JS / "visit.js", *(JS / "visit").glob("*.js")])))
    assert imported == on_disk
    assert _names((JS / "sw.js").read_text(), "var MODULES") == on_disk
    assert _names((PROJECT_ROOT / "templates" / "shopper" / "_scripts.html").read_text(), "set VISIT_MODULES") == on_disk
