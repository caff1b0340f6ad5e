"""The word lists of the rules extractor, kept as data files beside this module.

Each file holds one entry a line; blank lines and lines starting with "#" are ignored.
Lists change more often than the code that reads them, and a reviewer can read a diff
of a list without reading regular expressions.
"""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import Final

_PACKAGE: Final = "carenotes_server.extraction.rules.vocabulary"


@functools.cache
def entries(name: str) -> tuple[str, ...]:
    """The entries of `name`.txt, in file order, lower-case."""
    text = resources.files(_PACKAGE).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@functools.cache
def words(name: str) -> frozenset[str]:
    """The entries of `name`.txt as a set."""
    return frozenset(entries(name))


@functools.cache
def mapping(name: str) -> MappingProxyType[str, str]:
    """`key = value` entries of `name`.txt, read-only."""
    pairs: dict[str, str] = {}
    for entry in entries(name):
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{name}.txt: {entry!r} is not 'key = value'")
        pairs[key.strip()] = value.strip()
    return MappingProxyType(pairs)
