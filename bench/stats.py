"""Latency statistics and the one JSON record shape every scenario prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Record = dict[str, Any]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def latency_fields(latencies_s: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": ms(percentile(latencies_s, 50)),
        "p90_ms": ms(percentile(latencies_s, 90)),
        "p99_ms": ms(percentile(latencies_s, 99)),
        "max_ms": ms(max(latencies_s)) if latencies_s else math.nan,
    }


def record(
    scenario: str,
    backend: str,
    name: str,
    *,
    latencies_s: Sequence[float] = (),
    **fields: Any,
) -> Record:
    """{"scenario", "backend", "name", p50/p90/p99/max in ms, and scenario fields}."""
    out: Record = {"scenario": scenario, "backend": backend, "name": name}
    out.update(latency_fields(latencies_s))
    out["samples"] = len(latencies_s)
    out.update(fields)
    return {k: _clean(v) for k, v in out.items()}


def _clean(value: Any) -> Any:
    """NaN is not JSON: None instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
