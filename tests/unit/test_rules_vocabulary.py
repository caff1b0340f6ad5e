"""The rules extractor's word lists are data files read through importlib.resources, so
they travel with the package; brand names reach their generic through canonical_drug."""

from __future__ import annotations

from importlib import resources

import pytest

from carenotes_server.extraction.rules import canonical_drug, vocabulary

_PACKAGE = "carenotes_server.extraction.rules.vocabulary"


def _lists() -> list[str]:
    files = resources.files(_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".txt") for f in files if f.name.endswith(".txt"))


def test_every_list_loads_and_is_not_empty() -> None:
    names = _lists()
    assert {"drug_names", "drug_aliases", "context_labels", "staff_roles"} <= set(names)
    for name in names:
        assert vocabulary.entries(name), name
        assert all(e == e.strip().lower() for e in vocabulary.entries(name))


def test_a_malformed_mapping_line_is_refused() -> None:
    with pytest.raises(ValueError, match="key = value"):
        vocabulary.mapping("drug_names")  # a plain list, not "key = value" lines


@pytest.mark.parametrize(
    ("written", "generic"),
    [
        ("Eliquis", "apixaban"),
        ("Symbicort Turbuhaler", "budesonide-formoterol"),
        ("Xarelto (rivaroxaban)", "rivaroxaban"),
        ("cefalexin oral suspension", "cephalexin"),
        ("Pen V", "phenoxymethylpenicillin"),
        ("metoprolol succinate", "metoprolol"),
        ("HCTZ", "hydrochlorothiazide"),
    ],
)
def test_brand_form_and_salt_words_reach_the_generic(written: str, generic: str) -> None:
    assert canonical_drug(written) == generic
