"""Quality gates for the rules extractor on the project's gold corpus."""

from __future__ import annotations

import pytest

from .corpus_notes import HELDOUT, NOTES, TUNE
from .score import Score, load_shared_notes, score_set

MIN_F1 = 0.90


def test_corpus_is_large_enough_and_split() -> None:
    assert len(NOTES) >= 65
    assert len(HELDOUT) >= 25
    assert all(n["id"].startswith("h") for n in HELDOUT)
    assert all(n["id"].startswith("t") for n in TUNE)
    assert len({n["id"] for n in NOTES}) == len(NOTES)
    assert sum(1 for n in NOTES if n.get("forbidden_any")) >= 5


def _assert_quality(score: Score) -> None:
    assert score.safety == 0
    assert score.f1 >= MIN_F1, f"F1 {score.f1:.3f} (p={score.precision:.3f} r={score.recall:.3f})"


def test_heldout_set_quality() -> None:
    _assert_quality(score_set(HELDOUT))


def test_whole_corpus_quality() -> None:
    _assert_quality(score_set(NOTES))


def test_shared_dev_set_quality() -> None:
    notes = load_shared_notes()
    if notes is None:
        pytest.skip("shared dev notes not present")
    _assert_quality(score_set(notes))
