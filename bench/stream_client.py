"""A StreamReminders client process: opens many streams, records when reminders arrive.

`python -m bench.stream_client --target HOST:PORT --token T --streams N --channels C
--primer ID` opens N streams over C connections (`--accounts FILE` instead of token,
primer and streams: one stream per entry of a JSON list of {"token", "primer"}, each
patient's own, as the morning peak needs). A stream counts as open once it has
replayed the primer (an already-SENT reminder): the server subscribes a stream before
replaying, so from then on every fired reminder reaches it. Protocol on stdout, one
JSON object per line: {"event": "ready", ...} when every stream is open (or failed),
then on "report" from stdin {"event": "report", "received": {id: [unix times]}}; "quit"
ends the process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import grpc

from carenotes.v1 import steps_pb2, steps_pb2_grpc

OPENING_AT_ONCE = 200


async def run(args: argparse.Namespace) -> None:
    if args.accounts:
        accounts = json.loads(await asyncio.to_thread(Path(args.accounts).read_text))
    else:
        accounts = [{"token": args.token, "primer": args.primer}] * args.streams
    args.streams = len(accounts)
    channels = [
        grpc.aio.insecure_channel(args.target, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(args.channels)
    ]
    stubs = [steps_pb2_grpc.StepsServiceStub(ch) for ch in channels]
    received: defaultdict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    opened = [0]
    settled = asyncio.Event()
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    started = time.monotonic()

    def _check() -> None:
        if opened[0] + sum(errors.values()) >= args.streams:
            settled.set()

    async def stream(index: int) -> None:
        await gate.acquire()
        released = False
        account = accounts[index]
        try:
            call = stubs[index % len(stubs)].StreamReminders(
                steps_pb2.StreamRemindersRequest(),
                metadata=(("authorization", f"Bearer {account['token']}"),),
            )
            async for reminder in call:
                now = time.time()
                if reminder.id == account["primer"]:
                    if not released:
                        opened[0] += 1
                        _check()
                        gate.release()
                        released = True
                    continue
                received[reminder.id].append(now)
        except grpc.aio.AioRpcError as exc:
            errors[exc.code().name] += 1
            _check()
        except asyncio.CancelledError:
            pass
        finally:
            if not released:
                gate.release()

    tasks = [asyncio.create_task(stream(i)) for i in range(args.streams)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(settled.wait(), args.open_timeout)
    _emit(
        {
            "event": "ready",
            "open": opened[0],
            "errors": dict(errors),
            "seconds": round(time.monotonic() - started, 2),
        }
    )
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "report":
            _emit({"event": "report", "received": dict(received), "errors": dict(errors)})
        elif line in ("quit", ""):
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ch in channels:
        await ch.close()


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_client")
    parser.add_argument("--target", required=True)
    parser.add_argument("--token")
    parser.add_argument("--streams", type=int, default=0)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--primer")
    parser.add_argument("--accounts", help="JSON file: [{token, primer}], one per stream")
    parser.add_argument("--open-timeout", type=float, default=120.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
