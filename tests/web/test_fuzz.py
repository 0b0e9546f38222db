"""Fuzzing: malformed form posts, query strings and checklist YAML get a 2xx/3xx/4xx answer, never a 500, and a
refused post writes nothing; the checklist loader and parser raise only their own errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import scoring
from audit_app.extensions import db
from audit_app.models import Answer, ChecklistVersion, Visit
from audit_app.services.checklists import ChecklistFileError, load_checklist_file
from audit_app.services.answers import answer_problem
from tests.factories import (
    MINI_CHECKLIST, PASSWORD, World, csrf_token_from, make_assignment, make_visit, publish_mini, sign_in,
    small_checklist_data,
)

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

ODD = ["", " ", "\x00", "\x00yes", "²", "٣", "𝟘", "-1", "-0", "1e309", "NaN", "inf", "9" * 40, "0x10", "1_000",
       "\u202eyes", "ｙｅｓ", "yes\n", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "..", "/etc/passwd",
       "{{ 7*7 }}", "null", "[]", "{}", "true", "\ud7ff", "\U0010ffff", "x" * 20_000, "é" * 5_000, "1:99:99",
       "12:", ":30", "na", "yes", "no", "3", "5", "100", "35.6", "-91", "200", "1e3"]
weird = st.one_of(st.sampled_from(ODD), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
                  st.text(st.sampled_from("\x00\t\r\n\u00a0\u200b\ufeff\u0301a1-.:,"), max_size=8))


def _counts() -> dict[str, int]:
    db.session.rollback()
    with db.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables}


def _fields(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Known and random field names, each missing, once or repeated, with odd values."""
    return st.lists(st.tuples(st.one_of(st.sampled_from(names), weird), weird), max_size=12)


