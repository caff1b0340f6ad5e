"""Stop and hold instructions.

A stop ends a medicine or an activity ("Stop ibuprofen", "Stop the apricot scrub"): a
one-time task, and what it names never becomes a plan item of the same note, whatever
else the note says about it. A hold interrupts a medicine for a while ("hold it 48 h
before the extraction", "omit metformin the morning of surgery"): a one-time task with
its date kept, and the item it interrupts stays in force. A conditional stop or hold
("stop it if diarrhoea", "pause it if vomiting") is advice, not a step: it stops
nothing.
"""

from __future__ import annotations

import re

from carenotes_server.extraction.rules.conditions import CONDITION
from carenotes_server.extraction.rules.names import Mention, canonical_drug, name_mentions
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.text import tidy

_VERB = re.compile(
    r"\b(?P<stop>stop|discontinue|d/c|cease|quit|come off|no longer take)\b"
    r"|\b(?P<hold>hold|withhold|omit|skip|pause)\b",
    re.I,
)
# What ends the list of things stopped: the reason, the time, the next instruction.
_TAIL = re.compile(
    r"\b(?:while|because|due|until|for|since|as|if|unless|when|once|after|before|prior|"
    r"and start|and begin|then|in view|given|pending|on|from|at|today|tonight|now|"
    r"immediately|completely|completly|except|the (?:morning|day|night|evening) (?:of|before))\b"
    r"|[(\-\u2013;:]",
    re.I,
)
_FIRST_OBJECT = re.compile(r"^\s*(?:(?:taking|using|the|your|all|any|her|his|their)\s+)*$", re.I)
_JOINER = re.compile(
    r"^\s*(?:,|and|&|/|\+|or|, and)\s*(?:(?:the|your|her|his|their)\s+)?$"
    r"|^\s*\d[\d.,]*\s*\w{1,6}\s*(?:,|and|&|/|\+)\s*$",
    re.I,
)
_LEAD = re.compile(r"\W*(?:(?:please|and|then|also|but|so|now|today)\s+)*", re.I)
_FOR_A_WHILE = re.compile(
    r"\b(?:(?:and|then|,)\s*(?:re-?start|resume)\w*|for\s+(?:the\s+next\s+)?\d+\s*(?:hours?|hrs?|h|days?|"
    r"nights?|weeks?)\b|\d+\s*(?:hours?|hrs?|h|days?|weeks?)\s+(?:before|prior)|until\b)",
    re.I,
)
# "skip Monday's dose", "omit tonight's dose": the medicine is the one just named.
_DOSE_OF_A_DAY = re.compile(
    r"^\s*(?:the\s+)?(?:\w+'s|morning|evening|night|bedtime|next|first|usual)\s+dose\b", re.I
)
# Nouns that name a service, not something to stop ("Stop smoking service").
_SERVICE = re.compile(r"\b(?:service|clinic|team|programme|program|referral|advice|class)\b", re.I)
_CONDITIONAL_PRONOUN = re.compile(r"\s*(?:it|them)\s+(?:if|unless|should)\b", re.I)
_PRONOUN = re.compile(r"^\s*(?:it|them|both|this|these|that)\b", re.I)
_NOUN_PHRASE = re.compile(
    r"^\s*(?:(?:the|your|all|any|taking|using)\s+)*(?P<np>[A-Za-z][\w' -]{1,40}?)\s*$", re.I
)
_NOT_A_THING = re.compile(
    r"^(?:it|them|this|that|these|those|here|there|now|today|increas\w*|decreas\w*|reduc\w*|"
    r"titrat\w*|chang\w*|adjust\w*)\b",
    re.I,
)
# "Continue folic acid until 12 weeks - now stop": the course ends today.
_STOP_NOW = re.compile(r"^\s*(?:it\s+)?now\b|^\s*(?:it\s+)?(?:today|immediately)\s*$", re.I)
# "Last dose of apixaban on Thursday morning": when to break off, a one-time task.
_LAST_DOSE = re.compile(r"^\W*(?:take\s+)?(?:the\s+|your\s+)?last dose of\b", re.I)
# "Restart rivaroxaban on Saturday evening if no bleeding": the end of a hold, once.
_RESTART_ON = re.compile(
    r"^\W*(?:restart|resume|recommence)\b.*?\b(?:on\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|tom+or+ow|the day after|after the (?:procedure|surgery|operation|scan|extraction|test))\b",
    re.I,
)
_DO_NOT_TAKE_ON = re.compile(
    r"^\W*(?:please\s+)?(?:do not|don't|dont)\s+(?:take|use|inject)\s+.+\b(?:on|the)\s+"
    r"(?:morning|day|night|evening)\s+(?:of|before)\b",
    re.I,
)


