"""The offline rules extractor (see extractor.py for how a note is read)."""

from carenotes_server.extraction.rules.extractor import RulesExtractor
from carenotes_server.extraction.rules.names import canonical_drug

__all__ = ["RulesExtractor", "canonical_drug"]
