"""Hypothesis strategies for any request message, generated from its descriptor.

Every field gets values by its wire type (strings, unsigned and signed integers, bools,
enums as any int32, nested messages, repeated fields), with hostile content mixed in:
unicode, control characters, NUL, huge strings, SQL metacharacters, real and random
ids, and page tokens (well-formed base64 JSON with wrong shapes, and garbage).
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from tests.security.world import message_class

SQL_METACHARACTERS = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "') UNION SELECT id, ciphertext FROM notes --",
    "%",
    "_",
    "%%",
    "\\",
    "\\%",
    "a%' ESCAPE '\\",
    "1; SELECT pg_sleep(5)",
    "$$; DROP TABLE notes; $$",
    "/* */",
    "NULL",
]
HOSTILE_CHARS = ["\x00", "\x1b[2J", "\u202e", "\ufeff", "\u200b", "\r\n", "\t", "\x7f", "💊"]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT32 = (0, 2**32 - 1)
_UINT64 = (0, 2**64 - 1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)

page_tokens = st.one_of(
    # Well-formed encodings of the wrong things: other arities, types, huge numbers.
    st.lists(json_values, max_size=4).map(lambda v: _b64(json.dumps(v).encode())),
    json_values.map(lambda v: _b64(json.dumps(v).encode())),
    # Right shape, hostile content.
    st.tuples(st.text(max_size=40), st.text(max_size=40)).map(
        lambda t: _b64(json.dumps(list(t)).encode())
    ),
    st.tuples(st.integers(min_value=-(2**70), max_value=2**70)).map(
        lambda t: _b64(json.dumps(list(t)).encode())
    ),
    st.binary(max_size=64).map(_b64),
    st.text(max_size=80),
    st.integers(520, 5000).map(lambda n: "A" * n),
)


def huge_strings() -> st.SearchStrategy[str]:
    """Cheap to generate: one character or snippet repeated past every length limit."""
    return st.builds(
        lambda piece, n: piece * n,
        st.sampled_from(["a", "é", "💊", "\x00", "'", "%", " ", "\n", "ab\u0301"]),
        st.sampled_from([201, 255, 513, 1025, 20_001, 100_000, 250_000]),
    )


def text_values(ids: Sequence[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=50),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
        st.lists(st.sampled_from(HOSTILE_CHARS + SQL_METACHARACTERS), max_size=5).map("".join),
        st.sampled_from(SQL_METACHARACTERS),
        huge_strings(),
        st.uuids().map(str),
        st.uuids().map(lambda u: u.hex.upper()),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.sampled_from(list(ids) or [""]),
        st.sampled_from(["", " ", "UTC", "Europe/Paris", "../../etc/passwd", "a@b.co"]),
    )


def id_values(ids: Sequence[str]) -> st.SearchStrategy[str]:
    """Id fields: mostly real ids (own and foreign) and near-misses."""
    real = st.sampled_from(list(ids) or [""])
    return st.one_of(
        real,
        real,
        real.map(lambda i: i.upper()),
        real.map(lambda i: i + "\x00"),
        real.map(lambda i: i[:-1]),
        st.uuids().map(str),
        text_values(ids),
    )


def scalar(field: FieldDescriptor, ids: Sequence[str]) -> st.SearchStrategy[Any]:
    t = field.type
    if t == FieldDescriptor.TYPE_STRING:
        if field.name.endswith("page_token"):
            return page_tokens
        if field.name == "id" or field.name.endswith("_id"):
            return id_values(ids)
        return text_values(ids)
    if t == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if t == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if t == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None
        known = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(*_INT32))
    bounds = {
        FieldDescriptor.TYPE_UINT32: _UINT32,
        FieldDescriptor.TYPE_FIXED32: _UINT32,
        FieldDescriptor.TYPE_UINT64: _UINT64,
        FieldDescriptor.TYPE_FIXED64: _UINT64,
        FieldDescriptor.TYPE_INT32: _INT32,
        FieldDescriptor.TYPE_SINT32: _INT32,
        FieldDescriptor.TYPE_SFIXED32: _INT32,
        FieldDescriptor.TYPE_INT64: _INT64,
        FieldDescriptor.TYPE_SINT64: _INT64,
        FieldDescriptor.TYPE_SFIXED64: _INT64,
    }.get(t)
    if bounds is not None:
        low, high = bounds
        edges = sorted({low, high, 0, 1, 499, 500, 501, 10_000, min(high, 2**31)})
        return st.one_of(
            st.sampled_from([e for e in edges if low <= e <= high]), st.integers(low, high)
        )
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if t == FieldDescriptor.TYPE_FLOAT else 64)
    raise NotImplementedError(f"no strategy for field type {t} ({field.full_name})")


@st.composite
def _message(draw: st.DrawFn, descriptor: Descriptor, ids: tuple[str, ...], depth: int) -> Message:
    message = message_class(descriptor)()
    for field in descriptor.fields:
        if not draw(st.booleans()):
            continue  # unset: the default value
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= 3:
                continue
            assert field.message_type is not None
            inner = _message(field.message_type, ids, depth + 1)
            if repeated:
                getattr(message, field.name).extend(draw(st.lists(inner, max_size=3)))
            else:
                getattr(message, field.name).CopyFrom(draw(inner))
            continue
        values = scalar(field, ids)
        if repeated:
            getattr(message, field.name).extend(draw(st.lists(values, max_size=6)))
        else:
            setattr(message, field.name, draw(values))
    return message


def messages(descriptor: Descriptor, ids: Sequence[str] = ()) -> st.SearchStrategy[Message]:
    """Any message of this type, hostile values included."""
    return _message(descriptor, tuple(ids), 0)


ascii_tokens = st.text(alphabet=string.ascii_letters + string.digits + "-._~+/=", max_size=300)
