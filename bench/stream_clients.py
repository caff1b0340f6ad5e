"""Stream client processes (bench.stream_client) driven over stdin/stdout: the open
streams of scenarios 5, 6 and 9 live outside the bench process, so that receiving
never shares a core's GIL with the load generator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import uuid
from typing import Any


class StreamClients:
    """Stream client processes (bench.stream_client), driven over stdin/stdout."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(
        self, target: str, token: str, primer: uuid.UUID, streams: int, procs: int, per_channel: int
    ) -> None:
        share = [streams // procs + (1 if i < streams % procs else 0) for i in range(procs)]
        for n in share:
            if n == 0:
                continue
            self.procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.stream_client",
                    "--target",
                    target,
                    "--token",
                    token,
                    "--streams",
                    str(n),
                    "--channels",
                    str(max(1, math.ceil(n / per_channel))),
                    "--primer",
                    str(primer),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=64 * 1024 * 1024,
                )
            )

    async def _read(self, proc: asyncio.subprocess.Process, timeout_s: float) -> dict[str, Any]:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout_s)
        if not line:
            raise RuntimeError("a stream client exited early")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ready(self, timeout_s: float) -> tuple[int, dict[str, int], float]:
        opened, errors, seconds = 0, dict[str, int](), 0.0
        for proc in self.procs:
            answer = await self._read(proc, timeout_s)
            opened += int(answer["open"])
            for code, n in answer["errors"].items():
                errors[code] = errors.get(code, 0) + int(n)
            seconds = max(seconds, float(answer["seconds"]))
        return opened, errors, seconds

    async def report(self) -> dict[str, list[float]]:
        received: dict[str, list[float]] = {}
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(b"report\n")
            await proc.stdin.drain()
            answer = await self._read(proc, 60.0)
            for rid, times in answer["received"].items():
                received.setdefault(rid, []).extend(times)
        return received

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.stdin is not None and proc.returncode is None:
                with contextlib.suppress(ConnectionError):
                    proc.stdin.write(b"quit\n")
                    await proc.stdin.drain()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
