"""Settings from environment variables (the README documents each in one table).

Embedded mode (no CARENOTES_DATABASE_URL) generates the secrets the user did not give,
once, into a 0600 file in the data directory. Production mode (CARENOTES_ENV=production)
never generates secrets: it refuses to start and says which ones are missing or weak.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from carenotes_server.domain.crypto import KEY_BYTES, MasterKeyring
from carenotes_server.domain.tokens import MIN_SECRET_BYTES

SECRETS_FILE = "secrets.json"


class ConfigError(Exception):
    """The settings are unusable; the message names the variable to fix (never its value)."""


def _private_file(path: Path) -> None:
    """Creates the embedded database file (and its WAL siblings) readable by the owner only."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate == path and not candidate.exists():
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT, 0o600))
        if candidate.exists():
            candidate.chmod(0o600)


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "carenotes"


@dataclass(frozen=True)
class Settings:
    listen: str
    data_dir: Path
    database_url: str
    redis_url: str | None
    production: bool
    jwt_secret: bytes = field(repr=False)
    keyring: MasterKeyring = field(repr=False)
    extractor: str
    gemini_api_key: str | None = field(repr=False)
    gemini_model: str
    gemini_base_url: str | None
    llm_timeout_seconds: float
    llm_attempts: int
    openai_base_url: str | None
    openai_api_key: str | None = field(repr=False)
    openai_model: str
    jwt_issuer: str = "carenotes"
    jwt_audience: str = "carenotes-api"
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    hash_concurrency: int = 2
    auth_cache_seconds: float = 5.0
    hash_queue_limit: int = 64
    db_threads: int = 16
    worker_threads: int = 4
    # How often idle worker threads wake when the broker is the in-memory one (embedded):
    # a message wakes a waiting thread at once, so this only bounds how late a retry's
    # delay and a shutdown are noticed, and a long one keeps the idle server's CPU low.
    embedded_poll_ms: int = 1_000
    scheduler_interval_seconds: float = 1.0
    # The claim lead: a batch is enqueued this long before it is due, and a worker
    # thread holds it until then (no delayed message, see tasks.py). It is also how long
    # the scheduler may be down (killed, restarting) without a reminder being late.
    scheduler_horizon_seconds: float = 10.0
    ongoing_window_days: int = 14
    makeup_cap: int = 3
    missed_window_max_hours: float = 0.0
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    log_level: str = "INFO"
    embedded_worker: bool = True
    embedded_scheduler: bool = True
    # Prometheus endpoint HOST:PORT of this process; None: no endpoint.
    metrics_listen: str | None = None
    # The scheduler re-enqueues a note still PENDING after this long (lost message).
    note_requeue_seconds: float = 60.0
    # How often a server probes its dependencies for the health service.
    health_check_seconds: float = 5.0
    # Sign-ups allowed per client host in 15 minutes (then refused, doubling delays).
    signup_limit: int = 20
    # OTLP/gRPC collector for traces (e.g. http://otel-collector:4317); None: no tracing.
    otlp_endpoint: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _b64_secret(name: str, value: str, min_bytes: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} must be base64 (url-safe) encoded") from None
    if len(raw) < min_bytes:
        raise ConfigError(f"{name} must decode to at least {min_bytes} random bytes")
    return raw


_WEAK = "looks weak (too few distinct bytes): use random bytes, e.g. from secrets.token_bytes"
# 32 random bytes hold about 30 distinct values; fewer than 16 means a pattern or a
# placeholder ("aaaa...", all zeros, a repeated word), never chance.
_MIN_DISTINCT_BYTES = 16


def _looks_weak(secret: bytes) -> bool:
    return len(set(secret)) < _MIN_DISTINCT_BYTES


