"""Deliberately broken files in broken/: each must be rejected with the file, the place and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_app.services.checklists import ChecklistFileError, load_checklist_file, validate_files

BROKEN = Path(__file__).parent / "broken"

# file -> every problem line expected, as (path inside the checklist, fragment of the message); "" is the file.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "unknown_type.yaml": [("sections[0].questions[1].type", "unknown question type 'rating'")],
    "duplicate_key.yaml": [("sections[1].questions[0].key", "the key 'greeted' is already used")],
    "show_if_missing.yaml": [
        ("sections[0].questions[1].show_if.question", "there is no question 'checkout_used'"),
    ],
    "show_if_later.yaml": [
        ("sections[0].questions[0].show_if.question", "'checkout_type' comes later in the checklist"),
    ],
    "bands_out_of_order.yaml": [("sections[0].questions[0].bands", "bands must be written in order")],
    "fraction_out_of_range.yaml": [
        ("sections[0].questions[0].options[0].fraction", "fraction must be between 0 and 1"),
    ],
    "critical_cannot_fail.yaml": [("sections[0].questions[0].critical", "must be able to fail")],
    "negative_weight.yaml": [("sections[0].questions[0].weight", "must not be negative")],
    "scale_min_not_below_max.yaml": [("sections[0].questions[0].max", "must be larger than `min`")],
    "grades_without_zero.yaml": [("grades[2].min", "the last grade band must have `min: 0`")],
    "yaml_syntax_error.yaml": [("", "YAML syntax error on line 17")],
    "yaml_key_written_twice.yaml": [("", "`text` is written twice in one mapping (first on line 14)")],
    "empty_file.yaml": [("", "the file is empty")],
    "top_level_list.yaml": [("", "the top level must be a mapping")],
    "several_problems.yaml": [
        ("channel", "unknown channel 'shop_floor'"),
        ("key", "'Broken Several' is not a valid key"),
        ("sections[0].questions[0].weight", "must not be negative"),
        ("sections[0].questions[1].bands", "bands must be written in order"),
        ("sections[0].questions[2].max", "must be larger than `min`"),
    ],
}


def test_every_broken_file_has_an_expected_message_and_every_expectation_has_a_file() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_is_rejected_with_its_file_path_and_message(name: str) -> None:
    path = BROKEN / name
    with pytest.raises(ChecklistFileError) as caught:
        load_checklist_file(path)

    lines = str(caught.value).splitlines()
    expected = EXPECTED[name]
    assert len(lines) == len(expected), lines
    for line, (place, fragment) in zip(sorted(lines), sorted(expected)):
        prefix = f"tests/checklists/broken/{name}: " + (f"{place}: " if place else "")
        assert line.startswith(prefix), (line, prefix)
        assert fragment in line[len(prefix):], (line, fragment)


def test_a_broken_file_keeps_its_problems_as_data_with_the_schema_paths() -> None:
    with pytest.raises(ChecklistFileError) as caught:
        load_checklist_file(BROKEN / "several_problems.yaml")

    assert caught.value.path == BROKEN / "several_problems.yaml"
    assert sorted(problem.path for problem in caught.value.problems) == [
        "channel",
        "key",
        "sections[0].questions[0].weight",
        "sections[0].questions[1].bands",
        "sections[0].questions[2].max",
    ]


def test_validating_every_broken_file_reports_every_expected_line_and_nothing_else() -> None:
    lines = validate_files(sorted(BROKEN.glob("*.yaml")))

    assert len(lines) == sum(len(problems) for problems in EXPECTED.values())
    for name in EXPECTED:
        assert any(line.startswith(f"tests/checklists/broken/{name}: ") for line in lines), name


def test_a_missing_file_is_a_problem_line_rather_than_a_crash(tmp_path: Path) -> None:
    lines = validate_files([tmp_path / "nowhere.yaml"])

    assert len(lines) == 1
    assert lines[0].endswith("nowhere.yaml: cannot read the file: No such file or directory")


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\u00e9\n".encode("latin-1"))

    (line,) = validate_files([path])

    assert "latin1.yaml: not UTF-8 text" in line


def test_a_top_level_scalar_is_reported_as_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "scalar.yaml"
    path.write_text("just some words\n", encoding="utf-8")

    (line,) = validate_files([path])

    assert line.endswith("scalar.yaml: the top level must be a mapping (`key: value` lines), not a single value (str)")
