"""Japanese text on charts needs a CJK font in matplotlib's font list (and in fontconfig, for the PDFs).

A newcomer's machine may lack the font (the suite then says which package to install instead of failing on
"Glyph ... missing from font(s) DejaVu Sans"), or may have installed it after matplotlib built its font cache
(the cache is then rebuilt, as matplotlib would never look again on its own).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "fonts-noto-cjk"
FAMILY = "Noto Sans CJK JP"
REQUIRE = os.environ.get("STORECHECK_REQUIRE_FONTS") == "1"
# Tests of this module pretend the machine has no CJK font at all.
_HIDE = os.environ.get("STORECHECK_TEST_HIDE_CJK_FONTS") == "1"


@dataclass(frozen=True)
class FontCheck:
    available: bool
    message: str


def _noto_cjk_files() -> list[str]:
    """The Noto CJK font files installed on this machine (matplotlib's own scan, fontconfig included)."""
    if _HIDE:
        return []
    from matplotlib import font_manager

    return sorted(f for f in font_manager.findSystemFonts() if "notosanscjk" in Path(f).name.lower().replace("-", ""))


def _fontconfig_has_japanese() -> bool | None:
    if _HIDE:
        return False
    if shutil.which("fc-list") is None:
        return None
    done = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, timeout=30)
    return bool(done.stdout.strip())


def check_cjk_font() -> FontCheck:
    """Make sure matplotlib can draw Japanese: rebuild a font cache made before the font was installed.

    Returns whether a CJK font is available and a line for the test report."""
    import reports.charts  # noqa: F401  (sets MPLCONFIGDIR before matplotlib builds or reads its cache)
    import matplotlib
    from matplotlib import font_manager

    def known() -> bool:
        return not _HIDE and any(font.name == FAMILY for font in font_manager.fontManager.ttflist)

    install = (f"install {PACKAGE} (Debian/Ubuntu: sudo apt-get install {PACKAGE}); tests that draw or embed "
               "Japanese text are skipped")
    if known():
        if _fontconfig_has_japanese() is False:
            return FontCheck(False, f"fontconfig lists no Japanese font, so PDFs cannot show Japanese: {install}")
        return FontCheck(True, f"Japanese text: {FAMILY} found")
    files = _noto_cjk_files()
    if not files:
        return FontCheck(False, f"no CJK font found for Japanese text: {install}")
    # Installed after matplotlib cached its font list: add it here and drop the stale cache for other processes.
    for path in files:
        font_manager.fontManager.addfont(path)
    for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        cached.unlink(missing_ok=True)
    if known():
        return FontCheck(True, f"Japanese text: {FAMILY} found after rebuilding matplotlib's stale font cache")
    return FontCheck(False, f"{FAMILY} is installed but matplotlib cannot read it: {install}")


def is_missing_font_failure(text: str) -> bool:
    """A test failure that comes from the missing font rather than from the code under test."""
    return (("missing from font(s)" in text and "Glyph" in text) or "NotoSansCJK" in text
            or f"Font family '{FAMILY}' not found" in text)
