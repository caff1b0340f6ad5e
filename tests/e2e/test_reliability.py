"""Reliability of reminders with real processes: PostgreSQL, Redis, and separate
`serve`, `worker` and `scheduler` processes, with kill -9, Redis flushes, duplicate
messages, a newer note racing queued messages, and server restarts.

Reminders are made due a few seconds ahead by moving their rows in the database
(see tests/e2e/reminder_tools.py); nothing waits for a real 09:00.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import dramatiq
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from carenotes.v1 import steps_pb2
from carenotes_client import CareClient
from carenotes_server.tasks import REMINDER_QUEUE, make_broker
from tests.e2e.processes import (
    PASSWORD,
    SERVER_BIN,
    Api,
    Deployment,
    User,
    free_port,
    utcnow,
    wait_serving,
    wait_until,
)
from tests.e2e.reminder_tools import Rows, StreamRecorder, afternoon_timezone, sleep_until

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."
SECOND_NOTE = "Take cetirizine 10 mg every morning for 2 days."
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.slow


@pytest.fixture
def api(production: Deployment) -> Iterator[Api]:
    client = production.api()
    yield client
    client.close()


@pytest.fixture
def rows(production: Deployment) -> Iterator[Rows]:
    r = Rows(production.database_url)
    yield r
    r.close()


@pytest.fixture
def pair(api: Api) -> tuple[User, User]:
    return api.assigned_pair(timezone=afternoon_timezone())


def open_stream(api: Api, patient: User, request: pytest.FixtureRequest) -> StreamRecorder:
    recorder = StreamRecorder.of_call(
        api.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    )
    request.addfinalizer(recorder.stop)
    return recorder


def queued_messages(deployment: Deployment) -> int:
    """Dramatiq messages still held in Redis (queued, delayed or unacknowledged)."""
    assert deployment.redis is not None
    client = deployment.redis.client
    return sum(int(client.hlen(key)) for key in client.scan_iter("dramatiq:*.msgs"))


def assert_no_more(recorder: StreamRecorder, count: int, *, wait: float = 1.5) -> None:
    time.sleep(wait)
    assert len(recorder.messages()) == count, [m.reminder.id for m in recorder.messages()]
    assert recorder.error is None, recorder.error


def test_reminder_survives_worker_kill_and_redis_flush(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    assert production.redis is not None
    assert production.worker is not None
    doctor, patient = pair
    api.submit(doctor, patient, NOTE)
    target = rows.reminders(patient.id)[0]
    recorder = open_stream(api, patient, request)

    due = utcnow() + timedelta(seconds=6)
    rows.move(target.id, due_at=due, window_ends_at=due + HOUR)
    # Within the lead the scheduler claims it and enqueues fire_reminders; the worker
    # holds the message until the due time: it lives only in Redis and in that worker.
    wait_until(lambda: rows.get(target.id).enqueued_at is not None, timeout=6, what="claim")
    wait_until(lambda: queued_messages(production) > 0, timeout=5, what="message")
    time.sleep(0.5)

    production.procs.kill(production.worker)  # kill -9
    production.redis.flush()  # FLUSHALL, limited to this test's database
    assert production.redis.client.dbsize() == 0
    restarted_at = utcnow()
    production.start_worker().wait_for_log("worker running")

    # The scheduler sees Redis emptied and gives the claim back at once: on time, not
    # once the claim has gone stale.
    (got,) = recorder.wait_count(1, timeout=20)
    assert got.reminder.id == str(target.id)
    assert got.at >= restarted_at
    late = (got.at - due).total_seconds()
    print(f"delivered {late:.2f} s after its due time")
    assert -0.1 <= late <= 3.0
    assert_no_more(recorder, 1)
    row = rows.get(target.id)
    assert (row.status, row.delivery_seq) == ("SENT", 1)
    assert rows.delivery_counter(patient.id) == 1


def test_duplicate_fire_messages_deliver_once(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    assert production.redis is not None
    doctor, patient = pair
    api.submit(doctor, patient, NOTE)
    target = rows.reminders(patient.id)[0]
    recorder = open_stream(api, patient, request)
    time.sleep(0.3)  # the stream is subscribed

    # Due now and already claimed, so the only messages are the ones sent here.
    now = utcnow()
    rows.move(target.id, due_at=now, window_ends_at=now + HOUR, claimed_at=now)
    broker = make_broker(production.redis.url)
    try:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=REMINDER_QUEUE,
            actor_name="fire_reminders",
            args=([str(target.id)], 0),
            kwargs={},
            options={},
        )
        broker.enqueue(message)
        broker.enqueue(message)  # the very same message, delivered twice
        broker.enqueue(message.copy(message_id=str(uuid.uuid4())))  # a duplicate send
        # The single-reminder form, as queued by an older release before an upgrade.
        broker.enqueue(
            dramatiq.Message(
                queue_name=REMINDER_QUEUE,
                actor_name="fire_reminder",
                args=(str(target.id),),
                kwargs={},
                options={},
            )
        )
    finally:
        broker.close()

    (got,) = recorder.wait_count(1, timeout=10)
    assert got.reminder.id == str(target.id)
    wait_until(lambda: queued_messages(production) == 0, timeout=10, what="all consumed")
    assert_no_more(recorder, 1)
    row = rows.get(target.id)
    assert (row.status, row.delivery_seq) == ("SENT", 1)
    assert rows.delivery_counter(patient.id) == 1


def test_newer_note_stops_reminders_already_queued(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    assert production.redis is not None
    doctor, patient = pair
    first = api.submit(doctor, patient, NOTE)
    old = rows.reminders(patient.id)
    recorder = open_stream(api, patient, request)

    # Due within the lead, 0.3 s apart: six messages, one per due instant.
    dues = rows.move_many(
        [r.id for r in old], utcnow() + timedelta(seconds=4), timedelta(seconds=0.3)
    )
    wait_until(
        lambda: all(r.enqueued_at is not None for r in rows.reminders(patient.id)),
        timeout=5,
        what="the six fire_reminders messages enqueued",
    )
    wait_until(lambda: queued_messages(production) == 6, timeout=5, what="6 in Redis")
    second = api.submit(doctor, patient, SECOND_NOTE)
    assert utcnow() < dues[0], "the newer note must land before the first old dose"

    sleep_until(dues[-1] + timedelta(seconds=1))
    wait_until(
        lambda: queued_messages(production) == 0,
        timeout=10,
        what="the old messages consumed",
    )
    assert_no_more(recorder, 0, wait=0.5)
    by_id = {r.id: r for r in rows.reminders(patient.id)}
    assert {by_id[r.id].status for r in old} == {"CANCELLED"}
    assert all(by_id[r.id].note_id == uuid.UUID(first.note_id) for r in old)
    assert rows.delivery_counter(patient.id) == 0

    # The stream is alive: a reminder of the newer note does arrive.
    new = [r for r in by_id.values() if r.note_id == uuid.UUID(second.note_id)]
    assert len(new) == 2
    due = utcnow() + timedelta(seconds=1)
    rows.move(new[0].id, due_at=due, window_ends_at=due + HOUR)
    (got,) = recorder.wait_count(1, timeout=10)
    assert got.reminder.id == str(new[0].id)
    assert "cetirizine" in got.reminder.text.lower()


def test_server_restart_during_an_open_stream(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    assert production.server is not None
    doctor, patient = pair
    api.submit(doctor, patient, NOTE)
    r1, r2, r3, r4, r5, r6 = rows.reminders(patient.id)

    client = CareClient(production.target)
    request.addfinalizer(client.close)
    client.login(patient.email, PASSWORD)
    stop = threading.Event()
    recorder = StreamRecorder(client.follow_reminders(stop=stop), stop.set)
    request.addfinalizer(recorder.stop)

    due = utcnow() + timedelta(seconds=1.5)
    rows.move(r1.id, due_at=due, window_ends_at=due + HOUR)
    recorder.wait_count(1, timeout=10)

    code = production.procs.stop(production.server)
    assert code == 0, "the server exits cleanly on SIGTERM"
    # While the server is down, two reminders fire; nobody is listening to Redis.
    due = utcnow() + timedelta(seconds=0.3)
    rows.move_many([r2.id, r3.id], due, timedelta(seconds=0.3))
    rows.wait_for(
        lambda rs: [r.status for r in rs if r.id in (r2.id, r3.id)] == ["SENT", "SENT"],
        patient.id,
        timeout=10,
    )
    assert len(recorder.messages()) == 1

    production.start_server()  # same port
    production.wait_server()
    due = utcnow() + timedelta(seconds=1)
    rows.move(r4.id, due_at=due, window_ends_at=due + HOUR)
    recorder.wait_count(4, timeout=30)

    # Then a crash: kill -9, no goodbye on the stream; one reminder fires meanwhile.
    production.procs.kill(production.server)
    due = utcnow() + timedelta(seconds=0.3)
    rows.move(r5.id, due_at=due, window_ends_at=due + HOUR)
    rows.wait_for(
        lambda rs: [r.status for r in rs if r.id == r5.id] == ["SENT"], patient.id, timeout=10
    )
    production.start_server()
    production.wait_server()
    due = utcnow() + timedelta(seconds=1)
    rows.move(r6.id, due_at=due, window_ends_at=due + HOUR)
    got = recorder.wait_count(6, timeout=30)
    assert [m.reminder.id for m in got] == [str(r.id) for r in (r1, r2, r3, r4, r5, r6)]
    assert_no_more(recorder, 6)


@pytest.mark.parametrize("topology", ["production", "embedded"])
def test_sigterm_reports_not_serving_and_exits_cleanly(
    topology: str, request: pytest.FixtureRequest
) -> None:
    deployment: Deployment = request.getfixturevalue(topology)
    server = deployment.server
    assert server is not None
    api = deployment.api()
    request.addfinalizer(api.close)
    _, patient = api.assigned_pair()
    recorder = open_stream(api, patient, request)
    channel = grpc.insecure_channel(deployment.target)
    request.addfinalizer(channel.close)
    watch = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service="carenotes.v1.StepsService"), timeout=20
    )
    statuses = iter(watch)
    assert next(statuses).status == health_pb2.HealthCheckResponse.SERVING
    time.sleep(0.3)

    started = time.monotonic()
    server.popen.send_signal(signal.SIGTERM)
    assert next(statuses).status == health_pb2.HealthCheckResponse.NOT_SERVING
    not_serving_after = time.monotonic() - started
    watch.cancel()
    code = server.popen.wait(timeout=10)
    exited_after = time.monotonic() - started
    print(f"NOT_SERVING after {not_serving_after:.2f} s, exit after {exited_after:.2f} s")
    assert code == 0
    assert exited_after < 6.0
    # The open reminder stream ended cleanly (status OK), so its client resumes.
    assert recorder.ended.wait(5)
    assert recorder.error is None, recorder.error
    log = server.log()
    assert "shutting down" in log
    assert "Traceback" not in log


def test_rolling_worker_restart_keeps_waiting_reminders_on_time(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    """A deploy stops the worker with SIGTERM while it holds a message waiting for its
    due time: the batch goes back to Redis and the next worker delivers it on time."""
    assert production.worker is not None
    doctor, patient = pair
    api.submit(doctor, patient, NOTE)
    target = rows.reminders(patient.id)[0]
    recorder = open_stream(api, patient, request)
    due = utcnow() + timedelta(seconds=5)
    rows.move(target.id, due_at=due, window_ends_at=due + HOUR)
    wait_until(lambda: queued_messages(production) == 1, timeout=5, what="the message")
    time.sleep(0.5)  # fetched by the worker, which holds it until the due time

    started = time.monotonic()
    assert production.procs.stop(production.worker) == 0
    assert time.monotonic() - started < 6.0
    assert queued_messages(production) == 1, "handed back to Redis"
    production.start_worker().wait_for_log("worker running")

    (got,) = recorder.wait_count(1, timeout=10)
    assert got.reminder.id == str(target.id)
    late = (got.at - due).total_seconds()
    print(f"delivered by the next worker {late:.3f} s after its due time")
    assert -0.1 <= late <= 1.0
    assert_no_more(recorder, 1)


def test_two_replicas_two_workers_two_schedulers_deliver_each_reminder_once(
    production: Deployment,
    api: Api,
    rows: Rows,
    pair: tuple[User, User],
    request: pytest.FixtureRequest,
) -> None:
    """Several of each process at once: every reminder reaches the patient's streams
    on both server replicas (Redis fan-out) exactly once and in order, whichever
    scheduler claimed it and whichever worker fired it."""
    port = free_port()
    env = {**production.env, "CARENOTES_LISTEN": f"127.0.0.1:{port}"}
    procs = production.procs
    replica = procs.start("serve-2", [SERVER_BIN, "serve"], env)
    extra = [
        procs.start("worker-2", [SERVER_BIN, "worker"], env),
        procs.start("scheduler-2", [SERVER_BIN, "scheduler"], env),
    ]
    wait_serving(f"127.0.0.1:{port}", replica)
    extra[0].wait_for_log("worker running")
    extra[1].wait_for_log("scheduler running")
    other = Api(f"127.0.0.1:{port}")
    request.addfinalizer(other.close)

    doctor, patient = pair
    other.submit(doctor, patient, NOTE)  # written through the second replica
    reminders = rows.reminders(patient.id)
    phone = open_stream(api, patient, request)  # first replica
    tablet = open_stream(other, patient, request)  # second replica
    time.sleep(0.3)
    ids = [r.id for r in reminders]
    dues = rows.move_many(ids, utcnow() + timedelta(seconds=1), timedelta(seconds=0.5))
    due_by_id = {str(i): d for i, d in zip(ids, dues, strict=True)}
    for device in (phone, tablet):
        got = device.wait_count(6, timeout=15)
        assert [m.reminder.id for m in got] == [str(i) for i in ids]
        assert all((m.at - due_by_id[m.reminder.id]).total_seconds() <= 1.0 for m in got)
    assert_no_more(phone, 6)
    assert_no_more(tablet, 6, wait=0)
    delivered = {r.id: r.delivery_seq for r in rows.reminders(patient.id)}
    assert [delivered[i] for i in ids] == [1, 2, 3, 4, 5, 6]
    assert rows.delivery_counter(patient.id) == 6

    # Every process of the deployment exits cleanly, and promptly, on SIGTERM.
    phone.stop()
    tablet.stop()
    assert production.server is not None
    assert production.worker is not None
    assert production.scheduler is not None
    for proc in (replica, production.server, *extra, production.worker, production.scheduler):
        started = time.monotonic()
        assert procs.stop(proc) == 0, proc.name
        assert time.monotonic() - started < 6.0, proc.name


def test_embedded_restart_keeps_claimed_reminders_on_time(
    embedded: Deployment, request: pytest.FixtureRequest
) -> None:
    """The embedded server's broker lives in its memory: a reminder claimed (enqueued
    with a delay) just before a restart must still fire on time after it, not once its
    claim has gone stale."""
    assert embedded.server is not None
    api = embedded.api()
    request.addfinalizer(api.close)
    rows = Rows(embedded.database_url)
    request.addfinalizer(rows.close)
    doctor, patient = api.assigned_pair(timezone=afternoon_timezone())
    api.submit(doctor, patient, NOTE)
    target = rows.reminders(patient.id)[0]
    due = utcnow() + timedelta(seconds=5)
    rows.move(target.id, due_at=due, window_ends_at=due + HOUR)
    wait_until(lambda: rows.get(target.id).enqueued_at is not None, timeout=5, what="claim")

    assert embedded.procs.stop(embedded.server) == 0
    embedded.start_server()
    embedded.wait_server()
    recorder = open_stream(api, patient, request)
    (got,) = recorder.wait_count(1, timeout=30)
    late = (got.at - due).total_seconds()
    print(f"delivered {late:.3f} s after its due time, across an embedded restart")
    assert got.reminder.id == str(target.id)
    assert late <= 1.0
    assert_no_more(recorder, 1)
