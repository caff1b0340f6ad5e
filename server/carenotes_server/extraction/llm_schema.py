"""The shape of an LLM's answer, the JSON schema the model is held to, and the strict reader.

Both LLM extractors ask their provider for structured JSON against `ANSWER_JSON_SCHEMA`,
but a provider's promise is not a guarantee: `parse_llm_answer` re-checks everything
itself and rejects the whole answer on the first broken rule. Nothing is trimmed,
coerced or guessed. Every `ExtractionError` raised here names the rule that was broken
and where (e.g. "plan[1].schedule.every_hours"), never the text of the note or of the
answer, because the reason is stored and shown to users (PHI).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from carenotes_server.domain.plan_change import stops_named_in
from carenotes_server.domain.steps import (
    MAX_CHECKLIST_ITEMS,
    MAX_PLAN_ITEMS,
    MAX_TEXT_LENGTH,
    MAX_TIMES_OF_DAY,
    MAX_WARNINGS,
    WEEKDAYS,
    ChecklistStep,
    ExtractedSteps,
    PlanStep,
    Schedule,
    validate_steps,
)
from carenotes_server.extraction.base import ExtractionError
from carenotes_server.extraction.sanitize import SplitNote

# A structured answer of 30 + 30 items of 300 characters fits well below this; anything
# larger is not an answer we asked for, and is refused before the JSON parser sees it.
MAX_ANSWER_CHARS: Final = 64_000

_Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]
_TimeOfDay = Annotated[str, StringConstraints(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$")]
_Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
assert tuple(_Weekday.__args__) == WEEKDAYS  # type: ignore[attr-defined]

# Shape limits only, far above any clinical bound: a model held to a low maximum by
# constrained decoding would have to round "40 times daily" down to it, a silent clamp.
# The clinical bounds are checked afterwards (validate_steps), which refuses the note and
# names the item.
_MAX_COUNT: Final = 100_000


class _Strict(BaseModel):
    # strict: no "2" -> 2, no 2.0 -> 2, no 1 -> True. forbid: an unknown field is an error,
    # not something to drop silently.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LlmSchedule(_Strict):
    """When the action is due. Every field is required: use 0, false or [] when unused."""

    times_per_day: int = Field(
        ge=0, le=_MAX_COUNT, description="Doses per dosing day; 0 with every_hours."
    )
    every_hours: int = Field(
        ge=0, le=_MAX_COUNT, description="Hours between doses (q8h = 8); else 0."
    )
    every_days: int = Field(
        ge=1, le=_MAX_COUNT, description="Days between dosing days: 1 daily, 7 weekly."
    )
    duration_days: int = Field(
        ge=0, le=_MAX_COUNT, description="Length of the course in days; 0 = ongoing."
    )
    occurrences: int = Field(
        ge=0, le=_MAX_COUNT, description="Total reminders of the course; 0 = ongoing."
    )
    start_in_days: int = Field(
        ge=0, le=_MAX_COUNT, description="Days from today to the first dose; 0 = today."
    )
    as_needed: bool = Field(description="True for PRN items: never reminded.")
    times_of_day: list[_TimeOfDay] = Field(
        max_length=MAX_TIMES_OF_DAY, description='Explicit local times "HH:MM", or empty.'
    )
    days_of_week: list[_Weekday] = Field(
        max_length=7,
        description="Named dosing days (MO..SU) for weekday schedules, every_days 1; else [].",
    )


class LlmChecklistItem(_Strict):
    text: _Text = Field(description="A one-time task, in the note's own words.")


class LlmPlanItem(_Strict):
    action: _Text = Field(description="What to do each time, in the note's own words.")
    schedule: LlmSchedule


class LlmAnswer(_Strict):
    checklist: list[LlmChecklistItem] = Field(max_length=MAX_CHECKLIST_ITEMS)
    plan: list[LlmPlanItem] = Field(max_length=MAX_PLAN_ITEMS)
    # Required in the schema sent (every property is), optional here: an answer from a
    # provider that predates the field, or a fake, simply has none.
    warnings: list[_Text] = Field(
        default_factory=list,
        max_length=MAX_WARNINGS,
        description=(
            "Sentences that read like instructions but were left out because their drug, "
            "dose or schedule is unclear: one short text each, saying which and why."
        ),
    )


# --- The JSON schema sent to the providers -------------------------------------------------

# Keywords both Gemini's response_json_schema and OpenAI's strict json_schema accept.
# Everything else pydantic emits (title, maxLength, pattern, $defs, ...) is dropped
# rather than risk a 400 from one provider; parse_llm_answer enforces it all anyway.
_PORTABLE_KEYWORDS: Final = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "enum",
    }
)


def _portable(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_portable(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _portable(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _portable(sub, defs) for name, sub in value.items()}
        elif key in _PORTABLE_KEYWORDS:
            out[key] = _portable(value, defs)
    if out.get("type") == "object":
        # OpenAI strict mode requires both; they also match extra="forbid" and the
        # models' all-required fields.
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


def answer_json_schema() -> dict[str, Any]:
    """The JSON schema of LlmAnswer, inlined and reduced to portable keywords."""
    raw = LlmAnswer.model_json_schema(mode="validation")
    result: dict[str, Any] = _portable(raw, raw.get("$defs", {}))
    return result


ANSWER_JSON_SCHEMA: Final[dict[str, Any]] = answer_json_schema()


# --- Strict JSON reading ---------------------------------------------------------------------

# A fence is tolerated only when it wraps the WHOLE answer: some OpenAI-compatible servers
# ignore response_format and answer in markdown. Unwrapping an exact envelope loses
# nothing (the content is then held to the same schema and grounding rules); scanning for
# the first "{" in free text would accept prose around the JSON, which we never do.
_WHOLE_FENCE = re.compile(r"\A\s*```(?:json)?[ \t]*\n(?P<body>.*)\n[ \t]*```\s*\Z", re.DOTALL)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        # With duplicates, json.loads keeps the last value: two readers could disagree.
        raise ExtractionError("answer is not valid: an object repeats a key")
    return dict(pairs)


def _reject_constant(_: str) -> Any:
    raise ExtractionError("answer is not valid: NaN or Infinity is not JSON")


def _load_json(raw: str) -> Any:
    if len(raw) > MAX_ANSWER_CHARS:
        raise ExtractionError(f"answer is too long (over {MAX_ANSWER_CHARS} characters)")
    fenced = _WHOLE_FENCE.match(raw)
    text = fenced.group("body") if fenced else raw
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except json.JSONDecodeError:
        # The decoder's message quotes no input, but its position is useless to users.
        raise ExtractionError("answer is not valid JSON") from None


# --- Schema validation ------------------------------------------------------------------

_KNOWN_FIELDS: Final = frozenset(
    set(LlmAnswer.model_fields)
    | set(LlmPlanItem.model_fields)
    | set(LlmChecklistItem.model_fields)
    | set(LlmSchedule.model_fields)
)
_MAX_REPORTED_ERRORS: Final = 3


def _safe_path(loc: tuple[int | str, ...]) -> str:
    # A loc can hold a key the model invented (extra_forbidden); only our own field
    # names and indexes are echoed.
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _KNOWN_FIELDS:
            path += f".{part}" if path else part
        else:
            path += ".<unexpected field>" if path else "<unexpected field>"
    return path or "answer"


def _schema_reason(error: ValidationError) -> str:
    # Never str(error): pydantic quotes the offending input values.
    details = [f"{_safe_path(e['loc'])} ({e['type']})" for e in error.errors()]
    shown = "; ".join(details[:_MAX_REPORTED_ERRORS])
    more = len(details) - _MAX_REPORTED_ERRORS
    return f"answer violates the schema: {shown}" + (f"; and {more} more" if more > 0 else "")


def _validate_answer(data: Any) -> LlmAnswer:
    if not isinstance(data, dict):
        raise ExtractionError("answer violates the schema: the top level must be an object")
    try:
        return LlmAnswer.model_validate(data, strict=True)
    except ValidationError as error:
        raise ExtractionError(_schema_reason(error)) from None


def _to_steps(answer: LlmAnswer) -> ExtractedSteps:
    return ExtractedSteps(
        checklist=tuple(ChecklistStep(c.text) for c in answer.checklist),
        plan=tuple(
            PlanStep(
                p.action,
                Schedule(
                    times_per_day=p.schedule.times_per_day,
                    every_hours=p.schedule.every_hours,
                    every_days=p.schedule.every_days,
                    duration_days=p.schedule.duration_days,
                    occurrences=p.schedule.occurrences,
                    start_in_days=p.schedule.start_in_days,
                    as_needed=p.schedule.as_needed,
                    times_of_day=tuple(p.schedule.times_of_day),
                    days_of_week=tuple(d for d in WEEKDAYS if d in p.schedule.days_of_week),
                ),
            )
            for p in answer.plan
        ),
        # The prompt asks for stops as checklist items ("Stop lisinopril").
        stops=stops_named_in(c.text for c in answer.checklist),
        warnings=tuple(answer.warnings),
    )


# --- Grounding ------------------------------------------------------------------------------

# Words an item may use without the note containing them: grammar, instruction verbs,
# units and timing. Everything else in an item (drug names, tests, body parts,
# specialties, ...) must be found in the note's clinical sentences. A word missing here
# makes a legitimate paraphrase fail the note (visible, retryable by the doctor); a word
# wrongly added here could let the model invent content. Add with care.
_GENERIC_VOCABULARY: Final = """
    a an the of to in on at for with by from and or as per your you each every all any
    before after during until then if when up out off into over under no not do does is
    are be been this that these those it its their them other another more less than
    only also same next first last new one two three four
    take use apply start begin continue stop discontinue finish complete schedule book
    make call contact see visit check measure monitor record log bring buy get pick fill
    refill return avoid keep drink eat walk rest attend follow ask tell report seek go
    come wear inhale inject rinse hold resume reduce increase decrease taper repeat
    obtain arrange review discuss notify remember give place change clean
    mg mcg g kg ml l unit iu tablet tab capsule cap pill dose puff drop spray patch
    application amount
    daily day week weekly month monthly year hour hourly minute morning evening night
    nightly bedtime noon afternoon once twice time today tomorrow course full entire
    needed meal food water empty stomach am pm
    appointment clinic doctor physician provider office lab test result
    prescription pharmacy medication medicine
