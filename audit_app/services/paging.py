"""Pages of a long list: which page is shown and which of its rows."""

from __future__ import annotations


def page_of(count: int, page: int, per_page: int) -> tuple[int, int, slice]:
    """(page, pages, the slice of rows it shows) for `count` rows, `per_page` a page; a page past the last shows
    the last, one before the first the first."""
    per_page = max(1, per_page)
    pages = max(1, -(-count // per_page))
    page = min(max(1, page), pages)
    return page, pages, slice((page - 1) * per_page, page * per_page)
