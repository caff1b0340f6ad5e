"""Input rules for accounts: names, emails, passwords, timezones, ids and pages."""

from __future__ import annotations

import functools
import re
import unicodedata
import uuid
import zoneinfo
from importlib import resources

from carenotes_server.domain.errors import FieldViolation, InvalidArgument

MIN_PASSWORD_LENGTH = 8
# Far above what anyone types, low enough that hashing it costs nothing extra. Never
# truncated: argon2 hashes the whole password, unlike bcrypt's 72-byte limit.
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_NOTE_LENGTH = 20_000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("carenotes_server.domain").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def has_control_chars(text: str, *, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(c) in {"Cc", "Cs"} and c not in allowed for c in text)


# Invisible or direction-changing characters make one name look like another ("Dr Dana
# One" with a zero-width space, or text reversed by a right-to-left override): Unicode
# format characters (Cf: bidi embeddings, overrides and isolates, zero-width spaces and
# joiners, the BOM, invisible operators) and the other zero-width characters.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u180e")


def has_invisible_or_bidi_chars(text: str) -> bool:
    return any(unicodedata.category(c) == "Cf" or c in _INVISIBLE for c in text)


def normalize_name(name: str) -> str:
    """NFKC and single spaces: full-width letters and runs of spaces are the same name."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def normalize_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_violation(email: str) -> FieldViolation | None:
    if not email:
        return FieldViolation("email", "is required")
    if (
        len(email) > MAX_EMAIL_LENGTH
        or not _EMAIL.match(email)
        or has_control_chars(email)
        or has_invisible_or_bidi_chars(email)
    ):
        return FieldViolation("email", "is not a valid email address")
    return None


def name_violation(name: str) -> FieldViolation | None:
    if not name.strip():
        return FieldViolation("name", "is required")
    if len(name) > MAX_NAME_LENGTH:
        return FieldViolation("name", f"must be at most {MAX_NAME_LENGTH} characters")
    if has_control_chars(name):
        return FieldViolation("name", "must not contain control characters")
    if has_invisible_or_bidi_chars(name):
        return FieldViolation("name", "must not contain invisible or text-direction characters")
    return None


def password_violation(
    password: str, *, field: str = "password", context: tuple[str, ...] = ()
) -> FieldViolation | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return FieldViolation(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        return FieldViolation(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return FieldViolation(field, "is too common; choose a less guessable password")
    for word in context:
        if word and len(word) >= 4 and lowered == word.lower():
            return FieldViolation(field, "must not be your name or email")
    return None


def timezone_violation(tz: str) -> FieldViolation | None:
    if tz not in _timezones():
        return FieldViolation("timezone", "must be an IANA timezone name such as Europe/Paris")
    return None


def parse_uuid(value: str, field: str, *, required: bool = True) -> uuid.UUID | None:
    if not value:
        if required:
            raise InvalidArgument(FieldViolation(field, "is required"))
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(FieldViolation(field, "is not a valid id")) from None


def required_uuid(value: str, field: str) -> uuid.UUID:
    parsed = parse_uuid(value, field, required=True)
    assert parsed is not None
    return parsed


def page_size(value: int, field: str = "page_size") -> int:
    if value == 0:
        return DEFAULT_PAGE_SIZE
    if value > MAX_PAGE_SIZE:
        raise InvalidArgument(FieldViolation(field, f"must be at most {MAX_PAGE_SIZE}"))
    return value


def note_text_violation(note: str, field: str = "note") -> FieldViolation | None:
    if not note.strip():
        return FieldViolation(field, "must not be empty")
    if len(note) > MAX_NOTE_LENGTH:
        return FieldViolation(field, f"must be at most {MAX_NOTE_LENGTH} characters")
    if has_control_chars(note, allow_newlines=True):
        return FieldViolation(field, "must not contain control characters")
    return None
