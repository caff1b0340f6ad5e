"""Prometheus metrics of one process, and the HTTP endpoint that exposes them.

Serve, worker and scheduler processes each expose their own metrics on
CARENOTES_METRICS_LISTEN (e.g. 127.0.0.1:9464; unset: no endpoint). Labels never carry
ids or request content: RPC method and status code, extraction outcome, reminder kind,
dependency name. Recording is cheap and can never fail a request or a job.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

RPCS = Counter(
    "carenotes_rpc_requests",
    "Completed RPCs by method and gRPC status code (streams count when they end).",
    ["method", "code"],
)
RPC_DURATION = Histogram(
    "carenotes_rpc_duration_seconds",
    "Latency of unary RPCs, from admission to answer.",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EXTRACTIONS = Counter(
    "carenotes_extractions",
    "extract_steps job runs by outcome: done, already_settled, failed, retry, error.",
    ["outcome"],
)
EXTRACTION_DURATION = Histogram(
    "carenotes_extraction_duration_seconds",
    "Duration of extract_steps job runs (extractor call included) by outcome.",
    ["outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 90.0, 180.0),
)
REMINDERS_FIRED = Counter(
    "carenotes_reminders_fired",
    "Reminders delivered (SCHEDULED -> SENT) by kind: regular or makeup.",
    ["kind"],
)
REMINDER_LATENESS = Histogram(
    "carenotes_reminder_lateness_seconds",
    "Delay between a reminder's due time and its delivery (sent_at - due_at).",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
REMINDERS_MISSED = Counter(
    "carenotes_reminders_missed",
    "Reminders marked MISSED by the scheduler's sweep (window ended unanswered).",
)
REMINDERS_ENQUEUED = Counter(
    "carenotes_reminders_enqueued",
    "Reminders the scheduler enqueued (fire_reminders messages carry many).",
)
NOTES_REQUEUED = Counter(
    "carenotes_notes_requeued",
    "Extractions re-enqueued by the scheduler for notes stuck PENDING.",
)
BROKER_DATA_LOST = Counter(
    "carenotes_broker_data_lost",
    "Times the scheduler found Redis emptied (restarted without persistence, flushed) "
    "and gave every claimed reminder and pending extraction back to the queue.",
)
SCHEDULER_TICKS = Counter(
    "carenotes_scheduler_ticks",
    "Scheduler ticks by result: ok or error (database down...).",
    ["result"],
)
DEPENDENCY_UP = Gauge(
    "carenotes_dependency_up",
    "1 when the last health probe of a dependency (broker, database) succeeded, else 0.",
    ["dependency"],
)
AUDIT_BATCH_ROWS = Histogram(
    "carenotes_audit_batch_rows",
    "Audit rows per group commit (many concurrent audited calls share one commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
)
OPEN_STREAMS = Gauge(
    "carenotes_open_streams",
    "Open StreamReminders calls in this process.",
)


class _CountsStreams(Protocol):
    @property
    def stream_count(self) -> int: ...


_feeds: weakref.WeakSet[_CountsStreams] = weakref.WeakSet()
_feeds_lock = threading.Lock()


def _open_streams() -> float:
    with _feeds_lock:
        return float(sum(feed.stream_count for feed in list(_feeds)))


OPEN_STREAMS.set_function(_open_streams)


def track_streams(feed: _CountsStreams) -> None:
    """Counts feed.stream_count in carenotes_open_streams (while the feed is alive)."""
    with _feeds_lock:
        _feeds.add(feed)


def safely(record: Callable[[], None]) -> None:
    """Runs a recording; a metrics failure is logged, never raised into the caller."""
    try:
        record()
    except Exception:
        log.warning("could not record a metric", exc_info=True)


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _QuietHandler(WSGIRequestHandler):
    """Health checks come every few seconds: no access line on stderr for each."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:9464' -> ('127.0.0.1', 9464); '[::1]:9464' and ':9464' work too."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"metrics listen address must be HOST:PORT, got {listen!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - ':PORT' means all


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


def start_metrics_server(listen: str, *, health: WsgiApp | None = None) -> MetricsServer:
    """Serves /metrics of the default registry on listen (port 0: any free port), and
    GET /health with `health` where given (workers and the scheduler)."""
    addr, port = parse_listen(listen)
    prometheus = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if health is not None and environ.get("PATH_INFO") == "/health":
            return health(environ, start_response)
        return prometheus(environ, start_response)

    server = make_server(addr, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    metrics = MetricsServer(server, thread)
    log.info("metrics endpoint listening", extra={"listen": f"{addr}:{metrics.port}"})
    return metrics
