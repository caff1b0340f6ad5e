"""The settings of `carenotes-server`, as `serve --help` lists them.

One line each; the README's Settings table has the full text. A test checks that the
names here, the names config.py reads and the README's table are the same set.
"""

from __future__ import annotations

# (variable, default, meaning)
SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("CARENOTES_ENV", "(embedded)", "`production`: require database URL and secrets"),
    ("CARENOTES_LISTEN", "127.0.0.1:50051", "gRPC listen address (0.0.0.0:50051 in a container)"),
    ("CARENOTES_DATA_DIR", "~/.local/share/carenotes", "embedded SQLite and secrets.json"),
    ("CARENOTES_DATABASE_URL", "sqlite in DATA_DIR", "postgresql://user:pass@host:5432/db"),
    ("CARENOTES_REDIS_URL", "(in-process)", "Redis broker, fan-out and login throttle"),
    ("CARENOTES_JWT_SECRET", "generated (embedded)", "base64url of >= 32 random bytes"),
    ("CARENOTES_MASTER_KEYS", "generated (embedded)", "KEY_ID:BASE64URL[,...], 32 bytes each"),
    ("CARENOTES_MASTER_KEY_ID", "first key", "key id that wraps new data keys"),
    ("CARENOTES_EXTRACTOR", "rules (gemini if key)", "rules, gemini or openai"),
    ("GEMINI_API_KEY", "(unset)", "Gemini API key"),
    ("CARENOTES_GEMINI_MODEL", "gemini-2.5-flash", "Gemini model name"),
    ("CARENOTES_GEMINI_BASE_URL", "(SDK default)", "alternative Gemini endpoint"),
    ("CARENOTES_OPENAI_BASE_URL", "(unset)", "OpenAI-compatible endpoint (openai extra)"),
    ("CARENOTES_OPENAI_API_KEY", "unused", "API key for that endpoint"),
    ("CARENOTES_OPENAI_MODEL", "gpt-4o-mini", "model name for the openai extractor"),
    ("CARENOTES_LLM_TIMEOUT_SECONDS", "20", "timeout of one LLM request"),
    ("CARENOTES_LLM_ATTEMPTS", "3", "attempts per LLM extraction"),
    ("CARENOTES_ACCESS_TOKEN_MINUTES", "15", "access-token lifetime"),
    ("CARENOTES_REFRESH_TOKEN_DAYS", "30", "refresh-token (session) lifetime"),
    ("CARENOTES_HASH_CONCURRENCY", "2", "argon2id hashes computed at once"),
    ("CARENOTES_HASH_QUEUE_LIMIT", "64", "hashes allowed to wait"),
    ("CARENOTES_SIGNUP_LIMIT", "20", "sign-ups per client host in 15 minutes"),
    ("CARENOTES_AUTH_CACHE_SECONDS", "5", "how long a live session is remembered (0: off)"),
    ("CARENOTES_DB_THREADS", "16", "service-layer threads and database pool size"),
    ("CARENOTES_WORKER_THREADS", "4", "Dramatiq worker threads"),
    ("CARENOTES_EMBEDDED_POLL_MS", "1000", "embedded: idle worker threads wake this often"),
    ("CARENOTES_SCHEDULER_INTERVAL_SECONDS", "1.0", "pause between scheduler ticks"),
    ("CARENOTES_SCHEDULER_HORIZON_SECONDS", "10", "lead: reminders due this soon are enqueued"),
    ("CARENOTES_NOTE_REQUEUE_SECONDS", "60", "re-enqueue extractions PENDING this long"),
    ("CARENOTES_ONGOING_WINDOW_DAYS", "14", "ongoing plans get reminders this far ahead"),
    ("CARENOTES_MAKEUP_CAP", "3", "make-ups in a row for one missed dose"),
    ("CARENOTES_MISSED_WINDOW_MAX_HOURS", "0 (no limit)", "longest acknowledgement window"),
    ("CARENOTES_EMBEDDED_SCHEDULER", "1 without Redis", "1 runs the scheduler inside serve"),
    ("CARENOTES_METRICS_LISTEN", "(no endpoint)", "HOST:PORT of the Prometheus /metrics"),
    ("CARENOTES_HEALTH_CHECK_SECONDS", "5", "how often database and Redis are probed"),
    ("CARENOTES_TLS_CERT", "(plaintext)", "server certificate (PEM)"),
    ("CARENOTES_TLS_KEY", "(unset)", "private key of that certificate (PEM)"),
    ("CARENOTES_TLS_CLIENT_CA", "(unset)", "CA of client certificates: mutual TLS"),
    ("CARENOTES_OTLP_ENDPOINT", "(no tracing)", "OTLP/gRPC collector: turns tracing on"),
    ("CARENOTES_LOG_LEVEL", "INFO", "level of the JSON logs on stderr"),
)


def epilog() -> str:
    """The settings as a list for argparse's epilog (RawDescriptionHelpFormatter)."""
    lines = ["settings (environment variables; empty counts as unset; README.md has the details):"]
    for name, default, meaning in SETTINGS:
        shown = default[1:-1] if default.startswith("(") and default.endswith(")") else default
        lines.append(f"  {name}  (default: {shown})")
        lines.append(f"      {meaning}")
    return "\n".join(lines)
