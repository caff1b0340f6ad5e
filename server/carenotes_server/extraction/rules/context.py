"""What in a note is not an instruction to the patient, read clause by clause: history
("has been on sertraline for 4 years"), findings ("BP 128/82, HR 72"), other
prescribers' medicines ("apixaban 5 mg bid (haematology)"), doses given in clinic
("triamcinolone 40 mg given today"), and orders addressed to staff ("RN to call with
results"). Sections (clauses.py) catch most of it; these rules catch the rest, in
notes without sections and inside a plan.
"""

from __future__ import annotations

import re

from carenotes_server.extraction.rules import conditions, vocabulary

# Verbs a doctor starts an instruction with; a context clause that starts with one is
# still read ("Meds: continue metformin ...").
INSTRUCTION = re.compile(
    r"^\W*(?:please\s+)?(?:start|stop|discontinue|continue|cont|take|use|apply|inject|give|"
    r"increase|decrease|reduce|hold|omit|skip|resume|restart|begin|keep|buy|purchase|book|"
    r"schedule|call|arrange|get|pick up|bring|check|measure|weigh|record|wear|attend|return|"
    r"follow up|switch|change|add|avoid|do not|don't|replace|throw|wash|walk|drink|rest|"
    r"elevate|ice|stretch|rinse|gargle|complete|finish|fill|send|mail|see|visit|contact|"
    r"phone|email|repeat|recheck|review|log|monitor|test)\b",
    re.I,
)
_CONTINUES_ANYWHERE = re.compile(
    r"\b(?:continue|continues|continuing|restart|resume|start)\b(?!\w)(?<!\bstarted)", re.I
)
_SUBJECT = re.compile(
    r"^(?:the\s+)?(?:patient|pt|he|she|they|his|her|their|mother|father|mum|dad|wife|husband|"
    r"parent|brother|sister|son|daughter|family)\b",
    re.I,
)
_DEMOGRAPHIC = re.compile(
    r"^\W*\d{1,3}\s*(?:-?\s*(?:y/?o|yo|yrs?|years?|months?|mo)\b(?:[- ]old)?|[MF]\b)", re.I
)
_PAST = re.compile(
    r"\b(?:has been|have been|had been|has had|was|were|used to|previously|formerly|"
    r"in the past|tried|trialled|trialed|failed|declined|declines|refused|refuses|"
    r"intolerant|allergic|allergy|reaction to|history of|hx of|past)\b",
    re.I,
)
_TAKES = re.compile(
    r"\b(?:takes|taking|uses|using|on|currently|already|started|stopped|commenced)\b", re.I
)
_FINDING = re.compile(
    r"^\W*(?:bp|hr|rr|t|temp|spo2|sats?|o2|wt|weight|bmi|iop|va|k|na|cr|creat\w*|egfr|hb|"
    r"hba1c|a1c|inr|tsh|ldl|hdl|bg|cbg|pef|fev1|pulse|qtc|ef|jvp|ferritin|psa|crp|esr)"
    r"(?:\s+(?:os|od|ou|l|r|left|right))?\s*(?:of|is|was|=|:)?\s*\d",
    re.I,
)
_PRESCRIBERS = "|".join(re.escape(p) for p in vocabulary.entries("prescribers"))
OTHER_PRESCRIBER = re.compile(
    rf"\((?:via\s+|per\s+|from\s+|by\s+)?(?:the\s+)?(?:{_PRESCRIBERS})\w*\)"
    rf"|\b(?:via|per|from|under|by)\s+(?:the\s+|her\s+|his\s+)?(?:{_PRESCRIBERS})\w*\b",
    re.I,
)
# A dose given in clinic: "given today", "given L deltoid", "administered by RN".
ADMINISTERED = re.compile(
    r"[-\u2013,(]\s*(?:given|administered)\s*\)?\s*$"
    r"|\b(?:now|today)\s+in\s+(?:clinic|the department|ed)\b|"
    r"\b(?:given|administered|injected|inserted|placed|applied)\b[^.;:]{0,30}?"
    r"\b(?:today|in clinic|by (?:the\s+)?(?:rn|nurse|midwife|hca|doctor|gp|me|us)\b|stat\b|"
    r"this (?:morning|afternoon)|here|(?:l|r|left|right)\s+(?:deltoid|arm|thigh|buttock|glute\w*))",
    re.I,
)
# Paperwork about a medicine: "repeat prescription for amlodipine 5 mg authorised".
PAPERWORK = re.compile(
    r"\b(?:prescription (?:for|of)|authori[sz]ed|issued|dispensed|re-?ordered)\b", re.I
)
# What a medicine did or does: "omeprazole 20 mg od not controlling symptoms".
_EFFECT = re.compile(
    r"\b(?:not (?:controlling|helping|working|tolerated|effective)|no (?:benefit|effect|"
    r"improvement|response)|ineffective|did not help|didn't help|helped|helps|caused|causing|"
    r"works well|working well|well tolerated|with good effect|stopped|discontinued|ceased|"
    r"withdrawn|ago|since (?:\d{4}|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|"
    r"oct\w*|nov\w*|dec\w*|last|her|his|the|childhood|diagnosis)|last (?:year|month|week)|"
    r"prescribed by|started by)\b",
    re.I,
)
_STAFF = "|".join(re.escape(r) for r in vocabulary.entries("staff_roles"))
_CARERS = "|".join(re.escape(r) for r in vocabulary.entries("caregivers"))
_ACTOR = re.compile(
    rf"^(?P<before>.*?)(?:^|\s[-\u2013]\s|,\s*|;\s*|:\s*)(?:the\s+)?(?:(?P<staff>(?:\w+\s+)?(?:{_STAFF}))"
    rf"|(?P<carer>{_CARERS}))\s+(?:to|will|should|must)\s+(?P<verb>[a-z]+)(?P<rest>.*)$",
    re.I,
)
_STATUS_WORDS = re.compile(
    r"\s*\b(?:booked|arranged|requested|sent|given|done|placed|ordered|made)\b\s*$", re.I
)
# Remarks about paperwork after the instruction: " - form given", "(leaflet given)".
_REMARK = re.compile(
    r"\s*(?:[-\u2013]\s*(?:lab\s+|request\s+|blood\s+)?(?:forms?|leaflet|rx|chart|card|"
    r"prescription|script)\s+(?:given|provided|sent|done)|\((?:[^()]{0,30}\s)?(?:given|provided|"
    r"sent|done)\)|\s[-\u2013,]\s*(?:already\s+)?(?:booked|arranged|requested|ordered)\s*$|"
    # "... long term - ECG QTc 430 done": a finding about it, not part of the order.
    r"\s[-\u2013]\s[^-\u2013]*\b(?:done|normal|checked|reviewed|ok|fine)\s*$)",
    re.I,
)


