"""Judging a chaos run's receipts against the database: every reminder on every
stream of its patient exactly once, in delivery order, and how late."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, select

from bench.chaos.streams import Receipt
from bench.stats import percentile
from carenotes_server.db.models import Reminder

P99_GOAL_S = 3.0


@dataclass(frozen=True)
class Batch:
    fault: str
    reminder_ids: tuple[uuid.UUID, ...]


@dataclass
class ChaosResult:
    reminders: int
    streams: int
    lost: int
    duplicated: int
    out_of_order: int
    lateness_s: list[float]
    by_fault: dict[str, dict[str, float]]
    restarts: dict[str, int]
    unhealthy_at_end: list[str] = field(default_factory=list)

    @property
    def p99_s(self) -> float:
        return percentile(self.lateness_s, 99)

    @property
    def max_s(self) -> float:
        return max(self.lateness_s, default=float("nan"))

    def problems(self) -> list[str]:
        out = []
        if self.lost:
            out.append(f"{self.lost} receipts lost")
        if self.duplicated:
            out.append(f"{self.duplicated} receipts duplicated")
        if self.out_of_order:
            out.append(f"{self.out_of_order} receipts out of order")
        if not self.p99_s <= P99_GOAL_S:
            out.append(f"p99 lateness {self.p99_s:.2f} s > {P99_GOAL_S} s")
        if self.unhealthy_at_end:
            out.append(f"unhealthy at the end: {', '.join(self.unhealthy_at_end)}")
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "reminders": self.reminders,
            "streams": self.streams,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "out_of_order": self.out_of_order,
            "p99_ms": round(self.p99_s * 1000, 1),
            "max_ms": round(self.max_s * 1000, 1),
            "by_fault": self.by_fault,
            "restarts": self.restarts,
            "unhealthy_at_end": self.unhealthy_at_end,
        }


@dataclass(frozen=True)
class _Row:
    patient_id: str
    due_at: datetime
    delivery_seq: int | None


def _rows(database_url: str, ids: Sequence[uuid.UUID]) -> dict[str, _Row]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                select(
                    Reminder.id, Reminder.patient_id, Reminder.due_at, Reminder.delivery_seq
                ).where(Reminder.id.in_(list(ids)))
            ).all()
    finally:
        engine.dispose()
    return {str(r[0]): _Row(str(r[1]), r[2], r[3]) for r in found}


def judge(
    database_url: str,
    batches: Sequence[Batch],
    receipts: Sequence[Receipt],
    streams_of: dict[str, list[str]],
    *,
    restarts: dict[str, int],
    unhealthy_at_end: list[str],
) -> ChaosResult:
    """streams_of: patient id -> names of that patient's streams."""
    ids = [i for b in batches for i in b.reminder_ids]
    rows = _rows(database_url, ids)
    fault_of = {str(i): b.fault for b in batches for i in b.reminder_ids}
    by_stream: defaultdict[str, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        if receipt.reminder_id in fault_of:
            by_stream[receipt.stream].append(receipt)
    lost = duplicated = out_of_order = 0
    lateness: list[float] = []
    late_by_fault: defaultdict[str, list[float]] = defaultdict(list)
    for reminder_id, row in rows.items():
        for stream in streams_of[row.patient_id]:
            got = [r for r in by_stream[stream] if r.reminder_id == reminder_id]
            if not got:
                lost += 1
                continue
            duplicated += len(got) - 1
            late = got[0].at - row.due_at.timestamp()
            lateness.append(late)
            late_by_fault[fault_of[reminder_id]].append(late)
    lost += len(ids) - len(rows)  # rows that vanished
    for stream_receipts in by_stream.values():
        seqs = [rows[r.reminder_id].delivery_seq or 0 for r in stream_receipts]
        out_of_order += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    return ChaosResult(
        reminders=len(ids),
        streams=sum(len(s) for s in streams_of.values()),
        lost=lost,
        duplicated=duplicated,
        out_of_order=out_of_order,
        lateness_s=lateness,
        by_fault={
            fault: {
                "p99_ms": round(percentile(values, 99) * 1000, 1),
                "max_ms": round(max(values) * 1000, 1),
            }
            for fault, values in late_by_fault.items()
        },
        restarts=restarts,
        unhealthy_at_end=unhealthy_at_end,
    )
