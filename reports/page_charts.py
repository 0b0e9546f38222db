"""The charts the web scorecard pages show, each drawn twice: at page width and narrower for a phone.

Narrower than the PDF's charts, so their text stays legible when a page scales them to its width; a phone gets
a narrower drawing still (CSS shows one of the two), whose 9 pt text shows at about 12 px on a 390 px screen.
Exact percents in; `reports.charts` draws them as floats (display values).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Mapping

from reports import charts

WEB_CHART_WIDTH = 5.0
PHONE_CHART_WIDTH = 3.3
WIDTHS = (WEB_CHART_WIDTH, PHONE_CHART_WIDTH)
Bands = Sequence[tuple[float, str]]


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def trend_charts(points: Sequence[tuple[date, Fraction]], area_points: Sequence[tuple[date, Fraction]], *,
                 labels: Mapping[str, str], bands: Bands, lang: str) -> tuple[str, ...] | None:
    """A store's visit scores (dates in the store's zone) against its area's monthly mean; None without visits."""
    if not points:
        return None
    mine = [(d, float(v)) for d, v in points]
    area = [(d, float(v)) for d, v in area_points]
    return tuple(charts.trend_chart(mine, area, store_label=labels["this_store"],
                                    reference_label=labels["area_monthly_mean"], width=width,
                                    id_prefix=f"trend{n}", bands=bands, lang=lang)
                 for n, width in enumerate(WIDTHS))


def sections_charts(sections: Sequence[tuple[str, Fraction | None, Fraction | None]], *, labels: Mapping[str, str],
                    bands: Bands) -> tuple[str, ...] | None:
    """Section means of a store against its area's (title, store, area); None when the store has none."""
    if not sections or all(store is None for _, store, _ in sections):
        return None
    rows = [(title, _float(store), _float(area)) for title, store, area in sections]
    return tuple(charts.sections_chart(rows, store_label=labels["this_store"], reference_label=labels["area_average"],
                                       width=width, id_prefix=f"sections{n}", bands=bands)
                 for n, width in enumerate(WIDTHS))


def compare_charts(section_titles: Sequence[str], series: Sequence[tuple[str, Sequence[Fraction | None]]], *,
                   bands: Bands) -> tuple[str, ...] | None:
    """Stores' section means side by side; None when there are no sections or no figures."""
    if not section_titles or not any(v is not None for _, values in series for v in values):
        return None
    shown = [(name, [_float(v) for v in values]) for name, values in series]
    return tuple(charts.compare_chart(list(section_titles), shown, width=width, id_prefix=f"compare{n}", bands=bands)
                 for n, width in enumerate(WIDTHS))
