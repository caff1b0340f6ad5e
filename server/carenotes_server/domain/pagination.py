"""Opaque page tokens for keyset pagination (stable under inserts, no deep OFFSET scans)."""

from __future__ import annotations

import base64
import binascii
import json

from carenotes_server.domain.errors import FieldViolation, InvalidArgument

MAX_TOKEN_LENGTH = 512
_MIN_INT64, _MAX_INT64 = -(2**63), 2**63 - 1


def encode_page_token(*key: str | int) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, arity: int, field: str = "page_token") -> list[str | int] | None:
    """The keyset position of a token from encode_page_token, or None for the first page."""
    if not token:
        return None
    bad = InvalidArgument(FieldViolation(field, "is not a page token from a previous response"))
    if len(token) > MAX_TOKEN_LENGTH:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(key, list) or len(key) != arity or not all(_is_key_part(k) for k in key):
        raise bad
    return key


def _is_key_part(value: object) -> bool:
    """What encode_page_token can have written: a string without NUL (PostgreSQL text
    refuses NUL) or an integer that fits a BIGINT column."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _MIN_INT64 <= value <= _MAX_INT64
    return isinstance(value, str) and "\x00" not in value
