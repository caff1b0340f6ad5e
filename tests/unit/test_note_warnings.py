"""Extraction warnings at rest: one sealed blob per note, bound to that note's row."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from carenotes_server.db.models import PairKey
from carenotes_server.domain import crypto
from carenotes_server.domain.crypto import CryptoError, MasterKeyring
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.note_warnings import open_warnings, seal_warnings

WARNINGS = ('Left out "Amlodipine 5 mg": it gives a dose but no frequency', "second")


def _pair_key(cipher: ClinicalCipher) -> PairKey:
    patient, doctor = uuid.uuid4(), uuid.uuid4()
    wrapped = crypto.wrap_data_key(
        cipher.keyring, crypto.new_data_key(), crypto.pair_key_aad(patient, doctor, 1)
    )
    return PairKey(
        id=uuid.uuid4(),
        patient_id=patient,
        doctor_id=doctor,
        version=1,
        master_key_id=wrapped.master_key_id,
        wrapped_key=wrapped.blob,
        created_at=datetime.now(UTC),
    )


def test_warnings_are_sealed_to_their_note_and_none_is_stored_as_nothing() -> None:
    cipher = ClinicalCipher(MasterKeyring({"k1": os.urandom(32)}, "k1"))
    key = _pair_key(cipher)
    note_id = uuid.uuid4()
    blob = seal_warnings(cipher, key, note_id, WARNINGS)
    assert blob is not None
    assert b"Amlodipine" not in blob
    assert open_warnings(cipher, key, note_id, blob) == WARNINGS
    # Copied onto another note, the blob does not open.
    with pytest.raises(CryptoError):
        open_warnings(cipher, key, uuid.uuid4(), blob)
    assert seal_warnings(cipher, key, note_id, ()) is None
    assert open_warnings(cipher, key, note_id, None) == ()
