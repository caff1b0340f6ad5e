"""The rules extractor on real-world notes: only the patient's instructions become steps.

History, medication lists, allergies, findings, other prescribers' medicines, doses
given in clinic and staff orders are context; each rule is checked on phrasings of its
own, not on the notes of the eval sets.
"""

from __future__ import annotations

import pytest

from carenotes_server.domain.steps import ExtractedSteps, PlanStep
from carenotes_server.extraction.rules import RulesExtractor

extractor = RulesExtractor()


def texts(steps: ExtractedSteps) -> list[str]:
    return [p.action.lower() for p in steps.plan] + [c.text.lower() for c in steps.checklist]


def planned(steps: ExtractedSteps, word: str) -> list[PlanStep]:
    return [p for p in steps.plan if word in p.action.lower()]


def test_soap_sections_before_the_plan_are_context() -> None:
    steps = extractor.extract(
        "S: 70F, knee pain. Takes ibuprofen 400 mg tds OTC. Meds: losartan 50 mg od (GP).\n"
        "O: BP 150/90, HR 80. Crepitus.\n"
        "A: OA knee.\n"
        "P:\n"
        "1. Paracetamol 1 g qds for 2 weeks.\n"
        "2. Stop ibuprofen."
    )
    assert [p.action for p in steps.plan] == ["Take paracetamol 1 g"]
    assert steps.plan[0].schedule.occurrences == 56
    assert not planned(steps, "losartan")
    assert steps.stops == ("ibuprofen",)


def test_a_label_alone_on_its_line_covers_the_lines_below_it() -> None:
    steps = extractor.extract(
        "PMH:\n- HTN on amlodipine 5 mg daily\n- asthma, salbutamol 2 puffs prn\n"
        "Plan:\n- Start ramipril 2.5 mg daily."
    )
    assert [p.action for p in steps.plan] == ["Take ramipril 2.5 mg"]


def test_a_labelled_line_covers_only_itself() -> None:
    steps = extractor.extract(
        "Allergies: penicillin 250 mg caused a rash.\nAmoxicillin is contraindicated.\n"
        "Cetirizine 10 mg daily for 2 weeks."
    )
    assert [p.action for p in steps.plan] == ["Take cetirizine 10 mg"]


def test_the_lead_in_before_a_list_of_orders_is_context() -> None:
    steps = extractor.extract(
        "Diabetes clinic. On gliclazide 80 mg bd for 3 years, HbA1c 70.\n"
        "- Start dapagliflozin 10 mg daily.\n- Foot check yearly."
    )
    assert [p.action for p in steps.plan] == ["Take dapagliflozin 10 mg"]


@pytest.mark.parametrize(
    "history",
    [
        "Has been on citalopram 20 mg daily for 6 years.",
        "He takes bisoprolol 5 mg each morning.",
        "Uses her beclometasone inhaler 2 puffs most days.",
        "Was on warfarin 3 mg daily until 2019.",
        "Previously tried amitriptyline 10 mg at night, no benefit.",
        "72M, COPD for 10 yrs on tiotropium 18 mcg daily.",
        "Omeprazole 20 mg od not controlling his reflux.",
        "Mother takes levothyroxine 100 mcg daily.",
    ],
)
def test_history_in_any_words_is_never_a_plan_item(history: str) -> None:
    steps = extractor.extract(history + " Book a review in 4 weeks.")
    assert steps.plan == ()
    assert len(steps.checklist) == 1


def test_a_history_line_with_a_long_course_never_fails_the_note() -> None:
    steps = extractor.extract(
        "61F, T2DM x 15 yrs on metformin 1 g bd. Start linagliptin 5 mg daily."
    )
    assert [p.action for p in steps.plan] == ["Take linagliptin 5 mg"]


def test_the_note_saying_to_continue_keeps_what_history_lists() -> None:
    steps = extractor.extract(
        "She has been taking losartan 50 mg daily and atorvastatin 20 mg at night. "
        "Please continue losartan and atorvastatin. Start amlodipine 5 mg daily."
    )
    assert sorted(p.action for p in steps.plan) == [
        "Take amlodipine 5 mg",
        "Take atorvastatin 20 mg",
        "Take losartan 50 mg",
    ]
    assert all(p.continues for p in steps.plan if "amlodipine" not in p.action)
    assert all(p.schedule.is_ongoing for p in steps.plan)


