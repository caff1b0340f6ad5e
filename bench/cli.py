"""`python -m bench`: every load scenario against PostgreSQL + Redis and SQLite.

Writes docs/bench/results.json, results.md, latency.png and explain.md (--quick writes
to a scratch directory unless --out is given). See docs/bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import report, rounds
from bench.procs import carenotes_stack, echo_server, machine, raise_nofile
from bench.scenarios import Config, log, run_stack
from bench.stats import Record, record

QUICK = Config(
    duration_s=2.0,
    note_samples=20,
    streams=500,
    stream_procs=2,
    lateness_count=100,
    lateness_window_s=10.0,
    scale_rows=50_000,
    peak_patients=500,
    quick_chaos=True,
    round_s=1.0,
)


BACKENDS = ("postgres", "sqlite")
SCENARIOS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


def _choices(kind: str, known: Sequence[str]) -> Callable[[str], list[str]]:
    """A comma-separated list whose every entry is one of `known`; anything else is a
    usage error, so a typo never runs (and reports) a scenario or backend that isn't."""

    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {', '.join(map(repr, unknown)) or '(none given)'}; "
                f"choose from {', '.join(known)} (comma-separated)"
            )
        return list(dict.fromkeys(names))

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a short smoke run (about 2 minutes)")
    p.add_argument(
        "--scenarios",
        type=_choices("scenario", SCENARIOS),
        default=list(SCENARIOS),
        help="comma-separated, e.g. 1,5 (default: all)",
    )
    p.add_argument(
        "--backends",
        type=_choices("backend", BACKENDS),
        default=list(BACKENDS),
        help="postgres, sqlite, or postgres,sqlite (the default)",
    )
    p.add_argument("--duration", type=float, help="seconds per load phase")
    p.add_argument("--rounds", type=rounds.count, help="echo/service rounds in scenario 1 (>= 3)")
    p.add_argument("--round-seconds", type=float, help="seconds per round of scenario 1")
    p.add_argument("--concurrency", type=int, help="calls in flight in closed loops")
    p.add_argument("--streams", type=int, help="StreamReminders subscribers (scenario 5)")
    p.add_argument("--stream-procs", type=int, help="client processes holding the streams")
    p.add_argument("--lateness-count", type=int, help="reminders in scenario 6")
    p.add_argument("--lateness-window", type=float, help="seconds they are due over")
    p.add_argument("--scale-rows", type=int, help="reminder rows in scenario 7")
    p.add_argument("--peak-patients", type=int, help="patients due at one instant (scenario 9)")
    p.add_argument("--peak-profile", type=Path, help="py-spy every process of scenario 9 into DIR")
    p.add_argument("--log-level", default="INFO", help="the servers' CARENOTES_LOG_LEVEL")
    p.add_argument("--profile", action="store_true", help="py-spy the server instead")
    p.add_argument("--out", type=Path, help="output directory (default docs/bench)")
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the records of OUT/results.json for scenarios and backends not re-run",
    )
    return p


def config_of(args: argparse.Namespace) -> Config:
    cfg = QUICK if args.quick else Config()
    overrides: dict[str, Any] = {
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "streams": args.streams,
        "stream_procs": args.stream_procs,
        "lateness_count": args.lateness_count,
        "lateness_window_s": args.lateness_window,
        "scale_rows": args.scale_rows,
        "peak_patients": args.peak_patients,
        "rounds": args.rounds,
        "round_s": args.round_seconds,
    }
    changes = {k: v for k, v in overrides.items() if v is not None}
    changes["scenarios"] = frozenset(args.scenarios)
    return dataclasses.replace(cfg, **changes)


async def run(args: argparse.Namespace, cfg: Config, out: Path) -> None:
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.monotonic()
    records: list[Record] = []
    explain_md: str | None = None
    backends: list[str] = args.backends
    with echo_server() as (echo_target, echo_proc):
        echo = rounds.EchoServer(echo_target, echo_proc.pid)
        for backend in backends:
            if cfg.scenarios & {"1", "2", "3", "4", "5", "6"}:
                log(f"starting the {backend} stack")
                with carenotes_stack(backend, log_level=args.log_level) as stack:
                    records += await run_stack(cfg, stack, echo)
    if "7" in cfg.scenarios and "postgres" in backends:
        from bench.scale import run_scale

        log("scenario 7 (scale)")
        try:
            scale_records, explain_md = await run_scale(cfg)
            records += scale_records
        except Exception as exc:  # noqa: BLE001 - keep the other scenarios' results
            log(f"scenario 7 failed: {exc!r}")
            records.append(record("7-failed", "postgres", "run_scale", error=repr(exc)))
    if "postgres" in backends:
        records += await production_scenarios(cfg, args.peak_profile)
    merged_from: str | None = None
    previous = out / "results.json"
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        merged_from = str(old.get("started"))
        rerun = {(sc, b) for sc in cfg.scenarios for b in [*backends, "echo"]}
        kept = [
            r
            for r in old["records"]
            if (r["scenario"].split("-")[0], r["backend"]) not in rerun
            and not (r["scenario"].endswith("-failed") and r["backend"] in backends)
        ]
        records = kept + records
        if explain_md is None and (out / "explain.md").exists():
            explain_md = (out / "explain.md").read_text()
    result: dict[str, Any] = {
        "started": started,
        "merged_with_run_of": merged_from,
        "elapsed_s": round(time.monotonic() - t0, 1),
        "profile": "quick" if args.quick else "full",
        "machine": machine(),
        "config": {
            k: sorted(v) if isinstance(v, frozenset) else v
            for k, v in dataclasses.asdict(cfg).items()
        },
        "records": records,
        "goals": report.goals(records),
    }
    report.write(result, out, explain_md)
    for g in result["goals"]:
        log(f"{'MET ' if g['met'] else 'MISS'} {g['goal']}: {g['measured']} (target {g['target']})")
    log(f"wrote {out}/results.md, results.json, latency.png")


async def production_scenarios(cfg: Config, peak_profile: Path | None) -> list[Record]:
    """Scenarios 8 (faults during delivery) and 9 (the morning peak): the production
    topology as processes, PostgreSQL and a Redis of their own."""
    out: list[Record] = []
    if "8" in cfg.scenarios:
        from bench.delivery import chaos_record

        log("scenario 8 (faults during due delivery)")
        out.append(await chaos_record(cfg.quick_chaos))
    if "9" in cfg.scenarios:
        from bench.delivery import peak_records

        log(f"scenario 9 (morning peak, {cfg.peak_patients:,} patients)")
        out += await peak_records(cfg.peak_patients, cfg.peak_stream_procs, peak_profile)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = config_of(args)
    raise_nofile()
    if args.profile:
        from bench.profiling import run_profile

        asyncio.run(run_profile(cfg, args.out or Path("docs/bench"), args.backends))
        return 0
    scratch = Path(tempfile.gettempdir()) / "carenotes-bench-quick"
    out = args.out or (scratch if args.quick else Path("docs/bench"))
    asyncio.run(run(args, cfg, out))
    return 0
