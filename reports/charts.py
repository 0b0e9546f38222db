"""Charts for the web pages and the PDF scorecards: matplotlib Figures rendered to SVG (or PNG) strings.

The same functions draw for both media. Every chart is also given a text alternative by its caller; these
functions only draw. Colours and line styles differ together, so a chart reads in greyscale and for
colour-blind readers. Percents are floats in 0..100 (display values; the exact ones stay in the score cards).
"""

from __future__ import annotations

import base64
import io
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Literal
# Checked: parses only the SVG matplotlib has just written in this process, never outside input.
from xml.etree import ElementTree  # nosec B405

# matplotlib writes a font cache under the home directory unless told otherwise.
os.environ.setdefault("MPLCONFIGDIR", str(Path(__file__).resolve().parent.parent / ".cache" / "matplotlib"))

import matplotlib  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

matplotlib.rcParams.update({
    "font.family": ["Noto Sans CJK JP", "DejaVu Sans"],
    "font.size": 9,
    "svg.fonttype": "none",       # text stays text: smaller files, selectable, rendered with the page's fonts
    "svg.hashsalt": "storecheck",  # stable ids, so the same data gives the same SVG
    # Every label is people's text (store names, section titles): "$5 and $10" is money, never mathtext.
    "text.parse_math": False,
    "text.usetex": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#5b6675",
    "axes.labelcolor": "#1c2430",
    "xtick.color": "#1c2430",
    "ytick.color": "#1c2430",
})

Format = Literal["svg", "png"]
STORE_COLOUR = "#0b6e69"
REFERENCE_COLOUR = "#5b6675"
# A colour-blind-safe qualitative set (Okabe–Ito) for comparing several stores.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
HATCHES = ("", "//", "..", "xx", "\\\\", "--")

# Date axes in Japanese: 2026年11月, 12月, 2027年1月 ... (matplotlib's %b would name months in English).
_JA_DATES = {
    "formats": ["%Y年", "%m月", "%d日", "%H:%M", "%H:%M", "%S.%f"],
    "zero_formats": ["", "%Y年%m月", "%m月", "%m月%d日", "%H:%M", "%H:%M"],
}
_LEADING_ZERO = re.compile(r"(?<![\d.:])0(\d)")


class _JapaneseDateFormatter(ConciseDateFormatter):
    """ConciseDateFormatter with Japanese month and day names, written without leading zeros (11月, 1月)."""

    def __init__(self, locator: AutoDateLocator) -> None:
        super().__init__(locator, show_offset=False, **_JA_DATES)

    def format_ticks(self, values):  # type: ignore[no-untyped-def]
        return [_LEADING_ZERO.sub(r"\1", label) for label in super().format_ticks(values)]

    def __call__(self, x, pos=None):  # type: ignore[no-untyped-def]
        return _LEADING_ZERO.sub(r"\1", super().__call__(x, pos))


def _date_formatter(locator: AutoDateLocator, lang: str) -> ConciseDateFormatter:
    if lang.split("-", 1)[0] == "ja":
        return _JapaneseDateFormatter(locator)
    return ConciseDateFormatter(locator, show_offset=False)


def render(figure: Figure, fmt: Format = "svg", *, id_prefix: str = "c", dpi: int = 150) -> str:
    """The figure as inline SVG markup (ids prefixed, so several charts can share a page) or a PNG data URI.

    The SVG carries no `style` attribute and no `<style>` element, so it satisfies a Content-Security-Policy
    without 'unsafe-inline' styles: matplotlib's inline styles are written as the SVG presentation attributes
    they stand for, which draw the same in browsers and in WeasyPrint.
    """
    out = io.BytesIO()
    if fmt == "png":
        return "data:image/png;base64," + base64.b64encode(_png(figure, dpi)).decode("ascii")
    figure.savefig(out, format="svg", facecolor="white", metadata={"Date": None, "Creator": None})
    # Checked: our own matplotlib output (see the import).
    root = ElementTree.fromstring(out.getvalue())  # nosec B314
    _drop_metadata_and_style_sheets(root)
    _prefix_ids(root, id_prefix)
    for element in root.iter():
        _style_to_attributes(element)
        for name in ("d", "points"):
            # One line per path command is matplotlib's layout; an attribute would carry each break as "&#10;".
            if name in element.attrib:
                element.set(name, " ".join(element.attrib[name].split()))
    # Scale with the page: keep the viewBox, let CSS decide the width. The stroke defaults are what matplotlib's
    # style sheet (`*{stroke-linejoin: round; stroke-linecap: butt}`) said for every element; both are inherited.
    attributes = {"stroke-linejoin": "round", "stroke-linecap": "butt"}
    attributes.update((k, v) for k, v in root.attrib.items() if k not in ("width", "height"))
    attributes.update({"class": "chart-svg", "aria-hidden": "true", "focusable": "false"})
    root.attrib.clear()
    root.attrib.update(attributes)
    return _serialise(root)


