"""The test set-up on a newcomer's machine: a font cache older than the CJK font is rebuilt, and a missing CJK
font skips the tests that draw Japanese with the package to install (a failure when CI requires the fonts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit_app.config import PROJECT_ROOT
from tests.fonts import FAMILY, PACKAGE

JAPANESE_CHART_TEST = "tests/reports/test_charts_and_pdf.py::test_two_charts_on_one_page_share_no_ids_and_carry_no_script"
# The inner run needs only this project's conftest: without the plugins it never uses (Hypothesis is imported
# whole for its summary, Playwright for its fixtures) each run starts about a second sooner.
QUICK_START = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:playwright", "-p", "no:rerunfailures")


@pytest.fixture
def stale_cache(tmp_path: Path) -> Path:
    """A matplotlib config folder whose font cache was built before the CJK font was installed."""
    import reports.charts  # noqa: F401
    from matplotlib import font_manager

    if not any(font.name == FAMILY for font in font_manager.fontManager.ttflist):
        pytest.skip(f"{FAMILY} is not installed here, so a cache without it cannot be stale")
    folder = tmp_path / "mpl"
    folder.mkdir()
    cache = folder / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(font_manager.fontManager, cache)
    data = json.loads(cache.read_text())
    data["ttflist"] = [f for f in data["ttflist"] if "CJK" not in f["name"]]
    cache.write_text(json.dumps(data))
    return folder


def _pytest(mplconfigdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "MPLCONFIGDIR": str(mplconfigdir), **env}
    environ.pop("TEST_DATABASE_URL", None)
    environ.pop("STORECHECK_REQUIRE_FONTS", None)
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "pytest", "-rs", *QUICK_START, JAPANESE_CHART_TEST],
                          cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=300)


def test_a_font_cache_built_before_the_cjk_font_is_rebuilt(stale_cache: Path) -> None:
    done = _pytest(stale_cache)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout and "after rebuilding matplotlib's stale font cache" in done.stdout
    cached = list(stale_cache.glob("fontlist-*.json"))
    assert all("CJK" in path.read_text() for path in cached)  # gone, or rebuilt with the font


def test_without_a_cjk_font_the_japanese_tests_skip_naming_the_package(stale_cache: Path) -> None:
    done = _pytest(stale_cache, STORECHECK_TEST_HIDE_CJK_FONTS="1")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 skipped" in done.stdout and f"install {PACKAGE}" in done.stdout
    assert "Glyph" not in done.stdout


def test_ci_requiring_the_fonts_fails_with_the_package_to_install(stale_cache: Path) -> None:
    done = _pytest(stale_cache, STORECHECK_TEST_HIDE_CJK_FONTS="1", STORECHECK_REQUIRE_FONTS="1")
    assert done.returncode == 1 and "1 failed" in done.stdout
    assert f"install {PACKAGE}" in done.stdout and "STORECHECK_REQUIRE_FONTS=1" in done.stdout
