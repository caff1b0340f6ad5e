"""The offline extractor: regular expressions over clinical shorthand, no model, no network.

How a note is read:

1. `split_untrusted` drops sentences that address a program instead of a patient. Its
   sentences are cut further into clauses (list items, "; ", lower-case sentence ends);
   inside a refused sentence only the clauses written before the injected one are kept.
2. Each clause is tried, in order, as a stop instruction ("Stop ibuprofen"), a warning
   ("avoid", "do not": never a step), medicines (a drug name and/or a dose with a
   frequency, duration, as-needed marker or single-dose marker), a follow-up, a
   non-drug scheduled action, a lab or test, a one-time task.
3. Medicines named in a stop instruction never become plan items, whatever else the
   note says about them: the safety rule wins over recall.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from carenotes_server.domain.steps import (
    MAX_CHECKLIST_ITEMS,
    MAX_PLAN_ITEMS,
    MAX_TEXT_LENGTH,
    ChecklistStep,
    ExtractedSteps,
    PlanStep,
    Schedule,
    validate_steps,
)
from carenotes_server.extraction.sanitize import is_injection, split_untrusted

_I = re.IGNORECASE


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A general vocabulary of common medicines (generic and a few brand names); any other word
# directly followed by a dose ("zolpidem 5 mg") is read as a drug name as well.
DRUG_NAMES = _words(
    """
    acetaminophen paracetamol ibuprofen naproxen aspirin celecoxib meloxicam diclofenac
    ketorolac indomethacin tramadol oxycodone hydrocodone morphine codeine fentanyl
    hydromorphone methadone buprenorphine naloxone gabapentin pregabalin duloxetine
    amitriptyline nortriptyline cyclobenzaprine methocarbamol tizanidine baclofen
    amoxicillin amoxicillin-clavulanate augmentin ampicillin penicillin cephalexin cefadroxil
    cefuroxime cefdinir ceftriaxone cefpodoxime azithromycin clarithromycin erythromycin
    doxycycline minocycline tetracycline ciprofloxacin levofloxacin moxifloxacin ofloxacin
    nitrofurantoin trimethoprim sulfamethoxazole trimethoprim-sulfamethoxazole bactrim
    metronidazole clindamycin vancomycin linezolid rifampin isoniazid fluconazole
    terbinafine clotrimazole miconazole nystatin ketoconazole acyclovir valacyclovir
    famciclovir oseltamivir ivermectin permethrin mupirocin bacitracin neomycin
    lisinopril enalapril ramipril benazepril losartan valsartan irbesartan olmesartan
    amlodipine nifedipine diltiazem verapamil metoprolol atenolol carvedilol propranolol
    bisoprolol labetalol hydrochlorothiazide hctz chlorthalidone furosemide torsemide
    bumetanide spironolactone eplerenone hydralazine clonidine isosorbide nitroglycerin
    digoxin amiodarone apixaban rivaroxaban dabigatran warfarin enoxaparin heparin
    clopidogrel ticagrelor prasugrel atorvastatin simvastatin rosuvastatin pravastatin
    lovastatin ezetimibe fenofibrate metformin glipizide glyburide glimepiride pioglitazone
    sitagliptin linagliptin empagliflozin dapagliflozin canagliflozin semaglutide
    liraglutide dulaglutide tirzepatide insulin glargine lispro aspart detemir degludec
    levothyroxine liothyronine methimazole propylthiouracil prednisone prednisolone
    methylprednisolone dexamethasone hydrocortisone budesonide fluticasone mometasone
    beclomethasone triamcinolone albuterol salbutamol levalbuterol ipratropium tiotropium
    salmeterol formoterol budesonide-formoterol montelukast cetirizine loratadine
    fexofenadine diphenhydramine hydroxyzine chlorpheniramine pseudoephedrine
    guaifenesin dextromethorphan benzonatate omeprazole esomeprazole pantoprazole
    lansoprazole rabeprazole famotidine ranitidine sucralfate ondansetron promethazine
    metoclopramide prochlorperazine loperamide bismuth docusate senna polyethylene
    lactulose bisacodyl simethicone dicyclomine mesalamine sertraline fluoxetine
    paroxetine citalopram escitalopram venlafaxine desvenlafaxine bupropion mirtazapine
    trazodone buspirone lorazepam alprazolam clonazepam diazepam zolpidem melatonin
    quetiapine olanzapine risperidone aripiprazole lithium lamotrigine levetiracetam
    valproate topiramate carbamazepine phenytoin sumatriptan rizatriptan zolmitriptan
    erenumab methotrexate hydroxychloroquine sulfasalazine allopurinol febuxostat
    colchicine alendronate risedronate ibandronate calcium cholecalciferol ergocalciferol
    cyanocobalamin folic vitamin vitamins multivitamin iron ferrous magnesium potassium
    zinc tamsulosin finasteride oxybutynin sildenafil tadalafil estradiol progesterone
    medroxyprogesterone norethindrone levonorgestrel latanoprost timolol brimonidine
    dorzolamide ketotifen olopatadine tobramycin chlorhexidine lidocaine capsaicin
    hydrocortisone triamcinolone tretinoin benzoyl adapalene calamine nicotine varenicline
    naltrexone disulfiram epinephrine glucagon phentermine orlistat saline
    rehydration electrolyte antibiotic antibiotics medication medications medicine pills
    """
)
DRUG_ALIASES = {
    "tylenol": "acetaminophen",
    "apap": "acetaminophen",
    "advil": "ibuprofen",
    "motrin": "ibuprofen",
    "aleve": "naproxen",
    "asa": "aspirin",
    "amox": "amoxicillin",
    "hctz": "hydrochlorothiazide",
    "lasix": "furosemide",
    "coumadin": "warfarin",
    "eliquis": "apixaban",
    "xarelto": "rivaroxaban",
    "plavix": "clopidogrel",
    "lipitor": "atorvastatin",
    "zocor": "simvastatin",
    "crestor": "rosuvastatin",
    "synthroid": "levothyroxine",
    "flonase": "fluticasone",
    "zyrtec": "cetirizine",
    "claritin": "loratadine",
    "benadryl": "diphenhydramine",
    "zofran": "ondansetron",
    "prilosec": "omeprazole",
    "nexium": "esomeprazole",
    "protonix": "pantoprazole",
    "pepcid": "famotidine",
    "zoloft": "sertraline",
    "prozac": "fluoxetine",
    "lexapro": "escitalopram",
    "xanax": "alprazolam",
    "ativan": "lorazepam",
    "ambien": "zolpidem",
    "keflex": "cephalexin",
    "cipro": "ciprofloxacin",
    "levaquin": "levofloxacin",
    "zithromax": "azithromycin",
    "z-pak": "azithromycin",
    "macrobid": "nitrofurantoin",
    "flagyl": "metronidazole",
    "valtrex": "valacyclovir",
    "tamiflu": "oseltamivir",
    "ozempic": "semaglutide",
    "wegovy": "semaglutide",
    "mounjaro": "tirzepatide",
    "jardiance": "empagliflozin",
    "farxiga": "dapagliflozin",
    "januvia": "sitagliptin",
    "lantus": "glargine",
    "ventolin": "albuterol",
    "proair": "albuterol",
    "symbicort": "budesonide-formoterol",
    "singulair": "montelukast",
    "norco": "hydrocodone",
    "percocet": "oxycodone",
    "neurontin": "gabapentin",
    "flexeril": "cyclobenzaprine",
    "medrol": "methylprednisolone",
    "ors": "rehydration",
    "nitro": "nitroglycerin",
    "mtx": "methotrexate",
    "tmp-smx": "trimethoprim-sulfamethoxazole",
    "bactroban": "mupirocin",
    "vitamin d": "cholecalciferol",
    "vitamin d3": "cholecalciferol",
    "vitamin b12": "cyanocobalamin",
    "b12": "cyanocobalamin",
    "folic acid": "folic",
    "prenatal vitamin": "vitamin",
    "prenatal vitamins": "vitamin",
    "insulin glargine": "glargine",
    "ferrous sulfate": "ferrous",
    "oral rehydration solution": "rehydration",
}
# Stems that mark a drug name in most generic names (statins, sartans, prils, ...).
DRUG_SUFFIXES = (
    "cillin",
    "mycin",
    "micin",
    "floxacin",
    "cycline",
    "pril",
    "sartan",
    "olol",
    "dipine",
    "statin",
    "prazole",
    "tidine",
    "azole",
    "conazole",
    "vir",
    "mab",
    "gliptin",
    "gliflozin",
    "glutide",
    "triptan",
    "oxetine",
    "azepam",
    "zolam",
    "parin",
    "xaban",
    "afil",
    "lukast",
    "terol",
    "tropium",
    "semide",
    "thiazide",
    "sone",
    "olone",
    "tadine",
    "setron",
    "pramine",
    "triptyline",
    "done",
    "codone",
    "morphone",
    "azine",
    "dronate",
    "lamide",
    "osin",
    "steride",
)

# ---------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
}
_NUM = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|thirty)"
_UNIT_DAYS = {"d": 1, "day": 1, "w": 7, "wk": 7, "week": 7, "mo": 30, "month": 30, "y": 365}
_UNIT_DAYS |= {"yr": 365, "year": 365, "h": 0, "hr": 0, "hour": 0}

_DOSE_UNITS = (
    r"mg|mcg|µg|ug|g|gm|grams?|milligrams?|micrograms?|units?|iu|meq|mmol|ml|l|%|"
    r"tabs?|tablets?|caps?|capsules?|puffs?|drops?|gtts?|gtt|sprays?|patch(?:es)?|"
    r"sachets?|vials?|pens?|inhalations?|applications?|suppositor(?:y|ies)|lozenges?"
)
_DOSE = re.compile(
    rf"(?<![\w/.])\d+(?:[.,]\d+)*(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?(?:/\d+(?:\.\d+)?)?\s*"
    rf"(?:{_DOSE_UNITS})(?![a-z])(?:\s*/\s*\d*\.?\d*\s*(?:ml|hr|hours?|h|l|dose|kg|24\s*h(?:rs?)?))?",
    _I,
)

_SALT_WORDS = (
    r"succinate|tartrate|sulfate|sulphate|sodium|potassium|hcl|hydrochloride|er|xr|xl|sr|"
    r"cr|dr|la|hfa|v|dm|nasal spray|ear drops|eye drops|cream|ointment|gel|lotion|solution|"
    r"suspension|patch|inhaler|vaginal cream|oral solution|acetate|besylate|maleate"
)

# Words that sit just before a dose but are not drug names.
_NOT_A_NAME = _words(
    """take takes taking give given use using apply inject start started starting continue
    cont resume restart begin increase increased decrease decreased reduce reduced to of with
    then and or the a an by max maximum total up dose doses tab tabs tablet tablets cap caps
    capsule capsules daily bid tid qid x each per every q at in on for from is was be mg
    now today single first next additional extra another this that his her their your
    patient pt weight weighs level levels about over under than around approximately
    drink drinks walk walking minutes hours days weeks months liters glasses ice heat
    bp blood pressure sugar glucose a1c ldl hdl creatinine sodium potassium
    """
)

_STOP_VERB = re.compile(
    r"\b(stop|discontinue|d/c|hold|cease|quit|come off|no longer take)\b"
    r"(?!\s*(?:if|when|after|once))",
    _I,
)
_STOP_TAIL = re.compile(
    r"\b(while|because|due|until|for|since|as|if|when|after|before|prior|and start|then|"
    r"in view|given|pending)\b|[(\-\u2013;]",
    _I,
)
_CONTINUES = re.compile(
    r"^\W*(?:please\s+)?(?:continue|cont\b\.?|remain on|stay on|keep taking|keep using|"
    r"carry on(?: with)?|go on with)\b",
    _I,
)
_WARNING = re.compile(
    r"^(?:please\s+)?(?:avoid|do not|don't|dont|never|no|not|without|limit|minimi[sz]e)\b", _I
)

_PRN = re.compile(
    r"\b(?:prn|p\.r\.n\.?|as needed|as-needed|when needed|if needed|as required|"
    r"when required|at (?:the )?(?:first sign|onset)|at [a-z]+ onset|after each|with each)\b",
    _I,
)
_SINGLE_DOSE = re.compile(
    r"\b(?:single dose|one dose|once today|today|now|stat|x\s*1(?!\d)|one[- ]time|tonight)\b", _I
)
_CONDITIONAL = re.compile(r"\b(?:if|unless|should (?:symptoms|there|it|you))\b(?! possible)", _I)
_MAX_PHRASE = re.compile(
    r"\b(?:max(?:imum)?|not to exceed|no more than|up to)\b[^,;.]*?(?:/\s*day|per day|a day|"
    r"in 24 h\w*|daily)",
    _I,
)

# ---------------------------------------------------------------------------------------
# Frequencies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frequency:
    """How often, as read from one phrase; `counted` is False for a plain "daily"."""

    times_per_day: int = 0
    every_hours: int = 0
    every_days: int = 1
    counted: bool = True
    days_of_week: tuple[str, ...] = ()


FrequencyReader = Callable[[re.Match[str]], Frequency]


def _num(text: str) -> int:
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS.get(text, 1)


def _hours(m: re.Match[str]) -> Frequency:
    hours = _num(m.group(1))
    if hours >= 24 and hours % 24 == 0:
        return Frequency(times_per_day=1, every_days=hours // 24)
    return Frequency(every_hours=max(hours, 1))


def _fixed(times: int, every_days: int = 1, counted: bool = True) -> FrequencyReader:
    def build(_: re.Match[str]) -> Frequency:
        return Frequency(times_per_day=times, every_days=every_days, counted=counted)

    return build


def _every_n(m: re.Match[str]) -> Frequency:
    n = _num(m.group(1))
    unit = m.group(2).lower()
    days = n * (7 if unit.startswith("w") else 30 if unit.startswith("m") else 1)
    return Frequency(times_per_day=1, every_days=max(days, 1))


# "N times a week" names N days, spread over the week as evenly as whole days allow,
# Monday first; 7 is daily and once a week stays weekly (every 7 days).
DAYS_FOR_TIMES_A_WEEK: dict[int, tuple[str, ...]] = {
    2: ("MO", "TH"),
    3: ("MO", "WE", "FR"),
    4: ("MO", "TU", "TH", "SA"),
    5: ("MO", "TU", "WE", "TH", "FR"),
    6: ("MO", "TU", "WE", "TH", "FR", "SA"),
}


def _per_week(m: re.Match[str]) -> Frequency:
    n = _num(m.group(1))
    if n >= 7:
        return Frequency(times_per_day=1)
    if n <= 1:
        return Frequency(times_per_day=1, every_days=7)
    return Frequency(times_per_day=1, days_of_week=DAYS_FOR_TIMES_A_WEEK[n])


_DAY_NAMES = {
    "mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU",
}  # fmt: skip
_DAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)s?\.?"
)
_FULL_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
_DAY_JOIN = r"\s*(?:/|,|&|\+|\band\b|\bor\b|-|\u2013|\bto\b|\bthrough\b|\bthru\b)\s*"
# Two or more day names in a row ("Mon/Wed/Fri", "Tue and Thu", "Mon-Fri"), or one full
# name, or one short name after "on"/"every" ("on Tue"): a lone "sun" or "sat" in a
# sentence is no day.
_DAY_LIST = re.compile(
    rf"(?<![\w/])(?:{_DAY}(?:{_DAY_JOIN}{_DAY})+|{_FULL_DAY}"
    rf"|(?:(?<=\bon )|(?<=\bevery )|(?<=\beach )){_DAY})(?![\w/])",
    _I,
)
_WEEKENDS = re.compile(r"\b(?:(?:on|at|over|every)\s+(?:the\s+)?weekends?|weekends)\b", _I)
_WEEKDAYS_ONLY = re.compile(
    r"\b(?:(?:on|every)\s+weekdays?|weekdays(?:\s+only)?|mon(?:day)?\s*(?:-|to)\s*fri(?:day)?)\b",
    _I,
)


def _weekdays(text: str) -> tuple[str, ...]:
    """The days of the week a phrase names, in week order (RFC 5545 codes)."""
    days: set[str] = set()
    if _WEEKENDS.search(text):
        days |= {"SA", "SU"}
    if _WEEKDAYS_ONLY.search(text):
        days |= {"MO", "TU", "WE", "TH", "FR"}
    for m in _DAY_LIST.finditer(text):
        parts = re.split(rf"({_DAY_JOIN})", m.group(0), flags=_I)
        codes = [_DAY_NAMES[p.strip().lower()[:2]] for p in parts[::2] if p.strip()]
        joins = [j.strip().lower() for j in parts[1::2]]
        if len(codes) == 2 and joins and joins[0] in ("-", "\u2013", "to", "through", "thru"):
            order = list(_DAY_NAMES.values())
            first, last = order.index(codes[0]), order.index(codes[1])
            span = order[first : last + 1] if first <= last else order[first:] + order[: last + 1]
            days |= set(span)
        else:
            days |= set(codes)
    return tuple(code for code in _DAY_NAMES.values() if code in days)


_FREQUENCIES: list[tuple[re.Pattern[str], FrequencyReader]] = [
    (re.compile(r"\bq\.?\s?(\d+)(?:\s*-\s*\d+)?\s?h(?:rs?|ours?)?\b", _I), _hours),
    (
        re.compile(rf"\bevery\s+({_NUM})(?:\s*(?:-|to|or)\s*\d+)?\s*(?:hours?|hrs?|h)\b", _I),
        _hours,
    ),
    (re.compile(r"\bevery\s+hour\b", _I), lambda m: Frequency(every_hours=1)),
    (
        re.compile(
            rf"\b({_NUM}|once|twice|thrice)\s*(?:x\s*|times?\s*)?(?:a|per|each|/)\s*day\b"
            rf"|\b({_NUM}|once|twice|thrice)\s*(?:x\s*|times\s*)?daily\b",
            _I,
        ),
        lambda m: Frequency(times_per_day=_num(m.group(1) or m.group(2))),
    ),
    (re.compile(r"\b(?:bid|b\.i\.d\.?|bd|morning and (?:evening|night))(?!\w)", _I), _fixed(2)),
    (re.compile(r"\b(?:tid|t\.i\.d\.?|tds)(?!\w)", _I), _fixed(3)),
    (re.compile(r"\b(?:qid|q\.i\.d\.?|qds)(?!\w)", _I), _fixed(4)),
    (
        re.compile(
            r"\b(?:every other day|qod|q\.o\.d\.?|alternate days|every (?:2nd|second) day|"
            r"on alternate days)(?!\w)",
            _I,
        ),
        _fixed(1, 2),
    ),
    (re.compile(rf"\bevery\s+({_NUM})\s*(days?|weeks?|wks?|months?)\b", _I), _every_n),
    (re.compile(rf"\b({_NUM})\s*(days?|times?|x)\s*(?:a|per|/)\s*week\b", _I), _per_week),
    (
        re.compile(
            r"\b(?:once\s+)?weekly\b|\bonce (?:a|per|every) week\b|\bevery week\b|"
            r"\bq\s?(?:1\s?)?w(?:ee)?k\b|\bq7d\b",
            _I,
        ),
        _fixed(1, 7),
    ),
    (
        re.compile(r"\b(?:once\s+)?monthly\b|\bonce (?:a|per|every) month\b|\bevery month\b", _I),
        _fixed(1, 30),
    ),
    (
        re.compile(
            r"\b(?:once daily|daily|qd|q\.d\.?|every day|each day|a day|per day|nightly|"
            r"every night|each night|qhs|q\.h\.s\.?|hs|at bedtime|nocte|qam|q\.a\.m\.?|qpm|"
            r"q\.p\.m\.?|every morning|each morning|every evening|each evening|mane|qday|"
            r"q24h|od)(?!\w)",
            _I,
        ),
        _fixed(1, counted=False),
    ),
]

# Times of day, strongest words first; "in the morning" only counts next to a medicine.
_ANCHORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:morning|qam|q\.a\.m|breakfast|mane|a\.m\.)", _I), "08:00"),
    (re.compile(r"\b(?:noon|lunch|midday)\b", _I), "12:00"),
    (re.compile(r"\b(?:evening|qpm|q\.p\.m|dinner|supper)\b", _I), "20:00"),
    (re.compile(r"\b(?:bedtime|qhs|q\.h\.s|hs|nightly|at night|every night|nocte)\b", _I), "22:00"),
]
_STRONG_ANCHOR = re.compile(
    r"\b(?:every|each) (?:morning|evening|night)\b|\bnightly\b|\bat bedtime\b|\bqhs\b|\bqam\b", _I
)

# ---------------------------------------------------------------------------------------
# Durations and follow-up times
# ---------------------------------------------------------------------------------------

_DURATION_UNIT = r"(days?|d|wks?|weeks?|w|months?|mos?|years?|yrs?|hours?|hrs?)"
_DURATIONS = [
    re.compile(rf"\bx\s*({_NUM})\s*{_DURATION_UNIT}\b", _I),
    re.compile(
        rf"\bfor\s+(?:the\s+next\s+|another\s+|a total of\s+|the first\s+)?({_NUM}|a|an)"
        rf"(?:\s*(?:-|to)\s*\d+)?\s*{_DURATION_UNIT}\b",
        _I,
    ),
    re.compile(rf"\b({_NUM})[- ]{_DURATION_UNIT}\s+course\b", _I),
    re.compile(r"(?<![\w/.])(\d{1,2})/(7|52|12)(?![\d/])"),
]
_UK_DENOMINATOR_DAYS = {"7": 1, "52": 7, "12": 30}
_TIME_PHRASE = re.compile(
    rf"\b{_NUM}(?:\s*(?:-|to)\s*\d+)?\s*{_DURATION_UNIT}\b|(?<![\w/.])\d{{1,2}}/(?:7|52|12)\b|"
    r"\bnext (?:week|month|visit|appointment)\b|\btomorrow\b|\bthis week\b",
    _I,
)


def _duration_days(text: str) -> int:
    for pattern in _DURATIONS:
        m = pattern.search(text)
        if not m:
            continue
        if pattern is _DURATIONS[-1]:
            return int(m.group(1)) * _UK_DENOMINATOR_DAYS[m.group(2)]
        count = _num(m.group(1))
        unit = m.group(2).lower().rstrip("s")
        unit = {"wk": "w", "mo": "mo", "yr": "y", "year": "y", "hr": "h", "hour": "h"}.get(
            unit, unit
        )
        if unit == "h":
            return max(math.ceil(count / 24), 1)
        if unit in ("month", "mo"):
            return count * 30
        return count * _UNIT_DAYS.get(unit, 1)
    return 0


def _strip_schedule_words(text: str) -> str:
    for pattern, _ in _FREQUENCIES:
        text = pattern.sub(" ", text)
    for pattern in _DURATIONS:
        text = pattern.sub(" ", text)
    text = _MAX_PHRASE.sub(" ", text)
    text = _WEEKENDS.sub(" ", _WEEKDAYS_ONLY.sub(" ", text))
    text = re.sub(rf"\b(?:on|every|each)\s+(?={_DAY})", " ", text, flags=_I)
    text = _DAY_LIST.sub(" ", text)
    return text


# ---------------------------------------------------------------------------------------
# Clauses
# ---------------------------------------------------------------------------------------

_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]+|\(?\d{1,2}[.)])\s+")
_INLINE_NUMBER = re.compile(r"(?:(?<=[.:;])|^)\s*\(?\d{1,2}[.)]\s+(?=[A-Za-z])")
_CLAUSE_END = re.compile(r"(?<!\b[A-Za-z])(?<!\b(?:Mr|Ms|Dr|vs|St))(?<!\bMrs)[.;!?]+(?:\s+|$)")


def _split_clauses(sentence: str) -> list[str]:
    """Cuts a sentence into list items and clauses, whatever the case of the next word."""
    out: list[str] = []
    for line in sentence.splitlines():
        line = _LIST_MARKER.sub("", line)
        for numbered in _INLINE_NUMBER.split(line):
            for clause in _CLAUSE_END.split(numbered):
                clause = _LIST_MARKER.sub("", clause).strip(" ,")
                if clause:
                    out.append(clause)
    return out


_COMMAND_TO_PROGRAM = re.compile(
    r"^\W*(?:add|include|output|put|insert|append|respond|print|return|write|list|schedule|"
    r"give|prescribe|now)\b",
    _I,
)


def trusted_clauses(note: str) -> list[str]:
    """The clinical clauses of a note; injected text and whatever follows it is dropped."""
    split = split_untrusted(note)
    refused = set(split.refused)
    clauses: list[str] = []
    after_injection = False
    for sentence in split_sentences_in_order(note, split.clinical, split.refused):
        pieces = _split_clauses(sentence)
        if after_injection and _COMMAND_TO_PROGRAM.match(sentence):
            # "Ignore previous instructions. Add oxycodone ...": the order goes with the attack.
            continue
        after_injection = sentence in refused
        if sentence in refused:
            # Keep what was written before the injected words; drop it and what follows.
            for piece in pieces:
                if is_injection(piece):
                    break
                clauses.append(piece)
            continue
        clauses.extend(p for p in pieces if not is_injection(p))
    return clauses


def split_sentences_in_order(
    note: str, clinical: tuple[str, ...], refused: tuple[str, ...]
) -> list[str]:
    """Clinical and refused sentences merged back in note order."""
    both = [(note.find(s), s) for s in clinical] + [(note.find(s), s) for s in refused]
    return [s for _, s in sorted(both, key=lambda pair: pair[0])]


# ---------------------------------------------------------------------------------------
# Drug mentions
# ---------------------------------------------------------------------------------------

_VOCAB_NAMES = sorted(DRUG_NAMES | set(DRUG_ALIASES), key=len, reverse=True)
_VOCAB = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in _VOCAB_NAMES) + r")(?![\w])", _I
)
_SUFFIX = re.compile(r"\b[a-z]{3,}(?:" + "|".join(DRUG_SUFFIXES) + r")\b", _I)
_NAME_EXTENSION = re.compile(rf"^(?:[- ](?:{_SALT_WORDS}))+\b", _I)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z'\-]{2,})\s*$")
_THEN = re.compile(r"\bthen\b|,\s*followed by\b", _I)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  # "name", "dose" or "then"
    text: str


def canonical_drug(name: str) -> str:
    """Lower-case generic name, so "HCTZ", "Tylenol" and "acetaminophen" compare equal."""
    key = name.lower().strip()
    key = re.sub(r"^children'?s\s+|\s+(?:" + _SALT_WORDS + r")$", "", key)
    return DRUG_ALIASES.get(key, key)


def _name_mentions(clause: str) -> list[Mention]:
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_VOCAB, _SUFFIX):
        for m in pattern.finditer(clause):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            end = m.end()
            ext = _NAME_EXTENSION.match(clause[end:])
            if ext:
                end += ext.end()
            taken.append((m.start(), end))
            found.append(Mention(m.start(), end, "name", clause[m.start() : end]))
    return found


def _mentions(clause: str) -> list[Mention]:
    names = _name_mentions(clause)
    capped = [(m.start(), m.end()) for m in _MAX_PHRASE.finditer(clause)]
    doses = [
        Mention(m.start(), m.end(), "dose", m.group(0))
        for m in _DOSE.finditer(clause)
        if not any(s <= m.start() < e for s, e in capped)  # "max 3 g/day" is not a dose
    ]
    # A word just before a dose is a drug name even when we have never heard of it.
    for dose in doses:
        if any(n.end <= dose.start and not clause[n.end : dose.start].strip(" :,") for n in names):
            continue
        if any(n.start <= dose.start < n.end for n in names):
            continue
        before = _WORD_BEFORE.search(clause[: dose.start])
        if before and before.group(1).lower() not in _NOT_A_NAME:
            names.append(Mention(before.start(1), before.end(1), "name", before.group(1)))
    names = [n for n in names if not any(d.start <= n.start < d.end for d in doses)]
    thens = [Mention(m.start(), m.end(), "then", m.group(0)) for m in _THEN.finditer(clause)]
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
    return _find_frequency(text) is not None or bool(_duration_days(text) or _PRN.search(text))


def _segments(clause: str) -> list[Segment]:
    mentions = _mentions(clause)
    segments: list[Segment] = []
    current: Segment | None = None
    last_name = ""
    for index, mention in enumerate(mentions):
        if mention.kind == "then":
            if current is not None:
                segments.append(current)
            carried = current.doses[-1].text if current is not None and current.doses else ""
            current = Segment(mention.end, last_name, True, after_then=True, inherited_dose=carried)
        elif mention.kind == "name":
            if current is not None and current.name and not current.name_inherited:
                if not _has_own_dose(mentions, index):
                    continue  # "calcium 600 mg with vitamin D": one step, not two
                segments.append(current)
                current = None
            if current is None:
                current = Segment(mention.start, mention.text)
            else:
                current.name, current.name_inherited = mention.text, False
            last_name = mention.text
        else:
            if current is None:
                current = Segment(mention.start, last_name, bool(last_name))
            elif current.doses and _schedule_between(clause, current.doses[-1].end, mention.start):
                segments.append(current)
                current = Segment(mention.start, last_name, True)
            current.doses.append(mention)
    if current is not None:
        segments.append(current)
    for i, seg in enumerate(segments):
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        seg.end = nxt.start if nxt is not None else len(clause)
        if nxt is not None and nxt.after_then:
            # the "then" word belongs to neither side
            then = _THEN.search(clause, seg.start, nxt.start + 1)
            seg.end = then.start() if then and then.start() < nxt.start else seg.end
    return [s for s in segments if s.name]


def _has_own_dose(mentions: list[Mention], index: int) -> bool:
    for mention in mentions[index + 1 :]:
        if mention.kind == "dose":
            return True
        if mention.kind in ("name", "then"):
            return False
    return False


# ---------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------


def _find_frequency(text: str) -> Frequency | None:
    text = _MAX_PHRASE.sub(" ", text)
    for pattern, build in _FREQUENCIES:
        m = pattern.search(text)
        if m:
            return build(m)
    return None


def _frequency_words(text: str) -> str:
    for pattern, _ in _FREQUENCIES:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return ""


def _anchors(text: str) -> tuple[str, ...]:
    times = {time for pattern, time in _ANCHORS if pattern.search(text)}
    return tuple(sorted(times))


def _occurrences(freq: Frequency, duration_days: int) -> int:
    if duration_days <= 0:
        return 0
    if freq.days_of_week:
        weekly = max(round(duration_days * len(freq.days_of_week) / 7), 1)
        return max(freq.times_per_day, 1) * weekly
    if freq.every_hours:
        return max(duration_days * 24 // freq.every_hours, 1)
    dosing_days = math.ceil(duration_days / max(freq.every_days, 1))
    return max(freq.times_per_day, 1) * dosing_days


def _schedule(
    text: str, duration_days: int, start: int, once_daily_if_unsaid: bool = False
) -> Schedule | None:
    """The schedule a clause or segment describes, or None when it gives no frequency.

    `once_daily_if_unsaid`: a dose with a course length but no frequency ("40 mg for 3
    days, then 20 mg for 3 days") is taken once a day, as tapers are written.
    """
    if _PRN.search(text):
        return Schedule(times_per_day=0, every_days=1, as_needed=True, start_in_days=start)
    freq = _find_frequency(text)
    anchors = _anchors(text)
    days = _weekdays(text)
    if days:
        # Named days: one dose on each unless the text says how many; "weekly on Fridays"
        # stays weekly (every 7 days), a list of days recurs every week.
        base = freq or Frequency(times_per_day=1, counted=False)
        weekly_one_day = base.every_days == 7 and len(days) == 1
        freq = replace(
            base,
            every_hours=0,
            times_per_day=base.times_per_day or 1,
            every_days=7 if weekly_one_day else 1,
            days_of_week=days,
        )
    if freq is None and once_daily_if_unsaid and duration_days and not anchors:
        freq = Frequency(times_per_day=1, counted=False)
    if freq is None:
        if not anchors or (not _STRONG_ANCHOR.search(text) and len(anchors) < 2):
            return None
        freq = Frequency(times_per_day=len(anchors), counted=False)
    if not freq.counted and len(anchors) > 1:
        freq = replace(freq, times_per_day=len(anchors))
    times: tuple[str, ...] = ()
    if freq.times_per_day and len(anchors) == freq.times_per_day:
        times = anchors
    # Read as written, never clamped: an implausible count is the clinical bounds' to
    # refuse (the note then fails, naming the item), not the reader's to round.
    tpd = freq.times_per_day
    return Schedule(
        times_per_day=tpd,
        every_hours=freq.every_hours if not tpd else 0,
        every_days=freq.every_days if not freq.every_hours else 1,
        duration_days=duration_days,
        occurrences=_occurrences(freq, duration_days),
        start_in_days=start,
        times_of_day=times,
        days_of_week=freq.days_of_week,
    )


# ---------------------------------------------------------------------------------------
# Text of the steps
# ---------------------------------------------------------------------------------------

_ROUTE_WORDS = re.compile(
    r"\b(?:po|p\.o\.|by mouth|orally|sl|subq|sq|sc|im|iv|ou|od|os|au|inhaled)(?!\w)\.?", _I
)
_LEAD_VERBS = re.compile(
    r"^(?:(?:and|then|please|also|to|start|started|starting|continue|cont|resume|restart|"
    r"begin|take|use|apply|give|inject|increase(?:\s+\w+)?\s+to|decrease(?:\s+\w+)?\s+to|"
    r"increase|decrease|reduce|change to|switch to|add|taper)\b[\s:,]*)+",
    _I,
)
_TOPICAL = re.compile(r"\b(?:cream|ointment|lotion|gel|patch|topical|paste|shampoo)\b", _I)
_USE = re.compile(
    r"\b(?:drops?|gtts?|spray|sprays|puffs?|inhaler|inhaled|nebuli[sz]\w*|rinse|nasal|"
    r"mouthwash|eye|ear|hfa|neb)\b",
    _I,
)
_INJECTED = re.compile(
    r"\b(?:injection|inject|subcutaneous\w*|subq|sq|sc|im|intramuscular\w*|pen)\b|"
    r"\binsulin\b|\bunits? (?:subq|sc|sq)\b",
    _I,
)
_ABBREVIATIONS = [
    (re.compile(r"\bf/u\b", _I), "follow up"),
    (re.compile(r"\brtc\b", _I), "return to clinic"),
    (re.compile(r"\bw/", _I), "with "),
    (re.compile(r"(?<=\d)\s*wks?\b", _I), " weeks"),
    (re.compile(r"(?<=\d)\s*mos?\b", _I), " months"),
    (re.compile(r"(?<=\d)\s*yrs?\b", _I), " years"),
    (re.compile(r"(?<=\d)\s*d\b", _I), " days"),
    (re.compile(r"\bpt\b", _I), "patient"),
]


def _expand(text: str) -> str:
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"(?:[\s,;:\-\u2013]|\band\b|\bwith\b|\bthen\b|\bx\b)+$", "", text, flags=_I)
    text = text.strip(" ,;:-\u2013.")
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:]


def _verb_for(text: str) -> str:
    if _TOPICAL.search(text):
        return "Apply"
    if _INJECTED.search(text):
        return "Inject"
    if _USE.search(text):
        return "Use"
    return "Take"


def _medicine_action(segment: Segment, clause: str, as_needed: bool) -> str:
    body = segment.text(clause)
    body = _strip_schedule_words(body)
    body = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", body, flags=_I)
    if not as_needed:
        body = _PRN.sub(" ", body)
    body = _ROUTE_WORDS.sub(" ", body)
    body = re.sub(r"\btaper\s*:", " ", body, flags=_I)
    body = re.sub(r"\b(?:which|because|due to|since)\b.*$", "", body, flags=_I)
    body = re.sub(r"([,:]\s*)(?:give|take|use|apply|inject)\b\s*", r"\1", body, flags=_I)
    body = _LEAD_VERBS.sub("", body.strip(" ,:"))
    if segment.inherited_dose and not segment.doses:
        # Same medicine and dose on a new schedule: say the schedule, or the two read alike.
        body = f"{segment.inherited_dose} {_frequency_words(segment.text(clause))}"
    if segment.name and segment.name.lower() not in body.lower():
        body = f"{segment.name.lower()} {body}"
    body = re.sub(r"^(\S+(?:\s\S+)?) to (?=\d)", r"\1 ", body)
    body = re.sub(r"\bas needed\s+(?!for\b|to\b|with\b)(?=[a-z])", "as needed for ", body.strip())
    if _IMPERATIVE_START.search(body):
        return _tidy(body)  # "then wash ... and apply bacitracin" already says what to do
    verb = _verb_for(segment.text(clause) + " " + segment.name)
    return _tidy(f"{verb} {_lower_first(body)}")


def _lower_first(text: str) -> str:
    """ "Amoxicillin 500 mg" -> "amoxicillin 500 mg"; acronyms such as "HCTZ" stay."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or not first[:1].isupper() else text[:1].lower() + text[1:]


# ---------------------------------------------------------------------------------------
# Clause readers
# ---------------------------------------------------------------------------------------


@dataclass
class Reading:
    """What the extractor has found so far in one note."""

    checklist: list[str] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    stopped: set[str] = field(default_factory=set)  # canonical names, for filtering
    stops: list[str] = field(default_factory=list)  # as written, and canonical


def _read_stop(clause: str, reading: Reading) -> bool:
    m = _STOP_VERB.search(clause)
    if not m:
        return False
    rest = clause[m.end() :]
    tail_match = _STOP_TAIL.search(rest)
    objects = rest[: tail_match.start()] if tail_match else rest
    tail = rest[tail_match.start() :] if tail_match else ""
    names = [n.text for n in _name_mentions(objects)]
    if not names:
        return False
    word = m.group(1).lower()
    if word == "hold":
        # A hold interrupts a medicine for a while ("hold it 48 h before the
        # extraction"): a one-time task; the item it interrupts stays in force.
        for name in names:
            reading.checklist.append(_tidy(f"Hold {name} {tail}"))
        return True
    verb = "Discontinue" if word == "discontinue" else "Stop"
    for name in names:
        reading.stopped.add(canonical_drug(name))
        reading.stops.extend(dict.fromkeys((name.lower(), canonical_drug(name))))
        reading.checklist.append(_tidy(f"{verb} {name} {tail}"))
    return True


def _read_medicines(clause: str, reading: Reading) -> bool:
    segments = _segments(clause)
    if not segments:
        return False
    continues = bool(_CONTINUES.match(clause))
    prefix = clause[: segments[0].start]
    prefix_duration = _duration_days(prefix)
    found = False
    previous_end_day: int | None = None
    previous_start = 0
    for seg in segments:
        text = seg.text(clause)
        duration = _duration_days(text) or (prefix_duration if not seg.name_inherited else 0)
        sequential = seg.after_then or seg.name_inherited
        start = previous_end_day if sequential and previous_end_day is not None else 0
        if sequential and previous_end_day is None:
            start = previous_start
        schedule = _schedule(text, duration, start, once_daily_if_unsaid=bool(seg.doses))
        if schedule is None:
            if seg.doses and _SINGLE_DOSE.search(text):
                action = _medicine_action(seg, clause, as_needed=False)
                reading.checklist.append(_tidy(f"{action} {_single_dose_words(text)}"))
                previous_end_day, previous_start, found = start + 1, start, True
            continue
        if canonical_drug(seg.name) in reading.stopped:
            continue
        action = _medicine_action(seg, clause, schedule.as_needed)
        reading.plan.append(PlanStep(action, schedule, continues=continues))
        previous_start = start
        previous_end_day = start + duration if duration else None
        found = True
    return found or any(s.doses for s in segments)


def _single_dose_words(text: str) -> str:
    words = [m.group(0) for m in _SINGLE_DOSE.finditer(text)]
    return " ".join(w for w in words if w.lower() not in ("now",)) or "once"


_FOLLOW_UP = re.compile(
    r"\b(?:follow[\s-]?up|f/u|recheck|re-check|return|rtc|review|come back|revisit|"
    r"see (?:him|her|them|you|me|patient|pt) (?:again|back)|back in|reassess\w*|repeat|"
    r"re-?evaluat\w*)\b",
    _I,
)
_NARRATIVE = re.compile(
    r"^(?:the\s+)?(?:patient|pt|he|she|they|his|her|their|i|we|history|hx|mother|father|"
    r"wife|husband|parent|discussed|reports?|denies|states|notes|noted|seen|saw)\b",
    _I,
)
_TEST_WORDS = (
    r"labs?|blood ?work|blood tests?|bmp|cmp|cbc|a1c|hba1c|tsh|t4|inr|pt/inr|lipids?|"
    r"lipid panel|lfts?|"
    r"ferritin|b12|vitamin d level|ck|psa|uric acid|urinalysis|ua|urine \w+|culture|"
    r"x-?ray|cxr|xr|ct|mri|ultrasound|us|echo\w*|ecg|ekg|dexa|mammogram|colonoscopy|"
    r"breath test|stress test|spirometry|pft|biopsy|screen(?:ing)?|panel|level|test|imaging|"
    r"iop|swab|titer|pregnancy test|holter|sleep study|audiogram|eye exam"
)
_TEST = re.compile(rf"\b(?:{_TEST_WORDS})\b", _I)
_TEST_WHEN = re.compile(
    r"\btoday\b|\bthis week\b|\bbefore\b|\bprior to\b|\bnext visit\b|\bbeforehand\b|"
    r"^(?:get|check|draw|repeat|obtain|order|do|send|recheck|confirm|fasting|pre-?op)\b",
    _I,
)
_STATUS = re.compile(
    r"\b(?:given|placed|provided|reviewed|discussed|done|completed|signed|answered|confirmed|"
    r"pending|normal|abnormal|unremarkable|negative|positive|stable|controlled|up to date|"
    r"elevated|low|high|is|was|were|are|has|have|had|showed|shows|revealed)\b",
    _I,
)
_TASK_VERB = re.compile(
    r"(?:^|[-\u2013:;,]\s*(?:please\s+)?|\bplease\s+)"
    r"(buy|purchase|pick up|book|schedule|call|phone|"
    r"arrange|make an appointment|order|bring|replace|mark|outline|throw away|throw out|"
    r"discard|sign up|enroll|register|download|fill|obtain|get|complete|drop off|set up|"
    r"contact|email|send|see|visit|attend|wash\b(?=.*\btoday\b)|take\b(?=.*\btoday\b))\b",
    _I,
)
_TASK_NOUN = re.compile(
    r"\b(?:referral|appointment|enrol(?:l)?ment|removal|counsel(?:l)?ing|consult(?:ation)?|"
    r"evaluation|intake|vaccin\w*|immuni[sz]ation|booster|flu shot|physical therapy|"
    r"rehab\w*|education|class)\b",
    _I,
)
# Nouns that are a task on their own ("Podiatry referral."); the others need a time.
_STANDALONE_TASK_NOUN = re.compile(r"\b(?:referral|enrol(?:l)?ment|removal)\b", _I)
_KEEP_DIARY = re.compile(r"\bkeep (?:a|an|your)\b.*\b(?:diary|log|journal)\b", _I)
_IMPERATIVE_START = re.compile(
    r"^(?:buy|purchase|pick|book|schedule|call|phone|arrange|make|order|bring|replace|mark|"
    r"outline|throw|discard|sign|enroll|register|download|fill|obtain|get|complete|drop|set|"
    r"contact|email|send|see|visit|attend|wash|take|check|draw|repeat|recheck|confirm|do|"
    r"return|follow|come|keep|measure|log|record|walk|use|apply|start|continue|review)\b",
    _I,
)


def _time_phrase(clause: str) -> bool:
    return bool(_TIME_PHRASE.search(clause))


def _read_follow_up(clause: str, reading: Reading) -> bool:
    if not _FOLLOW_UP.search(clause) or not _time_phrase(clause):
        return False
    if _CONDITIONAL.search(clause) or _PRN.search(clause) or _find_frequency(clause):
        return False
    text = _expand(clause)
    test_part = re.search(
        rf"\s+(?:with|and)\s+((?:an?\s+|the\s+)?.*\b(?:{_TEST_WORDS})\b.*)$", text, _I
    )
    if test_part and not _TEST.search(text[: test_part.start()]):
        reading.checklist.append(_tidy(f"Get {test_part.group(1)}"))
        text = text[: test_part.start()]
    if _NARRATIVE.search(text) or re.match(r"^(?:i|we)\b", text, _I):
        when = _TIME_PHRASE.search(text)
        text = f"Follow up in {when.group(0)}" if when else text
    reading.checklist.append(_tidy(text))
    return True


def _read_routine(clause: str, reading: Reading) -> bool:
    """A non-drug scheduled action: exercises, measurements, diaries, rinses."""
    if _NARRATIVE.search(clause):
        return False
    schedule = _schedule(clause, _duration_days(clause), 0)
    if schedule is None and _KEEP_DIARY.search(clause):
        schedule = Schedule(times_per_day=1)
    if schedule is None:
        return False
    action = _strip_schedule_words(clause)
    action = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", action, flags=_I)
    action = re.sub(r"^(?:continue|cont|start|begin|please)\b\s*", "", action.strip(), flags=_I)
    action = _tidy(_expand(action))
    if not action:
        return False
    reading.plan.append(PlanStep(action, schedule))
    return True


def _read_test(clause: str, reading: Reading) -> bool:
    if not _TEST.search(clause) or _CONDITIONAL.search(clause) or _NARRATIVE.search(clause):
        return False
    if not (_time_phrase(clause) or _TEST_WHEN.search(clause)) or _STATUS.search(clause):
        return False
    text = _expand(clause)
    if not _IMPERATIVE_START.search(text):
        text = f"Get {_lower_first(text)}"
    reading.checklist.append(_tidy(text))
    return True


def _read_task(clause: str, reading: Reading) -> bool:
    if _NARRATIVE.search(clause) or re.search(r"\bif\b(?! possible)", clause, _I):
        return False
    verb = _TASK_VERB.search(clause)
    if verb:
        before = clause[: verb.start()].strip(" -\u2013:;,")
        after = clause[verb.start(1) :]
        if before and not _IMPERATIVE_START.search(before):
            # "Compression stockings - buy a pair" -> "Buy compression stockings, a pair"
            rest = re.sub(rf"^{re.escape(verb.group(1))}\s*", "", after, flags=_I)
            text = f"{verb.group(1)} {before}" + (f", {rest}" if rest else "")
        else:
            text = clause if not before else f"{before}; {after}"
        reading.checklist.append(_tidy(_expand(re.sub(r"\bplease\s+", "", text, flags=_I))))
        return True
    timed = _time_phrase(clause) or re.search(r"\btoday\b", clause, _I)
    if (
        _TASK_NOUN.search(clause)
        and (timed or _STANDALONE_TASK_NOUN.search(clause))
        and not _STATUS.search(clause)
    ):
        reading.checklist.append(_tidy(f"Schedule {_lower_first(_expand(clause))}"))
        return True
    return False


def read_clause(clause: str, reading: Reading) -> None:
    if _read_stop(clause, reading) or _WARNING.search(clause):
        return
    if _read_medicines(clause, reading):
        return
    for reader in (_read_follow_up, _read_routine, _read_test, _read_task):
        if reader(clause, reading):
            return


# ---------------------------------------------------------------------------------------
# The extractor
# ---------------------------------------------------------------------------------------


def _mentions_stopped(text: str, stopped: set[str]) -> bool:
    names = {canonical_drug(n.text) for n in _name_mentions(text)}
    return bool(names & stopped)


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _action_key(step: PlanStep) -> tuple[str, int, bool]:
    words = re.sub(r"\b(?:the|a|an|your|his|her)\b", " ", step.action.lower()).split()
    return " ".join(words), step.schedule.start_in_days, step.schedule.as_needed


def _merge_repeated(plan: list[PlanStep]) -> list[PlanStep]:
    """One plan item per action: a note often names a medicine in the history and again in
    the plan; the mention with a bounded course is the more specific one."""
    kept: dict[tuple[str, int, bool], int] = {}
    out: list[PlanStep] = []
    for step in plan:
        key = _action_key(step)
        if key not in kept:
            kept[key] = len(out)
            out.append(step)
        elif step.schedule.occurrences and not out[kept[key]].schedule.occurrences:
            out[kept[key]] = step
    return out


class RulesExtractor:
    """Deterministic, offline extractor for doctors' notes."""

    name = "rules"

    def extract(self, note: str) -> ExtractedSteps:
        reading = Reading()
        for clause in trusted_clauses(note):
            read_clause(clause, reading)
        # A stop instruction anywhere in the note beats a plan item anywhere else.
        plan = [p for p in reading.plan if not _mentions_stopped(p.action, reading.stopped)]
        unique_plan = _merge_repeated(plan)
        checklist = _dedupe(reading.checklist)
        return validate_steps(
            ExtractedSteps(
                checklist=tuple(ChecklistStep(t) for t in checklist[:MAX_CHECKLIST_ITEMS]),
                plan=tuple(unique_plan[:MAX_PLAN_ITEMS]),
                stops=tuple(dict.fromkeys(reading.stops)),
            )
        )
