"""Drug names: the vocabulary of known names and brands, the salt, form and device
words that belong to a name, and the generic a name stands for.

A known name is a drug of vocabulary/drug_names.txt or a brand or shorthand of
drug_aliases.txt, or a word ending in a drug-class stem (drug_suffixes.txt); medicines.py
also takes any other word written just before a dose ("zorbifen 25 mg").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from carenotes_server.extraction.rules import vocabulary

ALIASES = vocabulary.mapping("drug_aliases")
NOT_A_NAME = vocabulary.words("not_drug_names")
EXTENSION_WORDS = vocabulary.words("name_extensions")
EXTENSIONS = "|".join(re.escape(w) for w in sorted(EXTENSION_WORDS, key=len, reverse=True))

_VOCAB_NAMES = sorted(vocabulary.words("drug_names") | set(ALIASES), key=len, reverse=True)
_VOCAB = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in _VOCAB_NAMES) + r")(?![\w])", re.I
)
_SUFFIX = re.compile(
    r"\b[a-z]{3,}(?:" + "|".join(vocabulary.entries("drug_suffixes")) + r")\b", re.I
)
_NAME_EXTENSION = re.compile(rf"^(?:[- ](?:{EXTENSIONS}))+\b", re.I)


def canonical_drug(name: str) -> str:
    """Lower-case generic name, so "HCTZ", "Tylenol" and "acetaminophen" compare equal;
    "Eliquis (apixaban)" and "Symbicort Turbuhaler" name their generic too."""
    key = " ".join(re.sub(r"\([^)]*\)", " ", name.lower()).split())
    if key in ALIASES:
        return ALIASES[key]
    key = re.sub(r"^children'?s\s+|(?:\s+(?:" + EXTENSIONS + r"))+$", "", key)
    return ALIASES.get(key, key)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  # "name", "dose" or "then"
    text: str


@functools.lru_cache(maxsize=512)
def name_mentions(clause: str) -> tuple[Mention, ...]:
    """Known drug names in a clause, each with the salt and form words after it. Cached:
    the readers ask about the same clause several times."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_VOCAB, _SUFFIX):
        for m in pattern.finditer(clause):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            end = m.end()
            ext = _NAME_EXTENSION.match(clause[end:])
            if ext:
                end += ext.end()
            taken.append((m.start(), end))
            found.append(Mention(m.start(), end, "name", clause[m.start() : end]))
    return tuple(found)
