"""The gRPC server over the components of one process (components.py), with health,
reflection, the Redis relay of announcements and revocations, and clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable

import grpc
import redis.asyncio as aioredis
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy import text

from carenotes.v1 import auth_pb2_grpc, care_pb2_grpc, steps_pb2_grpc
from carenotes_server import metrics
from carenotes_server.components import Components, build
from carenotes_server.config import Settings
from carenotes_server.db.database import Database
from carenotes_server.grpc_api.auth_servicer import AuthServicer
from carenotes_server.grpc_api.care_servicer import CareServicer
from carenotes_server.grpc_api.interceptor import AuthInterceptor
from carenotes_server.grpc_api.policy import build_policy_table, services
from carenotes_server.grpc_api.reflection import enable_reflection
from carenotes_server.grpc_api.steps_servicer import StepsServicer
from carenotes_server.services.caller import Caller
from carenotes_server.services.session_cache import (
    REVOCATIONS_CHANNEL,
    Revocation,
)
from carenotes_server.startup import StartupError, summary
from carenotes_server.streaming.follow import build_follower
from carenotes_server.streaming.relay import CHANNEL as FEED_CHANNEL
from carenotes_server.streaming.relay import handle_announcement, relay_channels

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
SERVER_OPTIONS: list[tuple[str, int]] = [
    # gRPC sets SO_REUSEPORT by default: a second server on a port in use would then
    # start "successfully" and take half of the connections (to another database, say).
    # Without it the bind fails and start-up stops with a clear message.
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    # Long-lived reminder streams: ping idle connections so dead peers are noticed and
    # NATs keep the flow, and accept clients' keepalive pings every 20 s.
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 20_000),
    ("grpc.http2.max_pings_without_data", 0),
    # Recycle connections every 30 min so new replicas behind an L4 balancer get load;
    # open reminder streams then end and clients resume from their cursor.
    ("grpc.max_connection_age_ms", 30 * 60_000),
    ("grpc.max_connection_age_grace_ms", 30_000),
]
SERVICE_NAMES = [svc.full_name for svc in services()]
# Health of dependencies, on their own names so the API services stay SERVING (notes are
# accepted while Redis is down; the database being down shows as UNAVAILABLE per call).
BROKER_HEALTH = "carenotes.broker"
DATABASE_HEALTH = "carenotes.database"


def _bind(server: grpc.aio.Server, listen: str, creds: grpc.ServerCredentials | None) -> int:
    try:
        port = (
            server.add_insecure_port(listen)
            if creds is None
            else server.add_secure_port(listen, creds)
        )
    except RuntimeError:  # grpcio >= 1.60 raises where older releases returned 0
        port = 0
    if port == 0:
        raise StartupError(
            f"cannot listen on {listen}: the address is in use (another carenotes-server?) "
            "or not available on this host; stop the other process or set CARENOTES_LISTEN"
        )
    return port


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    client_ca = settings.tls_client_ca_file.read_bytes() if settings.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [(settings.tls_key_file.read_bytes(), settings.tls_cert_file.read_bytes())],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )


class CarenotesServer:
    """One grpc.aio server over Components, with health, reflection and clean shutdown."""

    def __init__(self, components: Components, *, listen: str | None = None) -> None:
        self.c = components
        self.listen = listen or components.settings.listen
        self.port = 0
        self.health = health.aio.HealthServicer()
        self._server: grpc.aio.Server | None = None
        self._relay: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._dependency_state: dict[str, bool] = {}

    async def _authenticate(self, token: str) -> Caller:
        # A cached session is answered on the event loop (a JWT check and a dict lookup);
        # only a miss pays the hop to the database pool.
        cached = self.c.accounts.authenticate_cached(token)
        if cached is not None:
            return cached
        return await self.c.db.run(self.c.accounts.authenticate, token)

    async def start(self) -> int:
        c = self.c
        c.feed.attach(asyncio.get_running_loop())
        interceptors: list[grpc.aio.ServerInterceptor] = []
        if c.tracing is not None:
            from carenotes_server.tracing.grpc_server import TracingInterceptor

            # First, so that the span covers authentication and the access log line.
            interceptors.append(TracingInterceptor(c.tracing.tracer))
        interceptors.append(AuthInterceptor(build_policy_table(), self._authenticate))
        server = grpc.aio.server(
            interceptors=interceptors,
            options=SERVER_OPTIONS,
            maximum_concurrent_rpcs=None,
        )
        auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(c.accounts, c.signups), server)
        care_pb2_grpc.add_CareServiceServicer_to_server(
            CareServicer(c.care_team, c.notes, c.steps.reader), server
        )
        steps_pb2_grpc.add_StepsServiceServicer_to_server(
            StepsServicer(
                c.steps,
                c.reminders,
                build_follower(c.db, c.reminders.replay, c.feed, c.accounts, c.clock),
            ),
            server,
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        enable_reflection(
            [*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name], server
        )
        self.port = _bind(server, self.listen, _credentials(c.settings))
        await server.start()
        self._server = server
        if c.settings.redis_url:
            self._relay = asyncio.create_task(
                relay_channels(
                    c.settings.redis_url,
                    {
                        FEED_CHANNEL: functools.partial(handle_announcement, c.feed),
                        REVOCATIONS_CHANNEL: self._apply_revocation,
                    },
                    on_connected=c.feed.resync,
                )
            )
        # Said before health turns SERVING: whoever waits for SERVING can read it.
        log.info(
            "serving",
            extra={**summary(c.settings, role="serve"), "listen": self.listen, "port": self.port},
        )
        for name in ["", *SERVICE_NAMES]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        metrics.track_streams(c.feed)
        await self._check_dependencies(None)
        self._watch = asyncio.create_task(self._watch_dependencies())
        return self.port

    async def _apply_revocation(self, raw: bytes) -> None:
        # Local effects only: re-announcing would echo the message between replicas.
        revocation = Revocation.decode(raw)
        self.c.sessions.revoke(revocation)
        self.c.feed.revoke(revocation.session_id, revocation.user_id)

    async def stop(self, grace: float = 5.0) -> None:
        # NOT_SERVING first, so load balancers stop sending new calls during the grace.
        await self.health.enter_graceful_shutdown()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        self.c.feed.close()
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
        if self._server is not None:
            await self._server.stop(grace)

    async def _watch_dependencies(self) -> None:
        """Probes Redis (production) and the database every health_check_seconds."""
        url = self.c.settings.redis_url
        client = aioredis.Redis.from_url(url, socket_timeout=1.0) if url else None
        try:
            while True:
                await asyncio.sleep(self.c.settings.health_check_seconds)
                await self._check_dependencies(client)
        finally:
            if client is not None:
                await client.aclose()

    async def _check_dependencies(self, client: aioredis.Redis | None) -> None:
        timeout = max(0.5, min(2.0, self.c.settings.health_check_seconds))
        if self.c.settings.redis_url is None:
            broker_up = True  # embedded: the broker lives in this process
        elif client is None:
            probe = aioredis.Redis.from_url(self.c.settings.redis_url, socket_timeout=1.0)
            try:
                broker_up = await _probe(probe.ping(), timeout)
            finally:
                await probe.aclose()
        else:
            broker_up = await _probe(client.ping(), timeout)
        database_up = await _probe(self.c.db.run(_ping_database, self.c.db), timeout)
        await self._set_dependency(BROKER_HEALTH, "broker", broker_up)
        await self._set_dependency(DATABASE_HEALTH, "database", database_up)

    async def _set_dependency(self, service: str, dependency: str, up: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if up
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        if self._dependency_state.get(service) != up:
            if service in self._dependency_state or not up:
                log.log(
                    logging.INFO if up else logging.WARNING,
                    "dependency health changed",
                    extra={"dependency": dependency, "up": up},
                )
            self._dependency_state[service] = up
        metrics.safely(lambda: metrics.DEPENDENCY_UP.labels(dependency).set(1 if up else 0))
        await self.health.set(service, status)

    async def wait(self) -> None:
        assert self._server is not None
        await self._server.wait_for_termination()


async def serve(settings: Settings) -> None:
    components = build(settings)
    if settings.embedded_worker:
        # The in-memory broker lost whatever a previous run had enqueued.
        components.reminders.delivery.release_claims()
    components.start_background(
        worker=settings.embedded_worker, scheduler=settings.embedded_scheduler
    )
    server = CarenotesServer(components)
    try:
        await server.start()
    except BaseException:
        # Worker threads would otherwise keep a process that cannot serve alive.
        await server.stop(grace=0)
        components.stop_background()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await server.stop()
    components.stop_background()


def _ping_database(db: Database) -> None:
    with db.read() as session:
        session.execute(text("SELECT 1"))


async def _probe(check: Awaitable[object], seconds: float) -> bool:
    """True when check completes within seconds; any error or a timeout is False."""
    try:
        await asyncio.wait_for(check, seconds)
    except Exception:  # noqa: BLE001 - down, whatever the reason
        return False
    return True
