"""How fast does `scoring.score` go? Prints figures beside a baseline measured in the same run; asserts nothing.

    python bench/score.py [--visits N] [--seed S]

Scores N varied answer sets against a built-in 60-question checklist that uses every question type (with
show_if, N/A and critical questions), and against the largest shipped checklist in checklists/*.yaml if there
is one. The baseline loops over the same answer sets touching every value, so the ratio says how many times a
bare pass over the answers scoring costs.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring import NA, Checklist, Question, parse_checklist, score  # noqa: E402


def built_in_checklist() -> Checklist:
    """Six sections of ten questions: every scored type, some N/A, show_if and critical questions."""
    sections = []
    for s in range(6):
        prefix = f"s{s}"
        questions: list[dict[str, object]] = [
            {"key": f"{prefix}_greeted", "type": "yes_no", "text": "Greeted?", "allow_na": True,
             "critical": {"effect": "cap", "cap": 60}},
            {"key": f"{prefix}_clean", "type": "yes_no", "text": "Dirty floor?", "good": "no"},
            {"key": f"{prefix}_friendly", "type": "scale", "text": "Friendly?", "min": 1, "max": 5, "weight": 2},
            {"key": f"{prefix}_product", "type": "choice", "text": "Product knowledge", "options": [
                {"key": "none", "text": "None", "fraction": 0},
                {"key": "some", "text": "Some", "fraction": "1/3"},
                {"key": "good", "text": "Good", "fraction": 0.75},
                {"key": "expert", "text": "Expert", "fraction": 1}]},
            {"key": f"{prefix}_upsell", "type": "multi", "text": "What did staff offer?", "weight": 1.5, "options": [
                {"key": "bag", "text": "A bag", "fraction": 0.25},
                {"key": "card", "text": "Loyalty card", "fraction": 0.5},
                {"key": "extra", "text": "Accessory", "fraction": 0.5}]},
            {"key": f"{prefix}_queue", "type": "duration", "text": "Queue wait (s)", "bands": [
                {"max": 120, "fraction": 1}, {"max": 300, "fraction": 0.5}, {"fraction": 0}],
             "show_if": {"question": f"{prefix}_greeted", "equals": "yes"}},
            {"key": f"{prefix}_items", "type": "number", "text": "Items out of stock", "bands": [
                {"max": 0, "fraction": 1}, {"max": 3, "fraction": "2/3"}, {"fraction": 0}],
             "critical": {"effect": "zero_section"} if s == 2 else None},
            {"key": f"{prefix}_nps", "type": "nps", "text": "Recommend?", "weight": 1 if s % 2 else 0},
            {"key": f"{prefix}_comment", "type": "text", "text": "Comment", "required": False},
            {"key": f"{prefix}_receipt", "type": "photo", "text": "Receipt", "weight": 0.5},
        ]
        for question in questions:
            if question.get("critical") is None:
                question.pop("critical", None)
        sections.append({"key": prefix, "title": f"Section {s}", "weight": s + 1, "questions": questions})
    return parse_checklist({
        "key": "bench", "title": "Bench", "channel": "in_store",
        "grades": [{"min": 90, "label": "A"}, {"min": 75, "label": "B"}, {"min": 0, "label": "C"}],
        "sections": sections,
    })


def random_answer(question: Question, rng: random.Random) -> object:
    """A valid answer to `question`, N/A now and then where allowed, None (unanswered) rarely."""
    if question.type == "note" or rng.random() < 0.03:
        return None
    if question.allow_na and rng.random() < 0.1:
        return NA
    kind = question.type
    if kind == "yes_no":
        return rng.choice(["yes", "no", "yes", True])
    if kind == "scale":
        assert question.min is not None and question.max is not None
        return rng.randint(question.min, question.max)
    if kind == "choice":
        return rng.choice(question.options).key
    if kind == "multi":
        return [option.key for option in question.options if rng.random() < 0.5]
    if kind in ("number", "duration"):
        return rng.choice([rng.randint(0, 400), round(rng.uniform(0, 400), 1), str(rng.randint(0, 10))])
    if kind == "nps":
        return rng.randint(0, 10)
    if kind == "date":
        return f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if kind == "time":
        return f"{rng.randint(10, 19)}:{rng.randint(10, 59)}"
    return f"photos/{rng.randint(1, 10**6)}.jpg" if kind == "photo" else "Friendly, but the queue was long."


def answer_sets(checklist: Checklist, count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    sets = []
    for _ in range(count):
        answers = {}
        for _, question in checklist.questions():
            value = random_answer(question, rng)
            if value is not None:
                answers[question.key] = value
        sets.append(answers)
    return sets


def baseline(checklist: Checklist, sets: Sequence[Mapping[str, object]]) -> None:
    touched = 0
    for answers in sets:
        for key, value in answers.items():
            if value is not None:
                touched += 1


def scoring(checklist: Checklist, sets: Sequence[Mapping[str, object]]) -> None:
    for answers in sets:
        score(checklist, answers)


def best_of(repeats: int, run: Callable[[Checklist, Sequence[Mapping[str, object]]], None], checklist: Checklist,
            sets: Sequence[Mapping[str, object]]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(checklist, sets)
        times.append(time.perf_counter() - started)
    return min(times)


def largest_shipped() -> Checklist | None:
    try:
        import yaml  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    best: Checklist | None = None
    for path in sorted((ROOT / "checklists").glob("*.yaml")):
        try:
            checklist = parse_checklist(yaml.safe_load(path.read_text(encoding="utf-8")))
        except Exception as err:  # a broken shipped file is the checklist tests' business, not the bench's
            print(f"  (skipping {path.name}: {type(err).__name__})")
            continue
        if best is None or len(list(checklist.questions())) > len(list(best.questions())):
            best = checklist
    return best


def bench(name: str, checklist: Checklist, visits: int, seed: int, repeats: int) -> None:
    questions = len(list(checklist.questions()))
    sets = answer_sets(checklist, visits, seed)
    started = time.perf_counter()
    score(checklist, sets[0])  # first call compiles the plan
    first = time.perf_counter() - started
    base = best_of(repeats, baseline, checklist, sets)
    scored = best_of(repeats, scoring, checklist, sets)
    per_visit = scored / visits
    print(f"{name}: {questions} questions, {len(checklist.sections)} sections, {visits} visits, best of {repeats}")
    print(f"  first score (compiles the plan): {first * 1e3:8.2f} ms")
    print(f"  baseline (touch every answer):   {visits / base:10,.0f} visits/s  {base / visits * 1e6:7.2f} µs/visit")
    print(f"  score():                         {visits / scored:10,.0f} visits/s  {per_visit * 1e6:7.2f} µs/visit"
          f"  ({per_visit / questions * 1e6:.2f} µs/question)")
    print(f"  ratio score/baseline:            {scored / base:10.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of score()")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, one core")
    checklist = built_in_checklist()
    bench("built-in", checklist, args.visits, args.seed, args.repeats)
    shipped = largest_shipped()
    if shipped is not None:
        bench(f"shipped {shipped.key}", shipped, args.visits, args.seed, args.repeats)
    if args.profile:
        sets = answer_sets(checklist, args.visits, args.seed)
        profiler = cProfile.Profile()
        profiler.runcall(scoring, checklist, sets)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