def _objects(rest: str) -> list[Mention]:
    """The medicines a stop names, in a row: "metformin and Januvia", "X, Y and Z"."""
    tail = _TAIL.search(rest)
    objects = rest[: tail.start()] if tail else rest
    out: list[Mention] = []
    for name in name_mentions(objects):
        gap = objects[out[-1].end if out else 0 : name.start]
        if not (_JOINER.match(gap) if out else _FIRST_OBJECT.match(gap)):
            break
        out.append(name)
    return out


def read_stop(clause: str, sentence: int, reading: Reading) -> bool:
    if _DO_NOT_TAKE_ON.match(clause) or _LAST_DOSE.match(clause) or _RESTART_ON.match(clause):
        reading.checklist.append(tidy(clause))
        return True
    # The clause's own verb only: in "ramipril 5 mg od, ...: pause it if vomiting" the
    # order is to continue ramipril.
    lead = _LEAD.match(clause)
    m = _VERB.match(clause, lead.end() if lead else 0)
    if not m:
        return False
    rest = clause[m.end() :]
    if CONDITION.match(rest.strip()) or re.match(
        r"\s*(?:it|them)\s+(?:if|unless|should)\b", rest, re.I
    ):
        return True  # "stop it if diarrhoea": advice, it ends nothing
    if lead and re.search(r"\b(?:now|today)\b", lead.group(0), re.I) and not rest.strip():
        rest = " now"  # "... until 12 weeks - now stop"
    names = _objects(rest)
    # A stop for a while is a hold: "stop for 48 hours after the scan, then restart".
    hold = m.group("hold") is not None or bool(_FOR_A_WHILE.search(rest))
    if not names:
        return _read_unnamed(rest, sentence, reading, hold=hold, verb=m.group(0))
    tail = rest[names[-1].end :]
    if hold:
        for name in names:
            reading.checklist.append(tidy(f"Hold {name.text} {tail}"))
        return True
    verb = "Discontinue" if m.group("stop").lower() == "discontinue" else "Stop"
    for name in names:
        _stop(name.text, reading)
        reading.checklist.append(tidy(f"{verb} {name.text} {tail}"))
    return True


def _stop(name: str, reading: Reading) -> None:
    reading.stopped.add(canonical_drug(name))
    reading.stops.extend(dict.fromkeys((name.lower(), canonical_drug(name))))


def _read_unnamed(rest: str, sentence: int, reading: Reading, *, hold: bool, verb: str) -> bool:
    pronoun = _PRONOUN.match(rest) or _DOSE_OF_A_DAY.match(rest)
    if pronoun is None and hold and _FOR_A_WHILE.match(rest.strip()):
        pronoun = re.match(r"\s*", rest)  # "Metformin 500 mg bd: stop for 48 hours ..."
    if not hold and (_STOP_NOW.match(rest) or (not rest.strip() and verb.lower() != "stop")):
        medicine = reading.medicine_for(sentence)
        if medicine:
            _stop(medicine, reading)
            reading.checklist.append(tidy(f"Stop {medicine} {rest.strip()}"))
            return True
    if pronoun:
        if not hold and not _DOSE_OF_A_DAY.match(rest):
            return False  # "then stop it": the end of a course, said above
        medicine = reading.medicine_for(sentence, next_sentence=True)
        if not medicine:
            reading.warn(rest, "it does not say which medicine to hold")
            return True
        if _DOSE_OF_A_DAY.match(rest):
            # "skip Monday's dose only ..." -> "Skip Monday's dose of warfarin only ..."
            said = f"{verb.capitalize()} {pronoun.group(0).strip()} of {medicine}"
            reading.checklist.append(tidy(f"{said}{rest[pronoun.end() :]}"))
        else:
            reading.checklist.append(tidy(f"Hold {medicine} {rest[pronoun.end() :]}"))
        return True
    tail = _TAIL.search(rest)
    phrase = _NOUN_PHRASE.match(rest[: tail.start()] if tail else rest)
    if phrase is None or _NOT_A_THING.match(phrase.group("np")):
        return False
    if hold:
        # "Stop the garlic and ginkgo supplements 2 weeks before surgery": for a while.
        reading.checklist.append(tidy(f"{verb.capitalize()} {rest.strip()}"))
        return True
    if tail is not None and tail.group(0) == ":":
        return False  # "Quit date agreed: tomorrow" is a label, not a stop
    if _SERVICE.search(phrase.group("np")):
        return False
    if verb.lower() == "quit" and not re.search(r"ing\b", phrase.group("np")):
        return False  # "quit date" is a noun; "quit smoking" is an order
    # Something that is no medicine we know: "Stop the apricot scrub", "STOP St John's wort".
    thing = phrase.group("np").strip()
    _stop(thing, reading)
    reading.checklist.append(tidy(f"Stop {rest.strip()}"))
    return True
