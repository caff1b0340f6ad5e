"""What the extractor has found so far in one note, shared by the clause readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from carenotes_server.domain.steps import MAX_TEXT_LENGTH, PlanStep

_QUOTE_CHARS = 120


def left_out(clause: str, reason: str) -> str:
    """A warning: which words of the note were left out, and why."""
    quote = " ".join(clause.split())
    if len(quote) > _QUOTE_CHARS:
        quote = quote[: _QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f'Left out "{quote}": {reason}'[:MAX_TEXT_LENGTH]


@dataclass
class Reading:
    checklist: list[str] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    stopped: set[str] = field(default_factory=set)  # canonical names, for filtering
    stops: list[str] = field(default_factory=list)  # as written, and canonical
    warnings: list[str] = field(default_factory=list)
    # Medicines the note says the patient already takes: planned only when the note
    # says to continue them ("Continue the rest").
    history: list[PlanStep] = field(default_factory=list)
    # The medicine named last, and in which sentence: what "hold it" or "take 1 tab bd"
    # in the same or the next sentence refers to.
    last_medicine: str = ""
    last_sentence: int = -1
    # When the last medicine step read starts and ends (None: ongoing), for a taper
    # continued in a new sentence ("... for six weeks. Then 14 mg for two weeks").
    course_start: int = 0
    course_end: int | None = None
    # The thing a sentence's later clauses call "it" ("Zio patch ...: wear it ...").
    topic: str = ""
    topic_sentence: int = -1

    def warn(self, clause: str, reason: str) -> None:
        self.warnings.append(left_out(clause, reason))

    def named(self, name: str, sentence: int) -> None:
        self.last_medicine, self.last_sentence = name, sentence

    def medicine_for(self, sentence: int, *, next_sentence: bool = False) -> str:
        """The medicine named in this sentence (or, if allowed, the one before)."""
        reach = 1 if next_sentence else 0
        if self.last_medicine and 0 <= sentence - self.last_sentence <= reach:
            return self.last_medicine
        return ""
