"""The scheduler: turns database state into timely messages. The database decides.

Each tick: claim the reminders due within the lead (a few seconds) that no scheduler
has claimed (or whose claim went stale because the message was lost) and enqueue one
`fire_reminders` message per instant, which a worker holds until the due time; mark
unanswered reminders MISSED and create their make-ups; top up ongoing plans; re-enqueue
notes whose extraction message was lost. With Redis: give every claim back when Redis
lost its data, and hand dead workers' messages on (broker_watch). Several schedulers
may run at once: claims are atomic, and every consumer is idempotent.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update

from carenotes_server import metrics
from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import Note
from carenotes_server.health import SchedulerBeat
from carenotes_server.services.reminders import Reminders
from carenotes_server.services.reminders.delivery import batches_of
from carenotes_server.services.views import ExtractionStatus

log = logging.getLogger(__name__)

NOTE_REQUEUE_AFTER = timedelta(seconds=60)
CLAIM_LIMIT = 500
# After a failed enqueue (Redis down), the next tick comes this soon: the claims were
# given back, and firing resumes as soon as Redis answers again.
BROKER_RETRY_SECONDS = 0.1

EnqueueFire = Callable[[Sequence[uuid.UUID], datetime], None]


class BrokerWatching(Protocol):
    def data_lost(self) -> bool: ...

    def requeue_from_dead_workers(self) -> None: ...


@dataclass(frozen=True)
class TickReport:
    enqueued: int
    missed: int
    topped_up: int
    notes_requeued: int
    broker_failed: bool = False
    claims_released: int = 0


class Scheduler:
    def __init__(
        self,
        db: Database,
        reminders: Reminders,
        clock: Clock,
        *,
        enqueue_fire: EnqueueFire,
        enqueue_extraction: Callable[[uuid.UUID], None],
        horizon: timedelta,
        requeue_after: timedelta = NOTE_REQUEUE_AFTER,
        watch: BrokerWatching | None = None,
        beat: SchedulerBeat | None = None,
    ) -> None:
        self._db = db
        self._reminders = reminders
        self._clock = clock
        self._enqueue_fire = enqueue_fire
        self._enqueue_extraction = enqueue_extraction
        self._horizon = horizon
        self._requeue_after = requeue_after
        self._watch = watch
        self.beat = beat
        # Said once when the broker goes away and once when it is back, not every retry.
        self._broker_down = False

    def tick(self) -> TickReport:
        released, broker_failed, lost = self._watch_broker()
        now = self._clock.now()
        enqueued, enqueue_failed = self._enqueue_due(now)
        missed = self._reminders.delivery.sweep_missed(now)
        topped = self._reminders.planning.top_up(now)
        requeued = self._requeue_stale_notes(everything=lost)
        report = TickReport(
            enqueued, missed, topped, requeued, broker_failed or enqueue_failed, released
        )
        self._note_broker(report.broker_failed)
        metrics.safely(lambda: _record_tick(report))
        if self.beat is not None:
            self.beat.ok()
        return report

    def _watch_broker(self) -> tuple[int, bool, bool]:
        """(claims given back, broker unreachable, data lost)."""
        if self._watch is None:
            return 0, False, False
        try:
            lost = self._watch.data_lost()
            self._watch.requeue_from_dead_workers()
        except Exception:  # noqa: BLE001 - Redis unreachable: enqueueing will fail too
            return 0, True, False
        if not lost:
            return 0, False, False
        released = self._reminders.delivery.release_claims()
        metrics.safely(metrics.BROKER_DATA_LOST.inc)
        log.warning(
            "the broker lost its messages; claimed reminders are enqueued again",
            extra={"reminders": released},
        )
        return released, False, True

    def _enqueue_due(self, now: datetime) -> tuple[int, bool]:
        """Claims and enqueues everything due within the lead; (enqueued, failed).

        Claims in rounds of CLAIM_LIMIT until none is left, so a morning peak of many
        thousand reminders is enqueued within one tick. A batch that cannot be
        enqueued is given back at once, with every batch after it.
        """
        enqueued = 0
        while True:
            claimed = self._reminders.delivery.claim_due(now, self._horizon, limit=CLAIM_LIMIT)
            batches = batches_of(claimed)
            for index, batch in enumerate(batches):
                try:
                    self._enqueue_fire(batch.reminder_ids, batch.due_at)
                except Exception:  # noqa: BLE001 - broker down: give the claims back
                    unsent = [i for b in batches[index:] for i in b.reminder_ids]
                    self._reminders.delivery.release(unsent)
                    return enqueued, True
                enqueued += len(batch.reminder_ids)
            if len(claimed) < CLAIM_LIMIT:
                return enqueued, False

    def _note_broker(self, failed: bool) -> None:
        if failed and not self._broker_down:
            log.warning("the broker is unreachable; reminders are enqueued when it is back")
        elif not failed and self._broker_down:
            log.info("the broker is reachable again")
        self._broker_down = failed

    def _requeue_stale_notes(self, *, everything: bool = False) -> int:
        cutoff = self._clock.now() - (timedelta(0) if everything else self._requeue_after)
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
            wait = interval_seconds
            try:
                if self.tick().broker_failed:
                    wait = min(interval_seconds, BROKER_RETRY_SECONDS)
            except Exception:
                metrics.safely(lambda: metrics.SCHEDULER_TICKS.labels("error").inc())
                log.exception("scheduler tick failed; retrying")
            stop.wait(wait)


def _record_tick(report: TickReport) -> None:
    metrics.SCHEDULER_TICKS.labels("ok").inc()
    metrics.REMINDERS_ENQUEUED.inc(report.enqueued)
    metrics.REMINDERS_MISSED.inc(report.missed)
    metrics.NOTES_REQUEUED.inc(report.notes_requeued)
