"""The editor's text fields: bands, options and grades read and written back, and problem paths mapped to fields."""

from __future__ import annotations

import pytest

import scoring
from audit_app.headoffice import editor


def test_bands_read_every_way_of_writing_a_limit_and_write_back_the_same() -> None:
    bands = editor.parse_bands("max 30: 1\n<= 90 : 0.5\n\notherwise: 0")
    assert bands == [{"max": 30, "fraction": 1}, {"max": 90, "fraction": "0.5"}, {"fraction": 0}]
    assert editor.parse_bands(editor.bands_text(bands)) == bands
    assert editor.parse_bands("≥ 10: 1\nelse: 1/3") == [{"min": 10, "fraction": 1}, {"fraction": "1/3"}]


@pytest.mark.parametrize("text", ["up to 30 gives 1", "max: 1", "30: 1"])
def test_an_unreadable_band_line_names_its_line(text: str) -> None:
    with pytest.raises(editor.LineError, match="Line 2"):
        editor.parse_bands("max 10: 1\n" + text)


def test_options_and_grades_keep_their_japanese_text() -> None:
    options = editor.parse_options("warm | Warm | 1 | 温かい\ncold | Cold | 0")
    assert options == [{"key": "warm", "text": {"en": "Warm", "ja": "温かい"}, "fraction": 1},
                       {"key": "cold", "text": "Cold", "fraction": 0}]
    assert editor.parse_options(editor.options_text(options)) == options
    grades = editor.parse_grades("90 | Excellent | 優秀\n0 | Poor")
    assert editor.parse_grades(editor.grades_text(grades)) == grades


def test_problems_go_to_their_field_and_others_are_kept_with_their_path() -> None:
    problems = [
        scoring.Problem("sections[1].questions[0].bands", "bands must be written in order"),
        scoring.Problem("sections[1].questions[0].options[2].fraction", "fraction must be between 0 and 1"),
        scoring.Problem("sections[1].questions[0].critical.cap", "needs a cap"),
        scoring.Problem("sections[1].questions[0].show_if.in[1]", "not an option"),
        scoring.Problem("sections[1].questions[1].key", "already used"),
        scoring.Problem("grades[1].min", "must be lower"),
    ]
    by_field, others = editor.question_problems(problems, 1, 0)
    assert by_field == {"bands": ["bands must be written in order"],
                        "options": ["Option 3: fraction must be between 0 and 1"],
                        "critical_cap": ["needs a cap"], "show_if_values": ["not an option"]}
    assert others == ["sections[1].questions[1].key: already used", "grades[1].min: must be lower"]