def _png(figure: Figure, dpi: int) -> bytes:
    """The figure as a PNG on white, lightly compressed: WeasyPrint decodes the pixels and compresses them again
    for the PDF, so a thorough compression here would be spent for nothing."""
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 1})
    return out.getvalue()


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_HREFS = (f"{{{_XLINK_NS}}}href", "href")


def _serialise(root: ElementTree.Element) -> str:
    """The tree as markup with plain SVG names (`<svg xmlns=...>`, `xlink:href`). The names are written here rather
    than through ElementTree's process-wide prefix registry, which other libraries (WeasyPrint) change."""
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
        for name in [n for n in element.attrib if n.startswith(f"{{{_XLINK_NS}}}")]:
            element.set("xlink:" + name.rpartition("}")[2], element.attrib.pop(name))
    attributes = {"xmlns": _SVG_NS, "xmlns:xlink": _XLINK_NS, **root.attrib}
    root.attrib.clear()
    root.attrib.update(attributes)
    return ElementTree.tostring(root, encoding="unicode")


def _drop_metadata_and_style_sheets(root: ElementTree.Element) -> None:
    """Remove `<metadata>` and `<style>` elements (and a `<defs>` left empty by that)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{_SVG_NS}}}metadata", f"{{{_SVG_NS}}}style"):
                parent.remove(child)
    for child in list(root):
        if child.tag == f"{{{_SVG_NS}}}defs" and len(child) == 0:
            root.remove(child)


def _prefix_ids(root: ElementTree.Element, prefix: str) -> None:
    """Prefix every id with `prefix` and every reference to one (`url(#id)` values, `href="#id"`)."""
    ids = {element.attrib["id"] for element in root.iter() if "id" in element.attrib}
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, f"{prefix}-{value}")
            elif name in _HREFS and value.startswith("#") and value[1:] in ids:
                element.set(name, f"#{prefix}-{value[1:]}")
            elif name == "style" or value.startswith("url(#"):
                element.set(name, _prefix_urls(value, prefix, ids))


def _prefix_urls(value: str, prefix: str, ids: set[str]) -> str:
    """`value` with each `url(#id)` naming one of `ids` turned into `url(#prefix-id)`."""
    pieces = value.split("url(#")
    for index in range(1, len(pieces)):
        target, bracket, rest = pieces[index].partition(")")
        if bracket and target in ids:
            pieces[index] = f"{prefix}-{target}){rest}"
    return "url(#".join(pieces)


def _style_to_attributes(element: ElementTree.Element) -> None:
    """Turn `style="a: b; c: d"` into the presentation attributes `a="b" c="d"` (a style wins over an attribute
    of the same name, so it replaces it). matplotlib writes only properties that are presentation attributes."""
    style = element.attrib.pop("style", None)
    if style is None:
        return
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value:
            element.set(name, value)


def _text_width(text: str) -> float:
    """Rough width in average Latin characters: CJK characters count twice."""
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.0 for ch in text)


def _label_limit(width: float) -> float:
    """How wide (in `_text_width` units) a label may be before it wraps: about 40 % of the figure's width."""
    return max(10.0, width * 0.42 / 0.068 - 2)


def _wrap_label(text: str, limit: float, lines: int = 3) -> str:
    """A label broken into lines of at most `limit` (by words; text without spaces, such as Japanese, by
    characters), so that a narrow chart shows every section name whole instead of cutting it off."""
    if _text_width(text) <= limit:
        return text
    pieces = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    out: list[str] = []
    line = ""
    for piece in pieces:
        candidate = f"{line}{joiner}{piece}" if line else piece
        if line and _text_width(candidate) > limit:
            out.append(line)
            line = piece
        else:
            line = candidate
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip() + "…"
    return "\n".join(out)


def _fixed_layout(figure: Figure, *, labels: Sequence[str] = (), legend_on_top: bool = False,
                  legend_rows: int = 1) -> None:
    """Margins computed from the labels instead of constrained layout, which draws every figure twice."""
    width_in, height_in = figure.get_size_inches()
    longest = max((_text_width(line) for t in labels for line in t.split("\n")), default=4.0)
    left = min(0.5, (0.25 + longest * 0.068) / width_in)
    top = 1 - ((0.24 + 0.19 * legend_rows) if legend_on_top else 0.12) / height_in
    figure.subplots_adjust(left=left, right=0.97, bottom=0.38 / height_in, top=top)


