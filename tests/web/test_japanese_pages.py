"""Pages requested by people who read Japanese: they answer, in Japanese."""

from __future__ import annotations

import pytest
from flask import Flask

from audit_app.extensions import db
from tests.conftest import ScorecardWorld, World, make_scorecard_world


@pytest.fixture
def sw(app: Flask, world: World) -> ScorecardWorld:
    for person in (world.manager, world.head, world.shopper):
        person.locale = "ja"
    db.session.commit()
    return make_scorecard_world(world)


def test_every_manager_page_answers_in_japanese(sw: ScorecardWorld, login) -> None:
    client = login(sw.world.head)
    visit = sw.visits[-3][3]
    pages = {
        "area": f"/manager/areas/{sw.world.area.id}",
        "region": f"/manager/regions/{sw.world.region.id}",
        "store": f"/manager/stores/{sw.world.store.id}",
        "visit": f"/manager/visits/{visit.id}",
        "compare": f"/manager/compare?stores={sw.world.store.id}&stores={sw.extra_store.id}",
    }
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        assert 'lang="ja"' in html, name
    area = client.get(pages["area"]).get_data(as_text=True)
    assert "平均は各訪問のスコア（％）の平均です" in area
    assert "セクション加重方式" in client.get(pages["visit"]).get_data(as_text=True)
