"""The goals of scenarios 1 and 2: read throughput against echo, and no stalls.

Ratios come from scenario 1's alternating rounds (bench.rounds): the measured figure is
the median over the rounds, stated with its min, max and every round's value. A goal
is met on the median; `met_every_round` says whether the worst round met it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bench.stats import Record

Find = Callable[[Sequence[Record], str, str, str], Record | None]
Goal = dict[str, Any]

WHOAMI_RATIO = 0.75
STEPS_RATIO = 0.35
STEPS_P99_OVER_P50 = 5.0
STEPS_MAX_MS = 500.0
SUBMIT_P99_MS = 300.0


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and value == value:  # NaN is not a measurement
        return float(value)
    return None


def _goal(goal: str, target: Any, measured: Any, met: bool, **context: Any) -> Goal:
    return {"goal": goal, "target": target, "measured": measured, "met": met, **context}


def _ratio_of(rec: Record, echo: Record | None) -> tuple[float | None, dict[str, Any]]:
    """The median ratio over the rounds (or, for a record of an older run without
    rounds, the plain ratio to its echo record) and the fields stating its spread."""
    if rec.get("ratio_rounds"):
        keys = ("ratio_min", "ratio_max", "ratio_spread", "ratio_rounds", "rounds_rps")
        return _num(rec.get("ratio")), {k: rec.get(k) for k in keys}
    rps = _num(rec.get("rps"))
    echo_rps = _num(echo.get("rps")) if echo else None
    if rps is None or not echo_rps:
        return None, {}
    return round(rps / echo_rps, 3), {"rounds": 1}


def rpc_goals(records: Sequence[Record], find: Find, backend: str, label: str) -> list[Goal]:
    out: list[Goal] = []
    echo = find(records, "1-rpc", "echo", f"Echo closed ({backend})")
    for rpc, target in (("WhoAmI", WHOAMI_RATIO), ("GetActionableSteps", STEPS_RATIO)):
        rec = find(records, "1-rpc", backend, f"{rpc} closed")
        if rec is None:
            continue
        ratio, context = _ratio_of(rec, echo)
        worst = _num(context.get("ratio_min"))
        out.append(
            _goal(
                f"{rpc} RPS >= {target:.0%} of bare echo RPS, same run ({label})",
                target,
                ratio,
                ratio is not None and ratio >= target,
                met_every_round=worst is not None and worst >= target,
                rps=rec.get("rps"),
                echo_rps=echo.get("rps") if echo else None,
                **context,
            )
        )
    rec = find(records, "1-rpc", backend, "GetActionableSteps closed")
    if rec is not None:
        p50, p99, top = (_num(rec.get(k)) for k in ("p50_ms", "p99_ms", "max_ms"))
        tail = round(p99 / p50, 2) if p99 is not None and p50 else None
        out.append(
            _goal(
                f"GetActionableSteps p99 <= {STEPS_P99_OVER_P50:.0f}x its p50 at "
                f"{rec.get('concurrency')} in flight ({label})",
                STEPS_P99_OVER_P50,
                tail,
                tail is not None and tail <= STEPS_P99_OVER_P50,
                p50_ms=p50,
                p99_ms=p99,
            )
        )
        out.append(
            _goal(
                f"GetActionableSteps max < {STEPS_MAX_MS:.0f} ms at "
                f"{rec.get('concurrency')} in flight ({label})",
                STEPS_MAX_MS,
                top,
                top is not None and top < STEPS_MAX_MS,
                unit="ms",
            )
        )
    rec = find(records, "2-submit", backend, "SubmitNote closed")
    if rec is not None:
        p99 = _num(rec.get("p99_ms"))
        out.append(
            _goal(
                f"SubmitNote p99 < {SUBMIT_P99_MS:.0f} ms at {rec.get('concurrency')} "
                f"in flight ({label})",
                SUBMIT_P99_MS,
                p99,
                p99 is not None and p99 < SUBMIT_P99_MS and not rec.get("errors"),
                unit="ms",
                max_ms=rec.get("max_ms"),
            )
        )
    return out
