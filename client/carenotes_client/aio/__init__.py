"""The asyncio Carenotes client: `from carenotes_client.aio import AsyncCareClient`."""

from carenotes_client.aio.client import AsyncCareClient

__all__ = ["AsyncCareClient"]
