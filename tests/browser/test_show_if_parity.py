"""The phone and the server agree on which questions show: the same form state, judged by the page's show_if
(static/js/visit/show-if.js) and by the server's reading of the post (read_section, then scoring), gives the same
hidden questions, for every answer type and the odd ways people type numbers, durations and text."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

import scoring
from audit_app.extensions import db
from audit_app.services import checklists, visits
from audit_app.shopper.forms import read_section
from tests.factories import NOW, PASSWORD, World, make_assignment


def _dependent(key: str, on: str, values: list[Any]) -> dict[str, Any]:
    return {"key": key, "type": "yes_no", "required": False, "text": f"Shown for {on}",
            "show_if": {"question": on, "in": values}}


OPTIONS = [{"key": k, "text": k.upper()} for k in ("a", "b", "c")]
PARITY = {
    "key": "parity", "title": "Parity", "channel": "in_store", "grades": [{"min": 0, "label": "All"}],
    "sections": [{"key": "all", "title": "All types", "questions": [
        {"key": "yn", "type": "yes_no", "allow_na": True, "text": "Yes or no"},
        _dependent("yn_dep", "yn", ["yes"]),
        _dependent("chain", "yn_dep", ["yes"]),
        {"key": "sc", "type": "scale", "min": 1, "max": 5, "allow_na": True, "text": "Scale"},
        _dependent("sc_dep", "sc", [4, 5]),
        {"key": "ch", "type": "choice", "options": OPTIONS, "allow_na": True, "text": "Choice"},
        _dependent("ch_dep", "ch", ["b"]),
        {"key": "mu", "type": "multi", "options": OPTIONS, "allow_na": True, "text": "Multi"},
        _dependent("mu_dep", "mu", ["b", "c"]),
        {"key": "nu", "type": "number", "allow_na": True, "text": "Number"},
        _dependent("nu_dep", "nu", ["2.5", 3, " 1e1 ", "1/3"]),
        {"key": "du", "type": "duration", "allow_na": True, "text": "Duration"},
        _dependent("du_dep", "du", [90]),
        {"key": "tx", "type": "text", "text": "Text"},
        _dependent("tx_dep", "tx", ["Yes please"]),
        {"key": "da", "type": "date", "text": "Date"},
        _dependent("da_dep", "da", ["2026-11-20"]),
        {"key": "ti", "type": "time", "text": "Time"},
        _dependent("ti_dep", "ti", ["14:30"]),
    ]}],
}

NUMBERS = ["2.5", "2,5", " 2.50 ", "２.５", "2.5e0", "25E-1", "3", "3.0", "+3", "-3", "1_0", "10", "1/3", "0.333",
           "abc", "", "2.5.1", "Infinity", "NaN", "\u30002.5\u3000", "2.5\ufeff", "\x1c3\x1f", "٣", ".5e1", "5."]
DURATIONS = ["90", "1:30", "1：30", " 90 ", "01:30", "0:90", "９０", "90.0", "1:3", "1 : 30", "abc", "١:٣٠",
             "0001:30", "-90", "\u300090"]
TEXTS = ["Yes please", " Yes please ", "yes please", "Yes  please", "Yes please\n", "\u3000Yes please\u3000",
         "Yes please\x1c", "\ufeffYes please", "Yes please\u200b", "\u00a0Yes please"]

# Each case: the controls to set, as (field name, "value" text | "check" list of values to tick).
CASES: list[list[tuple[str, str, Any]]] = (
    [[("q-nu", "value", v), ("na-nu", "check", [])] for v in NUMBERS]
    + [[("q-nu", "value", "3"), ("na-nu", "check", ["1"])]]
    + [[("q-du", "value", v), ("na-du", "check", [])] for v in DURATIONS]
    + [[("q-tx", "value", v)] for v in TEXTS]
    + [[("q-da", "value", v)] for v in ("2026-11-20", "2026-11-21", "")]
    + [[("q-ti", "value", v)] for v in ("14:30", "14:31", "")]
    + [[("q-yn", "check", [v])] for v in ("yes", "no", "__na__")]
    + [[("q-yn", "check", ["yes"]), ("q-yn_dep", "check", ["yes"])],
       [("q-yn", "check", ["no"]), ("q-yn_dep", "check", ["yes"])]]
    + [[("q-sc", "check", [v]), ("na-sc", "check", [])] for v in ("3", "4", "5")]
    + [[("q-sc", "check", ["5"]), ("na-sc", "check", ["1"])]]
    + [[("q-ch", "check", [v])] for v in ("a", "b", "__na__")]
    + [[("q-mu", "check", v), ("na-mu", "check", [])] for v in (["a"], ["a", "b"], [], ["c"])]
    + [[("q-mu", "check", ["c"]), ("na-mu", "check", ["1"])]]
)

SET_AND_READ = """(ops) => {
  for (const [name, kind, value] of ops) {
    const els = Array.from(document.getElementsByName(name));
    if (kind === "value") {
      els[0].value = value;
      els[0].dispatchEvent(new Event("input", {bubbles: true}));
      els[0].dispatchEvent(new Event("change", {bubbles: true}));
    } else {
      els.forEach((el) => { el.checked = value.includes(el.value); });
      els[0].dispatchEvent(new Event("change", {bubbles: true}));
    }
  }
  const fields = [];
  new FormData(document.querySelector("[data-visit-form]")).forEach((v, k) => {
    if (typeof v === "string") fields.push([k, v]);
  });
  const hidden = {};
  document.querySelectorAll(".question[data-show-if]").forEach((b) => { hidden[b.dataset.key] = b.hidden; });
  return {fields, hidden};
}"""


@pytest.fixture
def parity(world: World) -> Any:
    version = checklists.publish_checklist(db.session, scoring.parse_checklist(PARITY), now=NOW)
    assignment = make_assignment(world.shopper, world.store, version.checklist_id)
    return visits.start_visit(db.session, world.shopper, client_uuid=str(uuid.uuid4()),
                              assignment_id=assignment.id, now=NOW)


def _server_hidden(checklist: scoring.Checklist, fields: list[list[str]]) -> dict[str, bool]:
    section = checklist.sections[0]
    posted = read_section(section, MultiDict([tuple(f) for f in fields]), MultiDict(), frozenset())
    answers = {k: v for k, v in posted.values.items() if v is not None}
    card = scoring.score(checklist, answers)
    return {q.key: card.question(q.key).excluded == "hidden" for q in section.questions if q.show_if}


def test_the_phone_shows_exactly_the_questions_the_server_shows(page: Any, live_server: str, world: World,
                                                                 parity: Any) -> None:
    checklist = scoring.parse_checklist(PARITY)
    # Saves stay on the phone: the page's answers are only what this test sets.
    page.route(re.compile(r".*/sections/\d+$"),
               lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(world.shopper.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My visits").wait_for()
    page.goto(f"{live_server}/shopper/visits/{parity.id}/sections/0")
    page.wait_for_function("() => document.querySelector('#q-yn_dep').hidden === true")
    disagreements = []
    outcomes: dict[str, set[bool]] = {}
    for ops in CASES:
        seen = page.evaluate(SET_AND_READ, [list(op) for op in ops])
        server = _server_hidden(checklist, seen["fields"])
        for key, hidden in server.items():
            outcomes.setdefault(key, set()).add(hidden)
        if seen["hidden"] != server:
            differ = {k: ("phone hides" if seen["hidden"][k] else "phone shows") for k in server
                      if seen["hidden"][k] != server[k]}
            disagreements.append(f"{ops!r}: {differ}")
    assert disagreements == []
    # The table shows and hides every dependent question at least once.
    assert all(seen_both == {True, False} for seen_both in outcomes.values()), outcomes