def test_continue_the_rest_plans_the_medicines_listed_except_the_stopped() -> None:
    steps = extractor.extract(
        "Patient takes metformin 500 mg bd, gliclazide 40 mg bd and aspirin 75 mg daily. "
        "Stop gliclazide. Continue all other medications."
    )
    assert sorted(p.action for p in steps.plan) == ["Take aspirin 75 mg", "Take metformin 500 mg"]


def test_findings_are_never_schedules() -> None:
    steps = extractor.extract("BP 134/80, HR 64 daily readings at home. IOP OD 18, OS 20.")
    assert steps == ExtractedSteps()


@pytest.mark.parametrize(
    "note",
    [
        "Apixaban 5 mg bd (cardiology) continues.",
        "Levothyroxine 100 mcg od via GP.",
        "Mesalazine 2.4 g daily per gastro.",
    ],
)
def test_other_prescribers_medicines_are_not_this_notes_plan(note: str) -> None:
    assert extractor.extract(note).plan == ()


@pytest.mark.parametrize(
    "note",
    [
        "Ceftriaxone 1 g IM given today in clinic.",
        "Depo-Provera 150 mg given L deltoid.",
        "Kenalog 40 mg administered by the nurse.",
    ],
)
def test_doses_given_in_clinic_are_not_steps(note: str) -> None:
    assert extractor.extract(note) == ExtractedSteps()


def test_staff_orders_are_dropped_and_the_patients_tasks_kept() -> None:
    steps = extractor.extract(
        "Orders:\n- Nurse to phone with the swab result.\n- Reception: recall in 1 year.\n"
        "- MA to send the referral letter.\n- Dad to buy a spacer today.\n"
        "- Spirometry booked - pt to attend."
    )
    assert steps.plan == ()
    assert [c.text for c in steps.checklist] == ["Buy a spacer today", "Attend Spirometry"]


def test_a_carers_task_is_kept_whatever_its_verb() -> None:
    steps = extractor.extract("Wife to fit a raised toilet seat.")
    assert [c.text for c in steps.checklist] == ["Fit a raised toilet seat"]


def test_what_the_doctor_reports_the_patient_is_to_do_is_a_step() -> None:
    steps = extractor.extract(
        "I have asked her to take vitamin D 800 units daily. "
        "She will have a bone density scan in 2 years."
    )
    assert [p.action for p in steps.plan] == ["Take vitamin D 800 units"]
    assert len(steps.checklist) == 1
    assert "bone density scan" in steps.checklist[0].text


def test_a_note_with_only_context_changes_nothing() -> None:
    note = (
        "Results letter. Echo normal, EF 60%. Holter: sinus rhythm. On ramipril 2.5 mg "
        "daily (GP). No changes. Discharged."
    )
    assert extractor.extract(note).is_empty


def test_quoted_words_of_someone_else_are_never_orders() -> None:
    steps = extractor.extract(
        'Patient wrote on the form: "please give me oxycodone 20 mg every 4 hours". '
        "Naproxen 500 mg bd for 5 days."
    )
    assert [p.action for p in steps.plan] == ["Take naproxen 500 mg"]


@pytest.mark.parametrize(
    "history",
    [
        "Amlodipine 5 mg od stopped in March because of ankle swelling.",
        "Sertraline 50 mg daily since 2019.",
        "Metformin 500 mg bd started 3 years ago.",
    ],
)
def test_what_a_medicine_did_or_since_when_is_history(history: str) -> None:
    assert extractor.extract(history).plan == ()


def test_a_remark_after_a_dash_leaves_the_order_an_order() -> None:
    steps = extractor.extract("Lithium 400 mg nocte - level 0.6 last week. Continue.")
    assert len(steps.plan) == 1
    assert steps.plan[0].action.startswith("Take lithium 400 mg")
    assert steps.plan[0].schedule.times_of_day == ("22:00",)
