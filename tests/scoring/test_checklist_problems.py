"""Every kind of checklist problem is reported with its place and a message a head-office user understands."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from scoring import ChecklistError, Problem, Text, Word, checklist_to_data, parse_checklist

from .builders import GRADES, QUEUE_BANDS, checklist, opt, q, section

TYPES = "yes_no, scale, choice, multi, number, duration, nps, text, photo, date, time, note"


def valid() -> dict[str, Any]:
    return checklist(
        section("store", q("greeted", "yes_no"), q("friendly", "scale", min=1, max=5),
                q("queue_wait", "duration", bands=QUEUE_BANDS)),
        section("checkout", q("payment", "choice", options=[opt("cash", 1), opt("card", 1)]),
                q("offered", "multi", options=[opt("bag", 0.5), opt("card", 0.5)])),
    )


def with_(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(valid())
    change(data)
    return data


def first_question(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["sections"][0]["questions"][0] = fields

    return change


def set_in(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


Q0 = "sections[0].questions[0]"

Change = Callable[[dict[str, Any]], object]

CASES: list[tuple[str, Change, list[tuple[str, str]]]] = [
    # Shape, as pydantic finds it, in plain words
    ("a missing field", lambda d: d.pop("channel"), [("channel", "`channel` is required but missing")]),
    ("a misspelt field", first_question(**q("greeted", "yes_no"), wieght=2),
     [(f"{Q0}.wieght", "unknown field `wieght` (did you mean `weight`? allowed here: key, type, text, help, "
                       "options, bands, min, max, min_label, max_label, good, unit, required, allow_na, weight, "
                       "critical, show_if, kpi, audience, action)")]),
    ("an unknown top-level field", set_in("version", value=2),
     [("version", "unknown field `version` (allowed here: key, title, description, channel, scoring, grades, "
                  "sections)")]),
    ("a question that is not a mapping", set_in("sections", 0, "questions", 0, value="greeted"),
     [(Q0, "a question must be a mapping of fields (like `key: value`), not 'greeted'")]),
    ("sections that are not a list", set_in("sections", value={"key": "store"}),
     [("sections", "`sections` must be a list")]),
    ("an unknown question type", first_question(**q("greeted", "yesno")),
     [(f"{Q0}.type", f"unknown question type 'yesno' (expected one of: {TYPES})")]),
    ("an unknown channel", set_in("channel", value="store"),
     [("channel", "unknown channel 'store' (expected one of: in_store, online, phone, chat, email, social, app, "
                  "returns)")]),
    ("an unknown scoring method", set_in("scoring", value="average"),
     [("scoring", "unknown scoring method 'average' (expected one of: weighted_sections, points)")]),
    ("an invalid key", set_in("key", value="In Store"),
     [("key", "'In Store' is not a valid key: use lower-case letters, digits and _, starting with a letter")]),
    ("a number where text is expected", set_in("title", value=12),
     [("title", "expected text, or a mapping from language code to text (with `en`), got 12")]),
    ("translations without English", set_in("title", value={"ja": "店舗"}),
     [("title", "translated text needs an English (`en`) version")]),
    ("empty text", set_in("sections", 0, "title", value="  "), [("sections[0].title", "text must not be empty")]),
    ("a flag that is not true or false", first_question(**q("greeted", "yes_no"), required="sometimes"),
     [(f"{Q0}.required", "expected true or false, got 'sometimes'")]),
    ("no sections", set_in("sections", value=[]), [("sections", "a checklist needs at least one section")]),
    ("a section without questions", set_in("sections", 1, "questions", value=[]),
     [("sections[1].questions", "a section needs at least one question")]),
    # Keys
    ("a question key used twice", set_in("sections", 1, "questions", 0, "key", value="greeted"),
     [("sections[1].questions[0].key", "the key 'greeted' is already used at sections[0].questions[0]; every "
                                       "section and question needs its own key")]),
    ("a section and a question sharing a key", set_in("sections", 1, "key", value="friendly"),
     [("sections[1].key", "the key 'friendly' is already used at sections[0].questions[1]; every section and "
                          "question needs its own key")]),
    # show_if
    ("show_if naming a missing question",
     set_in("sections", 1, "questions", 0, "show_if", value={"question": "greted", "equals": "yes"}),
     [("sections[1].questions[0].show_if.question",
       "there is no question 'greted' in this checklist (did you mean 'greeted'?)")]),
    ("show_if naming a later question",
     set_in("sections", 0, "questions", 0, "show_if", value={"question": "payment", "equals": "cash"}),
     [(f"{Q0}.show_if.question",
       "question 'payment' comes later in the checklist; show_if may only name an earlier question")]),
    ("show_if naming its own question",
     set_in("sections", 0, "questions", 1, "show_if", value={"question": "friendly", "equals": 3}),
     [("sections[0].questions[1].show_if.question", "a question cannot depend on itself")]),
    ("show_if naming a section",
     set_in("sections", 1, "questions", 0, "show_if", value={"question": "store", "equals": "yes"}),
     [("sections[1].questions[0].show_if.question", "'store' is a section; show_if must name a question")]),
    ("show_if with a yes_no value that cannot happen",
     set_in("sections", 1, "questions", 0, "show_if", value={"question": "greeted", "equals": "maybe"}),
     [("sections[1].questions[0].show_if.equals",
       "'maybe' can never be the answer to yes_no question 'greeted': answers are yes or no")]),
    ("show_if with a scale value out of range",
     set_in("sections", 1, "questions", 0, "show_if", value={"question": "friendly", "in": [4, 6]}),
     [("sections[1].questions[0].show_if.in[1]",
       "6 can never be the answer to scale question 'friendly': answers are whole numbers from 1 to 5")]),
    ("show_if with an option that does not exist",
     set_in("sections", 1, "questions", 1, "show_if", value={"question": "payment", "equals": "cheque"}),
     [("sections[1].questions[1].show_if.equals",
       "'cheque' is not an option of choice question 'payment' (options: cash, card)")]),
    ("show_if with a negative duration",
     set_in("sections", 1, "questions", 1, "show_if", value={"question": "queue_wait", "equals": -1}),
     [("sections[1].questions[1].show_if.equals",
       "-1 can never be the answer to duration question 'queue_wait': durations are never negative")]),
    ("show_if with both equals and in",
     set_in("sections", 1, "questions", 1, "show_if", value={"question": "greeted", "equals": "yes", "in": ["no"]}),
     [("sections[1].questions[1].show_if", "show_if takes `equals` or `in`, not both")]),
    ("show_if with an empty in",
     set_in("sections", 1, "questions", 1, "show_if", value={"question": "greeted", "in": []}),
     [("sections[1].questions[1].show_if", "`in` needs at least one value")]),
    # Bands
    ("max bands out of order",
     set_in("sections", 0, "questions", 2, "bands", value=[{"max": 300, "fraction": 0.5}, {"max": 120, "fraction": 1},
                                                          {"fraction": 0}]),
     [("sections[0].questions[2].bands", "bands must be written in order: each `max` larger than the one before")]),
    ("min bands out of order",
     set_in("sections", 0, "questions", 2, "bands", value=[{"min": 10, "fraction": 0.5}, {"min": 20, "fraction": 1},
                                                          {"fraction": 0}]),
     [("sections[0].questions[2].bands", "bands must be written in order: each `min` smaller than the one before")]),
    ("bands without a catch-all",
     set_in("sections", 0, "questions", 2, "bands", value=[{"max": 120, "fraction": 1}, {"max": 300, "fraction": 0}]),
     [("sections[0].questions[2].bands",
       "the last band must have neither `min` nor `max`, so that every value matches a band")]),
    ("a catch-all band before the last",
     set_in("sections", 0, "questions", 2, "bands", value=[{"fraction": 1}, {"max": 300, "fraction": 0},
                                                          {"fraction": 0}]),
     [("sections[0].questions[2].bands", "only the last band may have neither `min` nor `max` (band 1 matches "
                                         "every value, so the bands after it could never apply)")]),
    ("a max band after mixed bands, not larger than an earlier max",
     set_in("sections", 0, "questions", 2, "bands", value=[{"max": 120, "fraction": 1}, {"min": 300, "fraction": 0},
                                                          {"max": 100, "fraction": 0.5}, {"fraction": 0.5}]),
     [("sections[0].questions[2].bands", "bands must be written in order: each `max` larger than the one before")]),
    ("a band after bands that already match every value",
     set_in("sections", 0, "questions", 2, "bands", value=[{"max": 120, "fraction": 1}, {"min": 100, "fraction": 0},
                                                          {"fraction": 0.5}]),
     [("sections[0].questions[2].bands",
       "band 3 can never apply: the bands before it already match every value")]),
    ("a band with both max and min",
     set_in("sections", 0, "questions", 2, "bands", value=[{"min": 0, "max": 120, "fraction": 1}, {"fraction": 0}]),
     [("sections[0].questions[2].bands[0].min", "a band has either `max` or `min`, not both")]),
    # Numbers
    ("a band fraction above 1",
     set_in("sections", 0, "questions", 2, "bands", 0, "fraction", value=1.5),
     [("sections[0].questions[2].bands[0].fraction", "fraction must be between 0 and 1 (got 1.5)")]),
    ("an option fraction below 0", set_in("sections", 1, "questions", 0, "options", 0, "fraction", value="-1/4"),
     [("sections[1].questions[0].options[0].fraction", "fraction must be between 0 and 1 (got '-1/4')")]),
    ("a fraction that is not a number", set_in("sections", 1, "questions", 0, "options", 0, "fraction", value="half"),
     [("sections[1].questions[0].options[0].fraction",
       "fraction must be a number (like 2, 0.25 or \"1/3\"), got 'half'")]),
    ("a negative question weight", set_in("sections", 0, "questions", 0, "weight", value=-1),
     [(f"{Q0}.weight", "weight must not be negative (got -1)")]),
    ("a negative section weight", set_in("sections", 1, "weight", value=-0.5),
     [("sections[1].weight", "weight must not be negative (got -0.5)")]),
    ("an option key used twice", set_in("sections", 1, "questions", 0, "options", 1, "key", value="cash"),
     [("sections[1].questions[0].options[1].key", "option key 'cash' is used twice in this question")]),
    # Types and their fields
    ("a scale whose min is not below its max", set_in("sections", 0, "questions", 1, "min", value=5),
     [("sections[0].questions[1].max", "`max` (5) must be larger than `min` (5)")]),
    ("a scale without min", lambda d: d["sections"][0]["questions"][1].pop("min"),
     [("sections[0].questions[1].min", "a scale question needs `min`")]),
    ("a scale with a fractional max", set_in("sections", 0, "questions", 1, "max", value=4.5),
     [("sections[0].questions[1].max", "expected a whole number, got 4.5")]),
    ("a choice without options", lambda d: d["sections"][1]["questions"][0].pop("options"),
     [("sections[1].questions[0].options", "a choice question needs `options`")]),
    ("options on a yes_no", first_question(**q("greeted", "yes_no", options=[opt("a")])),
     [(f"{Q0}.options", "`options` only applies to choice and multi questions (this one is yes_no)")]),
    ("bands on a scale", set_in("sections", 0, "questions", 1, "bands", value=QUEUE_BANDS),
     [("sections[0].questions[1].bands", "`bands` only applies to number and duration questions (this one is "
                                         "scale)")]),
    ("good on a scale", set_in("sections", 0, "questions", 1, "good", value="no"),
     [("sections[0].questions[1].good", "`good` only applies to yes_no questions (this one is scale)")]),
    ("a unit on a duration", set_in("sections", 0, "questions", 2, "unit", value="s"),
     [("sections[0].questions[2].unit", "`unit` only applies to number questions (this one is duration)")]),
    ("good that is neither yes nor no", first_question(**q("greeted", "yes_no", good="sometimes")),
     [(f"{Q0}.good", "expected yes or no, got 'sometimes'")]),
    ("a weight on a note", first_question(**q("intro", "note", weight=1)),
     [(f"{Q0}.weight", "a note earns no points, so it cannot have a `weight`")]),
    ("required on a note", first_question(**q("intro", "note", required=True)),
     [(f"{Q0}.required", "a note takes no answer, so it cannot be `required`")]),
    ("a weighted number without bands", first_question(**q("items", "number", weight=1)),
     [(f"{Q0}.weight", "a number question with a weight above 0 needs `bands` to turn values into points")]),
    # Critical questions
    ("a critical choice where every option earns full points",
     set_in("sections", 1, "questions", 0, "critical", value={"effect": "zero_visit"}),
     [("sections[1].questions[0].critical",
       "a critical question must be able to fail, but every option earns full points")]),
    ("a critical question with weight 0", first_question(**q("greeted", "yes_no", weight=0,
                                                              critical={"effect": "zero_visit"})),
     [(f"{Q0}.critical", "a critical question must carry points (weight above 0), otherwise it can never fail")]),
    ("a critical text question", first_question(**q("comment", "text", weight=1, critical={"effect": "zero_visit"})),
     [(f"{Q0}.critical", "a critical question must be able to fail, but any answer to a text question earns full "
                         "points")]),
    ("a critical number whose bands all earn full points",
     first_question(**q("items", "number", bands=[{"max": 1, "fraction": 1}, {"fraction": 1}],
                        critical={"effect": "zero_section"})),
     [(f"{Q0}.critical", "a critical question must be able to fail, but every band earns full points")]),
    ("a cap effect without a cap", first_question(**q("greeted", "yes_no", critical={"effect": "cap"})),
     [(f"{Q0}.critical.cap", "a critical with `effect: cap` needs `cap: P` (a percentage)")]),
    ("a cap on another effect", first_question(**q("greeted", "yes_no", critical={"effect": "zero_visit", "cap": 50})),
     [(f"{Q0}.critical.cap", "`cap` only goes with `effect: cap` (this effect is zero_visit)")]),
    ("a cap above 100", first_question(**q("greeted", "yes_no", critical={"effect": "cap", "cap": 120})),
     [(f"{Q0}.critical.cap", "a percentage must be between 0 and 100 (got 120)")]),
    ("an unknown critical effect", first_question(**q("greeted", "yes_no", critical={"effect": "fail"})),
     [(f"{Q0}.critical.effect", "unknown critical effect 'fail' (expected one of: zero_section, zero_visit, cap)")]),
    # Grades
    ("grades that do not reach 0", set_in("grades", value=GRADES[:3]),
     [("grades[2].min", "the last grade band must have `min: 0`, so every score gets a grade")]),
    ("grades not from the highest down", set_in("grades", value=[GRADES[1], GRADES[0], GRADES[3]]),
     [("grades[1].min", "grade bands go from the highest `min` down, each `min` lower than the one before")]),
    ("a grade above 100", set_in("grades", 0, "min", value=101),
     [("grades[0].min", "a percentage must be between 0 and 100 (got 101)")]),
    # Scoring method and KPIs
    ("section weights in a points checklist",
     lambda d: (d.update(scoring="points"), d["sections"][1].update(weight=2)),
     [("sections[1].weight", "section weights only apply with `scoring: weighted_sections`; this checklist uses "
                             "`scoring: points`, so remove the weight")]),
    ("a kpi on the wrong type", set_in("sections", 0, "questions", 0, "kpi", value="queue_wait"),
     [(f"{Q0}.kpi", "kpi `queue_wait` needs a duration question (this one is yes_no)")]),
    ("a csat kpi on a 1 to 7 scale",
     lambda d: d["sections"][0]["questions"][1].update(max=7, kpi="csat"),
     [("sections[0].questions[1].kpi", "kpi `csat` needs a scale from 1 to 5")]),
    ("an unknown kpi", set_in("sections", 0, "questions", 0, "kpi", value="happiness"),
     [(f"{Q0}.kpi", "unknown kpi 'happiness' (expected one of: csat, ces, nps, fcr, greeting_time, queue_wait, "
                    "response_time, hold_time)")]),
]

# A checklist that is not a mapping at all: what a YAML file holds when it is a list, a single word or empty.
NOT_MAPPINGS: list[tuple[str, Any, str]] = [
    ("a list", ["in_store"], "a list"),
    ("a string", "in_store", "'in_store'"),
    ("nothing", None, "nothing"),
]


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(data)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_the_valid_base_checklist_is_valid() -> None:
    parse_checklist(valid())


@pytest.mark.parametrize(("name", "change", "expected"), CASES, ids=[case[0] for case in CASES])
def test_each_kind_of_problem_is_reported_at_its_place_in_plain_words(
    name: str, change: Change, expected: list[tuple[str, str]]
) -> None:
    assert problems_of(with_(change)) == expected


@pytest.mark.parametrize(("name", "data", "described"), NOT_MAPPINGS, ids=[case[0] for case in NOT_MAPPINGS])
def test_a_checklist_that_is_not_a_mapping_is_one_top_level_problem(name: str, data: Any, described: str) -> None:
    assert problems_of(data) == [("", f"a checklist must be a mapping of fields (like `key: value`), not {described}")]


def test_a_problem_carries_its_message_id_and_parameters_beside_its_english() -> None:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(with_(set_in("sections", 0, "questions", 0, "weight", value=-1)))
    (problem,) = caught.value.problems
    assert problem.message == "weight must not be negative (got -1)"
    assert problem.id == "%(what)s must not be negative (got %(got)s)"
    assert dict(problem.params) == {"what": "weight", "got": "-1"}
    assert isinstance(problem.params["what"], Word) and not isinstance(problem.params["got"], Word)
    assert problem.id % dict(problem.params) == problem.message
    assert Problem("key", "plain words").id == "plain words"


def test_every_problem_is_reported_at_once_in_document_order() -> None:
    data = valid()
    data["title"] = ""
    data["sections"][0]["questions"][0]["type"] = "yesno"
    data["sections"][0]["questions"][1]["weight"] = -2
    data["sections"][1]["questions"][0]["key"] = "friendly"
    data["sections"][1]["questions"][1]["show_if"] = {"question": "queue_wait", "equals": -1}
    data["grades"] = GRADES[:2]
    problems = problems_of(data)
    assert problems == [
        ("title", "text must not be empty"),
        ("grades[1].min", "the last grade band must have `min: 0`, so every score gets a grade"),
        (f"{Q0}.type", f"unknown question type 'yesno' (expected one of: {TYPES})"),
        ("sections[0].questions[1].weight", "weight must not be negative (got -2)"),
        ("sections[1].questions[0].key", "the key 'friendly' is already used at sections[0].questions[1]; every "
                                         "section and question needs its own key"),
        ("sections[1].questions[1].show_if.equals",
         "-1 can never be the answer to duration question 'queue_wait': durations are never negative"),
    ]


def test_the_error_message_is_one_line_per_problem() -> None:
    data = with_(lambda d: (d.update(title=""), d["sections"][0]["questions"][0].update(weight=-1)))
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(data)
    assert str(caught.value).splitlines() == [
        "title: text must not be empty",
        f"{Q0}.weight: weight must not be negative (got -1)",
    ]
    assert caught.value.problems == [
        Problem("title", "text must not be empty"),
        Problem(f"{Q0}.weight", "weight must not be negative (got -1)"),
    ]
    assert pickle.loads(pickle.dumps(caught.value)).problems == caught.value.problems


def test_the_input_is_not_changed_by_validation() -> None:
    data = valid()
    data["sections"][0]["questions"][0]["good"] = True
    before = copy.deepcopy(data)
    parse_checklist(data)
    assert data == before


# ---------------------------------------------------------------------------------------------------------------
# What a valid checklist reads as


def test_defaults_are_resolved_when_a_checklist_is_read() -> None:
    parsed = parse_checklist(checklist(section(
        "s",
        q("greeted", "yes_no"),
        q("wait", "duration", bands=QUEUE_BANDS),
        q("items", "number"),
        q("recommend", "nps"),
        q("intro", "note"),
    )))
    by_key = {question.key: question for _, question in parsed.questions()}
    assert [(k, by_key[k].weight, by_key[k].required, by_key[k].is_scored) for k in by_key] == [
        ("greeted", 1, True, True),
        ("wait", 1, True, True),
        ("items", 0, True, False),
        ("recommend", 0, True, False),
        ("intro", 0, False, False),
    ]
    assert by_key["greeted"].good == "yes"
    assert parsed.scoring == "weighted_sections"
    assert parsed.sections[0].weight == 1
    assert parsed.question("wait") is by_key["wait"]
    assert parsed.section_of("wait") is parsed.sections[0]
    with pytest.raises(KeyError):
        parsed.question("missing")


def test_yaml_booleans_for_yes_and_no_are_stored_as_words() -> None:
    parsed = parse_checklist(checklist(section(
        "s",
        q("greeted", "yes_no", good=False),
        q("paid", "choice", options=[opt(True, 1), opt(False, 0)]),
        q("thanked", "yes_no", show_if={"question": "greeted", "equals": True}),
    )))
    assert parsed.question("greeted").good == "no"
    assert [option.key for option in parsed.question("paid").options] == ["yes", "no"]
    show_if = parsed.question("thanked").show_if
    assert show_if is not None and show_if.values == ("yes",)


def test_numbers_are_read_exactly() -> None:
    parsed = parse_checklist(checklist(section(
        "s",
        q("a", "choice", options=[opt("x", 0.1), opt("y", "1/3"), opt("z", "0.25")], weight="2.5"),
    )))
    question = parsed.question("a")
    assert [option.fraction for option in question.options] == [Fraction(1, 10), Fraction(1, 3), Fraction(1, 4)]
    assert question.weight == Fraction(5, 2)


def test_checklist_to_data_writes_json_ready_data_with_exact_numbers() -> None:
    parsed = parse_checklist(checklist(section(
        "s",
        q("a", "choice", options=[opt("x", 0.1), opt("y", "1/3"), opt("z", 1)], weight="2.5"),
        q("b", "yes_no", show_if={"question": "a", "equals": "x"}, help={"en": "Look", "ja": "見て"}),
        q("intro", "note"),
    ), title={"en": "Example", "ja": "例"}))
    data = checklist_to_data(parsed)
    assert json.loads(json.dumps(data)) == data
    questions = data["sections"][0]["questions"]  # type: ignore[index]
    assert questions[0]["options"] == [
        {"key": "x", "text": "X", "fraction": "0.1"},
        {"key": "y", "text": "Y", "fraction": "1/3"},
        {"key": "z", "text": "Z", "fraction": 1},
    ]
    assert questions[0]["weight"] == "2.5"
    assert questions[1]["help"] == {"en": "Look", "ja": "見て"}
    assert questions[2] == {"key": "intro", "type": "note", "text": "Intro?", "allow_na": False}
    assert data["title"] == {"en": "Example", "ja": "例"}
    assert parse_checklist(data) == parsed


def test_text_falls_back_to_the_base_language_then_to_english() -> None:
    text = Text({"en": "Colour", "pt": "Cor", "en-US": "Color"})
    assert (text.get("pt-BR"), text.get("en-US"), text.get("ja"), str(text)) == ("Cor", "Color", "Colour", "Colour")
    assert text == Text({"en-US": "Color", "pt": "Cor", "en": "Colour"})
    assert Text("Hi") == Text({"en": "Hi"}) and hash(Text("Hi")) == hash(Text({"en": "Hi"}))
    assert text.languages == ("en", "en-US", "pt")
    with pytest.raises(AttributeError):
        text._items = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="English"):
        Text({"ja": "こんにちは"})
