"""Pair keys: one data key per doctor-patient pair, wrapped by the master key.

`ClinicalCipher` is the one place clinical text is sealed and opened; every caller
passes the row it belongs to, so the AAD always binds ciphertext to its row.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carenotes_server.db.models import PairKey
from carenotes_server.domain import crypto
from carenotes_server.domain.crypto import MasterKeyring, WrappedKey


@dataclass(frozen=True)
class OpenKey:
    """A pair key ready for use: its identity (bound into every AAD) and its data key.

    Immutable per pair key id: rotating the master key re-wraps the data key but never
    changes it, so an OpenKey stays valid across rotations and can be cached.
    """

    id: uuid.UUID
    patient_id: uuid.UUID
    doctor_id: uuid.UUID
    version: int
    data_key: bytes = field(repr=False)


class ClinicalCipher:
    def __init__(self, keyring: MasterKeyring, *, cache_size: int = 4096) -> None:
        self.keyring = keyring
        # Unwrapped data keys by (pair key id, master key id): unwrapping is cheap, but
        # a hot read path (GetActionableSteps) need not repeat it on every call.
        self._cache: OrderedDict[uuid.UUID, OpenKey] = OrderedDict()
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

    def _cached(self, key_id: uuid.UUID) -> OpenKey | None:
        with self._lock:
            found = self._cache.get(key_id)
            if found is not None:
                self._cache.move_to_end(key_id)
            return found

    def _remember(self, key: OpenKey) -> OpenKey:
        with self._lock:
            self._cache[key.id] = key
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return key

    def open_key(self, key: PairKey | OpenKey) -> OpenKey:
        """Unwraps a stored pair key (once; later calls come from the cache)."""
        if isinstance(key, OpenKey):
            return key
        cached = self._cached(key.id)
        if cached is not None:
            return cached
        return self._unwrap(
            key.id, key.patient_id, key.doctor_id, key.version, key.master_key_id, key.wrapped_key
        )

    def _unwrap(
        self,
        key_id: uuid.UUID,
        patient_id: uuid.UUID,
        doctor_id: uuid.UUID,
        version: int,
        master_key_id: str,
        wrapped: bytes,
    ) -> OpenKey:
        data_key = crypto.unwrap_data_key(
            self.keyring,
            WrappedKey(master_key_id, wrapped),
            crypto.pair_key_aad(patient_id, doctor_id, version),
        )
        return self._remember(OpenKey(key_id, patient_id, doctor_id, version, data_key))

    def keys(self, db: Session | Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, OpenKey]:
        """The open keys by id; only keys not cached yet are read from the database."""
        found = {i: k for i in ids if (k := self._cached(i)) is not None}
        missing = ids - found.keys()
        if missing:
            rows = db.execute(
                select(
                    PairKey.id,
                    PairKey.patient_id,
                    PairKey.doctor_id,
                    PairKey.version,
                    PairKey.master_key_id,
                    PairKey.wrapped_key,
                ).where(PairKey.id.in_(missing))
            )
            for row in rows:
                found[row.id] = self._unwrap(
                    row.id,
                    row.patient_id,
                    row.doctor_id,
                    row.version,
                    row.master_key_id,
                    row.wrapped_key,
                )
        return found

    def seal(self, key: PairKey | OpenKey, kind: str, row_id: uuid.UUID, text: str) -> bytes:
        opened = self.open_key(key)
        aad = crypto.row_aad(kind, row_id, opened.patient_id, opened.doctor_id, opened.version)
        return crypto.encrypt_text(opened.data_key, text, aad)

    def open(self, key: PairKey | OpenKey, kind: str, row_id: uuid.UUID, blob: bytes) -> str:
        opened = self.open_key(key)
        aad = crypto.row_aad(kind, row_id, opened.patient_id, opened.doctor_id, opened.version)
        return crypto.decrypt_text(opened.data_key, blob, aad)


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
