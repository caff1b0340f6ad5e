"""One-time tasks: things to buy, book, bring, send back; timed single actions before a
procedure; referrals and appointments the patient must make."""

from __future__ import annotations

import re

from carenotes_server.extraction.rules import conditions
from carenotes_server.extraction.rules.activities import NARRATIVE, STATUS
from carenotes_server.extraction.rules.courses import ONE_DAY
from carenotes_server.extraction.rules.quantities import find_frequency, has_time_phrase
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.text import IMPERATIVE_START, expand, lower_first, tidy

# Said before the verb of a task without changing it: "Tonight throw away ...".
_LEAD = r"(?:(?:today|tonight|tomorrow|now|then|first|also|and|please)\s+)*"
# Getting something is a task even when a dose is named: "Buy calcium carbonate 500 mg".
_PURCHASE = re.compile(
    rf"^\W*{_LEAD}(?:buy|purchase|pick up|collect|obtain|order|get)\b(?!\s+(?:a\s+|your\s+)?"
    r"(?:blood|labs?|bloods|tests?|x-?ray|scan|flu shot|vaccin\w*|referral|checked|"
    r"rest|plenty|up|better|back)\b)",
    re.I,
)
_TASK_VERB = re.compile(
    rf"(?:^{_LEAD}|[-\u2013:;,]\s*{_LEAD}|\bplease\s+)"
    r"(buy|purchase|pick up|book|schedule|call|phone|"
    r"arrange|make an appointment|order|bring|replace|mark|outline|throw away|throw out|"
    r"discard|sign up|enroll|register|download|fill|obtain|get|complete|drop off|set up|"
    r"contact|email|send|see|visit|attend|self[- ]refer|refer yourself|"
    r"(?:mail|post)(?=\s+(?:it|them|the|a|an|your|back)\b)|"
    r"wear|check|remove|fit|install|wash\b(?=.*\btoday\b)|take\b(?=.*\btoday\b))\b",
    re.I,
)
_TASK_NOUN = re.compile(
    r"\b(?:referral|appointment|enrol(?:l)?ment|removal|counsel(?:l)?ing|consult(?:ation)?|"
    r"evaluation|intake|vaccin\w*|immuni[sz]ation|booster|flu shot|physical therapy|"
    r"rehab\w*|education|class)\b",
    re.I,
)
# Nouns that are a task on their own ("Podiatry referral."); the others need a time.
_STANDALONE_TASK_NOUN = re.compile(r"\b(?:referral|enrol(?:l)?ment|removal)\b", re.I)
_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b(?:[01]?\d|2[0-3]):[0-5]\d\b", re.I)
_PRONOUN = re.compile(r"^(?P<verb>\w+(?:\s+(?:up|off|away|out|back))?)\s+(?:it|them)\b", re.I)
_TOPIC_STATUS = re.compile(
    r"\s*\b(?:applied|fitted|placed|given|booked|inserted|in situ)\b.*$", re.I
)


def read_purchase(clause: str, reading: Reading) -> bool:
    if not _PURCHASE.match(clause) or conditions.first(clause):
        return False
    reading.checklist.append(tidy(expand(re.sub(r"\bplease\s+", "", clause, flags=re.I))))
    return True


def read_timed_once(clause: str, reading: Reading) -> bool:
    """Something done once at a stated hour or day around a procedure ("dose 1 at 6 pm
    the evening before"; "check your blood sugar before leaving home that morning")."""
    if find_frequency(clause) or conditions.first(clause) or not ONE_DAY.search(clause):
        return False
    reading.checklist.append(tidy(expand(clause)))
    return True


# "Phone consult", "Telephone review": what kind of contact the note records.
_CONTACT_KIND = re.compile(
    r"^(?:phone|telephone|video|virtual)\s+(?:consult\w*|review|call|encounter|message|clinic|"
    r"f/?u|follow[- ]?up|appointment)$",
    re.I,
)


def read_task(clause: str, sentence: int, reading: Reading) -> bool:
    if NARRATIVE.search(clause) or conditions.first(clause) or _CONTACT_KIND.match(clause):
        return False
    verb = _TASK_VERB.search(clause)
    if verb:
        reading.checklist.append(tidy(expand(_task_text(clause, verb, sentence, reading))))
        return True
    timed = has_time_phrase(clause) or re.search(r"\btoday\b", clause, re.I)
    if (
        _TASK_NOUN.search(clause)
        and (timed or _STANDALONE_TASK_NOUN.search(clause))
        and not STATUS.search(clause)
    ):
        reading.checklist.append(tidy(f"Schedule {lower_first(expand(clause))}"))
        return True
    return False


def _task_text(clause: str, verb: re.Match[str], sentence: int, reading: Reading) -> str:
    before = clause[: verb.start()].strip(" -\u2013:;,")
    after = re.sub(r"\bplease\s+", "", clause[verb.start(1) :], flags=re.I)
    if before and not IMPERATIVE_START.search(before):
        subject = _TOPIC_STATUS.sub("", before).strip() or before
        reading.topic, reading.topic_sentence = subject, sentence
        pronoun = _PRONOUN.match(after)
        if pronoun:
            # "Zio patch applied today: wear it ..." -> "Wear Zio patch ..."
            return f"{pronoun.group('verb')} {subject}{after[pronoun.end() :]}"
        # "Compression stockings - buy a pair" -> "Buy compression stockings, a pair"
        rest = re.sub(rf"^{re.escape(verb.group(1))}\s*", "", after, flags=re.I)
        return f"{verb.group(1)} {before}" + (f", {rest}" if rest else "")
    if not before:
        lead = clause[: verb.start(1)]
        pronoun = _PRONOUN.match(after)
        if pronoun and reading.topic and reading.topic_sentence == sentence:
            after = f"{pronoun.group('verb')} {reading.topic}{after[pronoun.end() :]}"
        return re.sub(r"\bplease\s+", "", lead, flags=re.I) + after
    return f"{before}; {after}"
