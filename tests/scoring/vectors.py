"""Hand-worked scoring examples: a checklist, the answers, and the figures two people get by hand.

Each vector's comment shows the arithmetic. In `expect`, numbers may be ints or strings Fraction() reads ("215/4",
"87.5"); `questions` maps a key to (earned, possible) when the question counts, or to its exclusion reason.
Only the figures named in `expect` are checked.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from scoring import NA

from .builders import QUEUE_BANDS, checklist, opt, q, section


@dataclass(frozen=True)
class Vector:
    name: str
    checklist: dict[str, Any]
    answers: dict[str, Any]
    expect: dict[str, Any] = field(default_factory=dict)


YES = {"type": "yes_no"}

VECTORS = [
    # ---------------------------------------------------------------------------------------------------------
    # Every question type
    Vector(
        "yes_no earns full points for the good answer and none for the other",
        checklist(section("s", q("greeted", "yes_no"), q("floor_dirty", "yes_no", good="no"),
                          q("smiled", "yes_no"), q("thanked", "yes_no", good=False))),
        {"greeted": "yes", "floor_dirty": "yes", "smiled": True, "thanked": False},
        # greeted: yes is good -> 1. floor_dirty: good is no, answered yes -> 0.
        # smiled: True reads as yes -> 1. thanked: good: false (YAML's bare no) means good no; answered no -> 1.
        # section 3 / 4 = 75 %.
        {"questions": {"greeted": (1, 1), "floor_dirty": (0, 1), "smiled": (1, 1), "thanked": (1, 1)},
         "answers": {"smiled": "yes", "thanked": "no"}, "sections": {"s": 75}, "percent": 75, "grade": "Good"},
    ),
    Vector(
        "scale earns linearly from min (nothing) to max (full)",
        checklist(section("s", q("friendly", "scale", min=1, max=5), q("speed", "scale", min=0, max=10, weight=2),
                          q("tidy", "scale", min=1, max=5))),
        {"friendly": 4, "speed": 7, "tidy": "1"},
        # friendly: (4 - 1) / (5 - 1) = 3/4 of weight 1 -> 3/4. speed: (7 - 0) / 10 = 7/10 of weight 2 -> 7/5.
        # tidy: the text "1" reads as 1 -> 0. earned 3/4 + 7/5 + 0 = 43/20; possible 1 + 2 + 1 = 4.
        # section (43/20) / 4 = 43/80 = 53.75 %.
        {"questions": {"friendly": ("3/4", 1), "speed": ("7/5", 2), "tidy": (0, 1)},
         "fractions": {"friendly": "3/4", "speed": "7/10", "tidy": 0}, "answers": {"tidy": 1},
         "earned": "43/20", "possible": 4, "percent": "215/4"},
    ),
    Vector(
        "choice earns the chosen option's fraction",
        checklist(section(
            "s",
            q("knowledge", "choice", options=[opt("none", 0), opt("some", "1/3"), opt("good", 0.75),
                                              opt("expert", 1)]),
            q("offered_help", "choice", weight=3, options=[opt(False, 0), opt(True, 1)]),
            q("advice", "choice", options=[opt("wrong"), opt("partly", "0.75"), opt("right", 1)]),
        )),
        {"knowledge": "some", "offered_help": True, "advice": "partly"},
        # knowledge: 1/3. offered_help: option keys written as bare yes/no read as "yes"/"no"; answer True is
        # "yes" -> 1 of weight 3 -> 3. advice: 3/4. earned 1/3 + 3 + 3/4 = 4/12 + 36/12 + 9/12 = 49/12;
        # possible 1 + 3 + 1 = 5. section (49/12) / 5 = 49/60 = 81.67 %.
        {"questions": {"knowledge": ("1/3", 1), "offered_help": (3, 3), "advice": ("3/4", 1)},
         "answers": {"offered_help": "yes"}, "percent": "245/3", "grade": "Good"},
    ),
    Vector(
        "multi sums the chosen fractions and caps the sum at one",
        checklist(section(
            "s",
            q("offered", "multi", options=[opt("bag", "1/4"), opt("card", 0.5), opt("extra", 0.5)]),
            q("extras", "multi", weight=2, options=[opt("bag", "1/4"), opt("card", 0.5), opt("extra", 0.5)]),
            q("nothing", "multi", options=[opt("bag", "1/4"), opt("card", 0.5)]),
        )),
        {"offered": ["card", "bag"], "extras": ("bag", "card", "extra"), "nothing": []},
        # offered: 1/4 + 1/2 = 3/4. extras: 1/4 + 1/2 + 1/2 = 5/4, capped at 1, of weight 2 -> 2.
        # nothing: an empty list chooses none -> 0. earned 3/4 + 2 + 0 = 11/4; possible 4. 11/16 = 68.75 %.
        # Answers come back in the checklist's option order.
        {"questions": {"offered": ("3/4", 1), "extras": (2, 2), "nothing": (0, 1)},
         "answers": {"offered": ("bag", "card"), "extras": ("bag", "card", "extra"), "nothing": ()},
         "percent": "275/4"},
    ),
    Vector(
        "number takes the first band that matches, max bands matching values up to and including max",
        checklist(section(
            "s",
            *(q(key, "number", bands=[{"max": 0, "fraction": 1}, {"max": 3, "fraction": "2/3"}, {"fraction": 0}])
              for key in ("aisle_a", "aisle_b", "aisle_c")),
        )),
        {"aisle_a": 0, "aisle_b": 3, "aisle_c": "3.5"},
        # aisle_a: 0 <= 0 -> 1. aisle_b: 3 > 0, 3 <= 3 -> 2/3. aisle_c: 7/2 is above both -> catch-all 0.
        # earned 5/3 of 3 -> 5/9 = 55.56 %.
        {"fractions": {"aisle_a": 1, "aisle_b": "2/3", "aisle_c": 0}, "answers": {"aisle_c": Fraction(7, 2)},
         "percent": "500/9"},
    ),
    Vector(
        "number min bands match values from min up",
        checklist(section(
            "s",
            *(q(key, "number", bands=[{"min": 50, "fraction": 1}, {"min": 20, "fraction": 0.5}, {"fraction": 0}])
              for key in ("basket_a", "basket_b", "basket_c")),
        )),
        {"basket_a": 50, "basket_b": 49.99, "basket_c": Decimal("5")},
        # basket_a: 50 >= 50 -> 1. basket_b: 49.99 (read as 4999/100, not a binary float) >= 20 -> 1/2.
        # basket_c: 5 -> 0. 3/2 of 3 = 50 %.
        {"fractions": {"basket_a": 1, "basket_b": "1/2", "basket_c": 0},
         "answers": {"basket_b": Fraction(4999, 100), "basket_c": 5}, "percent": 50},
    ),
    Vector(
        "duration bands score seconds the same way",
        checklist(section(
            "s",
            q("queue_wait", "duration", kpi="queue_wait", bands=QUEUE_BANDS),
            q("greeting_time", "duration", kpi="greeting_time", bands=QUEUE_BANDS),
            q("hold_time", "duration", bands=QUEUE_BANDS, weight=2),
        )),
        {"queue_wait": 120.0, "greeting_time": "300", "hold_time": Decimal("300.5")},
        # queue_wait 120 <= 120 -> 1. greeting_time 300 -> 1/2. hold_time 300.5 -> 0 of weight 2.
        # earned 3/2; possible 1 + 1 + 2 = 4 -> 37.5 %.
        {"questions": {"queue_wait": (1, 1), "greeting_time": ("1/2", 1), "hold_time": (0, 2)},
         "answers": {"queue_wait": 120, "greeting_time": 300, "hold_time": Fraction(601, 2)}, "percent": "37.5"},
    ),
    Vector(
        "nps is unscored by default and earns value over ten when weighted",
        checklist(section("s", q("recommend", "nps", kpi="nps"), q("recommend_weighted", "nps", weight=2),
                          q("greeted", "yes_no"))),
        {"recommend": 9, "recommend_weighted": 7, "greeted": "yes"},
        # recommend: weight 0 by default -> excluded (unscored), its answer kept for the NPS KPI.
        # recommend_weighted: 7/10 of 2 = 7/5. greeted: 1. (7/5 + 1) / (2 + 1) = (12/5) / 3 = 4/5 = 80 %.
        {"questions": {"recommend": "unscored", "recommend_weighted": ("7/5", 2), "greeted": (1, 1)},
         "answers": {"recommend": 9}, "percent": 80},
    ),
    Vector(
        "evidence types are unscored by default and earn full points when weighted and answered",
        checklist(section(
            "s",
            q("intro", "note"),
            q("comment", "text"),
            q("receipt", "photo", weight=1),
            q("visit_date", "date", weight=2),
            q("arrival", "time"),
            q("left_at", "time", weight="1/2"),
            q("greeted", "yes_no"),
        )),
        {"comment": "Friendly staff", "receipt": "uploads/ab12.jpg", "visit_date": datetime.date(2026, 3, 1),
         "arrival": "09:30", "left_at": datetime.time(10, 5), "greeted": "no"},
        # intro (note), comment and arrival: unscored. receipt: 1 of 1. visit_date: 2 of 2. left_at: 1/2 of 1/2.
        # greeted: 0 of 1. (1 + 2 + 1/2 + 0) / (1 + 2 + 1/2 + 1) = (7/2) / (9/2) = 7/9 = 77.78 %.
        {"questions": {"intro": "unscored", "comment": "unscored", "arrival": "unscored", "receipt": (1, 1),
                       "visit_date": (2, 2), "left_at": ("1/2", "1/2"), "greeted": (0, 1)},
         "answers": {"visit_date": "2026-03-01", "left_at": "10:05", "arrival": "09:30", "intro": None},
         "percent": "700/9", "grade": "Good", "is_complete": True},
    ),
    # ---------------------------------------------------------------------------------------------------------
    # Exclusions
    Vector(
        "an N/A answer counts in neither earned nor possible and does not leave the card incomplete",
        checklist(section("s", q("toilets_clean", "yes_no", allow_na=True), q("greeted", "yes_no"))),
        {"toilets_clean": NA, "greeted": "yes"},
        # toilets_clean excluded (na). greeted 1 of 1 -> 100 %.
        {"questions": {"toilets_clean": "na", "greeted": (1, 1)}, "answers": {"toilets_clean": NA},
         "percent": 100, "is_complete": True, "missing_required": [], "grade": "Excellent"},
    ),
    Vector(
        "a question hidden by show_if is not scored and its answer is ignored, even an invalid one",
        checklist(section(
            "s",
            q("bought", "yes_no"),
            q("receipt_given", "yes_no", show_if={"question": "bought", "equals": "yes"}),
            q("queue_wait", "duration", bands=QUEUE_BANDS, show_if={"question": "bought", "equals": True}),
        )),
        {"bought": "no", "receipt_given": "maybe", "queue_wait": -5},
        # bought: 0 of 1. The other two are hidden (bought is not yes): not scored, not validated, not required.
        # 0 / 1 = 0 %.
        {"questions": {"bought": (0, 1), "receipt_given": "hidden", "queue_wait": "hidden"},
         "answers": {"receipt_given": None}, "percent": 0, "missing_required": [], "is_complete": True},
    ),
    Vector(
        "a question shown by show_if is scored like any other",
        checklist(section(
            "s",
            q("bought", "yes_no"),
            q("receipt_given", "yes_no", show_if={"question": "bought", "equals": "yes"}),
            q("queue_wait", "duration", bands=QUEUE_BANDS, show_if={"question": "bought", "equals": True}),
        )),
        {"bought": "yes", "receipt_given": "no", "queue_wait": 90},
        # bought 1, receipt_given 0, queue_wait 90 <= 120 -> 1. 2 / 3 = 66.67 %.
        {"questions": {"bought": (1, 1), "receipt_given": (0, 1), "queue_wait": (1, 1)}, "percent": "200/3"},
    ),
    Vector(
        "show_if with in matches any listed value, and on a multi matches when the option is among those chosen",
        checklist(section(
            "s",
            q("payment", "choice", options=[opt("cash", 1), opt("card", 1), opt("app", 1)]),
            q("change_counted", "yes_no", show_if={"question": "payment", "in": ["cash"]}),
            q("card_offered_back", "yes_no", show_if={"question": "payment", "in": ["card", "app"]}),
            q("offered", "multi", options=[opt("bag", 0.5), opt("card", 0.5)]),
            q("card_explained", "yes_no", show_if={"question": "offered", "equals": "card"}),
        )),
        {"payment": "card", "change_counted": "yes", "card_offered_back": "no", "offered": ["card"],
         "card_explained": "yes"},
        # payment 1; change_counted hidden (card is not in [cash]); card_offered_back shown, 0; offered 1/2;
        # card_explained shown (card was chosen), 1. (1 + 0 + 1/2 + 1) / 4 = 5/8 = 62.5 %.
        {"questions": {"change_counted": "hidden", "card_offered_back": (0, 1), "offered": ("1/2", 1),
                       "card_explained": (1, 1)}, "percent": "62.5"},
    ),
    Vector(
        "a question depending on an N/A or hidden question is hidden",
        checklist(section(
            "s",
            q("bought", "yes_no", allow_na=True),
            q("paid_by_card", "yes_no", show_if={"question": "bought", "equals": "yes"}),
            q("pin_asked", "yes_no", show_if={"question": "paid_by_card", "equals": "yes"}),
            q("greeted", "yes_no"),
        )),
        {"bought": NA, "paid_by_card": "yes", "pin_asked": "yes", "greeted": "yes"},
        # bought N/A -> paid_by_card hidden (its question was not answered) -> pin_asked hidden in turn.
        # greeted 1 of 1 -> 100 %.
        {"questions": {"bought": "na", "paid_by_card": "hidden", "pin_asked": "hidden", "greeted": (1, 1)},
         "percent": 100},
    ),
    Vector(
        "unanswered questions are excluded; required ones also make the card incomplete",
        checklist(section(
            "s",
            q("greeted", "yes_no"),
            q("store_rating", "scale", min=1, max=5, required=False),
            q("thanked", "yes_no"),
            q("comment", "text"),
        )),
        {"greeted": "yes", "thanked": None},
        # greeted 1 of 1. store_rating optional, unanswered. thanked required, None means unanswered.
        # comment required but unscored: excluded as unscored (that reason comes first), still missing.
        # 1 / 1 = 100 %, but incomplete: thanked and comment are missing.
        {"questions": {"store_rating": "unanswered", "thanked": "unanswered", "comment": "unscored"},
         "percent": 100, "missing_required": ["thanked", "comment"], "is_complete": False},
    ),
    Vector(
        "a question with weight 0 is excluded as zero_weight",
        checklist(section("s", q("greeted", "yes_no", weight=0), q("smiled", "yes_no"))),
        {"greeted": "no", "smiled": "yes"},
        # greeted counts for nothing: excluded. smiled 1 of 1 -> 100 %.
        {"questions": {"greeted": "zero_weight", "smiled": (1, 1)}, "percent": 100},
    ),
    Vector(
        "exclusion reasons take precedence in the order hidden, na, unscored, zero_weight, unanswered",
        checklist(section(
            "s",
            q("bought", "yes_no"),
            q("receipt_given", "yes_no", allow_na=True, show_if={"question": "bought", "equals": "yes"}),
            q("comment", "text", allow_na=True),
            q("summary", "text", required=False),
            q("smiled", "yes_no", weight=0, allow_na=True),
            q("thanked", "yes_no", weight=0, required=False),
        )),
        {"bought": "no", "receipt_given": NA, "comment": NA, "smiled": NA},
        # receipt_given is hidden and N/A -> hidden. comment is unscored and N/A -> na.
        # summary is unscored and unanswered -> unscored. smiled weight 0 and N/A -> na.
        # thanked weight 0 and unanswered -> zero_weight. Only bought counts: 0 / 1 = 0 %.
        {"questions": {"receipt_given": "hidden", "comment": "na", "summary": "unscored", "smiled": "na",
                       "thanked": "zero_weight", "bought": (0, 1)}, "percent": 0},
    ),
    # ---------------------------------------------------------------------------------------------------------
    # Sections and the overall
    Vector(
        "weighted_sections averages section percents by section weight",
        checklist(
            section("a", q("greeted", "yes_no"), q("thanked", "yes_no"), weight=1),
            section("b", q("friendly", "scale", min=1, max=5), weight=3),
            section("c", q("clean", "yes_no"), weight=0.5),
        ),
        {"greeted": "yes", "thanked": "no", "friendly": 4, "clean": "yes"},
        # a: 1/2 = 50 %. b: 3/4 = 75 %. c: 100 %.
        # (1 x 50 + 3 x 75 + 0.5 x 100) / (1 + 3 + 0.5) = (50 + 225 + 50) / 4.5 = 325 / 4.5 = 650/9 = 72.22 %.
        # earned and possible are plain sums: (1 + 3/4 + 1) of (2 + 1 + 1) = 11/4 of 4.
        {"sections": {"a": 50, "b": 75, "c": 100}, "percent": "650/9", "base_percent": "650/9",
         "earned": "11/4", "possible": 4, "grade": "Needs improvement"},
    ),
    Vector(
        "points adds earned and possible over all questions, ignoring sections",
        checklist(
            section("a", q("greeted", "yes_no"), q("thanked", "yes_no")),
            section("b", q("friendly", "scale", min=1, max=5)),
            section("c", q("clean", "yes_no")),
            scoring="points",
        ),
        {"greeted": "yes", "thanked": "no", "friendly": 4, "clean": "yes"},
        # The same answers as the weighted example: (1 + 0 + 3/4 + 1) / 4 = (11/4) / 4 = 11/16 = 68.75 %.
        {"sections": {"a": 50, "b": 75, "c": 100}, "percent": "275/4", "earned": "11/4", "possible": 4,
         "grade": "Needs improvement"},
    ),
    Vector(
        "a section with nothing possible has no percent and counts in neither method",
        checklist(
            section("a", q("greeted", "yes_no")),
            section("b", q("toilets_clean", "yes_no", allow_na=True), q("comment", "text"), weight=3),
        ),
        {"greeted": "yes", "toilets_clean": NA, "comment": "fine"},
        # a: 100 %. b: N/A and unscored only -> no percent, so its weight 3 does not count: 1 x 100 / 1 = 100 %.
        {"sections": {"a": 100, "b": None}, "percent": 100, "possible": 1},
    ),
    Vector(
        "with every counted section weighing 0 there is no overall percent and no grade",
        checklist(section("a", q("greeted", "yes_no"), weight=0)),
        {"greeted": "yes"},
        # a: 100 %, but the sum of section weights is 0, so the weighted average is undefined.
        {"sections": {"a": 100}, "percent": None, "base_percent": None, "grade": None},
    ),
    Vector(
        "weights written as decimals are exact: 0.1 + 0.2 is 0.3",
        checklist(section("s", q("a", "yes_no", weight=0.1), q("b", "yes_no", weight=0.2),
                          q("c", "yes_no", weight=0.3)), scoring="points"),
        {"a": "yes", "b": "yes", "c": "no"},
        # earned 1/10 + 2/10 = 3/10 exactly; possible 6/10. (3/10) / (6/10) = 50 % exactly.
        {"earned": "3/10", "possible": "3/5", "percent": 50},
    ),
    # ---------------------------------------------------------------------------------------------------------
    # Critical questions
    Vector(
        "zero_section sets its section's earned points to 0 before the overall is computed",
        checklist(
            section("safety", q("hazard_free", "yes_no", critical={"effect": "zero_section"}),
                    q("clean", "yes_no")),
            section("service", q("greeted", "yes_no")),
        ),
        {"hazard_free": "no", "clean": "yes", "greeted": "yes"},
        # safety: 1/2 before the effect; zeroed: earned 0 of 2 -> 0 %. service: 100 %.
        # (1 x 0 + 1 x 100) / 2 = 50 %: the base percent already includes the zeroed section.
        {"sections": {"safety": 0, "service": 100}, "zeroed": ["safety"], "percent": 50, "base_percent": 50,
         "earned": 1, "possible": 3, "critical_failures": [("hazard_free", "zero_section", None)],
         "questions": {"hazard_free": (0, 1), "clean": (1, 1)}},
    ),
    Vector(
        "zero_section in a points checklist keeps the section's possible points",
        checklist(
            section("safety", q("hazard_free", "yes_no", critical={"effect": "zero_section"}),
                    q("clean", "yes_no")),
            section("service", q("greeted", "yes_no")),
            scoring="points",
        ),
        {"hazard_free": "no", "clean": "yes", "greeted": "yes"},
        # safety zeroed: 0 of 2. service 1 of 1. 1 / 3 = 33.33 %.
        {"sections": {"safety": 0, "service": 100}, "percent": "100/3", "earned": 1, "possible": 3},
    ),
    Vector(
        "zero_visit sets the overall to 0 and keeps the base percent on the card",
        checklist(section("s", q("id_checked", "yes_no", critical={"effect": "zero_visit"}),
                          q("greeted", "yes_no"), q("thanked", "yes_no"))),
        {"id_checked": "no", "greeted": "yes", "thanked": "yes"},
        # base: 2 / 3 = 66.67 %; zero_visit -> 0 %, graded Poor. Sections keep their own percent.
        {"base_percent": "200/3", "percent": 0, "grade": "Poor", "sections": {"s": "200/3"},
         "critical_failures": [("id_checked", "zero_visit", None)]},
    ),
    Vector(
        "with several caps the lowest wins",
        checklist(section(
            "s",
            q("greeted", "yes_no", critical={"effect": "cap", "cap": 75}),
            q("staff_polite", "yes_no", critical={"effect": "cap", "cap": 60}),
            *(q(f"check_{n}", "yes_no") for n in range(8)),
        )),
        {"greeted": "no", "staff_polite": "no", **{f"check_{n}": "yes" for n in range(8)}},
        # base 8 / 10 = 80 %. Caps 75 and 60 both failed: the overall is at most 60 -> 60 %.
        {"base_percent": 80, "percent": 60, "grade": "Needs improvement",
         "critical_failures": [("greeted", "cap", 75), ("staff_polite", "cap", 60)]},
    ),
    Vector(
        "a cap above the score changes nothing",
        checklist(section("s", q("greeted", "yes_no", critical={"effect": "cap", "cap": 90}),
                          q("thanked", "yes_no"))),
        {"greeted": "no", "thanked": "yes"},
        # base 1 / 2 = 50 %; the cap at 90 does not bite, but the failure is still listed.
        {"base_percent": 50, "percent": 50, "critical_failures": [("greeted", "cap", 90)]},
    ),
    Vector(
        "zero_section applies before the overall and a cap after it",
        checklist(
            section("safety", q("hazard_free", "yes_no", critical={"effect": "zero_section"}),
                    q("exits_clear", "yes_no")),
            section("service", q("polite", "yes_no", critical={"effect": "cap", "cap": 40}),
                    *(q(f"check_{n}", "yes_no") for n in range(3))),
            scoring="points",
        ),
        {"hazard_free": "no", "exits_clear": "yes", "polite": "no", **{f"check_{n}": "yes" for n in range(3)}},
        # safety zeroed: 0 of 2. service: 3 of 4. base (0 + 3) / (2 + 4) = 50 %; cap 40 -> 40 %.
        {"base_percent": 50, "percent": 40, "sections": {"safety": 0, "service": 75}},
    ),
    Vector(
        "a critical question fails on less than full points, not only on zero",
        checklist(section(
            "s",
            q("advice", "choice", options=[opt("wrong", 0), opt("partly", 0.5), opt("right", 1)],
              critical={"effect": "cap", "cap": 70}),
            q("friendly", "scale", min=1, max=5, critical={"effect": "zero_visit"}),
            q("offered", "multi", options=[opt("bag", 0.5), opt("card", 0.5)], critical={"effect": "cap", "cap": 10}),
        )),
        {"advice": "partly", "friendly": 5, "offered": ["bag", "card"]},
        # advice earns 1/2 < 1: fails (cap 70). friendly 5 of 1..5 is full: passes. offered 1/2 + 1/2 = 1: passes.
        # base (1/2 + 1 + 1) / 3 = 5/6 = 83.33 %; capped at 70 %.
        {"base_percent": "250/3", "percent": 70, "critical_failures": [("advice", "cap", 70)],
         "questions": {"friendly": (1, 1)}},
    ),
    Vector(
        "N/A, hidden and unanswered critical questions never fail",
        checklist(section(
            "s",
            q("bought", "yes_no"),
            q("fire_exit_clear", "yes_no", allow_na=True, critical={"effect": "zero_visit"}),
            q("receipt_correct", "yes_no", show_if={"question": "bought", "equals": "yes"},
              critical={"effect": "zero_visit"}),
            q("id_checked", "yes_no", required=False, critical={"effect": "zero_visit"}),
        )),
        {"bought": "no", "fire_exit_clear": NA, "receipt_correct": "no"},
        # fire_exit_clear N/A, receipt_correct hidden (its "no" is ignored), id_checked unanswered: no failures.
        # Only bought counts: 0 / 1 = 0 %, and it is the base score, not a zero_visit.
        {"critical_failures": [], "percent": 0, "base_percent": 0,
         "questions": {"fire_exit_clear": "na", "receipt_correct": "hidden", "id_checked": "unanswered"}},
    ),
    # ---------------------------------------------------------------------------------------------------------
    # Grades
    Vector(
        "a percent exactly at a band's min reaches it",
        checklist(section("s", *(q(f"check_{n}", "yes_no") for n in range(10))), scoring="points"),
        {**{f"check_{n}": "yes" for n in range(9)}, "check_9": "no"},
        # 9 / 10 = 90 % exactly -> Excellent (min 90).
        {"percent": 90, "grade": "Excellent"},
    ),
    Vector(
        "the grade is decided on the exact percent, not the rounded one",
        checklist(section("s", q("met", "yes_no", weight="0.8999"), q("missed", "yes_no", weight="0.1001"))),
        {"met": "yes", "missed": "no"},
        # 0.8999 / (0.8999 + 0.1001) = 89.99 %: shows as 90.0 but does not reach Excellent (90) -> Good.
        {"percent": "8999/100", "grade": "Good", "display": "90.0"},
    ),
]