def _percent_axis(ax, axis: str = "y") -> None:  # type: ignore[no-untyped-def]
    if axis == "y":
        ax.set_ylim(0, 100)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
    else:
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.grid(axis="x", color="#d9dee5", linewidth=0.6)
    ax.set_axisbelow(True)


GradeBands = Sequence[tuple[float, str]]  # (lowest percent, colour) per grade band, highest first


def _band_colour(bands: GradeBands, value: float | None, default: str) -> str:
    """The colour of the grade band `value` reaches (the checklist's own bands), else `default`."""
    if value is not None:
        for low, colour in bands:
            if value >= low:
                return colour
    return default


def _shade_bands(ax, bands: GradeBands, axis: str = "y") -> None:  # type: ignore[no-untyped-def]
    """Faint stripes of the grade bands behind the data, so a point's colour zone is its grade."""
    upper = 100.0
    for low, colour in bands:
        span = ax.axhspan if axis == "y" else ax.axvspan
        span(low, upper, color=colour, alpha=0.13, linewidth=0, zorder=0)
        upper = low


def trend_figure(
    points: Sequence[tuple[date, float]], reference: Sequence[tuple[date, float]], *, store_label: str,
    reference_label: str, size: tuple[float, float] = (6.4, 2.1), colour: str = STORE_COLOUR,
    bands: GradeBands = (), lang: str = "en",
) -> Figure:
    """Visit scores over time (markers joined by a line) against a reference line such as the area's monthly mean,
    over faint stripes of the checklist's grade bands. The date axis is written in `lang` (English or Japanese)."""
    figure = Figure(figsize=size)
    _fixed_layout(figure, labels=("% 100",))  # room for the "%" axis label beside the ticks
    ax = figure.add_subplot()
    _shade_bands(ax, bands)
    if reference:
        ax.plot([p[0] for p in reference], [p[1] for p in reference], color=REFERENCE_COLOUR, linestyle="--",
                linewidth=1.4, marker="s", markersize=3, label=reference_label)
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], color=colour, linewidth=2, marker="o",
                markersize=4.5, label=store_label)
    _percent_axis(ax)
    ax.set_ylabel("%")
    locator = AutoDateLocator(maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_date_formatter(locator, lang))
    ax.legend(loc="lower left", frameon=False, ncols=2, fontsize=8)
    return figure