def _csrf(valid: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Mostly the valid token (so posts reach the view), else none, or one or two wrong ones."""
    good = st.just([("csrf_token", valid)])
    return st.one_of(good, good, good, st.just([]),
                     st.lists(st.tuples(st.just("csrf_token"), weird), min_size=1, max_size=2))


def _post(client: FlaskClient, path: str, pairs: list[tuple[str, str]]) -> Any:
    response = client.post(path, data=MultiDict(pairs))
    assert response.status_code < 500, (path, pairs, response.status_code)
    event(f"status {response.status_code}")
    return response


# --- sign-in -----------------------------------------------------------------------------------------------


def test_fuzzed_sign_in_posts_are_refused_cleanly(client: FlaskClient, world: World) -> None:
    token = csrf_token_from(client)
    names = ["email", "password", "next", "csrf_token", "remember"]
    emails = st.sampled_from([world.shopper.email, world.head.email.upper(), "nobody@test.example"])

    @FUZZ
    @given(csrf=_csrf(token), fields=_fields(names), email=st.one_of(emails, weird),
           password=st.one_of(st.just(PASSWORD), weird))
    def run(csrf: list[tuple[str, str]], fields: list[tuple[str, str]], email: str, password: str) -> None:
        before = _counts()
        response = _post(client, "/login", csrf + [("email", email), ("password", password)] + fields)
        if response.status_code >= 400:
            assert _counts() == before
        else:
            client.post("/logout", data={"csrf_token": csrf_token_from(client, "/")})

    run()


# --- the shopper's visit -------------------------------------------------------------------------------------


def _stored_answers_are_valid(visit_id: int) -> None:
    version = db.session.get(ChecklistVersion, db.session.get(Visit, visit_id).checklist_version_id)
    definition = scoring.parse_checklist(version.definition)
    for answer in db.session.scalars(sa.select(Answer).where(Answer.visit_id == visit_id)):
        value = scoring.NA if answer.is_na else answer.value
        if value is not None:
            assert answer_problem(definition.question(answer.question_key), value) is None, answer.question_key


def test_fuzzed_section_saves_store_only_valid_answers(shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    visit_id = visit.id
    token = csrf_token_from(shopper, "/shopper/")
    keys = [q["key"] for s in MINI_CHECKLIST["sections"] for q in s["questions"]]
    names = [f"{p}-{k}" for p in ("q", "na", "c", "f") for k in keys] + ["go", "csrf_token", "q-", "q-missing"]
    values = st.one_of(weird, st.sampled_from(["yes", "no", "na", "4", "1:35", "prev", "review", "section-1",
                                               "section-99999999999999999999"]))

    @FUZZ
    @given(csrf=_csrf(token), section=st.sampled_from([0, 1, 1, 0, 2, 99]),
           fields=st.lists(st.tuples(st.one_of(st.sampled_from(names), weird), values), max_size=14),
           as_json=st.booleans())
    def run(csrf: list[tuple[str, str]], section: int, fields: list[tuple[str, str]], as_json: bool) -> None:
        before = _counts()
        headers = {"Accept": "application/json"} if as_json else {}
        response = shopper.post(f"/shopper/visits/{visit_id}/sections/{section}", data=MultiDict(csrf + fields),
                                headers=headers)
        assert response.status_code < 500, (section, fields, response.status_code)
        event(f"status {response.status_code}")
        if response.status_code in (400, 403, 404):
            assert _counts() == before
        _stored_answers_are_valid(visit_id)

    run()


def test_fuzzed_starts_and_submits_never_fail_or_half_write(shopper: FlaskClient, world: World) -> None:
    version = publish_mini()
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    draft = make_visit(world.shopper, world.other_store)
    token = csrf_token_from(shopper, "/shopper/")
    names = ["client_uuid", "latitude", "longitude", "accuracy", "csrf_token"]
    numbers = st.one_of(weird, st.floats(allow_nan=True, allow_infinity=True).map(str))

    @FUZZ
    @given(csrf=_csrf(token), fields=st.lists(st.tuples(st.one_of(st.sampled_from(names), weird),
                                                         st.one_of(numbers, weird)), max_size=10),
           uuid=st.one_of(st.just(draft.client_uuid), st.uuids().map(str), weird),
           target=st.sampled_from(["start", "submit", "submit-other", "start-missing"]))
    def run(csrf: list[tuple[str, str]], fields: list[tuple[str, str]], uuid: str, target: str) -> None:
        path = {"start": f"/shopper/assignments/{assignment.id}/start",
                "start-missing": "/shopper/assignments/987654/start",
                "submit": f"/shopper/visits/{draft.id}/submit",
                "submit-other": "/shopper/visits/987654/submit"}[target]
        before = _counts()
        response = _post(shopper, path, csrf + [("client_uuid", uuid)] + fields)
        if response.status_code >= 400:
            assert _counts() == before

    run()


def test_a_nul_byte_in_any_field_or_query_is_refused_before_it_reaches_the_database(
        shopper: FlaskClient, world: World) -> None:
    visit = make_visit(world.shopper, world.store)
    token = csrf_token_from(shopper, "/shopper/")
    before = _counts()
    for fields in ({"c-helpful": "a\x00b"}, {"q-notes": "\x00"}, {"q-greeted\x00": "yes"}):
        response = shopper.post(f"/shopper/visits/{visit.id}/sections/0", data={"csrf_token": token, **fields})
        assert response.status_code == 400, fields
    assert shopper.get("/shopper/?lang=\x00").status_code == 400
    assert _counts() == before


# --- head office: checklist YAML and CSV imports ------------------------------------------------------------


def _mutations(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid checklist with one value somewhere replaced by something odd."""
    leaves = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), weird, st.dates()),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(weird, inner, max_size=3)), max_leaves=6)

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            found += paths(child, prefix + (key,))
        return found

    def replace(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
        data = copy.deepcopy(base)
        if not path:
            return data
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return data

    return st.builds(replace, st.sampled_from(paths(base)), leaves)


def _yaml_texts() -> st.SearchStrategy[str]:
    def dump(data: Any) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)

    return st.one_of(
        _mutations(small_checklist_data("fuzz_check")).map(dump),
        weird,
        st.sampled_from([
            "key: a\nkey: b\n", "- a\n- b\n", "just text", "a: [1, 2\n", "a: !!python/object:os.system ls\n",
            "&a [*a]\n", "a: &x {b: *x}\n", "? [a, b]\n: c\n", "{" * 5_000 + "}" * 5_000, "[" * 5_000,
            "x: " + "- " * 3_000, "key: k\ntitle: t\nsections: .inf\n", "\t\x00", "%YAML 9.9\n---\na: 1\n",
            "key: 2026-11-20\ntitle: 2026-11-20T10:00:00\nchannel: in_store\nsections: []\n",
            "lol: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        ]),
    )


@pytest.fixture
def head(client: FlaskClient, world: World) -> FlaskClient:
    sign_in(client, world.head.email)
    return client


def test_fuzzed_checklist_imports_are_refused_without_writing(head: FlaskClient, world: World) -> None:
    token = csrf_token_from(head, "/head-office/checklists")

    @FUZZ
    @given(csrf=_csrf(token).map(lambda pairs: [(f"import-{k}", v) for k, v in pairs]), text=_yaml_texts(),
           fields=_fields(["import-yaml_text", "new-key", "new-title", "new-channel"]))
    @example(csrf=[("import-csrf_token", token)], text="{" * 5_000, fields=[])
    def run(csrf: list[tuple[str, str]], text: str, fields: list[tuple[str, str]]) -> None:
        before = _counts()
        response = _post(head, "/head-office/checklists", csrf + [("import-yaml_text", text)] + fields)
        if response.status_code >= 400:
            assert _counts() == before

    run()


CSV_HEADERS = {
    "stores": "code,name,area_code,city,address,timezone",
    "people": "email,name,role,area_codes,region_code,locale",
}


def _csv_texts(kind: str) -> st.SearchStrategy[str]:
    cell = st.one_of(weird.map(lambda v: v.replace("\x00", "")), weird,
                     st.sampled_from(["A1", "A2", "S1", "Asia/Tokyo", "Mars/Olympus", "shopper", "head_office",
                                      "en", "ja", "x@test.example", '"', '""', ",", "\r\n"]))
    header = st.one_of(st.just(CSV_HEADERS[kind]), weird, st.just(CSV_HEADERS[kind].upper()),
                       st.just(CSV_HEADERS[kind] + ",extra"), st.just("code,code,name"))
    rows = st.lists(st.lists(cell, max_size=8).map(lambda cells: ",".join(cells)), max_size=5)
    return st.builds(lambda h, r: "\n".join([h, *r]), header, rows)


@pytest.mark.parametrize("kind", ["stores", "people"])
def test_fuzzed_csv_imports_are_all_or_nothing(head: FlaskClient, world: World, kind: str) -> None:
    path = f"/head-office/{kind}/import"
    token = csrf_token_from(head, path)

    @FUZZ
    @given(csrf=_csrf(token), text=_csv_texts(kind), dry_run=st.sampled_from([[], [("dry_run", "y")]]),
           fields=_fields(["csv_text", "dry_run"]))
    @example(csrf=[("csrf_token", token)], text=CSV_HEADERS[kind] + "\n\r0", dry_run=[], fields=[])
    @example(csrf=[("csrf_token", token)], text=CSV_HEADERS[kind] + "\n" + "x" * 140_000, dry_run=[], fields=[])
    def run(csrf: list[tuple[str, str]], text: str, dry_run: list[tuple[str, str]],
            fields: list[tuple[str, str]]) -> None:
        before = _counts()
        response = _post(head, path, csrf + [("csv_text", text)] + dry_run + fields)
        if response.status_code >= 400 or dry_run:
            assert _counts() == before

    run()


# --- manager filters -----------------------------------------------------------------------------------------


def test_fuzzed_manager_filters_never_fail(head: FlaskClient, world: World) -> None:
    pages = [f"/manager/areas/{world.area.id}", f"/manager/regions/{world.region.id}",
             f"/manager/stores/{world.store.id}", "/manager/compare", f"/manager/areas/{world.area.id}/visits.csv",
             "/head-office/review", "/head-office/people", "/head-office/audit-log"]
    names = ["days", "checklist", "sort", "order", "stores", "page", "status", "role", "q", "lang"]
    values = st.one_of(weird, st.integers().map(str), st.sampled_from(["7", "30", "90", "365", "score", "desc",
                                                                        str(world.store.id), "99999999999999999999"]))

    @FUZZ
    @given(page=st.sampled_from(pages), query=st.lists(st.tuples(st.one_of(st.sampled_from(names), weird), values),
                                                       max_size=8))
    def run(page: str, query: list[tuple[str, str]]) -> None:
        response = head.get(page, query_string=MultiDict(query))
        assert response.status_code < 500, (page, query, response.status_code)
        event(f"status {response.status_code}")

    run()


def test_absurd_numbers_in_any_filter_are_never_a_server_error(head: FlaskClient, world: World) -> None:
    """Every filter of every listing given numbers no id or page can be (beyond a PostgreSQL integer, negative,
    twenty digits): the page shows with that filter off, never a 500 ("integer out of range" on PostgreSQL)."""
    pages = [f"/manager/areas/{world.area.id}", f"/manager/regions/{world.region.id}",
             f"/manager/stores/{world.store.id}", "/manager/compare", f"/manager/areas/{world.area.id}/visits.csv",
             "/manager/", "/head-office/", "/head-office/review", "/head-office/people", "/head-office/audit-log"]
    names = ["days", "checklist", "area", "store", "stores", "page", "status", "role", "visit", "who", "user"]
    failed = [(page, name, value, response.status_code)
              for page in pages for name in names for value in ("2200000000", "-2200000000", "9" * 20)
              if (response := head.get(page, query_string={name: value})).status_code >= 500]
    assert failed == []
    # The review queue drops such a filter without a word, as the dashboards do: no form error under the select.
    page = head.get("/head-office/review", query_string={"checklist": "99999999999", "area": "-3"})
    assert page.status_code == 200 and "Number must be" not in page.get_data(as_text=True)


# --- the checklist parser and file loader -------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(_mutations(small_checklist_data()), _mutations(MINI_CHECKLIST),
                      st.dictionaries(weird, st.recursive(st.one_of(st.none(), st.integers(), st.floats(), weird),
                                                          lambda c: st.lists(c, max_size=3), max_leaves=5))))
def test_the_parser_raises_only_checklist_errors(data: dict[str, Any]) -> None:
    try:
        scoring.parse_checklist(data)
    except scoring.ChecklistError as error:
        assert error.problems and all(p.message for p in error.problems)


@FUZZ
@given(text=_yaml_texts())
@example(text="[" * 5_000)
def test_the_yaml_loader_raises_only_checklist_file_errors(tmp_path_factory: pytest.TempPathFactory,
                                                          text: str) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_checklist_file(path)
    except ChecklistFileError as error:
        assert str(error)
