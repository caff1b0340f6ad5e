"""One Redis pub/sub subscription per server process, relaying each channel to a handler.

Used for fired-reminder announcements (to the local stream hub) and session
revocations (to the local session cache). Reconnects forever with backoff; after each
(re)connection `on_connected` runs, so consumers can catch up on what they missed from
the database, which stays the source of truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import redis
import redis.asyncio as aioredis

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[None]]


async def relay_channels(
    url: str,
    handlers: Mapping[str, Handler],
    *,
    on_connected: Callable[[], None] | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    backoff = 0.2
    while True:
        client = aioredis.Redis.from_url(url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(*handlers)
                if on_connected is not None:
                    on_connected()
                if ready is not None:
                    ready.set()
                backoff = 0.2
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    name = channel.decode() if isinstance(channel, bytes) else str(channel)
                    try:
                        await handlers[name](message["data"])
                    except (ValueError, TypeError, KeyError):
                        log.warning("ignored a malformed message", extra={"channel": name})
        except asyncio.CancelledError:
            raise
        except (redis.RedisError, OSError):
            log.warning("lost Redis pub/sub; reconnecting", extra={"backoff_s": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            await client.aclose()
