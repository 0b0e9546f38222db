"""reports/: charts as SVG, wording of score cards, and the PDF renderer's refusing URL fetcher. No database."""

from __future__ import annotations

import gc
import io
import re
from datetime import date
from fractions import Fraction
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

import scoring
from reports import charts
from reports.context import Branding, ScorecardContext, card_view, percent_text, points_text, signed_text
from reports.pdf import FetchRefusedError, css_string, data_only_fetcher, render_html, render_scorecard
from tests.factories import scorecard_answers, scorecard_checklist_data

CHECKLIST = scoring.parse_checklist(scorecard_checklist_data())


def test_two_charts_on_one_page_share_no_ids_and_carry_no_script() -> None:
    trend = charts.trend_chart([(date(2026, 1, 5), 80.0), (date(2026, 2, 9), 71.5)], [(date(2026, 1, 15), 75.0)],
                               store_label="銀座", reference_label="Area", id_prefix="t")
    bars = charts.sections_chart([("スタッフ", 80.0, 70.0), ("Checkout", None, 60.0)], store_label="Store",
                                 reference_label="Area", id_prefix="s")
    for svg in (trend, bars):
        assert svg.startswith("<svg") and "<script" not in svg and 'aria-hidden="true"' in svg
    ids = re.findall(r'id="([^"]+)"', trend + bars)
    assert len(ids) == len(set(ids))
    assert "銀座" in trend and "スタッフ" in bars  # text stays text (svg.fonttype none)


def test_a_chart_needs_no_inline_style_and_every_reference_finds_its_prefixed_id() -> None:
    bands = ((85.0, "#1a7f37"), (0.0, "#cf222e"))
    svgs = [
        charts.trend_chart([(date(2026, 1, 5), 80.0), (date(2026, 2, 9), 71.5)], [(date(2026, 1, 15), 75.0)],
                           store_label="Store", reference_label="Area", id_prefix="csp-t", bands=bands),
        charts.sections_chart([("Staff", 80.0, 70.0)], store_label="Store", reference_label="Area",
                              id_prefix="csp-s", bands=bands),
        charts.compare_chart(["A", "B"], [("x", [50.0, None]), ("y", [75.0, 90.0])], id_prefix="csp-c", bands=bands),
    ]
    for svg, prefix in zip(svgs, ("csp-t", "csp-s", "csp-c")):
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')  # plain names, as WeasyPrint needs
        root = ElementTree.fromstring(svg)  # well-formed XML
        elements = list(root.iter())
        assert not any("style" in el.attrib or el.tag.endswith("}style") for el in elements)
        assert not any(el.tag.endswith("}metadata") for el in elements)
        ids = {el.attrib["id"] for el in elements if "id" in el.attrib}
        assert ids and all(i.startswith(prefix + "-") for i in ids)
        references = [v.split("url(#", 1)[1].split(")", 1)[0] for el in elements for v in el.attrib.values()
                      if "url(#" in v]
        references += [v[1:] for el in elements for k, v in el.attrib.items() if k.endswith("href")]
        assert references and set(references) <= ids
        assert root.get("class") == "chart-svg" and root.get("viewBox") and root.get("width") is None
        # What matplotlib's inline styles said is kept as presentation attributes.
        assert any(el.get("fill") in ("#1a7f37", "#cf222e") for el in elements)
        assert any(el.get("font-family") for el in elements if el.tag.endswith("}text"))


def test_the_trend_chart_names_months_in_the_readers_language() -> None:
    points = [(date(2026, 6, 5), 80.0), (date(2026, 8, 9), 71.5), (date(2026, 11, 20), 90.0), (date(2027, 1, 10), 85.0)]
    ticks = {lang: re.findall(r">([^<>]+)</text>", charts.trend_chart(points, [], store_label="s", reference_label="r",
                                                                        lang=lang)) for lang in ("en", "ja")}
    assert "Nov" in ticks["en"] and "2027" in ticks["en"]
    assert "11月" in ticks["ja"] and "2027年1月" in ticks["ja"]
    assert not any(month in label for label in ticks["ja"] for month in ("Jun", "Jul", "Aug", "Sep", "Nov", "Jan"))


def test_a_png_chart_is_a_data_uri() -> None:
    uri = charts.compare_chart(["A", "B"], [("x", [50.0, None]), ("y", [75.0, 90.0])], fmt="png")
    assert uri.startswith("data:image/png;base64,")


def test_numbers_are_rounded_half_up_for_display() -> None:
    assert percent_text(Fraction(1745, 20)) == "87.3"
    assert signed_text(Fraction(-1, 4)) == "−0.3" and signed_text(Fraction(0)) == "±0.0"
    assert points_text(Fraction(3, 4)) == "0.75" and points_text(Fraction(2)) == "2"


