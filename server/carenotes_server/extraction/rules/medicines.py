"""Medicine mentions in a clause: names (names.py), doses, and the steps they make up.

Any word written just before a dose is a drug name too ("zorbifen 25 mg"), but not a
form word ("GTN spray 400 mcg" names GTN spray). A clause is cut into segments, one per
medicine step: a taper's "then 20 mg" is a step of its own that inherits the name
before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from carenotes_server.extraction.rules.courses import DOSE_COUNT
from carenotes_server.extraction.rules.names import (
    EXTENSION_WORDS,
    NOT_A_NAME,
    Mention,
    name_mentions,
)
from carenotes_server.extraction.rules.quantities import (
    MAX_PHRASE,
    duration_days,
    find_frequency,
)
from carenotes_server.extraction.rules.schedules import PRN, has_time_of_day
from carenotes_server.extraction.rules.weekdays import weekdays

_DOSE_UNITS = (
    r"mg|mcg|µg|ug|g|gm|grams?|milligrams?|micrograms?|units?|u|iu|meq|mmol|ml|l|%|"
    r"tabs?|tablets?|caps?|capsules?|puffs?|drops?|gtts?|gtt|sprays?|patch(?:es)?|"
    r"sachets?|vials?|pens?|inhalations?|applications?|suppositor(?:y|ies)|lozenges?"
)
DOSE = re.compile(
    rf"(?<![\w/.])\d+(?:[.,]\d+)*(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?(?:/\d+(?:\.\d+)?)?\s*"
    rf"(?:{_DOSE_UNITS})(?![a-z])(?:\s*/\s*\d*\.?\d*\s*(?:ml|hr|hours?|h|l|dose|kg|24\s*h(?:rs?)?))?",
    re.I,
)

_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z'\-]{2,})\s*$")
_STRENGTH_BEFORE = re.compile(r"(?<=[A-Za-z])\s+\d+(?:[./]\d+)+\s*$")
_WORDS_BEFORE = re.compile(r"([A-Za-z][A-Za-z'\-]*)\s*$")
# "4 glucose tabs", "2 paracetamol tablets": a count, a name, then the form.
_COUNTED = re.compile(
    r"(?<![\w/.])\d+\s+(?P<name>[A-Za-z][A-Za-z-]{2,})\s+(?:tabs?|tablets?|caps?|capsules?|"
    r"sachets?|pieces?|lozenges?|puffs?|sprays?|drops?)\b",
    re.I,
)
# Words after which a dose is the one given up ("instead of 100 mg", "up from 20 mg") or
# a step of a titration ("increase by 2 units").
_FORMER_DOSE = re.compile(
    r"\b(?:instead of|rather than|in place of|(?:up|down|increased|reduced|decreased) from|"
    r"from|previously|formerly|(?:increase|decrease|reduce|titrate|go up|go down|wean)\w*\s+"
    r"(?:the dose\s+)?"
    r"(?:by|in steps of))\s+(?=\d)",
    re.I,
)
_FEW_WORDS = re.compile(r"\s*(?:[a-z.]+\s*){0,2}", re.I)
_SWITCH = re.compile(
    r"\b(?:switch|change|convert|swap)\s+(?:from\s+)?(?P<old>[^,;:]+?)\s+(?:to|for)\s+(?=[A-Za-z])",
    re.I,
)
_NOT_COUNTED = frozenset({"more", "extra", "additional", "further", "small", "large", "separate"})
THEN = re.compile(r"\bthen\b|,\s*followed by\b", re.I)


def _unknown_name_before(clause: str, end: int) -> Mention | None:
    """The name written just before a dose, known or not: "zorbifen" in "zorbifen 25
    mg"; the drug, not its form, in "GTN spray 400 mcg" or "Flovent HFA 44 mcg"."""
    head = _STRENGTH_BEFORE.sub("", clause[:end])  # "Trimbow 87/5/9 2 puffs"
    before = _WORD_BEFORE.search(head)
    if before is None or before.group(1).lower() in NOT_A_NAME:
        return None
    start = before.start(1)
    while before is not None and before.group(1).lower() in EXTENSION_WORDS:
        if re.search(r"\d\s*%?\s*$", clause[: before.start(1)]):
            return None  # "tranexamic acid 5% mouthwash 10 mL": the form of the dose before
        before = _WORDS_BEFORE.search(clause[: before.start(1)])
        if before is None or len(before.group(1)) < 3 or before.group(1).lower() in NOT_A_NAME:
            break  # a form word alone ("spray 2 puffs") stays the name
        start = before.start(1)
    stop = before_end(head, len(head))
    return Mention(start, stop, "name", clause[start:stop])