def sections_figure(
    rows: Sequence[tuple[str, float | None, float | None]], *, store_label: str, reference_label: str,
    colour: str = STORE_COLOUR, width: float = 6.4, bands: GradeBands = (),
) -> Figure:
    """Horizontal bars of a store's section percents, each with a tick for the reference (area) value; the
    store's number is printed in a column on the right, so it never collides with the bars or ticks. With
    `bands`, each bar has the colour of the grade band it reaches (as the heat map's cells)."""
    limit = _label_limit(width)
    rows = [(_wrap_label(r[0], limit), r[1], r[2]) for r in rows if r[1] is not None or r[2] is not None]
    most_lines = max((r[0].count("\n") + 1 for r in rows), default=1)
    columns = _legend_columns([store_label, reference_label], width)
    height = 0.9 + 0.19 * (2 // columns - 1) + (0.26 + 0.15 * (most_lines - 1)) * max(1, len(rows))
    figure = Figure(figsize=(width, height))
    _fixed_layout(figure, labels=[r[0] for r in rows], legend_on_top=True, legend_rows=2 // columns)
    ax = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, [r[1] if r[1] is not None else 0 for r in rows], height=0.62,
            color=[_band_colour(bands, r[1], colour) for r in rows], edgecolor="#1c2430", linewidth=0.5,
            label=store_label)
    for y, (_, value, _ref) in zip(positions, rows):
        ax.text(104, y, "—" if value is None else f"{value:.1f}", va="center", ha="left", fontsize=8,
                fontweight="bold", color="#1c2430")
    refs = [(y, r[2]) for y, r in zip(positions, rows) if r[2] is not None]
    if refs:
        ax.scatter([r[1] for r in refs], [r[0] for r in refs], marker="|", s=170, linewidths=2.2,
                   color="#1c2430", label=reference_label, zorder=3)
    ax.set_yticks(positions, [r[0] for r in rows])
    ax.set_xlim(0, 114)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", color="#d9dee5", linewidth=0.6)
    ax.set_axisbelow(True)
    # The bars' colours are grades, so the legend shows a plain bar for "this store".
    handles, labels = ax.get_legend_handles_labels()
    plain = [Patch(facecolor=colour if not bands else "#ffffff", edgecolor="#1c2430", linewidth=0.5)
             if label == store_label else handle for handle, label in zip(handles, labels)]
    # Centred on the figure, not the axes (which the labels push to the right), so it is never cut off.
    ax.legend(plain, labels, loc="lower center", bbox_to_anchor=(0.5, figure.subplotpars.top),
              bbox_transform=figure.transFigure, frameon=False, ncols=columns,
              fontsize=8)
    return figure


def _legend_columns(names: Sequence[str], width: float) -> int:
    """As many legend columns as fit the figure's width (a name is about 0.075 in per character at 8 pt)."""
    widest = max((_text_width(n) for n in names), default=1.0) * 0.075 + 0.45
    return max(1, min(len(names), int(width * 0.94 // widest)))


def compare_figure(section_titles: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                   width: float = 6.4, bands: GradeBands = ()) -> Figure:
    """Grouped horizontal bars: one group per section, one bar per store (colour and hatching differ), over faint
    stripes of the grade bands. The legend wraps into as many rows as the store names need."""
    # Sections no store has a figure for (an unscored evidence section) are left out; long names wrap.
    keep = [i for i in range(len(section_titles)) if any(v[i] is not None for _, v in series if i < len(v))]
    limit = _label_limit(width)
    section_titles = [_wrap_label(section_titles[i], limit) for i in keep]
    series = [(name, [values[i] for i in keep]) for name, values in series]
    groups = max(1, len(section_titles))
    n = max(1, len(series))
    columns = _legend_columns([name for name, _ in series], width)
    rows = -(-n // columns)
    figure = Figure(figsize=(width, 0.8 + 0.19 * rows + groups * (0.22 * n + 0.3)))
    _fixed_layout(figure, labels=section_titles, legend_on_top=True, legend_rows=rows)
    ax = figure.add_subplot()
    _shade_bands(ax, bands, "x")
    bar = 0.8 / n
    for index, (name, values) in enumerate(series):
        ys = [groups - 1 - g + 0.4 - bar * (index + 0.5) for g in range(len(section_titles))]
        ax.barh(ys, [v if v is not None else 0 for v in values], height=bar * 0.92,
                color=SERIES_COLOURS[index % len(SERIES_COLOURS)], hatch=HATCHES[index % len(HATCHES)],
                edgecolor="white", linewidth=0.4, label=name)
    ax.set_yticks([groups - 1 - g for g in range(len(section_titles))], list(section_titles))
    _percent_axis(ax, "x")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, figure.subplotpars.top), bbox_transform=figure.transFigure,
              frameon=False, ncols=columns, fontsize=8)
    return figure


_cache: OrderedDict[tuple[object, ...], str] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 256


def _memo(key: tuple[object, ...], draw: Callable[[], str]) -> str:
    """Rendered charts by their data: a store page viewed again (or by a colleague) skips matplotlib."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    rendered = draw()
    with _cache_lock:
        _cache[key] = rendered
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def trend_chart(points: Sequence[tuple[date, float]], reference: Sequence[tuple[date, float]], *, store_label: str,
                reference_label: str, fmt: Format = "svg", id_prefix: str = "trend",
                colour: str = STORE_COLOUR, width: float = 6.4, bands: GradeBands = (), lang: str = "en") -> str:
    """`trend_figure` rendered (see `render`); the same data gives the cached result. Narrow figures are
    relatively taller, so that a phone showing one at its width keeps the text legible."""
    key = ("trend", tuple(points), tuple(reference), store_label, reference_label, fmt, id_prefix, colour, width,
           tuple(bands), lang)
    return _memo(key, lambda: render(trend_figure(points, reference, store_label=store_label,
                                                  reference_label=reference_label, colour=colour,
                                                  size=(width, max(width * 0.33, 1.9)), bands=bands, lang=lang),
                                     fmt, id_prefix=id_prefix))


def sections_chart(rows: Sequence[tuple[str, float | None, float | None]], *, store_label: str,
                   reference_label: str, fmt: Format = "svg", id_prefix: str = "sections",
                   colour: str = STORE_COLOUR, width: float = 6.4, bands: GradeBands = ()) -> str:
    """`sections_figure` rendered (see `render`); the same data gives the cached result."""
    key = ("sections", tuple(rows), store_label, reference_label, fmt, id_prefix, colour, width, tuple(bands))
    return _memo(key, lambda: render(sections_figure(rows, store_label=store_label, reference_label=reference_label,
                                                     colour=colour, width=width, bands=bands), fmt,
                                     id_prefix=id_prefix))


def compare_chart(section_titles: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
                  fmt: Format = "svg", id_prefix: str = "compare", width: float = 6.4, bands: GradeBands = ()) -> str:
    """`compare_figure` rendered (see `render`); the same data gives the cached result."""
    key = ("compare", tuple(section_titles), tuple((name, tuple(values)) for name, values in series), fmt, id_prefix,
           width, tuple(bands))
    return _memo(key, lambda: render(compare_figure(section_titles, series, width=width, bands=bands), fmt,
                                     id_prefix=id_prefix))
