"""YAML export and import: a version exported and imported again has the identical definition."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

import scoring
from audit_app.extensions import db
from audit_app.services import rubric_diff, rubrics
from tests.factories import NOW, World, make_published_checklist
from tests.scoring.strategies import checklist_data


@settings(max_examples=150, deadline=None)
@given(checklist_data())
def test_export_then_import_of_any_valid_checklist_gives_the_identical_definition(data: dict[str, Any]) -> None:
    definition = scoring.checklist_to_data(scoring.parse_checklist(data))
    text = rubrics.export_yaml(definition)
    assert rubrics.validate(_read(text)) == definition


def _read(text: str) -> Any:
    import yaml

    from audit_app.services.checklists import _UniqueKeyLoader

    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506


def test_japanese_text_is_exported_as_text_not_escapes() -> None:
    from tests.factories import small_checklist_data

    data = small_checklist_data()
    data["title"] = {"en": "Store check", "ja": "店舗チェック"}
    assert "店舗チェック" in rubrics.export_yaml(rubrics.validate(data))


def test_importing_an_exported_version_makes_an_identical_draft_of_the_same_checklist(world: World) -> None:
    v1 = make_published_checklist()
    draft = rubrics.import_yaml(db.session, world.head, rubrics.export_yaml(v1.definition), now=NOW)
    assert (draft.checklist_id, draft.number, draft.status) == (v1.checklist_id, 2, "draft")
    assert draft.definition == v1.definition
    assert rubric_diff.diff_versions(db.session, v1.id, draft.id)[2] == []


def test_importing_broken_yaml_lists_the_problems_and_creates_nothing(world: World) -> None:
    with pytest.raises(rubrics.RubricProblemsError) as caught:
        rubrics.import_yaml(db.session, world.head, "key: x\ntitle: X\nchannel: moon\ngrades: []\nsections: []\n",
                            now=NOW)
    paths = [p.path for p in caught.value.problems]
    assert "channel" in paths and "grades" in paths and "sections" in paths
    with pytest.raises(rubrics.RubricProblemsError):
        rubrics.import_yaml(db.session, world.head, "key: [unclosed", now=NOW)
