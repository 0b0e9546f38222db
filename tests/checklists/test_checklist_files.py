"""The shipped library: every file validates, keys are unique, every text is in English and Japanese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from audit_app.services.checklists import (
    ChecklistFileError,
    ChecklistLibraryError,
    display_path,
    library_dir,
    library_paths,
    load_checklist_file,
    load_library,
    validate_files,
)
from scoring import Checklist, Problem, Text, parse_checklist

SHIPPED = {
    "in_store_visit.yaml": "in_store",
    "online_experience.yaml": "online",
    "phone_enquiry.yaml": "phone",
    "returns_after_sales.yaml": "returns",
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def texts(value: object, path: str = "") -> Iterator[tuple[str, Text]]:
    """Every translatable text inside a parsed checklist, with where it is."""
    if isinstance(value, Text):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from texts(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from texts(item, f"{path}[{index}]")


def test_the_library_folder_is_the_repository_checklists_folder() -> None:
    assert library_dir() == Path(__file__).resolve().parents[2] / "checklists"
    assert (library_dir() / "README.md").is_file()


def test_the_library_holds_exactly_the_four_shipped_checklists() -> None:
    assert [path.name for path in library_paths()] == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_validates_against_the_schema(name: str) -> None:
    checklist = load_checklist_file(library_dir() / name)

    assert isinstance(checklist, Checklist)
    assert checklist.channel == SHIPPED[name]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_is_named_after_its_checklist_key(name: str) -> None:
    assert load_checklist_file(library_dir() / name).key == Path(name).stem


def test_validating_the_whole_library_reports_no_problems() -> None:
    assert validate_files(library_paths()) == []


def test_checklist_keys_are_unique_across_the_library() -> None:
    library = load_library()

    assert sorted(library) == sorted(Path(name).stem for name in SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_text_of_a_shipped_checklist_has_english_and_japanese(name: str) -> None:
    checklist = load_checklist_file(library_dir() / name)
    found = list(texts(checklist))

    assert len(found) > 20
    missing = [path for path, text in found if text.languages != ("en", "ja")]
    assert missing == []
    untranslated = [path for path, text in found if not JAPANESE.search(text.get("ja"))]
    assert untranslated == []
    japanese_in_english = [path for path, text in found if JAPANESE.search(text.get("en"))]
    assert japanese_in_english == []


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_checklist_has_scored_questions_and_tells_how_to_time_every_duration(name: str) -> None:
    checklist = load_checklist_file(library_dir() / name)
    scored = [question for _, question in checklist.questions() if question.is_scored]

    assert len(scored) >= 10
    assert all(question.help is not None for _, question in checklist.questions() if question.type == "duration")


def test_the_complete_example_in_the_readme_validates() -> None:
    readme = (library_dir() / "README.md").read_text(encoding="utf-8")
    example = readme.split("## A complete example", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", example, re.S)
    assert block is not None

    checklist = parse_checklist(yaml.safe_load(block.group(1)))

    assert checklist.key == "store_spot_check"


def test_the_readme_lists_every_shipped_file() -> None:
    readme = (library_dir() / "README.md").read_text(encoding="utf-8")
    shipped = readme.split("## The shipped library", 1)[1]

    for name in SHIPPED:
        assert f"`{name}`" in shipped


def test_library_paths_are_sorted_and_take_yml_too_but_nothing_else(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "c.txt", "README.md"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text("", encoding="utf-8")

    assert [path.name for path in library_paths(tmp_path)] == ["a.yml", "b.yaml"]


def test_two_files_with_the_same_checklist_key_are_rejected(tmp_path: Path) -> None:
    source = (library_dir() / "phone_enquiry.yaml").read_text(encoding="utf-8")
    (tmp_path / "phone_a.yaml").write_text(source, encoding="utf-8")
    (tmp_path / "phone_b.yaml").write_text(source, encoding="utf-8")

    with pytest.raises(ChecklistLibraryError) as caught:
        load_library(tmp_path)

    (line,) = str(caught.value).splitlines()
    first = display_path(tmp_path / "phone_a.yaml")
    assert line.endswith(f"phone_b.yaml: key: checklist key `phone_enquiry` is already used by {first}")
    assert validate_files(library_paths(tmp_path)) == [line]


def test_a_library_with_a_bad_file_reports_it_and_loads_nothing(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(
        (library_dir() / "phone_enquiry.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "bad.yaml").write_text("key: [unclosed\n", encoding="utf-8")

    with pytest.raises(ChecklistLibraryError) as caught:
        load_library(tmp_path)

    assert [error.path.name for error in caught.value.errors] == ["bad.yaml"]
    assert "bad.yaml: YAML syntax error on line 2" in str(caught.value)


def test_a_file_error_is_one_line_per_problem_naming_the_file_relative_to_the_repository() -> None:
    error = ChecklistFileError(
        library_dir() / "in_store_visit.yaml",
        [Problem("sections[3].questions[2].bands", "bands must be written in order"), Problem("", "whole file")],
    )

    assert str(error).splitlines() == [
        "checklists/in_store_visit.yaml: sections[3].questions[2].bands: bands must be written in order",
        "checklists/in_store_visit.yaml: whole file",
    ]