# "... antibiotic prophylaxis is not needed": said to rule a step out.
NOT_NEEDED = re.compile(
    r"\b(?:is|are)\s+(?:not|no longer)\s+(?:needed|required|recommended|necessary|indicated)\b|"
    r"\bunnecessary\b|\bnot indicated\b",
    re.I,
)


def without_remarks(text: str) -> str:
    return _REMARK.sub("", text).strip()


def is_history(text: str, first_medicine: int | None) -> bool:
    """Whether a clause tells what was or is, rather than what to do. `first_medicine`:
    where its first medicine mention starts, if any."""
    if INSTRUCTION.match(text):
        return False
    if _DEMOGRAPHIC.match(text):
        return True
    if _CONTINUES_ANYWHERE.search(text) and not re.search(r"\bstarted\b", text, re.I):
        return False  # "..., which he should continue"; "He will also continue apixaban"
    head = text if first_medicine is None else text[:first_medicine]
    if conditions.before(head):
        return False  # "Amber zone (wheeze, using the reliever ...): salbutamol ...": an order
    if _PAST.search(head):
        return True
    # What follows a dash or a bracket is a remark on something else ("- level 0.7 last week").
    if first_medicine is not None and _EFFECT.search(re.split(r"\s[-\u2013]\s|\(", text)[0]):
        return True
    if first_medicine is not None and _TAKES.search(head):
        return True
    return bool(_SUBJECT.match(text)) and first_medicine is not None


def is_finding(text: str) -> bool:
    """A clause that opens with a measurement ("BP 128/82, HR 72 daily")."""
    return bool(_FINDING.match(text)) and not INSTRUCTION.match(text)


# "I have asked him to drink plenty of water": the doctor reports what the patient is to do.
_ASKED = re.compile(
    r"^(?:i|we)\s+(?:have\s+)?(?:asked|advised|told|instructed|encouraged|recommended)\s+"
    r"(?:him|her|them|the patient|pt|the family|his \w+|her \w+)\s+to\s+"
    # "We agreed to stop the amlodipine": what the doctor and patient settled on.
    r"|^(?:i|we)\s+(?:have\s+)?(?:agreed|decided|arranged)\s+to\s+"
    # "She will have a kidney function test": the patient's own steps, told in the third person.
    r"|^(?:he|she|they|the patient|patient|pt)\s+(?:will|should|is to|needs to|must|has to)\s+"
    r"(?!be\b|have been\b)",
    re.I,
)


# "I have started esomeprazole 40 mg bd": the doctor's order, told as done.
_ORDERED = re.compile(
    r"^(?:i|we)\s+(?:have\s+|'ve\s+)?(?P<verb>started|commenced|prescribed|increased|reduced|"
    r"decreased|switched|changed|added)\s+",
    re.I,
)
_AS_ORDER = {
    "started": "start", "commenced": "start", "prescribed": "take", "increased": "increase",
    "reduced": "reduce", "decreased": "reduce", "switched": "switch", "changed": "change",
    "added": "add",
}  # fmt: skip


def asked_to(text: str) -> str:
    """What the patient is to do, when the note tells it: "I have asked him to drink
    more water" -> "drink more water"; "I have started X" -> "start X"."""
    ordered = _ORDERED.match(text)
    if ordered:
        return f"{_AS_ORDER[ordered.group('verb').lower()]} {text[ordered.end() :]}"
    return _ASKED.sub("", text)


def by_patient(text: str) -> bool:
    """Whether the clause gives a task to the patient or a carer by name ("Son to fit
    grab rails", "DESMOND course - pt to enrol online")."""
    m = _ACTOR.match(text)
    return m is not None and bool(m.group("carer"))


def actor_task(text: str) -> str | None:
    """The clause as the patient's task when it names who is to do it: "Mum to buy an
    oral syringe" -> "buy an oral syringe"; "TTE booked - pt to attend" -> "attend
    TTE"; None for an order to staff ("RN to call pt with results"). A clause that
    names no one is returned as it is."""
    m = _ACTOR.match(text)
    if m is None:
        return text
    if m.group("staff"):
        return None
    verb, rest = m.group("verb"), m.group("rest").strip()
    subject = _STATUS_WORDS.sub("", m.group("before").strip(" ,;-\u2013"))
    if not subject:
        return f"{verb} {rest}".strip()
    if not rest:
        return f"{verb} {subject}"
    return f"{subject}: {verb} {rest}"
