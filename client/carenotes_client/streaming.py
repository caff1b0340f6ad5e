"""Helpers for long-lived server streams: duplicate suppression and cancellation."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator

from carenotes_client.rpc import StreamCall

# How often a stop event is checked while a stream blocks waiting for a message.
_STOP_POLL_SECONDS = 0.1


class RecentIds:
    """The last `capacity` ids seen, for dropping replays after a reconnect."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def add(self, item: str) -> None:
        self._ids[item] = None
        self._ids.move_to_end(item)
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


@contextlib.contextmanager
def cancelled_on(stop: threading.Event | None, call: StreamCall[object]) -> Iterator[None]:
    """Cancels `call` as soon as `stop` is set, and always on exit.

    A sync gRPC stream blocks in next() until a message arrives, so another
    thread has to cancel it to make the consumer notice the stop request.
    """
    finished = threading.Event()

    def watch() -> None:
        assert stop is not None
        while not finished.is_set():
            if stop.wait(_STOP_POLL_SECONDS):
                call.cancel()
                return

    watcher = None
    if stop is not None:
        watcher = threading.Thread(target=watch, name="carenotes-stream-stop", daemon=True)
        watcher.start()
    try:
        yield
    finally:
        finished.set()
        call.cancel()
        if watcher is not None:
            watcher.join()
