"""What a process says about itself when it starts, and why it may refuse to.

The summary is one log line an operator can read to know which database, broker and
extractor a process really uses: the addresses without credentials (user, password
and query options are dropped, since a URL's query may carry a password too).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from carenotes_server.config import Settings


class StartupError(Exception):
    """The process cannot start; the message says why and what to do."""


def database_address(url: str) -> str:
    """postgresql+psycopg://user:pw@db:5432/carenotes?sslmode=x -> postgresql://db:5432/carenotes"""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{parsed.database or ''}"
    host = parsed.host or ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{backend}://{host}{port}/{parsed.database or ''}"


def redis_address(url: str) -> str:
    """redis://:secret@redis:6379/0 -> redis://redis:6379/0"""
    parsed = urlsplit(url)
    host = parsed.hostname or ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def mode(settings: Settings) -> str:
    if settings.production:
        return "production"
    return "development" if settings.redis_url else "embedded"


def summary(settings: Settings, *, role: str) -> dict[str, Any]:
    """The fields of the start-up line of `serve`, `worker` or `scheduler`."""
    in_process = settings.redis_url is None
    fields: dict[str, Any] = {
        "role": role,
        "mode": mode(settings),
        "database": database_address(settings.database_url),
        "broker": "in-process" if in_process else redis_address(settings.redis_url or ""),
        "extractor": settings.extractor,
        "data_dir": str(settings.data_dir),
        "tracing": settings.otlp_endpoint or "off",
    }
    if role == "serve":
        fields["listen"] = settings.listen
        fields["tls"] = (
            "mutual" if settings.tls_client_ca_file else "on" if settings.tls_cert_file else "off"
        )
        fields["workers"] = "in-process" if settings.embedded_worker else "separate"
        fields["scheduler"] = "in-process" if settings.embedded_scheduler else "separate"
    return fields
