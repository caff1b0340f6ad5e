"""What the extractor has found so far in one note, shared by the clause readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from carenotes_server.domain.steps import PlanStep


@dataclass
class Reading:
    checklist: list[str] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    stopped: set[str] = field(default_factory=set)  # canonical names, for filtering
    stops: list[str] = field(default_factory=list)  # as written, and canonical
