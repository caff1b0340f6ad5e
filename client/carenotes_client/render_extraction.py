"""How the CLI tells a doctor who read a note and what was left out of its steps.

Shown with a note (`notes show`), a submitted note's steps (`notes submit --wait`) and a
preview. The extractor is always named: when the configured LLM was unreachable the
offline rules extractor stands in, and the doctor must know that a simpler reader
produced the steps. Warnings quote the note; the server sends them to its author only.
"""

from __future__ import annotations

from collections.abc import Sequence

_QUOTE = 'Left out "'


def _item(warning: str) -> str:
    # Under the "Left out:" heading, the extractors' 'Left out "X": why' reads '"X": why';
    # any other warning (the fallback's) is shown as written.
    return warning.removeprefix("Left out ") if warning.startswith(_QUOTE) else warning


def extraction_report(extractor: str, warnings: Sequence[str]) -> list[str]:
    """ "Extracted by: rules", then a "Left out:" section with one line per warning."""
    lines = [f"Extracted by: {extractor}"] if extractor else []
    if warnings:
        lines += ["Left out:", *(f"  - {_item(w)}" for w in warnings)]
    return lines


def with_report(lines: list[str], extractor: str, warnings: Sequence[str]) -> list[str]:
    """The lines, then the report after a blank line when there is one."""
    report = extraction_report(extractor, warnings)
    return [*lines, "", *report] if report else lines
