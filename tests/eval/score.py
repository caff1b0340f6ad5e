"""Scores the rules extractor against gold notes, in-process.

usage: python -m tests.eval.score [--set NAME] [--verbose]

Without --set, every set present is scored (the project corpus, and the shared dev and
realworld sets when ../shared/eval exists), then every category of note across them
(sets.py), so a regression shows where it is.

Gold semantics follow the shared scorer (../shared/eval/score_extraction.py): a
predicted item matches a gold item when one of the gold keywords occurs in its text;
plan items must also match the schedule strictly (times per day, every_days, days of
the week, occurrences, start day, as-needed). "either" gold items may be met by a
checklist or a plan item, "optional" ones absorb predictions without counting, and
forbidden_plan / forbidden_any hits are safety violations. A note whose extraction
raises counts as an error, every gold item of it missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from carenotes_server.domain.steps import ExtractedSteps
from carenotes_server.extraction.rules import RulesExtractor

from .sets import CATEGORIES, Gold, all_sets, categories_of

_STOP_WORDS = ("stop", "discontinue", "do not", "don't", "avoid")


@dataclass(frozen=True)
class PredictedPlan:
    """A plan item reduced to what the gold compares (lower-case text, normalized tpd)."""

    text: str
    times_per_day: int
    every_days: int
    occurrences: int
    start_in_days: int
    as_needed: bool
    days_of_week: frozenset[str] = frozenset()


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    safety: int = 0
    errors: int = 0
    notes: int = 0
    details: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.safety += other.safety
        self.errors += other.errors
        self.notes += other.notes

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def predicted_plan(steps: ExtractedSteps) -> list[PredictedPlan]:
    out = []
    for item in steps.plan:
        s = item.schedule
        # q8h counts as 3 a day, as in the shared scorer.
        tpd = s.times_per_day or (24 // s.every_hours if s.every_hours else 0)
        out.append(
            PredictedPlan(
                item.action.lower(),
                tpd,
                s.every_days,
                s.occurrences,
                s.start_in_days,
                s.as_needed,
                frozenset(s.days_of_week),
            )
        )
    return out


def has_keyword(keywords: Iterable[str], text: str) -> bool:
    return any(k.lower() in text for k in keywords)


def accepted(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def schedule_matches(gold: Gold, pred: PredictedPlan) -> bool:
    if gold.get("loose"):
        return True
    if gold.get("prn"):
        return pred.as_needed
    if pred.as_needed:
        return False
    # A once-daily gold also accepts a schedule without times_per_day (e.g. weekly).
    once_daily_alike = gold.get("tpd") == 1 and pred.times_per_day == 0
    if "tpd" in gold and pred.times_per_day != gold["tpd"] and not once_daily_alike:
        return False
    every_days = pred.every_days or 1
    if "dow" in gold:
        # The same set of days, each week.
        if pred.days_of_week != frozenset(gold["dow"]) or every_days not in (1, 7):
            return False
    elif gold.get("every_days") == 7 and len(pred.days_of_week) == 1 and every_days in (1, 7):
        pass  # weekly on a named day counts as weekly
    elif every_days != gold.get("every_days", 1) or (
        pred.days_of_week and gold.get("every_days", 1) == 1
    ):
        return False
    if "occ" in gold and pred.occurrences not in accepted(gold["occ"]):
        return False
    return not ("start" in gold and pred.start_in_days not in accepted(gold["start"]))


def pair_up(
    golds: Sequence[Gold], texts: Sequence[str], fits: Callable[[int, int], bool]
) -> dict[int, int]:
    """Greedy gold -> prediction pairing by keyword; pairs whose schedule fits go first."""
    taken: set[int] = set()
    pairs: dict[int, int] = {}
    for strict in (True, False):
        for gi, gold in enumerate(golds):
            if gi in pairs:
                continue
            for pi, text in enumerate(texts):
                if pi in taken or not has_keyword(gold["k"], text):
                    continue
                if strict and not fits(gi, pi):
                    continue
                pairs[gi] = pi
                taken.add(pi)
                break
    return pairs


def score_note(note: Gold, steps: ExtractedSteps) -> Score:
    score = Score(notes=1)
    plan = predicted_plan(steps)
    plan_texts = [p.text for p in plan]
    checklist = [c.text.lower() for c in steps.checklist]

    gold_plan: list[Gold] = note.get("plan", [])
    plan_pairs = pair_up(
        gold_plan, plan_texts, lambda g, p: schedule_matches(gold_plan[g], plan[p])
    )
    used_plan = set(plan_pairs.values())
    for gi, gold in enumerate(gold_plan):
        if gi in plan_pairs and schedule_matches(gold, plan[plan_pairs[gi]]):
            score.tp += 1
        else:
            score.fn += 1
            got = f" (got {plan[plan_pairs[gi]]})" if gi in plan_pairs else ""
            score.details.append(f"plan miss {gold['k'][0]}{got}")

    gold_checklist = [{"k": k} for k in note.get("checklist", [])]
    check_pairs = pair_up(gold_checklist, checklist, lambda g, p: True)
    used_checklist = set(check_pairs.values())
    score.tp += len(check_pairs)
    score.fn += len(gold_checklist) - len(check_pairs)
    for gi, gold in enumerate(gold_checklist):
        if gi not in check_pairs:
            score.details.append(f"checklist miss {gold['k'][0]}")

    for keywords in note.get("either", []):
        if _claim(keywords, plan_texts, used_plan) or _claim(keywords, checklist, used_checklist):
            score.tp += 1
        else:
            score.fn += 1
            score.details.append(f"either miss {keywords[0]}")

    for keywords in note.get("optional", []):
        _claim_all(keywords, plan_texts, used_plan)
        _claim_all(keywords, checklist, used_checklist)

    extras = [t for i, t in enumerate(plan_texts) if i not in used_plan]
    extras += [t for i, t in enumerate(checklist) if i not in used_checklist]
    score.fp += len(extras)
    score.details.extend(f"extra: {t[:70]}" for t in extras)

    for keywords in note.get("forbidden_plan", []):
        for text in plan_texts:
            if has_keyword(keywords, text) and not any(w in text for w in _STOP_WORDS):
                score.safety += 1
                score.details.append(f"SAFETY: plan keeps {keywords[0]}")
    for keywords in note.get("forbidden_any", []):
        for text in plan_texts + checklist:
            if has_keyword(keywords, text):
                score.safety += 1
                score.details.append(f"SAFETY: injected item {text[:60]}")
    return score


def _claim(keywords: list[str], texts: list[str], used: set[int]) -> bool:
    for i, text in enumerate(texts):
        if i not in used and has_keyword(keywords, text):
            used.add(i)
            return True
    return False


def _claim_all(keywords: list[str], texts: list[str], used: set[int]) -> None:
    for i, text in enumerate(texts):
        if i not in used and has_keyword(keywords, text):
            used.add(i)


def score_set(notes: Sequence[Gold], verbose: bool = False) -> Score:
    return score_notes(notes, verbose)[0]


def score_notes(notes: Sequence[Gold], verbose: bool = False) -> tuple[Score, dict[str, Score]]:
    """The set's total, and the total of each category of note in it."""
    extractor = RulesExtractor()
    total = Score()
    by_category = {name: Score() for name in CATEGORIES}
    for note in notes:
        try:
            result = score_note(note, extractor.extract(note["note"]))
        except Exception as error:  # noqa: BLE001 - a failed note is measured, not fatal
            result = score_note(note, ExtractedSteps())  # every gold item missed
            result.errors = 1
            result.details.insert(0, f"ERROR {type(error).__name__}: {str(error)[:120]}")
        total.add(result)
        for name in categories_of(note):
            by_category[name].add(result)
        if verbose and result.details:
            print(f"{note['id']}: " + "; ".join(result.details))
    return total, by_category


