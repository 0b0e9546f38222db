"""Which way the imports go: every module of scoring/, reports/ and audit_app/services/ (subpackages too) is read
with `ast` and its imports checked against the rule of its layer.

The rules, as written down here:

- scoring/ imports the standard library, minus the modules that do I/O, tell the time or draw random numbers, and
  pydantic in schema.py only. It does no I/O and reads no clock. Nothing of audit_app, reports, Flask or SQLAlchemy.
- reports/ imports scoring, jinja2/markupsafe, matplotlib (never pyplot), WeasyPrint and the standard library.
  Nothing of audit_app, Flask or SQLAlchemy: it is handed data.
- audit_app/services/ may use SQLAlchemy, the models, the typed config, the language list, scoring, reports and
  its own modules, plus the libraries a use case needs (PIL, yaml, babel's formatting, alembic, rq, redis, ...).
  It never imports the web: no Flask or Flask extension, flask_login, flask_babel, wtforms, werkzeug (its
  `werkzeug.security` password hashing is the one exception: plain functions, no request or response), and of
  audit_app nothing but models, services, config and languages (so no create_app, extensions, i18n, authz, errors,
  worker or blueprint).

Every `import`, `from ... import`, relative import (resolved against the module's package) and import inside a
function counts, and so does `importlib.import_module("...")` with a literal name.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    dotted = _dotted(path)
    return dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]


def imported_names(source: str, package: str) -> list[tuple[int, str]]:
    """Every module a source imports, as absolute dotted names (with `from m import x` giving `m.x`), by line.

    `package` is the dotted package the source lives in, against which relative imports are resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[:len(base_parts) - (node.level - 1)])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in {"import_module", "__import__"}))):
            found.append((node.lineno, node.args[0].value))
    return found


