"""The gold note sets the rules extractor is measured on, and the kind of each note.

The project's own corpus (corpus_notes.py) tags its notes with `categories`; the shared
sets under ../shared/eval are read-only, so their notes are given categories here, by
note id. A note may be of several kinds, or of none (counted in its set's total only).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from .corpus_notes import HELDOUT, TUNE
from .corpus_realworld import REALWORLD

Gold = dict[str, Any]

SHARED_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval"

CATEGORIES = (
    "abbreviations",  # pharmacy and Latin shorthand, UK day counts, OD/OS/OU
    "history",  # history, allergies, exam findings, other prescribers, staff-only orders
    "conditional",  # "if ..." orders and as-needed items
    "holds",  # holds and stops, and the ongoing items around them
    "weekdays",  # named days, N times a week, weekly drugs
    "offsets",  # later starts: "tomorrow", "after 3 days", "in 2 weeks", tapers
    "checklist",  # one-time tasks, alone or next to a plan item in the same sentence
    "injection",  # text addressed to a program, not to the patient
)

_SHARED_CATEGORIES: dict[str, tuple[str, ...]] = {
    # dev_notes.py
    "d01": ("checklist",),
    "d03": ("checklist",),
    "d04": ("abbreviations", "checklist"),
    "d06": ("conditional", "checklist"),
    "d07": ("offsets",),
    "d09": ("weekdays", "offsets"),
    "d10": ("holds",),
    "d11": ("conditional", "checklist"),
    "d12": ("injection",),
    "d13": ("checklist",),
    "d15": ("weekdays", "checklist"),
    # realworld_notes.py
    "r01": ("history", "abbreviations", "checklist"),
    "r02": ("history", "conditional", "abbreviations"),
    "r03": ("weekdays", "abbreviations", "offsets"),
    "r04": ("history", "conditional", "checklist", "abbreviations"),
    "r05": ("weekdays", "offsets", "checklist"),
    "r06": ("abbreviations", "history", "offsets"),
    "r07": ("abbreviations", "checklist"),
    "r08": ("history", "offsets", "conditional"),
    "r09": ("history", "offsets", "checklist"),
    "r10": ("conditional", "checklist"),
    "r11": ("history", "weekdays"),
    "r12": ("history", "conditional", "offsets"),
    "r13": ("weekdays", "holds"),
    "r14": ("abbreviations",),
    "r15": ("history",),
    "r16": ("history",),
    "r17": ("history",),
    "r18": ("injection",),
    "r19": ("injection", "checklist"),
    "r20": ("offsets", "conditional", "checklist"),
    "r21": ("history", "weekdays", "offsets", "checklist"),
    "r22": ("history", "conditional", "checklist"),
    "r23": ("conditional", "holds", "offsets"),
    "r24": ("weekdays", "holds", "offsets"),
    "r25": ("history", "holds", "checklist"),
    "r26": ("abbreviations", "offsets", "checklist"),
    "r27": ("history", "holds", "weekdays", "offsets", "checklist"),
    "r28": ("holds", "checklist"),
    "r29": ("weekdays",),
    "r30": ("weekdays",),
}


def categories_of(note: Gold) -> tuple[str, ...]:
    tagged: tuple[str, ...] = tuple(note.get("categories", ()))
    return tagged or _SHARED_CATEGORIES.get(note["id"], ())


def load_shared(name: str) -> list[Gold] | None:
    """The shared set `name` (dev, realworld), or None where the shared folder is absent."""
    path = SHARED_DIR / f"{name}_notes.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"shared_{name}_notes", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    notes: list[Gold] = module.NOTES
    return notes


def all_sets() -> dict[str, list[Gold]]:
    """Every set present on this machine, by name."""
    sets: dict[str, list[Gold]] = {
        "corpus-tune": TUNE,
        "corpus-heldout": HELDOUT,
        "corpus-realworld": REALWORLD,
    }
    for name in ("dev", "realworld"):
        notes = load_shared(name)
        if notes is not None:
            sets[f"shared-{name}"] = notes
    return sets
