"""One of each steps use case, wired (kept apart from the package's __init__ so that the
reminders package may import steps.queries without a cycle)."""

from __future__ import annotations

from dataclasses import dataclass

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.extraction.base import Extractor
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.planning import ReminderPlanning
from carenotes_server.services.steps.apply import StepsApplier
from carenotes_server.services.steps.preview import StepsPreview
from carenotes_server.services.steps.read import StepsReader


@dataclass(frozen=True)
class Steps:
    reader: StepsReader
    applier: StepsApplier
    preview: StepsPreview


def build_steps(
    db: Database,
    cipher: ClinicalCipher,
    clock: Clock,
    extractor: Extractor,
    planning: ReminderPlanning,
) -> Steps:
    return Steps(
        reader=StepsReader(db, cipher, clock),
        applier=StepsApplier(db, cipher, clock, planning),
        preview=StepsPreview(db, cipher, clock, extractor, planning),
    )