def parse_master_keys(value: str) -> dict[str, bytes]:
    """'kid1:BASE64,kid2:BASE64' -> {kid: 32-byte key}."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        kid, sep, b64 = part.partition(":")
        if not sep or not kid:
            raise ConfigError("CARENOTES_MASTER_KEYS entries must look like KEY_ID:BASE64")
        key = _b64_secret("CARENOTES_MASTER_KEYS", b64, KEY_BYTES)
        if len(key) != KEY_BYTES:
            raise ConfigError(f"CARENOTES_MASTER_KEYS: key {kid!r} must be exactly 32 bytes")
        keys[kid] = key
    return keys


def encode_secret(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """Embedded mode: secrets generated once, kept in a 0600 file beside the database."""
    path = data_dir / SECRETS_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    kid = "k" + secrets.token_hex(4)
    generated = {
        "CARENOTES_JWT_SECRET": encode_secret(secrets.token_bytes(48)),
        "CARENOTES_MASTER_KEYS": f"{kid}:{encode_secret(secrets.token_bytes(KEY_BYTES))}",
        "CARENOTES_MASTER_KEY_ID": kid,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(generated, f, indent=2)
    return generated


def save_embedded_secrets(data_dir: Path, values: dict[str, str]) -> None:
    """Rewrites the embedded secrets file atomically, keeping mode 0600."""
    path = data_dir / SECRETS_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(values, f, indent=2)
    os.replace(tmp, path)


def embedded_secrets(data_dir: Path) -> dict[str, str]:
    return _load_or_create_secrets(data_dir)


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None


def _int(env: dict[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


def _path(env: dict[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw) if raw else None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    production = env.get("CARENOTES_ENV", "").lower() == "production"
    data_dir = Path(env.get("CARENOTES_DATA_DIR") or default_data_dir())
    database_url = env.get("CARENOTES_DATABASE_URL") or ""
    if production and not database_url:
        raise ConfigError("production mode needs CARENOTES_DATABASE_URL (PostgreSQL)")
    if not database_url:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        database_url = f"sqlite:///{data_dir / 'carenotes.db'}"
        _private_file(data_dir / "carenotes.db")
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    secret_env = {
        k: env[k]
        for k in ("CARENOTES_JWT_SECRET", "CARENOTES_MASTER_KEYS", "CARENOTES_MASTER_KEY_ID")
        if env.get(k)
    }
    missing = [k for k in ("CARENOTES_JWT_SECRET", "CARENOTES_MASTER_KEYS") if k not in secret_env]
    if missing and production:
        raise ConfigError("production mode refuses to start without " + ", ".join(missing))
    if missing:
        stored = embedded_secrets(data_dir)
        for key in missing:
            secret_env[key] = stored[key]
        if "CARENOTES_MASTER_KEYS" in missing:
            secret_env["CARENOTES_MASTER_KEY_ID"] = stored["CARENOTES_MASTER_KEY_ID"]

    jwt_secret = _b64_secret(
        "CARENOTES_JWT_SECRET", secret_env["CARENOTES_JWT_SECRET"], MIN_SECRET_BYTES
    )
    keys = parse_master_keys(secret_env["CARENOTES_MASTER_KEYS"])
    if not keys:
        raise ConfigError("CARENOTES_MASTER_KEYS is empty")
    active = secret_env.get("CARENOTES_MASTER_KEY_ID") or next(iter(keys))
    if active not in keys:
        raise ConfigError("CARENOTES_MASTER_KEY_ID names a key not in CARENOTES_MASTER_KEYS")
    if production:
        if _looks_weak(jwt_secret):
            raise ConfigError(f"CARENOTES_JWT_SECRET {_WEAK}")
        weak_ids = [kid for kid, key in keys.items() if _looks_weak(key)]
        if weak_ids:
            raise ConfigError(f"CARENOTES_MASTER_KEYS: key {weak_ids[0]!r} {_WEAK}")

    gemini_key = env.get("GEMINI_API_KEY") or None
    extractor = env.get("CARENOTES_EXTRACTOR") or ("gemini" if gemini_key else "rules")
    if extractor not in {"rules", "gemini", "openai"}:
        raise ConfigError("CARENOTES_EXTRACTOR must be rules, gemini or openai")
    if extractor == "gemini" and not gemini_key:
        raise ConfigError("CARENOTES_EXTRACTOR=gemini needs GEMINI_API_KEY")
    if extractor == "openai" and not env.get("CARENOTES_OPENAI_BASE_URL"):
        raise ConfigError("CARENOTES_EXTRACTOR=openai needs CARENOTES_OPENAI_BASE_URL")

    tls_cert, tls_key = _path(env, "CARENOTES_TLS_CERT"), _path(env, "CARENOTES_TLS_KEY")
    if bool(tls_cert) != bool(tls_key):
        raise ConfigError("set both CARENOTES_TLS_CERT and CARENOTES_TLS_KEY, or neither")

    return Settings(
        listen=env.get("CARENOTES_LISTEN") or "127.0.0.1:50051",
        data_dir=data_dir,
        database_url=database_url,
        redis_url=env.get("CARENOTES_REDIS_URL") or None,
        production=production,
        jwt_secret=jwt_secret,
        keyring=MasterKeyring(keys, active),
        extractor=extractor,
        gemini_api_key=gemini_key,
        gemini_model=env.get("CARENOTES_GEMINI_MODEL") or "gemini-2.5-flash",
        gemini_base_url=env.get("CARENOTES_GEMINI_BASE_URL") or None,
        llm_timeout_seconds=_float(env, "CARENOTES_LLM_TIMEOUT_SECONDS", 20.0),
        llm_attempts=_int(env, "CARENOTES_LLM_ATTEMPTS", 3),
        openai_base_url=env.get("CARENOTES_OPENAI_BASE_URL") or None,
        openai_api_key=env.get("CARENOTES_OPENAI_API_KEY") or None,
        openai_model=env.get("CARENOTES_OPENAI_MODEL") or "gpt-4o-mini",
        access_token_ttl=timedelta(minutes=_float(env, "CARENOTES_ACCESS_TOKEN_MINUTES", 15)),
        refresh_token_ttl=timedelta(days=_float(env, "CARENOTES_REFRESH_TOKEN_DAYS", 30)),
        hash_concurrency=max(1, _int(env, "CARENOTES_HASH_CONCURRENCY", 2)),
        auth_cache_seconds=max(0.0, _float(env, "CARENOTES_AUTH_CACHE_SECONDS", 5.0)),
        hash_queue_limit=max(1, _int(env, "CARENOTES_HASH_QUEUE_LIMIT", 64)),
        db_threads=max(2, _int(env, "CARENOTES_DB_THREADS", 16)),
        worker_threads=max(1, _int(env, "CARENOTES_WORKER_THREADS", 4)),
        embedded_poll_ms=max(10, _int(env, "CARENOTES_EMBEDDED_POLL_MS", 1_000)),
        scheduler_interval_seconds=_float(env, "CARENOTES_SCHEDULER_INTERVAL_SECONDS", 1.0),
        scheduler_horizon_seconds=_float(env, "CARENOTES_SCHEDULER_HORIZON_SECONDS", 10.0),
        ongoing_window_days=_int(env, "CARENOTES_ONGOING_WINDOW_DAYS", 14),
        makeup_cap=_int(env, "CARENOTES_MAKEUP_CAP", 3),
        missed_window_max_hours=_float(env, "CARENOTES_MISSED_WINDOW_MAX_HOURS", 0.0),
        tls_cert_file=tls_cert,
        tls_key_file=tls_key,
        tls_client_ca_file=_path(env, "CARENOTES_TLS_CLIENT_CA"),
        log_level=env.get("CARENOTES_LOG_LEVEL") or "INFO",
        embedded_worker=not env.get("CARENOTES_REDIS_URL"),
        embedded_scheduler=(
            env.get("CARENOTES_EMBEDDED_SCHEDULER")
            or ("0" if env.get("CARENOTES_REDIS_URL") else "1")
        )
        == "1",
        metrics_listen=env.get("CARENOTES_METRICS_LISTEN") or None,
        note_requeue_seconds=max(0.1, _float(env, "CARENOTES_NOTE_REQUEUE_SECONDS", 60.0)),
        health_check_seconds=max(0.1, _float(env, "CARENOTES_HEALTH_CHECK_SECONDS", 5.0)),
        signup_limit=max(1, _int(env, "CARENOTES_SIGNUP_LIMIT", 20)),
        otlp_endpoint=env.get("CARENOTES_OTLP_ENDPOINT") or None,
    )