"""
_STOP_PREFIXES: Final = ("stop", "discontinue", "cease")
_WORD = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _stem(word: str) -> str:
    # Just enough to match "tablets" with "tablet"; not a real stemmer on purpose.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower())}


def _numbers(text: str) -> set[str]:
    return {n.lstrip("0") or "0" for n in _NUMBER.findall(text)}


_GENERIC_STEMS: Final = frozenset(_stem(w) for w in _GENERIC_VOCABULARY.split())


def _check_grounded(path: str, text: str, note: SplitNote) -> None:
    clinical_words = _words(note.clinical_text)
    content = _words(text) - _GENERIC_STEMS
    if not content:
        raise ExtractionError(f"{path} is not grounded in the note: it names nothing specific")
    ungrounded = content - clinical_words
    # Checked first only to give the more telling reason: an injected sentence is the
    # likeliest source of such words. Generic words are exempt, or "take", said in a
    # refused sentence, would fail every "Take ..." item of a note that never says "take".
    if ungrounded & _words(" ".join(note.refused)):
        raise ExtractionError(
            f"{path} is not grounded in the note: it uses words found only in refused sentences"
        )
    if ungrounded:
        raise ExtractionError(
            f"{path} is not grounded in the note: it uses words absent from the clinical text"
        )
    if not _numbers(text) <= _numbers(note.clinical_text):
        # A dose the note never gave ("5000 mg" for "500 mg") is as dangerous as a drug.
        raise ExtractionError(
            f"{path} is not grounded in the note: it has a number absent from the clinical text"
        )


def _check_warning(path: str, text: str, note: SplitNote) -> None:
    """A warning is read by the doctor, never by the patient, and may explain in the
    model's words; but words the note has only in refused sentences are refused here
    too, or an injected sentence could address the doctor through it."""
    ungrounded = _words(text) - _GENERIC_STEMS - _words(note.clinical_text)
    if ungrounded & _words(" ".join(note.refused)):
        raise ExtractionError(
            f"{path} is not grounded in the note: it uses words found only in refused sentences"
        )


def _items(steps: ExtractedSteps) -> Iterable[tuple[str, str]]:
    for i, c in enumerate(steps.checklist):
        yield f"checklist[{i}]", c.text
    for i, p in enumerate(steps.plan):
        yield f"plan[{i}]", p.action


def _check_no_stop_in_plan(steps: ExtractedSteps) -> None:
    for i, p in enumerate(steps.plan):
        first = _WORD.findall(p.action.lower())[:1]
        if first and first[0].startswith(_STOP_PREFIXES):
            # Reminding a patient, on a schedule, to stop something is never intended.
            raise ExtractionError(f"plan[{i}] is a stop instruction; it belongs in the checklist")


# --- Entry point ----------------------------------------------------------------------------


def parse_llm_answer(raw: str, note: SplitNote) -> ExtractedSteps:
    """Reads a model's answer for `note`, or raises ExtractionError naming the broken rule.

    Order: size, JSON syntax, schema (types and shape limits), plan/checklist
    conventions, grounding of every item in note.clinical, then the shape and clinical
    bounds of the steps (validate_steps raises InvalidSteps, which names the grounded
    items it refuses).
    """
    answer = _validate_answer(_load_json(raw))
    steps = _to_steps(answer)
    _check_no_stop_in_plan(steps)
    for path, text in _items(steps):
        _check_grounded(path, text, note)
    for i, warning in enumerate(steps.warnings):
        _check_warning(f"warnings[{i}]", warning, note)
    return validate_steps(steps)
