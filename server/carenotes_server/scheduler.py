"""The scheduler: turns database state into timely messages. The database decides.

Each tick: enqueue `fire_reminder` (with a delay) for reminders due within a short
horizon that no scheduler has claimed (or whose claim went stale because the message
was lost), mark unanswered reminders MISSED and create their make-ups, top up ongoing
plans, and re-enqueue notes whose extraction message was lost. Several schedulers may
run at once: claims are atomic, and every consumer is idempotent.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from carenotes_server import metrics
from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import Note
from carenotes_server.services.reminders import Reminders
from carenotes_server.services.views import ExtractionStatus

log = logging.getLogger(__name__)

NOTE_REQUEUE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class TickReport:
    enqueued: int
    missed: int
    topped_up: int
    notes_requeued: int


class Scheduler:
    def __init__(
        self,
        db: Database,
        reminders: Reminders,
        clock: Clock,
        *,
        enqueue_fire: Callable[[uuid.UUID, int], None],
        enqueue_extraction: Callable[[uuid.UUID], None],
        horizon: timedelta,
        requeue_after: timedelta = NOTE_REQUEUE_AFTER,
    ) -> None:
        self._db = db
        self._reminders = reminders
        self._clock = clock
        self._enqueue_fire = enqueue_fire
        self._enqueue_extraction = enqueue_extraction
        self._horizon = horizon
        self._requeue_after = requeue_after

    def tick(self) -> TickReport:
        now = self._clock.now()
        enqueued = 0
        for reminder_id, due_at in self._reminders.delivery.claim_due(now, self._horizon):
            delay_ms = int(max(0.0, (due_at - now).total_seconds()) * 1000)
            try:
                self._enqueue_fire(reminder_id, delay_ms)
                enqueued += 1
            except Exception:  # noqa: BLE001  # broker down: the stale claim is picked up again later
                log.warning("could not enqueue a reminder", extra={"reminder_id": str(reminder_id)})
        missed = self._reminders.delivery.sweep_missed(now)
        topped = self._reminders.planning.top_up(now)
        requeued = self._requeue_stale_notes()
        report = TickReport(enqueued, missed, topped, requeued)
        metrics.safely(lambda: _record_tick(report))
        return report

    def _requeue_stale_notes(self) -> int:
        cutoff = self._clock.now() - self._requeue_after
        with self._db.write() as session:
            ids = list(
                session.scalars(
                    select(Note.id)
                    .where(
                        Note.extraction_status == ExtractionStatus.PENDING.value,
                        Note.created_at < cutoff,
                        or_(Note.requeued_at.is_(None), Note.requeued_at < cutoff),
                    )
                    .limit(100)
                )
            )
            if ids:
                session.execute(
                    update(Note).where(Note.id.in_(ids)).values(requeued_at=self._clock.now())
                )
        count = 0
        for note_id in ids:
            try:
                self._enqueue_extraction(note_id)
                count += 1
            except Exception:  # noqa: BLE001
                log.warning("could not re-enqueue an extraction", extra={"note_id": str(note_id)})
        return count

    def run(self, stop: threading.Event, interval_seconds: float) -> None:
        """Ticks until stop is set; a failing tick (database down) is logged and retried."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                metrics.safely(lambda: metrics.SCHEDULER_TICKS.labels("error").inc())
                log.exception("scheduler tick failed; retrying")
            stop.wait(interval_seconds)


def _record_tick(report: TickReport) -> None:
    metrics.SCHEDULER_TICKS.labels("ok").inc()
    metrics.REMINDERS_ENQUEUED.inc(report.enqueued)
    metrics.REMINDERS_MISSED.inc(report.missed)
    metrics.NOTES_REQUEUED.inc(report.notes_requeued)
