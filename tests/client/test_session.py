"""The session file: private from its first byte, atomic, never leaking tokens."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carenotes_client import FileSessionStore, Session, default_session_path


def make_session(token: str = "secret-access") -> Session:
    now = datetime.now(UTC).replace(microsecond=0)
    return Session(
        server="127.0.0.1:50051",
        access_token=token,
        access_token_expires_at=now + timedelta(minutes=15),
        refresh_token="secret-refresh",
        refresh_token_expires_at=now + timedelta(days=30),
        user_id="u1",
        user_name="Pat",
        role="patient",
    )


def test_file_is_created_0600_in_a_0700_directory(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "carenotes" / "session.json")
    old_umask = os.umask(0)  # the most permissive umask must not widen the modes
    try:
        store.save(make_session())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_save_replaces_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "session.json")
    store.save(make_session("first"))
    store.save(make_session("second"))
    loaded = store.load()
    assert loaded is not None
    assert loaded.access_token == "second"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.json"]


def test_round_trip_and_clear(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path / "session.json")
    session = make_session()
    store.save(session)
    assert store.load() == session
    store.clear()
    assert store.load() is None
    store.clear()  # clearing twice is fine


def test_corrupt_file_reads_as_signed_out(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text("{not json")
    assert FileSessionStore(path).load() is None


def test_repr_hides_tokens() -> None:
    text = repr(make_session())
    assert "secret" not in text


def test_default_path_follows_the_config_dir_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARENOTES_CONFIG_DIR", str(tmp_path))
    assert default_session_path() == tmp_path / "session.json"
    monkeypatch.delenv("CARENOTES_CONFIG_DIR")
    assert default_session_path() == Path.home() / ".config" / "carenotes" / "session.json"
