"""Goals of the delivery scenarios: faults during due delivery (8) and the morning
peak (9), met or not, beside scenario 5's fan-out rate of the same run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.stats import Record

CHAOS_P99_S = 3.0
PEAK_P99_S = 5.0


def _find(records: Sequence[Record], scenario: str, backend: str = "postgres") -> Record | None:
    return next((r for r in records if r["scenario"] == scenario and r["backend"] == backend), None)


def _goal(goal: str, target: Any, measured: Any, met: bool, **context: Any) -> dict[str, Any]:
    return {"goal": goal, "target": target, "measured": measured, "met": met, **context}


def delivery_goals(records: Sequence[Record]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    chaos = _find(records, "8-faults")
    if chaos is not None:
        wrong = {k: chaos.get(k) for k in ("lost", "duplicated", "out_of_order")}
        out.append(
            _goal(
                f"Faults during delivery ({chaos.get('reminders')} reminders, "
                f"{chaos.get('streams')} streams): 0 lost, 0 duplicated, 0 out of order",
                0,
                sum(int(v or 0) for v in wrong.values()),
                all(v == 0 for v in wrong.values()),
                **wrong,
            )
        )
        p99 = chaos.get("p99_ms")
        out.append(
            _goal(
                "Faults during delivery: p99 lateness (due to receipt) <= 3 s",
                CHAOS_P99_S * 1000,
                p99,
                p99 is not None and p99 <= CHAOS_P99_S * 1000,
                by_fault=chaos.get("by_fault"),
            )
        )
    peak = _find(records, "9-peak")
    if peak is not None:
        fanout = _find(records, "5-streams")
        out.append(
            _goal(
                f"Morning peak ({peak.get('patients'):,} at one instant): every reminder "
                "delivered once",
                0,
                int(peak.get("lost") or 0) + int(peak.get("duplicated") or 0),
                peak.get("lost") == 0 and peak.get("duplicated") == 0,
                lost=peak.get("lost"),
                duplicated=peak.get("duplicated"),
            )
        )
        p99 = peak.get("p99_ms")
        out.append(
            _goal(
                "Morning peak: p99 lateness <= 5 s on this machine",
                PEAK_P99_S * 1000,
                p99,
                p99 is not None and p99 <= PEAK_P99_S * 1000,
                drain_per_s=peak.get("drain_per_s"),
                fired_per_s=peak.get("fired_per_s"),
                fanout_streams_per_s=_fanout_rate(fanout),
            )
        )
    return out


def _fanout_rate(fanout: Record | None) -> float | None:
    """Scenario 5's streams reached per second (one reminder to every stream)."""
    if fanout is None or not fanout.get("delivered") or not fanout.get("max_ms"):
        return None
    return round(float(fanout["delivered"]) / (float(fanout["max_ms"]) / 1000), 1)
