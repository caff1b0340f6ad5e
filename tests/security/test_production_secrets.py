"""Production mode (CARENOTES_ENV=production) refuses to start with missing or weak
secrets, names the variable to fix, and never prints a secret's value."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from carenotes_server.config import SECRETS_FILE, ConfigError, load_settings

PG_URL = "postgresql://carenotes@db.example.internal:5432/carenotes"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GOOD_JWT = b64(os.urandom(48))
GOOD_KEY = b64(os.urandom(32))


def production_env(data_dir: Path, **overrides: str | None) -> dict[str, str]:
    env: dict[str, str | None] = {
        "CARENOTES_ENV": "production",
        "CARENOTES_DATA_DIR": str(data_dir),
        "CARENOTES_DATABASE_URL": PG_URL,
        "CARENOTES_JWT_SECRET": GOOD_JWT,
        "CARENOTES_MASTER_KEYS": f"k2026:{GOOD_KEY}",
        "CARENOTES_MASTER_KEY_ID": "k2026",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def refusal(data_dir: Path, **overrides: str | None) -> str:
    env = production_env(data_dir, **overrides)
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    # The secrets of the environment never appear in the message, whatever failed.
    for name in ("CARENOTES_JWT_SECRET", "CARENOTES_MASTER_KEYS"):
        value = env.get(name, "")
        for fragment in {
            value,
            *value.split(","),
            *(p.partition(":")[2] for p in value.split(",")),
        }:
            if len(fragment) >= 6:
                assert fragment not in message, f"{name}'s value leaked: {message}"
    assert "db.example.internal" not in message
    # And production never falls back to generating secrets.
    assert not (data_dir / SECRETS_FILE).exists()
    return message


def test_complete_production_settings_load(tmp_path: Path) -> None:
    settings = load_settings(production_env(tmp_path))
    assert settings.production
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert GOOD_JWT not in repr(settings)
    assert GOOD_KEY not in repr(settings)
    assert not (tmp_path / SECRETS_FILE).exists()


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"CARENOTES_DATABASE_URL": None}, "CARENOTES_DATABASE_URL"),
        ({"CARENOTES_DATABASE_URL": ""}, "CARENOTES_DATABASE_URL"),
        ({"CARENOTES_JWT_SECRET": None}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_JWT_SECRET": ""}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_JWT_SECRET": b64(b"s3cr3t-but-only-31-bytes-long!!")}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_JWT_SECRET": "hunter2-hunter2"}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_JWT_SECRET": "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_MASTER_KEYS": None}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": ""}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": " , ,"}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": GOOD_KEY}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": f":{GOOD_KEY}"}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": f"k2026:{b64(os.urandom(16))}"}, "CARENOTES_MASTER_KEYS"),
        ({"CARENOTES_MASTER_KEYS": f"k2026:{b64(os.urandom(48))}"}, "CARENOTES_MASTER_KEYS"),
        (
            {"CARENOTES_MASTER_KEYS": f"k2026:{GOOD_KEY},k2027:not-a-key-at-all"},
            "CARENOTES_MASTER_KEYS",
        ),
        ({"CARENOTES_MASTER_KEY_ID": "k1999"}, "CARENOTES_MASTER_KEY_ID"),
        ({"CARENOTES_JWT_SECRET": b64(b"\x00" * 48)}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_JWT_SECRET": b64(b"changeme" * 6)}, "CARENOTES_JWT_SECRET"),
        ({"CARENOTES_MASTER_KEYS": f"k2026:{b64(b'a' * 32)}"}, "CARENOTES_MASTER_KEYS"),
        (
            {"CARENOTES_MASTER_KEYS": f"k2026:{GOOD_KEY},old:{b64(bytes(range(8)) * 4)}"},
            "CARENOTES_MASTER_KEYS",
        ),
    ],
    ids=[
        "db-url-missing",
        "db-url-empty",
        "jwt-missing",
        "jwt-empty",
        "jwt-31-bytes",
        "jwt-short-text",
        "jwt-not-base64",
        "keys-missing",
        "keys-empty",
        "keys-only-separators",
        "keys-without-id",
        "keys-empty-id",
        "key-16-bytes",
        "key-48-bytes",
        "second-key-malformed",
        "active-id-unknown",
        "jwt-all-zero",
        "jwt-repeated-word",
        "key-one-byte-repeated",
        "second-key-patterned",
    ],
)
def test_production_refuses_and_names_the_variable(
    tmp_path: Path, overrides: dict[str, str | None], variable: str
) -> None:
    message = refusal(tmp_path, **overrides)
    assert variable in message


def test_production_names_every_missing_secret_at_once(tmp_path: Path) -> None:
    message = refusal(tmp_path, CARENOTES_JWT_SECRET=None, CARENOTES_MASTER_KEYS=None)
    assert "CARENOTES_JWT_SECRET" in message
    assert "CARENOTES_MASTER_KEYS" in message


def test_server_command_exits_with_the_reason_and_no_secret(tmp_path: Path) -> None:
    short = b64(b"x" * 20)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CARENOTES_")},
        **production_env(tmp_path, CARENOTES_JWT_SECRET=short),
    }
    result = subprocess.run(
        [sys.executable, "-m", "carenotes_server.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "CARENOTES_JWT_SECRET" in result.stderr
    for secret in (short, GOOD_KEY):
        assert secret not in result.stderr
        assert secret not in result.stdout


def test_weak_looking_secrets_are_only_refused_in_production(tmp_path: Path) -> None:
    env = production_env(tmp_path, CARENOTES_JWT_SECRET=b64(b"\x00" * 48))
    env.pop("CARENOTES_ENV")
    assert not load_settings(env).production
