"""Stop and hold instructions.

A stop ends a medicine ("Stop ibuprofen"): a one-time task, and the medicine never
becomes a plan item of the same note, whatever else the note says about it. A hold
interrupts one for a while ("hold it 48 h before the extraction"): a one-time task, and
the item it interrupts stays in force.
"""

from __future__ import annotations

import re

from carenotes_server.extraction.rules.medicines import canonical_drug, name_mentions
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.text import tidy

_STOP_VERB = re.compile(
    r"\b(stop|discontinue|d/c|hold|cease|quit|come off|no longer take)\b"
    r"(?!\s*(?:if|when|after|once))",
    re.I,
)
_STOP_TAIL = re.compile(
    r"\b(while|because|due|until|for|since|as|if|when|after|before|prior|and start|then|"
    r"in view|given|pending)\b|[(\-\u2013;]",
    re.I,
)


def read_stop(clause: str, reading: Reading) -> bool:
    m = _STOP_VERB.search(clause)
    if not m:
        return False
    rest = clause[m.end() :]
    tail_match = _STOP_TAIL.search(rest)
    objects = rest[: tail_match.start()] if tail_match else rest
    tail = rest[tail_match.start() :] if tail_match else ""
    names = [n.text for n in name_mentions(objects)]
    if not names:
        return False
    word = m.group(1).lower()
    if word == "hold":
        for name in names:
            reading.checklist.append(tidy(f"Hold {name} {tail}"))
        return True
    verb = "Discontinue" if word == "discontinue" else "Stop"
    for name in names:
        reading.stopped.add(canonical_drug(name))
        reading.stops.extend(dict.fromkeys((name.lower(), canonical_drug(name))))
        reading.checklist.append(tidy(f"{verb} {name} {tail}"))
    return True
