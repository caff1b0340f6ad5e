"""Patients' open reminder streams, as a phone app keeps them: reconnect after any
error and resume from the last reminder received. Every receipt is recorded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import grpc

from carenotes.v1 import steps_pb2, steps_pb2_grpc

RECONNECT_S = 0.2


@dataclass(frozen=True)
class Receipt:
    stream: str
    patient_id: str
    reminder_id: str
    at: float  # time.time()


@dataclass
class Streams:
    receipts: list[Receipt] = field(default_factory=list)
    reconnects: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    def open(self, target: str, name: str, patient_id: str, token: str) -> None:
        channel = grpc.aio.insecure_channel(target)
        self._channels.append(channel)
        stub = steps_pb2_grpc.StepsServiceStub(channel)
        self._tasks.append(asyncio.create_task(self._follow(stub, name, patient_id, token)))

    async def _follow(
        self, stub: steps_pb2_grpc.StepsServiceAsyncStub, name: str, patient_id: str, token: str
    ) -> None:
        after = ""
        metadata = (("authorization", f"Bearer {token}"),)
        while True:
            call = stub.StreamReminders(
                steps_pb2.StreamRemindersRequest(after_id=after), metadata=metadata
            )
            try:
                async for reminder in call:
                    self.receipts.append(Receipt(name, patient_id, reminder.id, time.time()))
                    after = reminder.id
            except grpc.aio.AioRpcError:
                pass
            self.reconnects += 1
            await asyncio.sleep(RECONNECT_S)

    def received(self) -> int:
        return len(self.receipts)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self._channels:
            await channel.close()