def test_the_card_view_says_why_a_question_did_not_count_in_the_readers_language() -> None:
    card = scoring.score(CHECKLIST, scorecard_answers(1))
    view = card_view(CHECKLIST, card, lang="ja")
    lines = {q.key: q for s in view.sections for q in s.questions}
    assert lines["bag_offered"].excluded == "na" and lines["bag_offered"].answer == "N/A"
    assert lines["helpful"].answer == "3 (scale 1–5)" and lines["helpful"].points == "0.5 of 1"
    assert view.sections[0].title == "スタッフ"
    assert view.grade == card.grade.label.get("ja")


def test_the_pdf_fetcher_refuses_files_and_hosts() -> None:
    fetcher = data_only_fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1/x.png", "https://example.com/logo.png"):
        with pytest.raises(FetchRefusedError):
            fetcher.fetch(url) if hasattr(fetcher, "fetch") else fetcher(url)
    pdf = render_html('<p>x</p><img src="file:///etc/hostname">')
    assert pdf.startswith(b"%PDF")


def test_footer_text_cannot_break_out_of_its_css_string() -> None:
    assert css_string('Shop "A" \\ B\n') == 'Shop \\"A\\" \\\\ B '


def _context(card: scoring.ScoreCard | None) -> ScorecardContext:
    view = card_view(CHECKLIST, card, lang="ja") if card else None
    from reports.context import DEFAULT_LABELS

    return ScorecardContext(
        lang="ja", labels=DEFAULT_LABELS, branding=Branding("Storecheck", "#8a1538"), title="t",
        store_name="心斎橋筋店", store_code="OSK09", area_name="大阪", region_name="関西", period_text="2026",
        generated_text="2026-11-20", checklist_title="店舗訪問", version_text="v1", latest_date_text="2026-11-01",
        overall_text=percent_text(card.percent) if card else "—", grade=None, change_text="—",
        area_average_text="—", rank_text="—", visits_in_period=1 if card else 0,
        sections=tuple((s.title, float(s.percent), 70.0) for s in view.sections) if view else (),
        trend=((date(2026, 10, 1), 70.0), (date(2026, 11, 1), 80.0)) if card else (), area_trend=(), kpis=(),
        card=view,
    )


def test_a_scorecard_renders_japanese_text_as_text() -> None:
    card = scoring.score(CHECKLIST, scorecard_answers(3))
    reader = PdfReader(io.BytesIO(render_scorecard(_context(card))))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "心斎橋筋店" in text and "スタッフ" in text and percent_text(card.percent) in text


def test_a_render_gives_back_to_the_collector_what_it_set_aside_and_keeps_a_batch_workers_freeze() -> None:
    # A web process: what existed is set aside for the render and handed back, so nothing stays out of reach of
    # the collector (objects left frozen are never freed).
    gc.unfreeze()  # as a web process starts (another test in this process may have frozen its heap)
    render_scorecard(_context(None))
    assert gc.get_freeze_count() == 0
    # A batch worker froze its heap for its life: a render, collecting or not, leaves that freeze as it was.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        render_scorecard(_context(None))
        render_scorecard(_context(None), collect=True)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


def test_a_store_without_visits_gets_a_one_page_scorecard_that_says_so() -> None:
    reader = PdfReader(io.BytesIO(render_scorecard(_context(None))))
    assert len(reader.pages) == 1
    assert "No counted visits in this period." in reader.pages[0].extract_text()


def test_the_configured_logo_and_accent_colour_reach_the_pdf(tmp_path) -> None:
    from PIL import Image

    from audit_app.services.pdf_jobs import branding_from

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), "#8a1538").save(logo)
    branding = branding_from("Maruyama Home", "#8a1538", logo)
    assert branding.logo.startswith("data:image/png;base64,")
    context = _context(scoring.score(CHECKLIST, scorecard_answers(2)))
    from dataclasses import replace

    reader = PdfReader(io.BytesIO(render_scorecard(replace(context, branding=branding))))
    assert "Maruyama Home" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) >= 2  # the logo and the section chart


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_batch_on_two_worker_processes_gives_the_same_scorecards_in_order_as_one() -> None:
    from dataclasses import replace

    from audit_app.services.pdf_jobs import render_many

    card = scoring.score(CHECKLIST, scorecard_answers(3))
    contexts = [replace(_context(card), store_name=name) for name in ("心斎橋筋店", "Ginza", "Umeda", "渋谷店")]
    contexts[2] = replace(contexts[2], card=None, sections=(), trend=())  # a store without visits, in between
    one = [_pdf_text(pdf) for pdf in render_many(contexts, workers=1)]
    two = [_pdf_text(pdf) for pdf in render_many(contexts, workers=2)]
    assert one == two
    assert ["心斎橋筋店" in t for t in two] == [True, False, False, False]
    assert "Ginza" in two[1] and "No counted visits in this period." in two[2] and "渋谷店" in two[3]


def test_a_scorecard_that_cannot_be_rendered_on_a_worker_fails_the_batch_instead_of_going_missing() -> None:
    from dataclasses import replace

    from audit_app.services.pdf_jobs import render_many

    good = _context(scoring.score(CHECKLIST, scorecard_answers(2)))
    broken = replace(good, labels={})  # the charts and the template need their labels
    with pytest.raises(KeyError):
        render_many([good, broken, good], workers=2)
