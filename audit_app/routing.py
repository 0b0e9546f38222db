"""Ids in URLs and query strings: bounded to what the database's integer columns can hold.

A primary key is a 32-bit integer on PostgreSQL (64-bit on SQLite): asking for a larger one is a database error,
not an empty result, so an id beyond the bound is refused as "no such thing" before any query is made.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

# The largest value of PostgreSQL's `integer` (the type of every id column).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` everywhere: whole numbers from 0 to MAX_ID; a larger one matches no route (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        bound = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def is_id(value: int) -> bool:
    return 0 <= value <= MAX_ID


def parse_id(raw: str | None) -> int | None:
    """A whole number written in ASCII digits, or None. It may still be beyond MAX_ID: check with is_id."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def query_id(name: str) -> int | None:
    """The id in the query string parameter `name`: None when absent or not a whole number, 404 beyond MAX_ID."""
    value = parse_id(request.args.get(name))
    if value is not None and not is_id(value):
        abort(404)
    return value


def query_page() -> int:
    """The page of a long list asked for in the query string (`page`): 1 when absent, malformed or beyond any id;
    the service shows the last page for one past it."""
    value = parse_id(request.args.get("page"))
    return value if value is not None and is_id(value) else 1


def init_routing(app: Flask) -> None:
    # Before any blueprint adds its rules: a rule picks its converters when it is added.
    app.url_map.converters["int"] = IdConverter
