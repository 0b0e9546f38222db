"""Each shipped checklist can be answered in full and scored: best answers, worst answers, show_if, criticals."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache

import pytest

from audit_app.services.checklists import library_dir, load_checklist_file
from scoring import NA, Checklist, Question, ScoreCard, score
from scoring.questions import fraction_earned
from scoring.show_if import show_if_answer

NAMES = ["in_store_visit", "online_experience", "phone_enquiry", "returns_after_sales"]

# Every critical question of the library and its effect: a change here is a change to the programme's rules.
CRITICALS = {
    ("in_store_visit", "safety_hazard"): ("zero_section", None),
    ("in_store_visit", "fire_exit_blocked"): ("cap", 50),
    ("in_store_visit", "staff_rude"): ("cap", 60),
    ("in_store_visit", "faulty_refund_denied"): ("cap", 70),
    ("online_experience", "hidden_charges"): ("cap", 70),
    ("online_experience", "chat_asked_card_details"): ("zero_visit", None),
    ("phone_enquiry", "agent_rude"): ("cap", 50),
    ("returns_after_sales", "refund_refused"): ("zero_visit", None),
    ("returns_after_sales", "refund_amount_correct"): ("cap", 60),
}

KPIS = {
    "in_store_visit": {"greeting_time": "greeting_time", "queue_wait": "queue_wait", "csat": "csat", "nps": "nps"},
    "online_experience": {"chat_response_time": "response_time"},
    "phone_enquiry": {"hold_time": "hold_time", "first_contact_resolution": "fcr", "customer_effort": "ces"},
    "returns_after_sales": {"customer_effort": "ces", "csat": "csat", "nps": "nps"},
}

# (checklist, routing question, answer that hides, answer that shows, the questions it hides and shows)
SHOW_IF_CASES = [
    (
        "in_store_visit",
        "checkout_type",
        "staffed",
        "self_checkout",
        ["self_checkout_staff_present", "self_checkout_needed_help", "self_checkout_help_time"],
    ),
    ("in_store_visit", "checkout_type", "self_checkout", "staffed", ["cashier_greeting", "transaction_time"]),
    ("in_store_visit", "safety_hazard", "no", "yes", ["hazard_photo"]),
    ("in_store_visit", "target_product_on_shelf", "yes", "no", ["out_of_stock_response"]),
    ("online_experience", "chat_status", "not_offered", "used", ["chat_response_time", "chat_answer"]),
    ("online_experience", "order_placed", "no", "yes", ["confirmation_email_minutes"]),
    ("phone_enquiry", "put_on_hold", "no", "yes", ["hold_permission_asked", "hold_time", "thanked_for_holding"]),
    ("returns_after_sales", "return_channel", "in_store", "by_post", ["return_label_provided"]),
    ("returns_after_sales", "return_channel", "by_post", "in_store", ["returns_queue_wait"]),
    ("returns_after_sales", "refund_refused", "yes", "no",
     ["refund_days", "refund_amount_correct", "refund_evidence_photo"]),
]


@cache
def checklist(name: str) -> Checklist:
    return load_checklist_file(library_dir() / f"{name}.yaml")


def candidates(question: Question) -> list[object]:
    """Answers worth trying for a question, enough to reach its best and its worst fraction."""
    kind = question.type
    if kind == "yes_no":
        return ["yes", "no"]
    if kind == "scale":
        assert question.min is not None and question.max is not None
        return list(range(question.min, question.max + 1))
    if kind == "choice":
        return [option.key for option in question.options]
    if kind == "multi":
        earning = [option.key for option in question.options if option.fraction > 0]
        return [earning, []] + [[option.key] for option in question.options]
    if kind in ("number", "duration"):
        bounds = {value for band in question.bands for value in (band.max, band.min) if value is not None}
        values = {Fraction(0)} | {bound + step for bound in bounds for step in (-1, 0, 1)}
        return sorted(int(value) for value in values if value >= 0) or [60]
    return {
        "nps": [10, 0],
        "text": ["Short dark hair, green apron, badge said Aiko."],
        "photo": ["uploads/receipt-0001.jpg"],
        "date": ["2026-11-20"],
        "time": ["10:30"],
    }[kind]


def extreme(question: Question, best: bool) -> object:
    """The first answer earning the highest (best) or lowest (worst) fraction of the question's points."""
    options = candidates(question)
    fractions = [fraction_earned(question, value)[1] for value in options]
    target = max(fractions) if best else min(fractions)
    return options[fractions.index(target)]


def answer_sheet(
    checklist: Checklist, *, best: bool = True, overrides: Mapping[str, object] = {}, na: bool = False
) -> dict[str, object]:
    """Answer every question the shopper would be shown, top to bottom, as a real visit would."""
    answers: dict[str, object] = {}
    for _, question in checklist.questions():
        if question.type == "note":
            continue
        if question.show_if is not None:
            target = checklist.question(question.show_if.question)
            given = answers.get(target.key)
            if given is None or given is NA:
                continue
            shown = {show_if_answer(target, value) for value in question.show_if.values}
            if fraction_earned(target, given)[0] not in shown:
                continue
        if question.key in overrides:
            answers[question.key] = overrides[question.key]
        elif na and question.allow_na:
            answers[question.key] = NA
        else:
            answers[question.key] = extreme(question, best)
    return answers