def _under(name: str, prefixes: set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


# --- scoring ---------------------------------------------------------------------------------------------------

# Standard-library modules that read or write the outside world, tell the time or draw random numbers.
IMPURE = {
    "asyncio", "glob", "http", "io", "logging", "os", "pathlib", "random", "secrets", "select", "selectors",
    "shutil", "socket", "sqlite3", "ssl", "subprocess", "sys", "tempfile", "threading", "time", "urllib", "uuid",
    "zoneinfo",
}
IMPURE_CALLS = {"open", "print", "input", "breakpoint", "exec", "eval", "__import__"}
CLOCK_ATTRIBUTES = {"now", "today", "utcnow", "time_ns", "perf_counter", "monotonic"}


def scoring_allows(module_file: str, name: str) -> bool:
    top = name.split(".")[0]
    if top in {"scoring", "__future__"}:
        return True
    if top in {"pydantic", "pydantic_core"}:
        return module_file == "schema.py"
    return _stdlib(name) and top not in IMPURE


# --- reports ---------------------------------------------------------------------------------------------------

REPORTS_LIBRARIES = {"scoring", "reports", "jinja2", "markupsafe", "matplotlib", "weasyprint", "__future__"}


def reports_allows(name: str) -> bool:
    if _under(name, {"matplotlib.pyplot"}):
        return False
    return name.split(".")[0] in REPORTS_LIBRARIES or _stdlib(name)


# --- services --------------------------------------------------------------------------------------------------

SERVICES_MAY_USE_OF_THE_APP = {"audit_app.models", "audit_app.services", "audit_app.config", "audit_app.languages"}
WEB = {"flask", "flask_login", "flask_babel", "flask_wtf", "flask_sqlalchemy", "flask_migrate", "flask_limiter",
       "wtforms", "werkzeug", "gunicorn"}
WEB_EXCEPTIONS = {"werkzeug.security"}


def services_allows(name: str) -> bool:
    top = name.split(".")[0]
    if top == "audit_app":
        return _under(name, SERVICES_MAY_USE_OF_THE_APP)
    if top in WEB or top.startswith("flask_"):
        return _under(name, WEB_EXCEPTIONS)
    return True


# --- the walk --------------------------------------------------------------------------------------------------

LAYERS = {
    "scoring": lambda path, name: scoring_allows(path.name, name),
    "reports": lambda path, name: reports_allows(name),
    "audit_app/services": lambda path, name: services_allows(name),
}
CASES = [(package, path) for package in LAYERS for path in _modules(package)]


def _forbidden(package: str, path: Path) -> list[str]:
    allows = LAYERS[package]
    names = imported_names(path.read_text(encoding="utf-8"), _package_of(path))
    return [f"{path.relative_to(ROOT)} line {line}: {name}" for line, name in names if not allows(path, name)]


@pytest.mark.parametrize(("package", "path"), CASES, ids=[str(path.relative_to(ROOT)) for _, path in CASES])
def test_a_module_imports_only_what_its_layer_may(package: str, path: Path) -> None:
    assert _forbidden(package, path) == []


@pytest.mark.parametrize("path", _modules("scoring"), ids=lambda path: str(path.relative_to(ROOT)))
def test_a_scoring_module_does_no_io_and_reads_no_clock(path: Path) -> None:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IMPURE_CALLS:
            bad.append(f"line {node.lineno}: {node.func.id}()")
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRIBUTES:
            bad.append(f"line {node.lineno}: .{node.attr}")
    assert bad == []


def test_the_walk_sees_every_module_including_subpackages() -> None:
    seen = {str(path.relative_to(ROOT)) for _, path in CASES}
    assert {f"scoring/{name}.py" for name in (
        "__init__", "schema", "engine", "questions", "criticals", "grades", "aggregates", "errors", "display")} <= seen
    assert {"reports/__init__.py", "audit_app/services/visits.py", "audit_app/services/access.py"} <= seen
    nested = [path for path in (ROOT / "audit_app" / "services").rglob("*.py") if path.parent.name != "services"]
    assert all(str(path.relative_to(ROOT)) in seen for path in nested)


def test_relative_and_nested_imports_resolve_to_absolute_names() -> None:
    source = ("from . import audit\nfrom .. import extensions\nfrom ..i18n import error_text\n"
              "def f():\n    import flask\n    from importlib import import_module\n    import_module('flask_babel')\n")
    names = [name for _, name in imported_names(source, "audit_app.services.scores")]
    assert names == ["audit_app.services.scores.audit", "audit_app.services.extensions",
                     "audit_app.services.i18n.error_text", "flask", "importlib.import_module", "flask_babel"]
    names = [name for _, name in imported_names("from ... import create_app\n", "audit_app.services.scores")]
    assert names == ["audit_app.create_app"]


def test_the_rules_catch_what_they_are_meant_to_catch() -> None:
    assert [services_allows(name) for name in (
        "flask.current_app", "flask_login.current_user", "flask_babel.gettext", "werkzeug.utils.secure_filename",
        "audit_app.create_app", "audit_app.extensions.db", "audit_app.i18n.LANGUAGES", "audit_app.authz",
        "audit_app.errors", "audit_app.worker",
    )] == [False] * 10
    assert all(services_allows(name) for name in (
        "sqlalchemy.orm.Session", "audit_app.models.Visit", "audit_app.services.errors.N_", "audit_app.config.Config",
        "audit_app.languages.LANGUAGES", "scoring.score", "reports.pdf", "werkzeug.security.check_password_hash",
    ))
    assert [reports_allows(name) for name in ("audit_app.models", "flask", "sqlalchemy", "matplotlib.pyplot")] == [
        False] * 4
    assert reports_allows("matplotlib.figure.Figure") and reports_allows("scoring.ScoreCard")
    assert [scoring_allows("engine.py", name) for name in (
        "os", "random.choice", "pydantic", "flask", "sqlalchemy", "audit_app.models", "reports")] == [False] * 7
    assert scoring_allows("schema.py", "pydantic_core.core_schema") and scoring_allows("engine.py", "fractions.Fraction")


def test_a_planted_bad_import_in_a_subpackage_fails() -> None:
    bad = "from __future__ import annotations\n\ndef f():\n    from ...i18n import error_text\n"
    names = imported_names(bad, "audit_app.services.scores")
    assert [name for _, name in names if not services_allows(name)] == ["audit_app.i18n.error_text"]
