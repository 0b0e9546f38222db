"""scoring/ stays pure: the standard library only (pydantic in schema.py), and no I/O, clock or randomness."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SCORING = Path(__file__).resolve().parents[2] / "scoring"
MODULES = sorted(SCORING.glob("*.py"))

# Standard-library modules that read or write the outside world, tell the time or draw random numbers.
IMPURE = {
    "asyncio", "glob", "http", "io", "logging", "os", "pathlib", "random", "secrets", "select", "selectors",
    "shutil", "socket", "sqlite3", "ssl", "subprocess", "sys", "tempfile", "threading", "time", "urllib", "uuid",
    "zoneinfo",
}
IMPURE_CALLS = {"open", "print", "input", "breakpoint", "exec", "eval", "__import__"}
CLOCK_ATTRIBUTES = {"now", "today", "utcnow", "time_ns", "perf_counter", "monotonic"}
PYDANTIC = {"pydantic", "pydantic_core"}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def allowed(module_file: str, name: str) -> bool:
    top = name.split(".")[0]
    if name.startswith(".") or top == "scoring":
        return True
    if top in PYDANTIC:
        return module_file == "schema.py"
    return top in sys.stdlib_module_names and top not in IMPURE


def test_the_walk_sees_every_module_of_the_package() -> None:
    assert {path.name for path in MODULES} >= {
        "__init__.py", "schema.py", "engine.py", "questions.py", "criticals.py", "grades.py", "aggregates.py",
        "errors.py", "display.py",
    }


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_a_scoring_module_imports_only_the_pure_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [f"line {line}: {name}" for line, name in imported_modules(tree) if not allowed(path.name, name)]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_a_scoring_module_does_no_io_and_reads_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IMPURE_CALLS:
            bad.append(f"line {node.lineno}: {node.func.id}()")
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRIBUTES:
            bad.append(f"line {node.lineno}: .{node.attr}")
    assert bad == []


def test_the_rule_catches_what_it_is_meant_to_catch() -> None:
    tree = ast.parse("import os\nfrom random import choice\nimport pydantic\nfrom . import schema\nimport flask\n")
    verdicts = [(name, allowed("engine.py", name)) for _, name in imported_modules(tree)]
    assert verdicts == [("os", False), ("random", False), ("pydantic", False), (".", True), ("flask", False)]
    assert allowed("schema.py", "pydantic_core")
