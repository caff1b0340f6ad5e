"""`carenotes-server rotate-master-key`: data keys re-wrapped, notes not re-encrypted,
old notes still readable; keys from the environment are never generated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from carenotes.v1 import care_pb2
from carenotes_server import cli
from carenotes_server.db.models import Note, PairKey
from tests.harness import Harness, random_key, running_server

NOTE = "Take metformin 500 mg twice daily. Buy a glucometer."


async def _store_note(h: Harness) -> tuple[str, str, tuple[tuple[str, str]]]:
    doctor, patient = await h.assigned_pair()
    sent = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    return sent.note_id, patient.email, patient.metadata


def _set_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in ("CARENOTES_MASTER_KEYS", "CARENOTES_MASTER_KEY_ID", "CARENOTES_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


async def test_embedded_rotation_generates_a_key_and_old_notes_still_read(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_keys = {
        "CARENOTES_MASTER_KEYS": "",
        "CARENOTES_MASTER_KEY_ID": "",
        "CARENOTES_JWT_SECRET": "",
    }
    async with running_server(db_url, tmp_path, env=no_keys) as h:
        note_id, _, _ = await _store_note(h)
        jwt_secret = h.settings.jwt_secret
        with h.components.db.read() as session:
            ciphertext_before = session.scalars(select(Note.ciphertext)).one()
    secrets_file = tmp_path / "secrets.json"
    before = json.loads(secrets_file.read_text())
    _set_env(monkeypatch, {"CARENOTES_DATA_DIR": str(tmp_path), "CARENOTES_DATABASE_URL": db_url})
    assert cli.main(["rotate-master-key"]) == 0
    after = json.loads(secrets_file.read_text())
    assert after["CARENOTES_MASTER_KEY_ID"] != before["CARENOTES_MASTER_KEY_ID"]
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    async with running_server(db_url, tmp_path, env=no_keys) as h:
        assert h.settings.jwt_secret == jwt_secret
        assert h.settings.keyring.active_id == after["CARENOTES_MASTER_KEY_ID"]
        with h.components.db.read() as session:
            assert session.scalars(select(Note.ciphertext)).one() == ciphertext_before
            assert {k.master_key_id for k in session.scalars(select(PairKey))} == {
                after["CARENOTES_MASTER_KEY_ID"]
            }
        doctor_note = await h.components.db.run(_decrypt_all, h)
        assert doctor_note == [NOTE]
        del note_id


def _decrypt_all(h: Harness) -> list[str]:
    from carenotes_server.services.notes import NOTE_KIND

    with h.components.db.read() as session:
        notes = session.scalars(select(Note)).all()
        keys = h.components.cipher.keys(session, {n.pair_key_id for n in notes})
        return [
            h.components.cipher.open(keys[n.pair_key_id], NOTE_KIND, n.id, n.ciphertext)
            for n in notes
        ]


async def test_environment_keys_rotate_to_a_named_key_and_the_old_key_can_go(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = random_key(), random_key()
    async with running_server(
        db_url,
        tmp_path,
        env={"CARENOTES_MASTER_KEYS": f"old:{old_key}", "CARENOTES_MASTER_KEY_ID": "old"},
    ) as h:
        await _store_note(h)
    both = {
        "CARENOTES_DATA_DIR": str(tmp_path),
        "CARENOTES_DATABASE_URL": db_url,
        "CARENOTES_JWT_SECRET": random_key() + random_key(),
        "CARENOTES_MASTER_KEYS": f"old:{old_key},new:{new_key}",
        "CARENOTES_MASTER_KEY_ID": "old",
    }
    _set_env(monkeypatch, both)
    # Never generates a key the servers would not know: a key id is required.
    assert cli.main(["rotate-master-key"]) == 2
    assert cli.main(["rotate-master-key", "--new-key-id", "missing"]) == 2
    assert cli.main(["rotate-master-key", "--new-key-id", "new"]) == 0
    assert (
        not (tmp_path / "secrets.json").exists()
        or "new" not in (tmp_path / "secrets.json").read_text()
    )
    only_new = {"CARENOTES_MASTER_KEYS": f"new:{new_key}", "CARENOTES_MASTER_KEY_ID": "new"}
    async with running_server(db_url, tmp_path, env=only_new) as h:
        assert await h.components.db.run(_decrypt_all, h) == [NOTE]


async def test_production_mode_never_generates_keys(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = random_key()
    _set_env(
        monkeypatch,
        {
            "CARENOTES_ENV": "production",
            "CARENOTES_DATABASE_URL": db_url,
            "CARENOTES_DATA_DIR": str(tmp_path),
            "CARENOTES_JWT_SECRET": random_key() + random_key(),
            "CARENOTES_MASTER_KEYS": f"k1:{key}",
        },
    )
    assert cli.main(["rotate-master-key"]) == 2
    assert "--new-key-id" in capsys.readouterr().err
    assert not (tmp_path / "secrets.json").exists()
