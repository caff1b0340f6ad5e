"""Gold corpus and scorer for the offline rules extractor."""
