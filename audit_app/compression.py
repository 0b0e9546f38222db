"""Response compression (Flask-Compress): brotli or gzip for text that a browser asks to have compressed.

- Only text types are compressed (HTML, CSS, JavaScript, JSON, SVG, CSV); images, PDFs, zips and spreadsheets
  are already compressed and pass untouched, whatever their size.
- The static files (style sheets, scripts, icons) and the service worker are compressed once per process at the
  best ratio (brotli 11, gzip 9) and kept in memory, keyed by the file's path, size and modification time; an
  `ETag` names the encoding, so a revalidation answers 304 as before. Scripts and style sheets are minified
  first (rjsmin, rcssmin: comments and spaces only, names untouched), so the files in the repository keep their
  comments and a phone on a slow line is sent none of them; a client that asks for no compression gets the
  minified file uncompressed.
- Other streamed responses of a text type are compressed chunk by chunk and keep streaming.
- Every response names `Accept-Encoding` in `Vary`, so a cache never hands a compressed copy to a client that
  did not ask for one.
- BREACH: a compressed page that carries a secret (the CSRF token) beside text an attacker can put into the same
  page leaks the secret through the compressed length, if the attacker can make the victim's browser load the
  page many times and watch the sizes. Those loads come from another site; browsers say so in
  `Sec-Fetch-Site: cross-site` (and with the session cookie `SameSite=Lax` only top-level navigations carry the
  session at all). Such requests get their HTML uncompressed; the app's own pages, loaded same-origin or typed
  in, are compressed. The token itself is signed with a timestamp and changes every second, which the attack's
  thousands of requests would also have to beat.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, Response, current_app, request
from flask_compress import Compress

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/manifest+json", "application/problem+json", "image/svg+xml",
    "application/x-yaml",
]
SECRET_BEARING_TYPES = {"text/html", "application/json"}

compress = Compress()
STATIC_ENDPOINTS = {"static": "static", "shopper.service_worker": "sw"}
_FILES: dict[tuple[str, int, int, str], bytes] = {}
_FILES_LOCK = threading.Lock()


def _static_path(endpoint: str) -> Path | None:
    if endpoint == "static":
        filename = (request.view_args or {}).get("filename")
        return Path(current_app.static_folder or "", filename) if filename else None
    return Path(current_app.static_folder or "", "js", "sw.js")


MINIFIED = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}


def _prepared(path: Path, encoding: str | None) -> bytes:
    """The file as sent: minified when a script or style sheet, then compressed in `encoding` (None: not)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, encoding or "")
    with _FILES_LOCK:
        hit = _FILES.get(key)
    if hit is None:
        data = path.read_bytes()
        minify = MINIFIED.get(path.suffix)
        if minify is not None:
            data = minify(data)
        hit = (data if encoding is None else brotli.compress(data, quality=11) if encoding == "br"
               else gzip.compress(data, 9, mtime=0))
        with _FILES_LOCK:
            _FILES[key] = hit
    return hit


def _compress_static(response: Response) -> Response | None:
    """A static file's 200 answered from its prepared copy, or None when this answer is not one."""
    if (request.endpoint not in STATIC_ENDPOINTS or response.status_code != 200
            or response.mimetype not in compress.compress_mimetypes_set or "Content-Encoding" in response.headers):
        return None
    accepted = request.accept_encodings
    encoding = "br" if accepted["br"] else "gzip" if accepted["gzip"] else None
    path = _static_path(request.endpoint)
    if path is None or not path.is_file() or (encoding is None and path.suffix not in MINIFIED):
        return None
    body = _prepared(path, encoding)
    response.close()  # the file it was going to stream
    response.direct_passthrough = False
    response.set_data(body)
    if encoding is not None:
        response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag:  # the file's own tag names its bytes on disk; what is sent differs, so its tag does too
        response.set_etag(f"{etag}:{encoding or 'min'}", weak=weak)
    response.make_conditional(request)
    return response


def _vary_on_encoding(response: Response) -> None:
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding"


def init_compression(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # our own hook below decides, then calls Flask-Compress
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)

    @app.after_request
    def compress_response(response: Response) -> Response:
        if (request.headers.get("Sec-Fetch-Site") == "cross-site"
                and response.mimetype in SECRET_BEARING_TYPES):
            _vary_on_encoding(response)
            return response
        static = _compress_static(response)
        if static is not None:
            _vary_on_encoding(static)
            return static
        source = response.response
        response = compress.after_request(response)
        if response.response is not source and hasattr(source, "close"):
            # A streamed file is now read through the compressor: close the file when the response is done.
            response.call_on_close(source.close)
        return response
