"""Scenario 7: scheduler and GetActionableSteps cost with 1,000,000 reminder rows.

A PostgreSQL database gets one real care team through the API (so its steps decrypt),
then thousands of synthetic patients and `rows` reminders in bulk (generate_series,
one INSERT ... SELECT per table). The same work is timed on the small database and
on the big one (it must stay flat), and every SQL statement of a scheduler tick and of
a GetActionableSteps call is captured as sent and re-run under EXPLAIN (ANALYZE,
BUFFERS) in a rolled-back transaction: the plans go to docs/bench/explain.md.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import event

from bench.fixtures import Api
from bench.loadgen import closed_loop
from bench.procs import Stack, carenotes_stack
from bench.scenarios import Config, channel, log, show
from bench.stats import Record, record
from carenotes.v1 import steps_pb2
from carenotes_server.components import Components, build
from carenotes_server.config import load_settings
from carenotes_server.db.database import PG_SESSION_OPTIONS

PATIENT_SQL = """
CREATE TEMP TABLE bench_sp AS
SELECT g AS n, gen_random_uuid() AS uid, gen_random_uuid() AS pk, gen_random_uuid() AS note,
       gen_random_uuid() AS ss, gen_random_uuid() AS pi
FROM generate_series(1, %(patients)s) AS g;
INSERT INTO users (id, email, name, role, timezone, password_hash, created_at,
                   password_changed_at, reminder_seq)
SELECT uid, 'scale-' || n || '@example.org', 'Scale ' || n, 'PATIENT', 'UTC', 'x', now(), now(), 0
FROM bench_sp;
INSERT INTO care_assignments (id, patient_id, doctor_id, started_at, ended_at)
SELECT gen_random_uuid(), uid, %(doctor)s, now(), NULL FROM bench_sp;
INSERT INTO pair_keys (id, patient_id, doctor_id, version, master_key_id, wrapped_key, created_at)
SELECT pk, uid, %(doctor)s, 1, 'bench1', '\\x00'::bytea, now() FROM bench_sp;
INSERT INTO notes (id, patient_id, doctor_id, pair_key_id, ciphertext, created_at, sequence,
                   extraction_status, extractor, extraction_attempts, extracted_at)
SELECT note, uid, %(doctor)s, pk, '\\x00'::bytea, now(), 1, 'DONE', 'rules', 1, now()
FROM bench_sp;
INSERT INTO step_sets (id, note_id, patient_id, doctor_id, note_sequence, extractor, created_at)
SELECT ss, note, uid, %(doctor)s, 1, 'rules', now() FROM bench_sp;
INSERT INTO plan_items (id, step_set_id, patient_id, position, pair_key_id, ciphertext,
                        times_per_day, every_hours, every_days, duration_days, occurrences,
                        start_in_days, as_needed, times_of_day, anchor_at, expanded_until, active)
SELECT pi, ss, uid, 0, pk, '\\x00'::bytea, 2, 0, 1, 0, 0, 0, false, '',
       now() - interval '60 days', now() + interval '30 days', true
FROM bench_sp;
"""

# Per patient: doses every 12 h from 37.5 days ago, offset per patient by n minutes, so
# about a quarter are in the future (SCHEDULED), one may be open (SENT), the rest are
# settled (TAKEN / SKIPPED / MISSED), and a few become due every minute.
REMINDER_SQL = """
INSERT INTO reminders (id, plan_item_id, patient_id, note_id, sequence, due_at, window_ends_at,
                       status, makeup_depth, enqueued_at, sent_at, delivery_seq,
                       acknowledged_at, created_at)
SELECT gen_random_uuid(), pi, uid, note, k, due, due + interval '12 hours',
       CASE WHEN due + interval '12 hours' <= now() THEN
                (CASE k %% 10 WHEN 0 THEN 'MISSED' WHEN 1 THEN 'SKIPPED' ELSE 'TAKEN' END)
            WHEN due <= now() THEN 'SENT' ELSE 'SCHEDULED' END,
       0, NULL,
       CASE WHEN due <= now() THEN due END,
       CASE WHEN due <= now() THEN k + 1 END,
       CASE WHEN due + interval '12 hours' <= now() AND k %% 10 <> 0 THEN due END,
       now()
