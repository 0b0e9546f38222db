"""Store scorecards as PDF bytes (WeasyPrint). Handed a ScorecardContext; fetches nothing but data: URIs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reports import charts
from reports.context import TONE_COLOURS, ScorecardContext

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def css_string(value: str) -> Markup:
    """Text for a CSS string literal (page footers): quotes and backslashes escaped, no line breaks."""
    cleaned = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    # Checked: escaped for a CSS string above; used only in the print stylesheet.
    return Markup(cleaned)  # nosec B704


_env.filters["css_string"] = css_string


class FetchRefusedError(ValueError):
    """The scorecard HTML asked for something other than an inline data: URI."""


def _check(url: str) -> None:
    if not url.startswith("data:"):
        raise FetchRefusedError(f"scorecards only embed data: URIs, refused {url[:60]!r}")


def data_only_fetcher():  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher that serves data: URIs and refuses files, hosts and everything else."""
    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 68 and later: fetcher objects

        class DataOnlyFetcher(weasyprint.URLFetcher):
            def __init__(self) -> None:
                super().__init__(allowed_protocols={"data"}, allow_redirects=False)

            def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
                _check(url)
                return super().fetch(url, headers)

        return DataOnlyFetcher()

    def fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        _check(url)
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def scorecard_html(context: ScorecardContext, *, chart_format: charts.Format = "png") -> str:
    """The scorecard as print HTML with its charts embedded (PNG data URIs or inline SVG)."""
    labels = context.labels
    colour = context.branding.accent
    trend = sections = None
    bands = context.grades.chart_bands()
    if context.trend:
        trend = charts.trend_chart(context.trend, context.area_trend, store_label=labels["this_store"],
                                   reference_label=labels["area_monthly_mean"], fmt=chart_format, colour=colour,
                                   bands=bands, lang=context.lang)
    if context.sections:
        sections = charts.sections_chart(context.sections, store_label=labels["this_store"],
                                         reference_label=labels["area_average"], fmt=chart_format, colour=colour,
                                         bands=bands)
    return _env.get_template("scorecard.html").render(
        c=context, L=labels, trend_chart=trend, sections_chart=sections, chart_format=chart_format,
        tones=TONE_COLOURS)


def render_scorecard(context: ScorecardContext, *, chart_format: charts.Format = "png", collect: bool = False) -> bytes:
    """One store's scorecard PDF. `collect` runs the garbage collector afterwards, for batch workers: WeasyPrint's
    memory otherwise grows over many renders in one process. It is cheap only in a process that has frozen what it
    imported (`prepare_batch_worker`); in a web process a full collection costs more than a third of the render,
    and Python's own collector is left to it, with what existed before the render set aside meanwhile
    (`_heap_set_aside`)."""
    import weasyprint

    with _heap_set_aside(not collect):
        html = scorecard_html(context, chart_format=chart_format)
        try:
            return weasyprint.HTML(string=html, url_fetcher=data_only_fetcher(), base_url="data:,").write_pdf()
        finally:
            if collect:
                gc.collect()


@contextmanager
def _heap_set_aside(wanted: bool) -> Iterator[None]:
    """While a scorecard renders in a web process, the collections its allocations set off look only at what it
    made: what existed before is frozen (`gc.freeze`, which moves it aside without looking at it) and given back to
    the collector afterwards. A web process holds several hundred thousand objects (the app, SQLAlchemy,
    matplotlib, WeasyPrint), and the render's own collections went through all of them: a third of a download's
    time. Nothing is done when something else has frozen the heap (a batch worker keeps its freeze for its life,
    and a second render on another thread leaves the first one's to it)."""
    if not wanted or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


WARM_UP_HTML = '<html lang="ja"><body><p>Storecheck 店舗 <b>スコア</b></p><table><tr><td>1</td></tr></table></body></html>'


def prepare_batch_worker() -> None:
    """Make this process ready to render many scorecards: import and initialise WeasyPrint, Pango, the fonts and
    matplotlib once (the first render of a process pays for all of them), then freeze what exists, so that the
    collection after each render only looks at what that render made."""
    render_html(WARM_UP_HTML)
    charts.render(charts.sections_figure([("店舗 Store", 50.0, 40.0)], store_label="店舗", reference_label="Area"),
                  "png")
    gc.collect()
    gc.freeze()


def render_html(html: str) -> bytes:
    """Any print HTML to PDF with the same refusing fetcher (used for baselines and previews)."""
    import weasyprint

    return weasyprint.HTML(string=html, url_fetcher=data_only_fetcher(), base_url="data:,").write_pdf()
