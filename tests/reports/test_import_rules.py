"""reports/ is handed data: it imports scoring, jinja2, matplotlib (never pyplot) and WeasyPrint, never the app."""

from __future__ import annotations

import ast
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "reports"
ALLOWED = {"scoring", "jinja2", "markupsafe", "matplotlib", "weasyprint", "reports", "__future__"}


def test_reports_imports_only_the_standard_library_and_its_renderers() -> None:
    import sys

    found = {}
    for path in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name, path.name)
    for name, where in found.items():
        top = name.split(".")[0]
        assert top in ALLOWED or top in sys.stdlib_module_names, f"{where} imports {name}"
        assert name != "matplotlib.pyplot", f"{where} imports pyplot"
