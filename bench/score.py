"""How fast does `scoring.score` go? Prints figures beside a baseline measured in the same run; asserts nothing.

    python bench/score.py [--visits N] [--seed S]

Scores N varied answer sets against a built-in 60-question checklist that uses every question type (with
show_if, N/A and critical questions), and against the largest shipped checklist in checklists/*.yaml if there
is one. The baseline is a bare loop adding up the same Fractions/ints the visits' questions earn, timed in the
same run with the repeats interleaved; each figure is printed as the minimum and the median, beside its budget.
Then the worst cases the schema accepts (1,000 questions): per-visit time and compile time and memory.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import statistics
import sys
import time
import tracemalloc
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


def earned_fractions(checklist: Checklist, sets: Sequence[Mapping[str, object]]) -> list[list[object]]:
    """For each visit, the earned points of every question as score() finds them (Fractions, or 0 when excluded)."""
    return [[result.earned for result in score(checklist, answers).questions()] for answers in sets]


def baseline(fractions: Sequence[Sequence[object]]) -> None:
    """The bare loop: add up the same Fractions/ints a visit's questions earn, nothing else."""
    for earned in fractions:
        total = 0
        for value in earned:
            total += value  # type: ignore[operator]


def scoring(checklist: Checklist, sets: Sequence[Mapping[str, object]]) -> None:
    for answers in sets:
        score(checklist, answers)


def interleaved(repeats: int, runs: dict[str, Callable[[], None]]) -> dict[str, list[float]]:
    """Run each of `runs` `repeats` times, taking turns, so a slow moment of the machine hits them all alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return times


def rate_line(label: str, seconds: list[float], visits: int, budget: str = "") -> str:
    best, middle = min(seconds), statistics.median(seconds)
    return (f"  {label:<34}{visits / best:10,.0f} visits/s (min time)  {visits / middle:10,.0f} visits/s (median)"
            f"  {best / visits * 1e6:8.2f} µs/visit{budget}")


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
    fractions = earned_fractions(checklist, sets)
    times = interleaved(repeats, {"baseline": lambda: baseline(fractions), "score": lambda: scoring(checklist, sets)})
    print(f"{name}: {questions} questions, {len(checklist.sections)} sections, {visits} visits, "
          f"{repeats} interleaved repeats")
    print(f"  first score (compiles the plan):  {first * 1e3:8.2f} ms")
    print(rate_line(f"baseline (sum {questions} Fractions/ints):", times["baseline"], visits))
    print(rate_line("score():", times["score"], visits, f"   budget >= {SCORE_BUDGET:,} visits/s"))
    print(f"  ratio score/baseline (min times): {min(times['score']) / min(times['baseline']):8.2f}x")


# ---------------------------------------------------------------------------------------------------------------
# Worst cases the schema accepts

SCORE_BUDGET = 25_000  # visits/s for the 60-question checklist, one core
VISIT_BUDGET_MS = 20.0  # any accepted checklist of up to 1,000 questions, per visit
COMPILE_BUDGET_MB = 200.0
PRIMES_TO_100 = [p for p in range(2, 101) if all(p % d for d in range(2, int(p**0.5) + 1))]


def wrap(key: str, questions: list[dict[str, object]], per_section: int = 50) -> dict[str, object]:
    sections = [{"key": f"s{i}", "title": f"Section {i}", "weight": f"{i % 97 + 1}/{PRIMES_TO_100[i % 25]}",
                 "questions": questions[start:start + per_section]}
                for i, start in enumerate(range(0, len(questions), per_section))]
    return {"key": key, "title": key, "channel": "in_store", "grades": [{"min": 0, "label": "All"}],
            "sections": sections}


def huge_denominators(count: int) -> dict[str, object]:
    """Weights and option fractions at the bound: fractions over distinct primes up to 100, 4-decimal weights."""
    questions: list[dict[str, object]] = []
    for i in range(count):
        p, r = PRIMES_TO_100[i % 25], PRIMES_TO_100[(i * 7 + 3) % 25]
        weight = f"{i % (p - 1) + 1}/{p}" if i % 2 else f"{(i * 7919) % 9999 + 1}.{(i * 31) % 9999 + 1:04d}"
        questions.append({"key": f"q{i}", "type": "choice", "text": "Q", "weight": weight, "options": [
            {"key": "a", "text": "A", "fraction": f"1/{r}"}, {"key": "b", "text": "B", "fraction": "0.9999"},
            {"key": "c", "text": "C", "fraction": 1}]})
    return wrap("huge_denominators", questions)


def big_scales(count: int) -> dict[str, object]:
    """Scales of 0–1000 (and some of 1–999, 3–1000...), the most steps the schema accepts."""
    questions: list[dict[str, object]] = [
        {"key": f"q{i}", "type": "scale", "text": "Q", "min": i % 4, "max": 1000 - i % 3, "weight": f"{i % 89 + 1}/97"}
        for i in range(count)]
    return wrap("big_scales", questions)


def every_type(count: int) -> dict[str, object]:
    """The built-in checklist's mix of types, repeated to `count` questions."""
    template = built_in_checklist()
    from scoring import checklist_to_data

    data = checklist_to_data(template)
    base = [question for section in data["sections"] for question in section["questions"]]  # type: ignore[index, union-attr]
    where = {question["key"]: index for index, question in enumerate(base)}  # type: ignore[index]
    questions = []
    for i in range(count):
        question = dict(base[i % len(base)])  # type: ignore[arg-type]
        question["key"] = f"{question['key']}_{i}"
        if "show_if" in question:
            target = dict(question["show_if"])
            # The copy of its target made in the same round of copies.
            target["question"] = f"{target['question']}_{i - i % len(base) + where[target['question']]}"
            question["show_if"] = target
        questions.append(question)
    return wrap("every_type", questions, per_section=10)


