"""Compression on the wire: pages, styles and scripts come compressed to a browser that asks, plain to one that
does not; photos and other already-compressed files are never compressed again; every answer varies on
Accept-Encoding; and a page loaded from another site comes uncompressed (BREACH)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from audit_app.config import PROJECT_ROOT

from tests.factories import World, make_visit, visit_with_photo_and_hazard

GZIP = {"Accept-Encoding": "gzip"}


def _section(shopper: FlaskClient, world: World) -> str:
    visit = make_visit(world.shopper, world.store)
    return f"/shopper/visits/{visit.id}/sections/0"


def test_a_section_page_comes_gzipped_when_asked_and_reads_the_same(shopper: FlaskClient, world: World) -> None:
    path = _section(shopper, world)
    plain = shopper.get(path)
    packed = shopper.get(path, headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    text = gzip.decompress(packed.data).decode()
    assert "Were you greeted?" in text and 'name="csrf_token"' in text


def test_brotli_is_preferred_when_the_browser_offers_it(shopper: FlaskClient, world: World) -> None:
    path = _section(shopper, world)
    packed = shopper.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert "Were you greeted?" in brotli.decompress(packed.data).decode()


def test_a_page_requested_from_another_site_is_not_compressed(shopper: FlaskClient, world: World) -> None:
    path = _section(shopper, world)
    page = shopper.get(path, headers={**GZIP, "Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "Were you greeted?" in page.get_data(as_text=True)
    same_site = shopper.get(path, headers={**GZIP, "Sec-Fetch-Site": "same-origin"})
    assert same_site.headers["Content-Encoding"] == "gzip"


def test_the_static_style_sheet_and_service_worker_stream_gzipped(client: FlaskClient) -> None:
    for path, needle in (("/static/css/app.css", b"{"), ("/shopper/sw.js", b"storecheck-static-")):
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200, path
        assert response.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in response.headers["Vary"]
        body = gzip.decompress(response.data)
        assert needle in body
        plain = client.get(path)
        assert "Content-Encoding" not in plain.headers and plain.data == body
        response.close()
        plain.close()


def test_a_photo_is_sent_as_stored_not_compressed_again(app, world: World, login) -> None:  # type: ignore[no-untyped-def]
    _visit, photo_id = visit_with_photo_and_hazard(world)
    client = login(world.shopper)
    for variant in ("full", "thumb"):
        response = client.get(f"/photos/{photo_id}/{variant}.jpg", headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert "Content-Encoding" not in response.headers
        assert response.data[:2] == b"\xff\xd8"  # a JPEG as stored
        response.close()


def test_a_small_answer_is_not_worth_compressing(client: FlaskClient) -> None:
    response = client.get("/healthz", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_a_revalidated_static_file_answers_not_modified_in_its_encoding(client: FlaskClient) -> None:
    first = client.get("/static/js/visit.js", headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br" and first.headers["ETag"].endswith(':br"')
    assert b"import" in brotli.decompress(first.data)
    again = client.get("/static/js/visit.js", headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    plain = client.get("/static/js/visit.js", headers={"If-None-Match": first.headers["ETag"]})
    assert plain.status_code == 200 and b"import" in plain.data  # the compressed copy's tag is not the file's
    for reply in (first, again, plain):
        reply.close()


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("STORECHECK_REQUIRE_BROWSER") == "1":
            pytest.fail("node not found: it checks that the minified scripts still parse")
        pytest.skip("node not found: it checks that the minified scripts still parse")
    return node


def test_every_script_is_sent_minified_and_still_parses(client: FlaskClient, tmp_path: Path) -> None:
    node = _node()
    scripts = sorted((PROJECT_ROOT / "static" / "js").rglob("*.js"))
    assert len(scripts) >= 10
    for source in scripts:
        path = "/static/" + source.relative_to(PROJECT_ROOT / "static").as_posix()
        reply = client.get(path, headers={"Accept-Encoding": "br"})
        sent = brotli.decompress(reply.data)
        plain = client.get(path)
        assert plain.data == sent, path  # compressed or not, the same minified file
        assert len(sent) < 0.8 * source.stat().st_size, path
        assert b"/*" not in sent, path  # comments stay in the repository
        copy = tmp_path / (source.stem + ".mjs")
        copy.write_bytes(sent)
        checked = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True)
        assert checked.returncode == 0, (path, checked.stderr)
        for reply_ in (reply, plain):
            reply_.close()


def test_the_style_sheets_are_sent_minified_with_every_rule(client: FlaskClient) -> None:
    for source in sorted((PROJECT_ROOT / "static" / "css").glob("*.css")):
        path = f"/static/css/{source.name}"
        reply = client.get(path, headers={"Accept-Encoding": "br"})
        sent = brotli.decompress(reply.data).decode()
        on_disk = re.sub(r"/\*.*?\*/", "", source.read_text(), flags=re.S)
        assert len(sent) < len(on_disk), path
        assert sent.count("{") == on_disk.count("{") and sent.count("}") == on_disk.count("}"), path
        assert re.sub(r"\s+", "", sent).replace(";}", "}") == re.sub(r"\s+", "", on_disk).replace(";}", "}"), path
        reply.close()
