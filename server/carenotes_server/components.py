"""The composition root: builds every service of one process from settings.

Embedded mode (no Redis): the Dramatiq actors run on worker threads inside the server
process with an in-memory broker, the scheduler runs on a thread, and fired reminders
reach the streams directly. Production: the same actors run in `carenotes-server
worker` processes, the scheduler in `carenotes-server scheduler`, and fired reminders
reach every replica through Redis pub/sub. app.py runs the gRPC server over this.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from carenotes_server import metrics
from carenotes_server.broker_watch import BrokerWatch
from carenotes_server.clock import Clock, SystemClock
from carenotes_server.config import Settings
from carenotes_server.db.database import Database
from carenotes_server.db.migrate import require_current_schema, upgrade_to_head
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.tokens import TokenService
from carenotes_server.extraction.base import Extractor
from carenotes_server.extraction.factory import make_extractor
from carenotes_server.health import BrokerPing, ProcessHealth, SchedulerBeat, watch_pools
from carenotes_server.scheduler import Scheduler
from carenotes_server.services.accounts import AccountsService
from carenotes_server.services.care_team import CareTeamService
from carenotes_server.services.extraction_job import ExtractionJob
from carenotes_server.services.hashing import PasswordHasher
from carenotes_server.services.invitations import Invitations
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.notes import NotesService
from carenotes_server.services.reminders import Reminders, build_reminders
from carenotes_server.services.reminders.delivery import FIRE_EARLY_TOLERANCE
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.services.session_cache import (
    RedisRevocationAnnouncer,
    SessionCache,
)
from carenotes_server.services.signup import SignUps
from carenotes_server.services.steps.wiring import Steps, build_steps
from carenotes_server.services.throttle import LoginThrottle, RedisLoginThrottle, Throttle
from carenotes_server.streaming.hub import Announcement, ReminderFeed
from carenotes_server.streaming.relay import RedisAnnouncer
from carenotes_server.tasks import (
    EXTRACTION_QUEUE,
    REMINDER_QUEUE,
    TaskRuntime,
    Tasks,
    make_broker,
)
from carenotes_server.tracing import Tracing, make_tracing
from carenotes_server.workers import WorkerPools

log = logging.getLogger(__name__)


@dataclass
class Components:
    """Every service of one process, wired together."""

    settings: Settings
    clock: Clock
    db: Database
    cipher: ClinicalCipher
    extractor: Extractor
    hasher: PasswordHasher
    accounts: AccountsService
    signups: SignUps
    sessions: SessionCache
    care_team: CareTeamService
    notes: NotesService
    steps: Steps
    reminders: Reminders
    feed: ReminderFeed
    broker: dramatiq.Broker
    tasks: Tasks
    scheduler: Scheduler
    tracing: Tracing | None = None
    role: str = "serve"
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _pools: WorkerPools | None = None
    _metrics: metrics.MetricsServer | None = None
    _stopped: bool = False

    @property
    def metrics_port(self) -> int | None:
        return self._metrics.port if self._metrics is not None else None

    def start_background(self, *, worker: bool, scheduler: bool) -> None:
        if worker:
            self._pools = WorkerPools(
                self.broker,
                threads=self.settings.worker_threads,
                in_memory_poll_ms=self.settings.embedded_poll_ms,
            )
            self._pools.start()
            if self.settings.redis_url:
                self._threads.append(watch_pools(self._pools.health, self._stop))
        if scheduler:
            self.scheduler.beat = SchedulerBeat(self.settings.scheduler_interval_seconds)
            t = threading.Thread(
                target=self.scheduler.run,
                args=(self._stop, self.settings.scheduler_interval_seconds),
                name="scheduler",
                daemon=True,
            )
            t.start()
            self._threads.append(t)
        if self.settings.metrics_listen and self._metrics is None:
            self._metrics = metrics.start_metrics_server(
                self.settings.metrics_listen, health=self.process_health().wsgi
            )

    def process_health(self) -> ProcessHealth:
        """What GET /health on the metrics port reports for this process."""
        url = self.settings.redis_url
        return ProcessHealth(
            self.role,
            broker_up=BrokerPing(url) if url else None,
            pools=self._pools.health if self._pools is not None else None,
            scheduler=self.scheduler.beat,
        )

    def stop_background(self) -> None:
        """Stops the scheduler, then the workers (their waiting messages handed back)."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()  # first: the watchdog must not take a pool stopping for a dead one
        for t in self._threads:
            t.join(timeout=5)
        if self._pools is not None:
            self._pools.stop_taking_messages()
        self.tasks.stop_waiting()
        if self._pools is not None:
            self._pools.stop(timeout_ms=5_000)
        self.broker.close()
        self.hasher.shutdown()
        self.db.dispose()
        if self._metrics is not None:
            self._metrics.stop()
            self._metrics = None
        if self.tracing is not None:
            self.tracing.shutdown()


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    extractor: Extractor | None = None,
    migrate: bool | None = None,
    tracing: Tracing | None = None,
    role: str = "serve",
) -> Components:
    clock = clock or SystemClock()
    tracing = tracing or make_tracing(settings.otlp_endpoint, role=role)
    # Embedded SQLite migrates itself; any other database must already be at this
    # code's schema, or every call would fail later with an opaque database error.
    if migrate if migrate is not None else settings.is_sqlite:
        upgrade_to_head(settings.database_url)
    else:
        require_current_schema(settings.database_url)
    db = Database(settings.database_url, threads=settings.db_threads)
    if tracing is not None:
        from carenotes_server.tracing.database import instrument_engine

        for engine in {db.read_engine, db.write_engine}:
            instrument_engine(engine, tracing.tracer)
    cipher = ClinicalCipher(settings.keyring)
    extractor = extractor or make_extractor(
        settings.extractor,
        gemini_api_key=settings.gemini_api_key,
        gemini_model=settings.gemini_model,
        gemini_base_url=settings.gemini_base_url,
        openai_base_url=settings.openai_base_url,
        openai_api_key=settings.openai_api_key,
        openai_model=settings.openai_model,
        timeout_seconds=settings.llm_timeout_seconds,
        attempts=settings.llm_attempts,
    )
    hasher = PasswordHasher(
        concurrency=settings.hash_concurrency, queue_limit=settings.hash_queue_limit
    )
    tokens = TokenService(
        settings.jwt_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
        clock=clock,
    )
    throttle: Throttle = (
        RedisLoginThrottle(settings.redis_url, clock)
        if settings.redis_url
        else LoginThrottle(clock)
    )
    # Sign-ups count every attempt per host (not just failures): see services/signup.py.
    signup_throttle: Throttle = (
        RedisLoginThrottle(
            settings.redis_url,
            clock,
            max_failures=settings.signup_limit,
            base_lockout=timedelta(minutes=1),
            prefix="carenotes:signup",
        )
        if settings.redis_url
        else LoginThrottle(
            clock, max_failures=settings.signup_limit, base_lockout=timedelta(minutes=1)
        )
    )
    signups = SignUps(
        db, hasher, clock, throttle=signup_throttle, invitations=Invitations(db, clock)
    )
    policy = MissedDosePolicy(
        makeup_cap=settings.makeup_cap,
        max_window=timedelta(hours=settings.missed_window_max_hours)
        if settings.missed_window_max_hours > 0
        else None,
    )
    reminders = build_reminders(
        db,
        cipher,
        clock,
        policy=policy,
        ongoing_window=timedelta(days=settings.ongoing_window_days),
    )
    steps = build_steps(db, cipher, clock, extractor, reminders.planning)
    # The scheduler's broker runs Dramatiq's maintenance on every command (broker_watch).
    broker = make_broker(settings.redis_url, maintenance=role == "scheduler")
    if tracing is not None:
        from carenotes_server.tracing.actors import TracingMiddleware

        broker.add_middleware(TracingMiddleware(tracing.tracer))

    async def load_view(reminder_id: uuid.UUID) -> ReminderView | None:
        return await db.run(reminders.replay.load_view, reminder_id)

    async def load_views(ids: list[uuid.UUID]) -> dict[uuid.UUID, ReminderView | None]:
        return dict(await db.run(reminders.replay.load_views, ids))

    feed = ReminderFeed(load_view, load_many=load_views)
    sessions = SessionCache(clock, ttl=timedelta(seconds=settings.auth_cache_seconds))
    accounts = AccountsService(
        db,
        hasher,
        tokens,
        throttle,
        clock,
        sessions=sessions,
        announce_revocation=RedisRevocationAnnouncer(settings.redis_url)
        if settings.redis_url
        else None,
        on_revoked=lambda r: feed.revoke_threadsafe(r.session_id, r.user_id),
    )
    announce: Callable[[list[Announcement]], None] = (
        RedisAnnouncer(settings.redis_url) if settings.redis_url else feed.announce_many_threadsafe
    )
    tasks = Tasks(
        broker,
        TaskRuntime(
            ExtractionJob(db, cipher, extractor, steps.applier),
            reminders.delivery,
            _safe(announce),
            clock,
            max_wait=timedelta(seconds=settings.scheduler_horizon_seconds) + FIRE_EARLY_TOLERANCE,
        ),
    )
    notes = NotesService(db, cipher, clock, tasks.enqueue_extraction)
    scheduler = Scheduler(
        db,
        reminders,
        clock,
        enqueue_fire=tasks.enqueue_fire,
        enqueue_extraction=tasks.enqueue_extraction,
        horizon=timedelta(seconds=settings.scheduler_horizon_seconds),
        requeue_after=timedelta(seconds=settings.note_requeue_seconds),
        watch=BrokerWatch(settings.redis_url, broker, (REMINDER_QUEUE, EXTRACTION_QUEUE))
        if settings.redis_url and isinstance(broker, RedisBroker)
        else None,
    )
    return Components(
        settings,
        clock,
        db,
        cipher,
        extractor,
        hasher,
        accounts,
        signups,
        sessions,
        CareTeamService(db, clock),
        notes,
        steps,
        reminders,
        feed,
        broker,
        tasks,
        scheduler,
        tracing,
        role,
    )


def _safe(
    announce: Callable[[list[Announcement]], None],
) -> Callable[[list[Announcement]], None]:
    """Announcing is best effort: a lost announcement is replayed from the database."""

    def call(announcements: list[Announcement]) -> None:
        try:
            announce(announcements)
        except Exception:  # noqa: BLE001
            log.warning("could not announce fired reminders", extra={"count": len(announcements)})

    return call
