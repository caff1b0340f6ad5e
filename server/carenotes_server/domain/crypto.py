"""Envelope encryption of clinical text: AES-256-GCM under per-pair data keys.

Each doctor-patient pair shares one data key. The data key is stored only wrapped
(AES-256-GCM) by a master key that has a key id, so rotating the master key re-wraps
the small data keys and never touches the notes. Every ciphertext is bound to its row
by its associated data (AAD): copied into another row, it fails to decrypt.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # 96-bit nonces, fresh from os.urandom for every encryption
KEY_BYTES = 32  # AES-256


class CryptoError(Exception):
    """Decryption failed closed. The message says why, without any plaintext."""


class UnknownMasterKey(CryptoError):
    """A data key is wrapped by a master key id that this process was not given."""


@dataclass(frozen=True)
class MasterKeyring:
    """The master keys this process knows, by key id, and the one used for new wraps."""

    keys: Mapping[str, bytes]
    active_id: str

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ValueError(f"active master key id {self.active_id!r} is not in the keyring")
        for kid, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise ValueError(f"master key {kid!r} must be {KEY_BYTES} bytes")

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownMasterKey(f"master key {key_id!r} is not configured") from None


@dataclass(frozen=True)
class WrappedKey:
    master_key_id: str
    blob: bytes  # nonce || AES-GCM(master, data key)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def pair_key_aad(patient_id: UUID, doctor_id: UUID, version: int) -> bytes:
    """Binds a wrapped data key to its pair and version."""
    return f"carenotes:pair-key:v1|{patient_id}|{doctor_id}|{version}".encode()


def row_aad(kind: str, row_id: UUID, patient_id: UUID, doctor_id: UUID, version: int) -> bytes:
    """Binds a ciphertext to its table (kind), row, pair and key version."""
    return f"carenotes:{kind}:v1|{row_id}|{patient_id}|{doctor_id}|{version}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise CryptoError("ciphertext is truncated")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise CryptoError(
            "decryption failed: wrong key, or the ciphertext does not belong to this record"
        ) from None


def wrap_data_key(keyring: MasterKeyring, data_key: bytes, aad: bytes) -> WrappedKey:
    return WrappedKey(keyring.active_id, seal(keyring.key(keyring.active_id), data_key, aad))


def unwrap_data_key(keyring: MasterKeyring, wrapped: WrappedKey, aad: bytes) -> bytes:
    try:
        return open_sealed(keyring.key(wrapped.master_key_id), wrapped.blob, aad)
    except UnknownMasterKey:
        raise
    except CryptoError:
        raise CryptoError(
            f"cannot unwrap a data key with master key {wrapped.master_key_id!r}: "
            "the configured master key is wrong"
        ) from None


def encrypt_text(data_key: bytes, text: str, aad: bytes) -> bytes:
    return seal(data_key, text.encode("utf-8"), aad)


def decrypt_text(data_key: bytes, blob: bytes, aad: bytes) -> str:
    return open_sealed(data_key, blob, aad).decode("utf-8")
