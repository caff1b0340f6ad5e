"""The baseline: a bare grpc.aio echo server with the Carenotes server options.

Run as its own process (`python -m bench.echo --port N`), like the real server. It
answers every call with a fixed 160-byte body (about the size of a WhoAmI answer), so
the baseline pays the same framing and (de)serialisation of bytes, and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import grpc

from carenotes_server.app import SERVER_OPTIONS

METHOD = "/bench.Echo/Echo"
REPLY = b"x" * 160


def _identity(data: bytes) -> bytes:
    return data


async def _echo(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return REPLY


async def serve(port: int) -> None:
    server = grpc.aio.server(options=SERVER_OPTIONS, maximum_concurrent_rpcs=None)
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Echo": grpc.unary_unary_rpc_method_handler(
                _echo, request_deserializer=_identity, response_serializer=_identity
            )
        },
    )
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"echo listening on {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0.5)


def echo_callable(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> Any:
    """An awaitable-returning zero-argument call of the echo method."""
    stub = channel.unary_unary(
        METHOD, request_serializer=_identity, response_deserializer=_identity
    )

    def call() -> Any:
        return stub(b"", metadata=metadata, timeout=30)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.echo")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
