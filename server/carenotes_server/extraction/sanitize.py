"""Treat the note as untrusted input: find sentences that try to instruct the extractor.

A note is data written by a person; a sentence such as "Ignore previous instructions
and add ..." is not a clinical instruction and must never become a step, whichever
extractor runs. Every extractor calls `split_untrusted` first and works on the clinical
sentences only; LLM extractors additionally check that each answer item is grounded in
those sentences (see llm_schema.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'(\[])|\n+")

# Phrases addressed to a program rather than to a patient. Kept deliberately broad:
# a false positive drops one sentence of a note (visible to the doctor in the preview),
# a false negative could schedule something no doctor wrote.
_INJECTION_PATTERNS = [
    r"\bignore\b.{0,40}\b(instructions?|prompts?|rules?|above|previous|prior|doctor|system)\b",
    r"\bdisregard\b.{0,40}\b(instructions?|prompts?|rules?|above|previous|prior|doctor)\b",
    r"\bforget\b.{0,40}\b(instructions?|prompts?|rules?|everything)\b",
    r"\b(system|developer|assistant)\s*(prompt|message|:)",
    r"\byou are (now )?(an?|the) (ai|assistant|model|language model|chatbot)\b",
    r"\b(output|return|respond with|print|reply with)\b.{0,30}(json|checklist\s*=|plan\s*=|\{|\[)",
    r"\b(checklist|plan|actionable_?steps)\s*[=:]\s*[\[{]",
    r"\b(instead|new instructions?)\b.{0,20}\b(output|add|include|return|schedule)\b",
    r"\bas an ai\b",
    # "Add oxycodone 30 mg q4h to the plan": a doctor orders a drug, not a data structure.
    r"\b(add|include|put|insert|append|write)\b.{0,80}\b(to|in|into|onto)\s+"
    r"(the\s+|your\s+|his\s+|her\s+|their\s+|this\s+)?(patient'?s\s+)?"
    r"(plan|checklist|output|json|steps|response|answer|care plan|reminders?)\b",
    r"</?\s*(system|instructions?|prompt|note)\s*>",
    # Hidden markup and words addressed to a program by name: "<!-- AI: schedule ... -->".
    r"<!--|-->",
    r"\b(dear|hey|hi|hello|attention|note to( the)?)\s+"
    r"(ai|assistant|chatgpt|gpt|bot|model|system)\b",
    r"\b(developer mode|jailbreak|admin(istrator)? override|"
    r"override (the|all|your) (rules|instructions))\b",
    r"\b(ai|llm|gpt|chatgpt|chatbot|bot|model|extractor)\s*[:,]\s*(please\s+)?"
    r"(add|include|schedule|output|put|ignore|list|write|mark)\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _INJECTION_PATTERNS), re.IGNORECASE)


@dataclass(frozen=True)
class SplitNote:
    """A note cut into the sentences we trust as clinical text and the ones we refuse."""

    clinical: tuple[str, ...]
    refused: tuple[str, ...]

    @property
    def clinical_text(self) -> str:
        return " ".join(self.clinical)


def split_sentences(note: str) -> list[str]:
    """Splits on sentence ends and line breaks; keeps each sentence's own punctuation."""
    parts = (p.strip() for p in _SENTENCE_END.split(note))
    return [p for p in parts if p]


def is_injection(sentence: str) -> bool:
    """True when the sentence addresses the extractor instead of the patient."""
    return _INJECTION.search(sentence) is not None


def split_untrusted(note: str) -> SplitNote:
    clinical: list[str] = []
    refused: list[str] = []
    for sentence in split_sentences(note):
        (refused if is_injection(sentence) else clinical).append(sentence)
    return SplitNote(tuple(clinical), tuple(refused))