def legacy_huge_denominators(count: int) -> dict[str, object]:
    """What the schema accepted before the bound (and still reads in stored versions): 1/p for 6-digit primes."""
    primes: list[int] = []
    candidate = 999_999
    while len(primes) < count:
        if all(candidate % d for d in range(2, int(candidate**0.5) + 1)):
            primes.append(candidate)
        candidate -= 2
    questions: list[dict[str, object]] = [
        {"key": f"q{i}", "type": "yes_no", "text": "Q", "weight": f"1/{p}"} for i, p in enumerate(primes)]
    return wrap("legacy", questions)


def worst_case(name: str, data: dict[str, object], visits: int, seed: int, repeats: int, *,
               stored: bool = False, budgeted: bool = True) -> None:
    gc.collect()
    tracemalloc.start()
    checklist = parse_checklist(data, stored=stored)
    sets = answer_sets(checklist, visits, seed)
    parsed = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    score(checklist, sets[0])
    compile_bytes = tracemalloc.get_traced_memory()[1] - parsed
    tracemalloc.stop()
    # Time the compile again without tracemalloc, on a fresh copy of the checklist (plans are kept per object).
    fresh = parse_checklist(data, stored=stored)
    started = time.perf_counter()
    score(fresh, sets[0])
    compile_seconds = time.perf_counter() - started
    fractions = earned_fractions(checklist, sets)
    times = interleaved(repeats, {"baseline": lambda: baseline(fractions), "score": lambda: scoring(checklist, sets)})
    questions = len(list(checklist.questions()))
    best, middle = min(times["score"]) / visits * 1e3, statistics.median(times["score"]) / visits * 1e3
    base_best = min(times["baseline"]) / visits * 1e3
    budget = f"budget <= {VISIT_BUDGET_MS:g} ms" if budgeted else "no budget: stored versions only"
    print(f"{name}: {questions} questions, {visits} visits, {repeats} interleaved repeats")
    print(f"  compile (first score):            {compile_seconds * 1e3:8.1f} ms, {compile_bytes / 2**20:7.1f} MB allocated"
          f" at peak   budget <= {COMPILE_BUDGET_MB:g} MB" if budgeted else
          f"  compile (first score):            {compile_seconds * 1e3:8.1f} ms, {compile_bytes / 2**20:7.1f} MB")
    print(f"  baseline (sum the earned Fractions): {base_best:8.3f} ms/visit (min)")
    print(f"  score():                          {best:8.3f} ms/visit (min) {middle:8.3f} ms/visit (median)   {budget}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of score()")
    parser.add_argument("--no-worst", action="store_true", help="skip the worst cases (they take a minute)")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, one core")
    checklist = built_in_checklist()
    bench("built-in", checklist, args.visits, args.seed, args.repeats)
    shipped = largest_shipped()
    if shipped is not None:
        bench(f"shipped {shipped.key}", shipped, args.visits, args.seed, args.repeats)
    if not args.no_worst:
        print("Worst cases the schema accepts (1,000 questions):")
        worst_case("huge denominators at the bound", huge_denominators(1000), 200, args.seed, 3)
        worst_case("1,000 scales of 0-1000", big_scales(1000), 200, args.seed, 3)
        worst_case("1,000 questions of every type", every_type(1000), 200, args.seed, 3)
        worst_case("stored before the bound: 200 weights 1/p, p ~ 10^6", legacy_huge_denominators(200), 20,
                   args.seed, 3, stored=True, budgeted=False)
    if args.profile:
        sets = answer_sets(checklist, args.visits, args.seed)
        profiler = cProfile.Profile()
        profiler.runcall(scoring, checklist, sets)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