FROM (
    SELECT sp.pi, sp.uid, sp.note, k,
           now() - interval '37.5 days' + k * interval '12 hours'
               + (sp.n %% 720) * interval '1 minute' AS due
    FROM bench_sp AS sp, generate_series(0, %(per_patient)s - 1) AS k
) AS r;
"""


@dataclass
class Captured:
    label: str
    statements: list[tuple[str, Any]] = field(default_factory=list)


def _plain_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


def bulk_insert(url: str, doctor_id: str, rows: int, patients: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(_plain_url(url)) as conn:
        with conn.cursor() as cur:
            params = {"patients": patients, "doctor": uuid.UUID(doctor_id)}
            for statement in filter(str.strip, PATIENT_SQL.split(";\n")):
                cur.execute(statement, params if "%(" in statement else None)
            cur.execute(REMINDER_SQL, {"per_patient": max(1, rows // patients)})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def time_it(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median milliseconds of fn over `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def capture(components: Components, label: str, fn: Callable[[], Any]) -> Captured:
    out = Captured(label)

    def listener(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "INSERT", "DELETE", "WITH")
        ):
            out.statements.append((statement, parameters))

    engine = components.db.write_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return out


def explain(url: str, captured: list[Captured]) -> tuple[str, list[str]]:
    """Markdown with every plan, and the seq scans found on the big tables."""
    big: tuple[str, ...] = (
        "reminders",
        "notes",
        "audit_events",
        "auth_sessions",
        "plan_items",
        "step_sets",
        "users",
    )
    lines: list[str] = []
    scans: list[str] = []
    with psycopg.connect(_plain_url(url), options=PG_SESSION_OPTIONS) as conn:
        # A sequential scan of a table of a few pages is the right plan; flag only the
        # ones over tables that are large in this database.
        sizes: dict[str, float] = dict(
            conn.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(big)]
            ).fetchall()
        )
        big = tuple(t for t in big if float(sizes.get(t, 0)) > 10_000)
        for group in captured:
            lines.append(f"### {group.label}\n")
            seen: set[str] = set()
            for statement, params in group.statements:
                if statement in seen:
                    continue
                seen.add(statement)
                with psycopg.ClientCursor(conn) as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan = "\n".join(str(row[0]) for row in cur.fetchall())
                conn.rollback()
                for table in big:
                    if f"Seq Scan on {table}" in plan:
                        scans.append(f"{group.label}: Seq Scan on {table}")
                sql = " ".join(statement.split())
                lines.append(f"```sql\n{sql}\n```\n\n```\n{plan}\n```\n")
    return "\n".join(lines), scans


async def _steps_rps(cfg: Config, api: Api, token: str) -> Record:
    md = (("authorization", f"Bearer {token}"),)
    request = steps_pb2.GetActionableStepsRequest()

    def call() -> Any:
        return api.steps.GetActionableSteps(request, metadata=md, timeout=30)

    await closed_loop(call, concurrency=4, duration_s=0.5)
    result = await closed_loop(call, concurrency=cfg.concurrency, duration_s=cfg.duration_s / 2)
    return result.to_record("7-scale", "postgres", "GetActionableSteps closed")


def _tick_costs(components: Components) -> dict[str, float]:
    from datetime import timedelta

    sched = components.scheduler
    reminders = components.reminders
    now = components.clock.now
    horizon = timedelta(seconds=components.settings.scheduler_horizon_seconds)
    return {
        "tick_ms": time_it(sched.tick),
        "claim_due_ms": time_it(lambda: reminders.delivery.claim_due(now(), horizon)),
        "sweep_missed_ms": time_it(lambda: reminders.delivery.sweep_missed(now())),
        "top_up_ms": time_it(lambda: reminders.planning.top_up(now())),
    }


async def run_scale(cfg: Config) -> tuple[list[Record], str]:
    patients = max(10, min(10_000, cfg.scale_rows // 100))
    with carenotes_stack("postgres", redis_url=None) as stack:
        return await _run(cfg, stack, patients)


async def _run(cfg: Config, stack: Stack, patients: int) -> tuple[list[Record], str]:
    settings = load_settings(stack.env)
    components = build(settings, migrate=False)
    try:
        async with channel(stack.target) as ch:
            api = Api(ch, invite=stack.invite)
            doctor, (patient,) = await api.care_team(1)
            small_rpc = await _steps_rps(cfg, api, patient.token)
            small = await asyncio.to_thread(_tick_costs, components)
            log(f"scale: bulk insert of {cfg.scale_rows} reminders for {patients} patients")
            seconds = await asyncio.to_thread(
                bulk_insert, stack.database_url, doctor.id, cfg.scale_rows, patients
            )
            big_rpc = await _steps_rps(cfg, api, patient.token)
            big = await asyncio.to_thread(_tick_costs, components)
        caller = components.accounts.authenticate(patient.token)
        groups = [
            capture(
                components,
                "Scheduler tick (claim_due, sweep_missed, top_up, stale notes)",
                components.scheduler.tick,
            ),
            capture(
                components,
                "GetActionableSteps: authenticate",
                lambda: components.accounts.authenticate(patient.token),
            ),
            capture(
                components,
                # Its audit row is a plain INSERT of the group commit: no plan to read.
                "GetActionableSteps: read steps",
                lambda: components.steps.reader._read(caller, caller.user_id),
            ),
        ]
        plans, scans = await asyncio.to_thread(explain, stack.database_url, groups)
        with psycopg.connect(_plain_url(stack.database_url)) as conn:
            row = conn.execute("SELECT count(*) FROM reminders").fetchone()
            total = int(row[0]) if row else 0
    finally:
        components.stop_background()
    records = [
        show(
            record(
                "7-scale",
                "postgres",
                "Scheduler and steps at scale",
                reminder_rows=total,
                patients=patients,
                bulk_insert_s=round(seconds, 1),
                small=small,
                big=big,
                steps_rps_small=small_rpc["rps"],
                steps_rps_big=big_rpc["rps"],
                steps_p99_small_ms=small_rpc["p99_ms"],
                steps_p99_big_ms=big_rpc["p99_ms"],
                seq_scans=scans,
            )
        )
    ]
    header = (
        "# EXPLAIN (ANALYZE, BUFFERS) at scale\n\n"
        f"Generated by `make bench` (scenario 7): {total:,} rows in `reminders` for "
        f"{patients + 1:,} patients. Every statement below was captured as the server "
        "sends it (SQLAlchemy, psycopg) and re-run under EXPLAIN ANALYZE in a "
        "transaction that was rolled back.\n\n"
        f"Sequential scans on large tables: {', '.join(scans) if scans else 'none'}.\n\n"
    )
    return records, header + plans
