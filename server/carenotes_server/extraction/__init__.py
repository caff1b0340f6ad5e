"""Extractors: turn a note's text into ExtractedSteps (rules offline, or an LLM)."""