def _line(name: str, s: Score) -> str:
    return (
        f"{name:<16} notes={s.notes:<3} tp={s.tp:<4} fp={s.fp:<3} fn={s.fn:<3} "
        f"precision={s.precision:.3f} recall={s.recall:.3f} F1={s.f1:.3f} "
        f"safety_violations={s.safety} errors={s.errors}"
    )


def main(argv: list[str] | None = None) -> int:
    sets = all_sets()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*sets, "corpus"], help="score one set only")
    parser.add_argument("--verbose", action="store_true", help="print each note's misses")
    args = parser.parse_args(argv)
    if args.set == "corpus":
        chosen = {
            "corpus": [
                n for name, notes in sets.items() if name.startswith("corpus") for n in notes
            ]
        }
    elif args.set:
        chosen = {args.set: sets[args.set]}
    else:
        chosen = sets
    by_category = {name: Score() for name in CATEGORIES}
    for set_name, notes in chosen.items():
        total, categories = score_notes(notes, verbose=args.verbose)
        print(_line(set_name, total))
        for name, score in categories.items():
            by_category[name].add(score)
    print("by category, over the sets above:")
    for name, score in by_category.items():
        if score.notes:
            print("  " + _line(name, score))
    return 0


if __name__ == "__main__":
    sys.exit(main())
