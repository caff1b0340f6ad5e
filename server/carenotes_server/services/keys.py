"""Pair keys: one data key per doctor-patient pair, wrapped by the master key.

`ClinicalCipher` is the one place clinical text is sealed and opened; every caller
passes the row it belongs to, so the AAD always binds ciphertext to its row.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carenotes_server.db.models import PairKey
from carenotes_server.domain import crypto
from carenotes_server.domain.crypto import MasterKeyring, WrappedKey


class ClinicalCipher:
    def __init__(self, keyring: MasterKeyring, *, cache_size: int = 4096) -> None:
        self.keyring = keyring
        # Unwrapped data keys by (pair key id, master key id): unwrapping is cheap, but
        # a hot read path (GetActionableSteps) need not repeat it on every call.
        self._cache: OrderedDict[tuple[uuid.UUID, str, bytes], bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def pair_key(
        self, session: Session, patient_id: uuid.UUID, doctor_id: uuid.UUID, now: datetime
    ) -> PairKey:
        """The pair's current key, created on first use."""
        stmt = (
            select(PairKey)
            .where(PairKey.patient_id == patient_id, PairKey.doctor_id == doctor_id)
            .order_by(PairKey.version.desc())
            .limit(1)
        )
        existing = session.scalars(stmt).first()
        if existing is not None:
            return existing
        data_key = crypto.new_data_key()
        wrapped = crypto.wrap_data_key(
            self.keyring, data_key, crypto.pair_key_aad(patient_id, doctor_id, 1)
        )
        row = PairKey(
            id=uuid.uuid4(),
            patient_id=patient_id,
            doctor_id=doctor_id,
            version=1,
            master_key_id=wrapped.master_key_id,
            wrapped_key=wrapped.blob,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # a concurrent first note for the same pair created it
            return session.scalars(stmt).one()
        return row

    def data_key(self, key: PairKey) -> bytes:
        cache_key = (key.id, key.master_key_id, key.wrapped_key)
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None:
                self._cache.move_to_end(cache_key)
                return cached
        data_key = crypto.unwrap_data_key(
            self.keyring,
            WrappedKey(key.master_key_id, key.wrapped_key),
            crypto.pair_key_aad(key.patient_id, key.doctor_id, key.version),
        )
        with self._lock:
            self._cache[cache_key] = data_key
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return data_key

    def seal(self, key: PairKey, kind: str, row_id: uuid.UUID, text: str) -> bytes:
        aad = crypto.row_aad(kind, row_id, key.patient_id, key.doctor_id, key.version)
        return crypto.encrypt_text(self.data_key(key), text, aad)

    def open(self, key: PairKey, kind: str, row_id: uuid.UUID, blob: bytes) -> str:
        aad = crypto.row_aad(kind, row_id, key.patient_id, key.doctor_id, key.version)
        return crypto.decrypt_text(self.data_key(key), blob, aad)


def pair_keys_by_id(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, PairKey]:
    if not ids:
        return {}
    return {k.id: k for k in session.scalars(select(PairKey).where(PairKey.id.in_(ids)))}


def rotate_master_key(session: Session, old: MasterKeyring, new: MasterKeyring) -> int:
    """Re-wraps every data key under new.active_id; notes are not re-encrypted.

    `old` must know every master key currently in use; the caller commits.
    Returns the number of data keys re-wrapped.
    """
    count = 0
    for key in session.scalars(select(PairKey).with_for_update()):
        if key.master_key_id == new.active_id:
            continue
        aad = crypto.pair_key_aad(key.patient_id, key.doctor_id, key.version)
        data_key = crypto.unwrap_data_key(old, WrappedKey(key.master_key_id, key.wrapped_key), aad)
        wrapped = crypto.wrap_data_key(new, data_key, aad)
        key.master_key_id = wrapped.master_key_id
        key.wrapped_key = wrapped.blob
        count += 1
    return count
