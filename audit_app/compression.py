"""Response compression (Flask-Compress): brotli or gzip for text that a browser asks to have compressed.

- Only text types are compressed (HTML, CSS, JavaScript, JSON, SVG, CSV); images, PDFs, zips and spreadsheets
  are already compressed and pass untouched, whatever their size.
- Streamed responses (static files, the service worker) are compressed chunk by chunk and keep streaming.
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

from flask import Flask, Response, request
from flask_compress import Compress

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/manifest+json", "application/problem+json", "image/svg+xml",
    "application/x-yaml",
]
SECRET_BEARING_TYPES = {"text/html", "application/json"}

compress = Compress()


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
            vary = response.headers.get("Vary")
            if not vary:
                response.headers["Vary"] = "Accept-Encoding"
            elif "accept-encoding" not in vary.lower():
                response.headers["Vary"] = f"{vary}, Accept-Encoding"
            return response
        source = response.response
        response = compress.after_request(response)
        if response.response is not source and hasattr(source, "close"):
            # A streamed file is now read through the compressor: close the file when the response is done.
            response.call_on_close(source.close)
        return response
