"""Redis pub/sub between processes: fired-reminder announcements and their relay.

Workers publish each fired reminder's announcement on one channel (`RedisAnnouncer`).
Every server process holds one pub/sub subscription (`relay_channels`) relaying each
channel to a handler: announcements into the local hub (`handle_announcement`), session
revocations into the local session cache. It reconnects forever with backoff; after
each (re)connection `on_connected` runs, so consumers can catch up on what they missed
from the database, which stays the source of truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import redis
import redis.asyncio as aioredis

from carenotes_server.streaming.hub import Announcement, ReminderFeed

log = logging.getLogger(__name__)

CHANNEL = "carenotes:reminders:fired"

Handler = Callable[[bytes], Awaitable[None]]


class RedisAnnouncer:
    """Worker side: publishes announcements for every server replica to relay, the
    reminders one batch fired in one message (one line each): at a morning peak that is
    a hundred times fewer messages for every replica to read."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)

    def __call__(self, announcements: list[Announcement]) -> None:
        if announcements:
            self._client.publish(CHANNEL, "\n".join(a.encode() for a in announcements))


async def handle_announcement(feed: ReminderFeed, raw: bytes) -> None:
    """Relay handler: the announcements of one message (one per line) into this
    process's hub, without waiting for them to be loaded (the relay reads on, and a
    burst is loaded together)."""
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    for line in text.splitlines():
        if line.strip():
            feed.announce_soon(Announcement.decode(line))


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