def before_end(clause: str, end: int) -> int:
    return len(clause[:end].rstrip())


def _merged(names: list[Mention], clause: str) -> list[Mention]:
    """ "Eliquis (apixaban)", "filgrastim (Zarxio)": one medicine, written twice."""
    out: list[Mention] = []
    for name in sorted(names, key=lambda n: n.start):
        if out and re.fullmatch(r"\s*\(\s*", clause[out[-1].end : name.start]):
            close = re.match(r"\s*\)", clause[name.end :])
            if close:
                last = out.pop()
                end = name.end + close.end()
                name = Mention(last.start, end, "name", clause[last.start : end])
        out.append(name)
    return out


def _mentions(clause: str) -> list[Mention]:
    names = list(name_mentions(clause))
    capped = [(m.start(), m.end()) for m in MAX_PHRASE.finditer(clause)]
    # "max 3 g/day", "3 patches for the trip" and "instead of 100 mg" are no doses.
    capped += [(m.start(), m.end()) for m in DOSE_COUNT.finditer(clause)]
    capped += [(m.end(), m.end() + 1) for m in _FORMER_DOSE.finditer(clause)]
    doses = [
        Mention(m.start(), m.end(), "dose", m.group(0))
        for m in DOSE.finditer(clause)
        if not any(s <= m.start() < e for s, e in capped)
    ]
    counted: set[int] = set()  # where the names of counted doses start
    for m in _COUNTED.finditer(clause):
        if m.group("name").lower() in _NOT_COUNTED | EXTENSION_WORDS:
            continue
        counted.add(m.start("name"))
        if not any(d.start < m.end() and m.start() < d.end for d in doses):
            doses.append(Mention(m.start(), m.end(), "dose", m.group(0)))
        if not any(n.start <= m.start("name") < n.end for n in names):
            names.append(Mention(m.start("name"), m.end("name"), "name", m.group("name")))
    names = _merged(names, clause)
    # "mesalazine 4.8 g od (Octasa 1.6 g x 3 tabs) for 8 weeks": the same medicine again.
    asides = [
        (m.start(), m.end())
        for m in re.finditer(r"\([^()]*\)", clause)
        if re.match(r"\(\s*\d+\s*x\s*\d", m.group(0))  # "(6 x 2.5 mg tabs)"
        or (
            not re.search(r"\b(?:if|unless|or|alternat\w*|when)\b", m.group(0), re.I)
            and any(
                d.end <= m.start()
                and re.fullmatch(r"\s*(?:[a-z.]+\s*){0,2}", clause[d.end : m.start()], re.I)
                for d in doses
            )
        )
    ]
    doses = [d for d in doses if not any(s < d.start < e for s, e in asides)]
    names = [n for n in names if not any(s < n.start < e for s, e in asides)]
    switch = _SWITCH.search(clause)
    if switch and any(n.start >= switch.end() for n in names):
        # "Switch Seretide to Trimbow 2 puffs bid": the dose is the new medicine's.
        names = [n for n in names if not switch.start("old") <= n.start < switch.end("old")]
    # A word just before a dose is a drug name even when we have never heard of it.
    for dose in doses:
        if any(n.end <= dose.start and not clause[n.end : dose.start].strip(" :,") for n in names):
            continue
        if any(n.start <= dose.start < n.end for n in names):
            continue
        unknown = _unknown_name_before(clause, dose.start)
        if unknown is None:
            continue
        undosed = [
            n
            for n in names
            if n.end <= unknown.start and not any(n.end <= d.start < dose.start for d in doses)
        ]
        if undosed and unknown.text[:1].islower():
            continue  # "Novorapid per carb ratio 1 unit": the dose is Novorapid's
        known = [
            n for n in names if n.end < unknown.start and not clause[n.end : unknown.start].strip()
        ]
        if known and unknown.text[:1].isupper():
            # "Gaviscon Advance 10 mL", "Pred Forte 1%": a brand and its variant, one name.
            unknown = Mention(
                known[0].start, unknown.end, "name", clause[known[0].start : unknown.end]
            )
        names = [n for n in names if not (unknown.start <= n.start < unknown.end)]
        names.append(unknown)
    names = [
        n for n in names if n.start in counted or not any(d.start <= n.start < d.end for d in doses)
    ]
    thens = [Mention(m.start(), m.end(), "then", m.group(0)) for m in THEN.finditer(clause)]
    return sorted(names + doses + thens, key=lambda m: (m.start, m.kind))


