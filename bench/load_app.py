"""The WSGI app bench/load.py runs under gunicorn: Storecheck plus a bare endpoint as the baseline.

`GET /bench/bare` answers a fixed two-byte 200 without touching Flask; every other request goes to `wsgi:app`,
so the baseline is served by the same gunicorn workers, in the same run, as the app's own pages.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from wsgi import app as storecheck

BARE_PATH = "/bench/bare"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == BARE_PATH and environ.get("REQUEST_METHOD") == "GET":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    return storecheck(environ, start_response)
