"""`python -m bench --profile`: py-spy on the server process under WhoAmI and
GetActionableSteps load (each backend of --backends), and a summary of the hottest
functions per backend and RPC (profile-BACKEND-RPC.summary.txt)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.fixtures import Api
from bench.loadgen import closed_loop
from bench.procs import carenotes_stack
from bench.scenarios import Config, channel, log, prepare, show
from bench.stats import Record
from carenotes.v1 import auth_pb2, steps_pb2

_LINE = re.compile(r":\d+\)$")


def _short(frame: str) -> str:
    frame = _LINE.sub(")", frame)
    for marker in ("site-packages/", "carenotes_server/", "lib/python3."):
        if marker in frame:
            head, _, tail = frame.partition("(")
            path = tail.split(marker, 1)[1] if marker in tail else tail
            return f"{head}({marker.rstrip('/') if marker != 'lib/python3.' else 'stdlib'}:{path}"
    return frame


def summarize(raw: Path, top: int = 30) -> str:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for f in set(frames):
            inclusive[f] += count
    if total == 0:
        return "no samples\n"
    out = [f"{total} samples (CPU only, all threads)", "", "Self time:"]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in own.most_common(top)]
    out += ["", "Inclusive time:"]
    out += [f"{100 * n / total:6.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(out) + "\n"


def _py_spy() -> str:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return spy


async def run_profile(cfg: Config, out: Path, backends: Sequence[str]) -> list[Record]:
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    records: list[Record] = []
    for backend in backends:
        records += await _profile_backend(cfg, out, backend)
    return records


async def _profile_backend(cfg: Config, out: Path, backend: str) -> list[Record]:
    spy = _py_spy()
    records: list[Record] = []
    with carenotes_stack(backend) as stack:
        async with channel(stack.target) as ch:
            api = Api(ch, invite=stack.invite)
            people = await prepare(api, patients=2)
            md = people.reader.metadata
            calls: dict[str, Any] = {
                "WhoAmI": lambda: api.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=md),
                "GetActionableSteps": lambda: api.steps.GetActionableSteps(
                    steps_pb2.GetActionableStepsRequest(), metadata=md
                ),
                # Wall clock (py-spy --idle): a write's cost is mostly waiting, for the
                # write connection or a lock, which a CPU profile does not show.
                "SubmitNote-wall": lambda: api.submit_note(people.doctor, people.reader),
            }
            for name, call in calls.items():
                idle = ["--idle"] if name.endswith("-wall") else []
                await closed_loop(call, concurrency=4, duration_s=0.5)
                raw = out / f"profile-{backend}-{name}.raw.txt"
                log(f"profiling the {backend} server under {name} for {cfg.duration_s:.0f} s")
                spy_proc = await asyncio.create_subprocess_exec(
                    *[
                        spy,
                        "record",
                        "-p",
                        str(stack.server.pid),
                        "-d",
                        str(int(cfg.duration_s)),
                        "-r",
                        "200",
                        "--nonblocking",
                        *idle,
                        "-f",
                        "raw",
                        "-o",
                        str(raw),
                    ],
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                result = await closed_loop(
                    call,
                    # Scenario 2's SubmitNote loop runs half as many calls in flight.
                    concurrency=cfg.concurrency // 2 if idle else cfg.concurrency,
                    duration_s=cfg.duration_s,
                )
                await asyncio.wait_for(spy_proc.wait(), 60)
                records.append(show(result.to_record("profile", backend, f"{name} (profiled)")))
                summary = await asyncio.to_thread(summarize, raw)
                await asyncio.to_thread(
                    (out / f"profile-{backend}-{name}.summary.txt").write_text, summary
                )
    return records
