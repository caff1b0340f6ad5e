"""Reminder rows seen from outside the processes, "time passing", and stream recorders.

Reminders are due at real local times (09:00, 21:00, ...). These tests never sleep for
hours: they make time pass for the rows instead, by UPDATE-ing `due_at` and
`window_ends_at` (and clearing `enqueued_at`, the scheduler's claim) in the database the
processes use. To the scheduler and the workers, which read the database and the system
clock, that is indistinguishable from the clock having moved forward to a few seconds
before the dose.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
from sqlalchemy import select, update

from carenotes.v1 import steps_pb2
from carenotes_server.db.database import Database
from carenotes_server.db.models import Reminder, User
from tests.e2e.processes import utcnow, wait_until

# One real zone per whole-hour UTC offset, none observing daylight saving today.
ZONES_BY_OFFSET = [
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "Pacific/Gambier",
    "Pacific/Pitcairn",
    "America/Phoenix",
    "America/Guatemala",
    "America/Bogota",
    "America/La_Paz",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "UTC",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Tashkent",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Fiji",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
]


def afternoon_timezone(now: datetime | None = None) -> str:
    """The zone where it is closest to 15:00 now: six hours from every 09:00/21:00 dose
    and from 08:00, so no real dose time falls within the scheduler's 120 s horizon
    while a test runs, whatever time of day the suite runs at."""
    moment = now or utcnow()

    def distance(zone: str) -> float:
        local = moment.astimezone(ZoneInfo(zone))
        minutes = local.hour * 60 + local.minute
        return abs(minutes - 15 * 60)

    return min(ZONES_BY_OFFSET, key=distance)


class Rows:
    """The deployment's reminder rows, read and moved in time by the test."""

    def __init__(self, database_url: str) -> None:
        self.db = Database(database_url, threads=2)

    def close(self) -> None:
        self.db.dispose()

    def reminders(self, patient_id: str) -> list[Reminder]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Reminder)
                    .where(Reminder.patient_id == uuid.UUID(patient_id))
                    .order_by(Reminder.due_at, Reminder.id)
                )
            )

    def get(self, reminder_id: uuid.UUID | str) -> Reminder:
        with self.db.read() as session:
            row = session.get(Reminder, uuid.UUID(str(reminder_id)))
            assert row is not None, reminder_id
            return row

    def delivery_counter(self, patient_id: str) -> int:
        """The patient's count of delivered reminders (the stream's delivery numbers)."""
        with self.db.read() as session:
            value = session.scalar(
                select(User.reminder_seq).where(User.id == uuid.UUID(patient_id))
            )
            return int(value or 0)

    def move(
        self,
        reminder_id: uuid.UUID,
        *,
        due_at: datetime,
        window_ends_at: datetime,
        claimed_at: datetime | None = None,
    ) -> None:
        """Time passes for one row: it is now due at due_at. Without claimed_at the
        scheduler's claim is cleared, so the scheduler enqueues it as it would any
        reminder coming into its horizon; with it, the row counts as already enqueued."""
        with self.db.write() as session:
            session.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id)
                .values(due_at=due_at, window_ends_at=window_ends_at, enqueued_at=claimed_at)
                .execution_options(synchronize_session=False)
            )

    def move_many(
        self,
        ids: Sequence[uuid.UUID],
        first_due: datetime,
        spacing: timedelta,
        *,
        window: timedelta = timedelta(hours=1),
    ) -> list[datetime]:
        """Rows due one after another from first_due, each open for `window`; their
        new due times."""
        dues = [first_due + spacing * i for i in range(len(ids))]
        for reminder_id, due in zip(ids, dues, strict=True):
            self.move(reminder_id, due_at=due, window_ends_at=due + window)
        return dues

    def wait_for(
        self, predicate: Callable[[list[Reminder]], bool], patient_id: str, *, timeout: float
    ) -> list[Reminder]:
        def probe() -> list[Reminder] | None:
            rows = self.reminders(patient_id)
            return rows if predicate(rows) else None

        return wait_until(probe, timeout=timeout, interval=0.1, what="reminder rows")


@dataclass
class Received:
    at: datetime
    reminder: steps_pb2.Reminder


@dataclass
class StreamRecorder:
    """Consumes a reminder stream on a thread, noting when each message arrived."""

    source: Iterator[steps_pb2.Reminder]
    cancel: Callable[[], None]
    received: list[Received] = field(default_factory=list)
    error: BaseException | None = None
    ended: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancelled: bool = False

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-recorder", daemon=True)
        self._thread.start()

    @classmethod
    def of_call(cls, call: grpc.Call) -> StreamRecorder:
        """A raw StreamReminders call from the generated stub."""
        return cls(call, call.cancel)  # type: ignore[arg-type]

    def _run(self) -> None:
        try:
            for reminder in self.source:
                with self._lock:
                    self.received.append(Received(utcnow(), reminder))
        except grpc.RpcError as e:
            if not (self._cancelled and e.code() == grpc.StatusCode.CANCELLED):
                self.error = e
        except BaseException as e:  # noqa: BLE001  # reported by the test thread
            self.error = e
        finally:
            self.ended.set()

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def ids(self) -> list[str]:
        return [m.reminder.id for m in self.messages()]

    def wait_count(self, count: int, *, timeout: float) -> list[Received]:
        def probe() -> list[Received] | None:
            if self.error is not None:
                raise AssertionError(f"the stream failed: {self.error!r}")
            got = self.messages()
            return got if len(got) >= count else None

        return wait_until(probe, timeout=timeout, interval=0.02, what=f"{count} streamed reminders")

    def stop(self, timeout: float = 5.0) -> None:
        self._cancelled = True
        self.cancel()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the stream consumer did not stop"


def lateness(messages: Sequence[Received], due: dict[str, datetime]) -> list[float]:
    """Seconds from due time to receipt on the stream, per message."""
    return [(m.at - due[m.reminder.id]).total_seconds() for m in messages]


def sleep_until(moment: datetime) -> None:
    delay = (moment - utcnow()).total_seconds()
    if delay > 0:
        time.sleep(delay)
