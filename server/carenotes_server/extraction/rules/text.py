"""How step texts are written: the note's own words, tidied, with shorthand spelled out."""

from __future__ import annotations

import re

from carenotes_server.domain.steps import MAX_TEXT_LENGTH

_ABBREVIATIONS = [
    (re.compile(r"\bf/u\b", re.I), "follow up"),
    (re.compile(r"\brtc\b", re.I), "return to clinic"),
    (re.compile(r"\bw/", re.I), "with "),
    (re.compile(r"(?<=\d)\s*wks?\b", re.I), " weeks"),
    (re.compile(r"(?<=\d)\s*mos?\b", re.I), " months"),
    (re.compile(r"(?<=\d)\s*yrs?\b", re.I), " years"),
    (re.compile(r"(?<=\d)\s*d\b", re.I), " days"),
    (re.compile(r"\bpt\b", re.I), "patient"),
]

# Verbs a step text may start with as it stands ("Buy ...", "Check ..."); any other text
# is given a verb ("Get bloods", "Take ...").
IMPERATIVE_START = re.compile(
    r"^(?:buy|purchase|pick|book|schedule|call|phone|arrange|make|order|bring|replace|mark|"
    r"outline|throw|discard|sign|enroll|register|download|fill|obtain|get|complete|drop|set|"
    r"contact|email|send|see|visit|attend|wash|take|check|draw|repeat|recheck|confirm|do|"
    r"return|follow|come|keep|measure|log|record|walk|use|apply|start|continue|review)\b",
    re.I,
)


def expand(text: str) -> str:
    """Clinic shorthand a patient may not know, spelled out ("f/u" -> "follow up")."""
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


def tidy(text: str) -> str:
    """One line, no dangling joiners or punctuation, a capital first letter, and short
    enough for a step."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"(?:[\s,;:\-\u2013]|\band\b|\bwith\b|\bthen\b|\bx\b)+$", "", text, flags=re.I)
    text = text.strip(" ,;:-\u2013.")
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """ "Amoxicillin 500 mg" -> "amoxicillin 500 mg"; acronyms such as "HCTZ" stay."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or not first[:1].isupper() else text[:1].lower() + text[1:]