def overrides_to_show(checklist: Checklist, key: str) -> dict[str, object]:
    """Answers to the routing questions that make `key` shown (following show_if chains)."""
    question = checklist.question(key)
    if question.show_if is None:
        return {}
    overrides = overrides_to_show(checklist, question.show_if.question)
    overrides[question.show_if.question] = question.show_if.values[0]
    return overrides


def counted(card: ScoreCard) -> set[str]:
    return {result.key for result in card.questions() if result.excluded is None}


@pytest.mark.parametrize("name", NAMES)
def test_best_answers_score_one_hundred_percent_and_the_top_grade(name: str) -> None:
    card = score(checklist(name), answer_sheet(checklist(name)))

    assert card.is_complete, card.missing_required
    assert card.critical_failures == ()
    assert card.percent == 100
    assert card.grade == checklist(name).grades[0]
    assert all(section.percent in (None, 100) for section in card.sections)


@pytest.mark.parametrize("name", NAMES)
def test_best_answers_with_na_wherever_allowed_still_score_one_hundred_percent(name: str) -> None:
    card = score(checklist(name), answer_sheet(checklist(name), na=True))

    na_keys = [result.key for result in card.questions() if result.excluded == "na"]
    assert na_keys, "a real programme lets the shopper answer N/A somewhere"
    assert card.is_complete
    assert card.percent == 100


@pytest.mark.parametrize("name", NAMES)
def test_worst_answers_score_low_and_the_bottom_grade(name: str) -> None:
    card = score(checklist(name), answer_sheet(checklist(name), best=False))

    assert card.is_complete, card.missing_required
    assert card.base_percent is not None and card.base_percent < 20
    assert card.percent is not None and card.percent < 20
    assert card.grade == checklist(name).grades[-1]
    assert card.critical_failures != ()


@pytest.mark.parametrize("name", NAMES)
def test_every_question_can_be_shown_answered_and_scored(name: str) -> None:
    definition = checklist(name)
    for _, question in definition.questions():
        if question.type == "note":
            continue
        card = score(definition, answer_sheet(definition, overrides=overrides_to_show(definition, question.key)))

        result = card.question(question.key)
        assert result.excluded != "hidden", question.key
        assert result.answer is not None, question.key
        assert card.is_complete, (question.key, card.missing_required)
        assert card.percent is not None


def test_every_checklist_has_questions_that_show_if_hides() -> None:
    assert {case[0] for case in SHOW_IF_CASES} == set(NAMES)


@pytest.mark.parametrize(("name", "router", "hides", "shows", "dependants"), SHOW_IF_CASES)
def test_a_routing_answer_hides_and_shows_its_follow_up_questions(
    name: str, router: str, hides: str, shows: str, dependants: list[str]
) -> None:
    definition = checklist(name)
    hidden_card = score(definition, answer_sheet(definition, overrides={router: hides}))
    # Chained follow-ups (self-checkout help time needs "help needed: yes") get their own routing answers too.
    overrides = {router: shows}
    for key in dependants:
        overrides = {**overrides_to_show(definition, key), router: shows}
        shown_card = score(definition, answer_sheet(definition, overrides=overrides))
        assert shown_card.question(key).excluded != "hidden", key
        hidden = hidden_card.question(key)
        assert (hidden.excluded, hidden.earned, hidden.possible) == ("hidden", 0, 0), key
        assert key not in hidden_card.missing_required
    assert hidden_card.is_complete


def test_the_library_has_exactly_the_expected_critical_questions() -> None:
    found = {
        (name, question.key): (question.critical.effect, question.critical.cap)
        for name in NAMES
        for _, question in checklist(name).questions()
        if question.critical is not None
    }

    assert found == {key: (effect, None if cap is None else Fraction(cap)) for key, (effect, cap) in CRITICALS.items()}


@pytest.mark.parametrize(("name", "key"), sorted(CRITICALS))
def test_a_failed_critical_question_has_its_effect_on_an_otherwise_perfect_visit(name: str, key: str) -> None:
    definition = checklist(name)
    question = definition.question(key)
    failing = extreme(question, best=False)
    overrides = {**overrides_to_show(definition, key), key: failing}

    card = score(definition, answer_sheet(definition, overrides=overrides))

    effect, cap = CRITICALS[(name, key)]
    assert [(failure.question_key, failure.effect) for failure in card.critical_failures] == [(key, effect)]
    assert card.question(key).is_critical_failure
    assert card.base_percent is not None and card.percent is not None
    if effect == "zero_section":
        section = next(s for s in card.sections if s.key == definition.section_of(key).key)
        assert section.is_zeroed and section.earned == 0 and section.percent == 0
        assert card.percent == card.base_percent < 100
    elif effect == "zero_visit":
        assert card.percent == 0
        assert card.grade == definition.grades[-1]
    else:
        assert card.base_percent > cap
        assert card.percent == cap
        assert card.grade != definition.grades[0]


@pytest.mark.parametrize("name", NAMES)
def test_the_customer_service_kpis_are_on_the_expected_questions(name: str) -> None:
    found = {question.key: question.kpi for _, question in checklist(name).questions() if question.kpi is not None}

    assert found == KPIS[name]


def test_the_phone_checklist_scores_by_points_and_the_others_by_weighted_sections() -> None:
    assert {name: checklist(name).scoring for name in NAMES} == {
        "in_store_visit": "weighted_sections",
        "online_experience": "weighted_sections",
        "phone_enquiry": "points",
        "returns_after_sales": "weighted_sections",
    }