@dataclass
class Segment:
    """One medicine step inside a clause: from its name (or dose) to the next step."""

    start: int
    name: str = ""
    name_inherited: bool = False
    doses: list[Mention] = field(default_factory=list)
    after_then: bool = False
    end: int = 0
    # "once weekly for 4 weeks, then once monthly": the dose carried over from before "then"
    inherited_dose: str = ""

    def text(self, clause: str) -> str:
        return clause[self.start : self.end]


def _schedule_between(clause: str, start: int, end: int) -> bool:
    text = clause[start:end]
    if find_frequency(text) is not None or weekdays(text, weekly=True) or has_time_of_day(text):
        return True  # "10 mg on waking, 5 mg at 4 pm": a step for each time
    return bool(duration_days(text) or PRN.search(text))


def segments(clause: str, carried: str = "") -> list[Segment]:
    """The medicine steps of a clause. `carried`: the medicine an earlier clause named,
    for doses written without one ("Then 14 mg for two weeks")."""
    mentions = _mentions(clause)
    found: list[Segment] = []
    current: Segment | None = None
    last_name = carried
    for index, mention in enumerate(mentions):
        if mention.kind == "then":
            if current is not None:
                found.append(current)
            carried = current.doses[-1].text if current is not None and current.doses else ""
            current = Segment(mention.end, last_name, True, after_then=True, inherited_dose=carried)
        elif mention.kind == "name":
            own_dose = _has_own_dose(mentions, index, clause)
            if current is not None and current.name and not current.name_inherited:
                if not own_dose:
                    continue  # "calcium 600 mg with vitamin D": one step, not two
                found.append(current)
                current = None
            elif current is not None and current.doses and own_dose:
                found.append(current)  # "..., then 300 mg daily, with colchicine 500 mcg"
                current = None
            if current is None:
                current = Segment(mention.start, mention.text)
            elif current.name and _far_after_dose(clause, current, mention):
                continue  # "1 tab bd (not with the alendronate)": the dose's, not a new name
            else:
                current.name, current.name_inherited = mention.text, False
            last_name = mention.text
        else:
            if current is None:
                current = Segment(mention.start, last_name, bool(last_name))
            elif current.doses and _schedule_between(clause, current.doses[-1].end, mention.start):
                found.append(current)
                current = Segment(mention.start, last_name, True)
            current.doses.append(mention)
    if current is not None:
        found.append(current)
    for i, seg in enumerate(found):
        nxt = found[i + 1] if i + 1 < len(found) else None
        seg.end = nxt.start if nxt is not None else len(clause)
        if nxt is not None and nxt.after_then:
            # the "then" word belongs to neither side
            then = THEN.search(clause, seg.start, nxt.start + 1)
            seg.end = then.start() if then and then.start() < nxt.start else seg.end
    return [s for s in found if s.name]


def _far_after_dose(clause: str, current: Segment, name: Mention) -> bool:
    """ "500 mg amoxicillin" names the dose's drug; a name further on, after a comma or
    in brackets, is about something else."""
    if not current.doses:
        return False
    gap = clause[current.doses[-1].end : name.start]
    return len(gap) > 12 or bool(re.search(r"[(,;:]", gap))


def _has_own_dose(mentions: list[Mention], index: int, clause: str = "") -> bool:
    """Whether the name at `index` is a step of its own: it has a dose, or, joined by
    "and" or a comma rather than "with", a schedule ("... bd and salbutamol prn")."""
    for mention in mentions[index + 1 :]:
        if mention.kind == "dose":
            return True
        if mention.kind in ("name", "then"):
            break
    if not clause or index == 0:
        return False
    name = mentions[index]
    before = clause[mentions[index - 1].end : name.start]
    following = [m.start for m in mentions[index + 1 :] if m.kind in ("name", "then")]
    after = clause[name.end : following[0] if following else len(clause)]
    joined = re.search(r"(?:,|\band|&|\+|\bplus)\s*$", before, re.I)
    return bool(joined) and (find_frequency(after) is not None or bool(PRN.search(after)))
