"""The words around a store's figures: KPI values and notes, chart text alternatives and file names.

Shared by the web store page and the PDF scorecard, so both say the same thing the same way. Plain values in
(exact percents, dates, a translated `labels` mapping), strings out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Mapping, Protocol

from reports.context import Fact, percent_text, signed_text

DateFormatter = Callable[[date | datetime], str]


class KpiValue(Protocol):
    """A customer KPI as the app computes it (`key` such as "nps", an exact value, its number of answers)."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> Fraction | None: ...
    @property
    def responses(self) -> int: ...
    @property
    def target(self) -> Fraction | None: ...


def kpi_facts(kpis: Sequence[KpiValue], labels: Mapping[str, str]) -> tuple[Fact, ...]:
    """KPIs worded for display: NPS in points, CSAT and shares in %, waits in seconds, effort as a mean."""
    facts = []
    for kpi in kpis:
        value = kpi.value
        if value is None:
            shown = "—"
        elif kpi.key == "nps":
            shown = signed_text(value)
        elif kpi.key in ("csat", "greeting_within_target", "fcr"):
            shown = f"{percent_text(value)}%"
        elif kpi.key == "ces":
            shown = percent_text(value)
        else:
            shown = labels.get("seconds", "{n} s").format(n=percent_text(value))
        note = (labels.get("kpi_response", "{n} answer") if kpi.responses == 1
                else labels.get("kpi_responses", "{n} answers")).format(n=kpi.responses)
        # The 95 % interval where the app gives one (see the "kpi_explain" words for how each is computed).
        low, high = getattr(kpi, "low", None), getattr(kpi, "high", None)
        if value is not None and low is not None and high is not None:
            margin = max(float(value) - low, high - float(value))  # the larger side: an interval may be clipped
            spread = percent_text(margin)
            if kpi.key.endswith("_mean"):  # waits and times: the margin is in seconds too
                spread = labels.get("seconds", "{n} s").format(n=spread)
            note = labels.get("kpi_margin", "± {m}").format(m=spread) + " · " + note
        if kpi.key == "greeting_within_target" and kpi.target is not None:
            note = labels.get("kpi_target", "target {n} s").format(n=percent_text(kpi.target)) + " · " + note
        if value is not None and getattr(kpi, "provisional", False):
            note += " · " + labels.get("provisional", "provisional")
        facts.append(Fact(labels.get(f"kpi.{kpi.key}", kpi.key), shown, note))
    return tuple(facts)


def trend_alt(labels: Mapping[str, str], trend: Sequence[tuple[date, float]], format_date: DateFormatter) -> str:
    """The trend chart in words: each visit's date and score."""
    points = "; ".join(f"{format_date(d)}: {percent_text(v)}%" for d, v in trend)
    return f"{labels.get('trend', 'Trend')}: {points}"


def sections_alt(labels: Mapping[str, str], sections: Sequence[tuple[str, float | None, float | None]]) -> str:
    """The sections chart in words: each section's store mean and area mean."""
    parts = "; ".join(f"{t}: {percent_text(s)}% ({labels.get('area_average', 'Area average')} {percent_text(a)}%)"
                      for t, s, a in sections)
    return f"{labels.get('sections_vs_area', 'Sections')}: {parts}"


def slug(text: str) -> str:
    """A name as ASCII letters, digits and dashes for a file name ("store" when nothing is left)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "store"


def scorecard_filename(store_code: str, store_name: str, end: datetime | None = None) -> str:
    """`scorecard-TKC01-ginza-20261201.pdf` (without the date inside an area's zip, which carries it)."""
    dated = f"-{end:%Y%m%d}" if end is not None else ""
    return f"scorecard-{store_code}-{slug(store_name)}{dated}.pdf"


def area_zip_filename(area_name: str, end: datetime) -> str:
    """`scorecards-tokyo-central-20261201.zip`."""
    return f"scorecards-{slug(area_name)}-{end:%Y%m%d}.zip"
