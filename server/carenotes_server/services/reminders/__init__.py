"""Reminders, by job: planning (written, cancelled, topped up with the plan), delivery
(claimed, fired, missed, made up), history (acknowledged, listed, counted, exported)
and replay (what the live stream reads). `Reminders` holds one of each for wiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.delivery import (
    DEFAULT_STALE_CLAIM_AFTER,
    ReminderDelivery,
)
from carenotes_server.services.reminders.history import ReminderHistory
from carenotes_server.services.reminders.planning import ReminderPlanning
from carenotes_server.services.reminders.replay import ReminderReplay


@dataclass(frozen=True)
class Reminders:
    planning: ReminderPlanning
    delivery: ReminderDelivery
    history: ReminderHistory
    replay: ReminderReplay


def build_reminders(
    db: Database,
    cipher: ClinicalCipher,
    clock: Clock,
    *,
    policy: MissedDosePolicy,
    ongoing_window: timedelta = timedelta(days=14),
    stale_claim_after: timedelta = DEFAULT_STALE_CLAIM_AFTER,
) -> Reminders:
    return Reminders(
        planning=ReminderPlanning(db, policy=policy, ongoing_window=ongoing_window),
        delivery=ReminderDelivery(db, clock, policy=policy, stale_claim_after=stale_claim_after),
        history=ReminderHistory(db, cipher, clock),
        replay=ReminderReplay(db, cipher),
    )
