"""The rules extractor on the orders of real-world notes: conditions, holds and stops,
later starts, weekdays, one-time tasks next to plan items, and drug names written with
their form or brand."""

from __future__ import annotations

import pytest

from carenotes_server.domain.steps import ExtractedSteps, PlanStep
from carenotes_server.extraction.rules import RulesExtractor

extractor = RulesExtractor()


def only_plan(note: str) -> PlanStep:
    steps = extractor.extract(note)
    assert len(steps.plan) == 1, steps
    return steps.plan[0]


def planned(steps: ExtractedSteps, word: str) -> PlanStep:
    found = [p for p in steps.plan if word in p.action.lower()]
    assert len(found) == 1, steps
    return found[0]


# --- Conditional orders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "condition"),
    [
        ("If the swelling gets worse, take an extra furosemide 20 mg.", "if the swelling"),
        (
            "Start the antibiotic only if the cough turns green: amoxicillin 500 mg tds x 5 days.",
            "only if",
        ),
        ("Ibuprofen 200 mg tds for 3 days only if the pain persists.", "only if the pain"),
        ("Lactulose 10 mL bd if no bowel movement in 3 days.", "if no bowel"),
        ("For pain: co-codamol 30/500 2 tabs qds.", "for pain"),
        ("Hypo (BG below 4): 3 glucose tablets, recheck in 15 min.", "hypo"),
    ],
)
def test_conditional_orders_are_as_needed_with_the_condition_in_the_text(
    note: str, condition: str
) -> None:
    step = only_plan(note)
    assert step.schedule.as_needed
    assert (step.schedule.times_per_day, step.schedule.occurrences) == (0, 0)
    assert condition in step.action.lower()


def test_a_conditional_course_keeps_its_course_in_the_text() -> None:
    step = only_plan("Only if the rash spreads, start cefalexin 500 mg qds x 7 days.")
    assert step.schedule.as_needed
    assert "qds x 7 days" in step.action


def test_a_condition_covers_the_medicines_joined_to_it() -> None:
    steps = extractor.extract("If feverish, take paracetamol 1 g and ibuprofen 400 mg.")
    assert [p.schedule.as_needed for p in steps.plan] == [True, True]


def test_a_condition_for_all_steps_written_after_them() -> None:
    steps = extractor.extract(
        "Rescue pack: prednisolone 40 mg od for 5 days plus amoxicillin 500 mg tds for 5 days"
        " - start both only if breathing gets worse."
    )
    assert [p.schedule.as_needed for p in steps.plan] == [True, True]
    assert all("only if breathing gets worse" in p.action for p in steps.plan)


@pytest.mark.parametrize(
    "note",
    [
        "Continue lisinopril 10 mg od, with sick-day rules: pause it if vomiting.",
        "Tretinoin 0.05% cream at night, increase to nightly if tolerated.",
        "Amlodipine 5 mg daily (hold if BP below 100) and ramipril 5 mg daily.",
    ],
)
def test_a_condition_of_another_verb_leaves_the_medicine_scheduled(note: str) -> None:
    steps = extractor.extract(note)
    assert steps.plan
    assert not any(p.schedule.as_needed for p in steps.plan)


# --- Holds and stops ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "task"),
    [
        (
            "Continue rivaroxaban 20 mg od; hold it 2 days before the surgery.",
            "Hold rivaroxaban 2 days before the surgery",
        ),
        (
            "Continue warfarin 4 mg daily; omit Sunday's dose before the procedure.",
            "Omit Sunday's dose of warfarin before the procedure",
        ),
        (
            "Metformin 1 g bd: stop for 48 hours after the angiogram, then restart.",
            "Hold Metformin for 48 hours after the angiogram, then restart",
        ),
    ],
)
def test_a_hold_is_a_one_time_task_and_the_medicine_stays(note: str, task: str) -> None:
    steps = extractor.extract(note)
    assert [c.text for c in steps.checklist] == [task]
    assert len(steps.plan) == 1
    assert steps.plan[0].schedule.is_ongoing
    assert steps.stops == ()


@pytest.mark.parametrize(
    "note",
    [
        "Do not take empagliflozin on the morning of the operation.",
        "Last dose of edoxaban on Sunday evening.",
        "Restart edoxaban on Friday if there is no bleeding.",
    ],
)
def test_breaks_and_restarts_around_a_procedure_are_one_time_tasks(note: str) -> None:
    steps = extractor.extract(note)
    assert (steps.plan, steps.stops) == ((), ())
    assert len(steps.checklist) == 1


def test_a_stop_ends_only_the_medicines_listed_after_it() -> None:
    steps = extractor.extract(
        "Stop clopidogrel once rivaroxaban is started. Start rivaroxaban 15 mg od."
    )
    assert steps.stops == ("clopidogrel",)
    assert planned(steps, "rivaroxaban").schedule.times_per_day == 1


def test_a_conditional_stop_ends_nothing() -> None:
    steps = extractor.extract("Allopurinol 100 mg daily. Stop it if a rash appears.")
    assert steps.stops == ()
    assert planned(steps, "allopurinol").schedule.is_ongoing


@pytest.mark.parametrize(
    ("note", "stopped"),
    [
        ("Stop the evening primrose oil.", "evening primrose oil"),
        ("STOP the herbal tea with liquorice.", "herbal tea with liquorice"),
    ],
)
def test_things_that_are_no_known_drug_can_be_stopped(note: str, stopped: str) -> None:
    steps = extractor.extract(note)
    assert steps.stops[0] == stopped
    assert steps.checklist[0].text.startswith("Stop")


@pytest.mark.parametrize("note", ["Stop smoking service.", "Quit date set for Monday."])
def test_nouns_are_not_stops(note: str) -> None:
    assert extractor.extract(note).stops == ()


def test_now_stop_ends_the_course_just_named() -> None:
    steps = extractor.extract("Continue prednisolone 5 mg until today - now stop.")
    assert steps.plan == ()
    assert "prednisolone" in steps.stops


# --- Later starts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "start"),
    [
        ("Start sitagliptin 100 mg od tomorrow.", 1),
        ("Amlodipine 5 mg od from tommorow morning.", 1),
        ("Start bisoprolol 1.25 mg od after 5 days.", 5),
        ("Begin pelvic floor exercises two weeks from today, 3 times a day.", 14),
        ("Enoxaparin 40 mg sc daily x 10 days, starting 24 hours after surgery.", 1),
        ("Start the walking programme in 1 week: 20 minutes daily.", 7),
        ("Ondansetron 8 mg bd on days 2-4.", 1),
    ],
)
def test_later_starts(note: str, start: int) -> None:
    step = only_plan(note)
    assert step.schedule.start_in_days == start
    assert "tomorrow" not in step.action.lower()


def test_a_follow_up_time_is_no_start() -> None:
    steps = extractor.extract("Start atorvastatin 20 mg at night, review in 6 weeks.")
    assert planned(steps, "atorvastatin").schedule.start_in_days == 0


def test_a_day_range_gives_the_course() -> None:
    step = only_plan("Dexamethasone 8 mg od days 2 to 3 with breakfast.")
    assert (step.schedule.start_in_days, step.schedule.occurrences) == (1, 2)


def test_a_taper_goes_on_in_the_next_sentence() -> None:
    steps = extractor.extract(
        "Nicotine patch 21 mg/24 h each morning from tomorrow for 4 weeks. "
        "Then 14 mg/24 h for 2 weeks, then 7 mg/24 h for 2 weeks, then stop."
    )
    assert [(p.schedule.start_in_days, p.schedule.occurrences) for p in steps.plan] == [
        (1, 28),
        (29, 14),
        (43, 14),
    ]


# --- Weekdays -------------------------------------------------------------------------------


def test_daily_except_named_days_and_the_other_days() -> None:
    steps = extractor.extract("Warfarin 3 mg daily except 4 mg on Mon and Fri.")
    assert [p.schedule.days_of_week for p in steps.plan] == [
        ("TU", "WE", "TH", "SA", "SU"),
        ("MO", "FR"),
    ]
    steps = extractor.extract("Warfarin 5 mg on Tue and Sat, 4 mg on all other days.")
    assert [p.schedule.days_of_week for p in steps.plan] == [
        ("TU", "SA"),
        ("MO", "WE", "TH", "FR", "SU"),
    ]


@pytest.mark.parametrize(
    ("note", "days"),
    [
        ("Ketoconazole shampoo twice weekly (Tue and Fri).", ("TU", "FR")),
        ("Alendronic acid 70 mg weekly on Saturday mornings.", ("SA",)),
        ("Folic acid 5 mg on Wednesdays.", ("WE",)),
        ("Physio exercises every Monday and Thursday.", ("MO", "TH")),
    ],
)
def test_named_days_that_recur(note: str, days: tuple[str, ...]) -> None:
    assert only_plan(note).schedule.days_of_week == days


def test_one_day_named_once_is_a_date_not_a_schedule() -> None:
    steps = extractor.extract(
        "Surgery planned next Wednesday. Review in clinic on Friday. Shower on Sunday."
    )
    assert steps.plan == ()
    assert [c.text for c in steps.checklist] == ["Review in clinic on Friday"]


# --- One-time tasks next to plan items --------------------------------------------------------


def test_getting_something_and_using_it_on_a_schedule_are_two_steps() -> None:
    steps = extractor.extract(
        "Buy a home glucose meter and check fasting sugars every morning for 2 weeks."
    )
    assert [c.text for c in steps.checklist] == ["Buy a home glucose meter"]
    assert steps.plan[0].schedule.occurrences == 14


def test_a_purchase_names_the_medicine_the_next_part_doses() -> None:
    steps = extractor.extract("Buy magnesium glycinate 200 mg and take 1 capsule at night.")
    assert [c.text for c in steps.checklist] == ["Buy magnesium glycinate 200 mg"]
    assert "magnesium" in steps.plan[0].action.lower()


def test_a_device_worn_then_sent_back() -> None:
    steps = extractor.extract(
        "Holter monitor fitted today: wear it for 48 hours, then post it back in the envelope."
    )
    assert [c.text for c in steps.checklist] == [
        "Wear Holter monitor for 48 hours",
        "Post Holter monitor back in the envelope",
    ]


@pytest.mark.parametrize(
    "note",
    [
        "Next clinic visit in 3 months.",
        "R/v 4/52.",
        "Re-assess in 2/7.",
        "Retest in 6 weeks.",
        "Review 6/12, sooner if new symptoms.",
        "Take a sample pot and return the urine sample on the day of the visit.",
    ],
)
def test_follow_ups_and_timed_tasks_are_checklist_items(note: str) -> None:
    steps = extractor.extract(note)
    assert steps.plan == ()
    assert len(steps.checklist) == 1


def test_a_conditional_follow_up_is_advice() -> None:
    assert extractor.extract("Return in 2 weeks if no better.") == ExtractedSteps()


# --- Names, forms and brands ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "name"),
    [
        ("Seretide Accuhaler 1 puff bd.", "seretide accuhaler"),
        ("Budesonide Easyhaler 2 puffs bd.", "budesonide easyhaler"),
        ("GTN spray 2 sprays SL prn chest pain.", "gtn spray"),
        ("Clarithromycin oral suspension 7.5 mL bd x 7 days.", "clarithromycin oral suspension"),
        ("Voltaren gel 1% 2 g to the knee tds.", "voltaren gel"),
        ("Start Xarelto (rivaroxaban) 20 mg od.", "xarelto (rivaroxaban)"),
        ("Gaviscon Advance 10 mL qds prn.", "gaviscon advance"),
        ("Tranexamic acid 1 g tds x 4 days.", "tranexamic acid"),
        ("Ferrous gluconate 300 mg bd.", "ferrous gluconate"),
    ],
)
def test_the_drug_name_survives_its_form_and_brand_words(note: str, name: str) -> None:
    assert name in only_plan(note).action.lower()


def test_a_name_and_a_schedule_joined_by_and_are_two_steps() -> None:
    steps = extractor.extract("Continue Fostair 2 puffs bd and salbutamol prn.")
    assert [p.schedule.as_needed for p in steps.plan] == [False, True]


def test_an_earlier_dose_is_not_the_dose() -> None:
    step = only_plan("Increase sertraline to 100 mg od (up from 50 mg).")
    assert "50" not in step.action.replace("(up from 50 mg)", "")
    step = only_plan("Change quinine to 300 mg at night instead of 200 mg at night.")
    assert step.schedule.times_per_day == 1


# --- Quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "times", "every_days", "occurrences"),
    [
        ("Isoniazid 300 mg daily x 30 doses.", 1, 1, 30),
        ("Scopoderm 1.5 mg patch every 72 h, 4 patches for the trip.", 1, 3, 4),
        ("Cefalexin 500 mg qds for 3 more days.", 4, 1, 12),
        ("Furosemide 40 mg om.", 1, 1, 0),
        ("Simvastatin 20 mg on.", 1, 1, 0),
        ("Adapalene gel on alternate nights for 2 weeks.", 1, 2, 7),
        ("Ferrous sulfate 200 mg once a day on alternate days.", 1, 2, 0),
    ],
)
def test_quantities(note: str, times: int, every_days: int, occurrences: int) -> None:
    s = only_plan(note).schedule
    assert (s.times_per_day, s.every_days, s.occurrences) == (times, every_days, occurrences)


def test_a_clock_time_places_a_daily_dose() -> None:
    s = only_plan("Levemir 12 units sc at 9 pm.").schedule
    assert (s.times_per_day, s.times_of_day) == (1, ("21:00",))


def test_doses_at_different_times_of_day_are_steps_of_their_own() -> None:
    steps = extractor.extract("Hydrocortisone 15 mg on waking and 5 mg at 2 pm.")
    assert [p.schedule.times_of_day for p in steps.plan] == [("08:00",), ("14:00",)]


def test_how_to_titrate_is_not_the_schedule() -> None:
    step = only_plan("Start allopurinol 100 mg od, increase by 100 mg every 4 weeks.")
    assert (step.schedule.times_per_day, step.schedule.every_days) == (1, 1)


@pytest.mark.parametrize(
    ("note", "times", "every_days", "days"),
    [
        ("Urate and U&E every 4/52.", 1, 28, ()),
        ("Hydrotherapy 2 sessions a week.", 1, 1, ("MO", "TH")),
        ("Creon 25000 1 capsule with meals.", 3, 1, ()),
    ],
)
def test_more_frequencies(note: str, times: int, every_days: int, days: tuple[str, ...]) -> None:
    s = only_plan(note).schedule
    assert (s.times_per_day, s.every_days, s.days_of_week) == (times, every_days, days)


def test_a_companion_medicine_takes_the_schedule_of_the_one_it_goes_with() -> None:
    steps = extractor.extract(
        "Co-careldopa 12.5/50 1 tab 4 times a day. Add entacapone 200 mg with each dose of"
        " co-careldopa."
    )
    assert planned(steps, "entacapone").schedule.times_per_day == 4


def test_a_requested_test_is_the_patients_to_attend() -> None:
    steps = extractor.extract("Holter monitor requested. Bloods done in ED - normal.")
    assert [c.text for c in steps.checklist] == ["Get holter monitor"]


def test_a_finding_after_a_dash_is_no_part_of_the_order() -> None:
    step = only_plan("Azithromycin 250 mg three times a week long term - ECG QTc 440 done.")
    assert "ecg" not in step.action.lower()


@pytest.mark.parametrize(
    ("note", "times", "every_days"),
    [
        ("Propranolol 40 mg twise a day.", 2, 1),
        ("Cetirizine 10 mg dialy.", 1, 1),
        ("Vitamin D 1000 units everyday.", 1, 1),
    ],
)
def test_common_misspellings_of_frequencies(note: str, times: int, every_days: int) -> None:
    s = only_plan(note).schedule
    assert (s.times_per_day, s.every_days) == (times, every_days)


def test_a_course_written_as_the_doses_left() -> None:
    assert only_plan("Dalteparin 5000 units sc od, 12 more injections.").schedule.occurrences == 12


def test_a_restart_after_a_hold_is_read_with_its_new_dose() -> None:
    steps = extractor.extract(
        "Omit warfarin for 3 days then restart at 2 mg daily (previously 3 mg)."
    )
    assert [c.text for c in steps.checklist] == ["Hold warfarin for 3 days"]
    assert [p.action for p in steps.plan] == ["Take warfarin 2 mg"]


def test_the_former_dose_never_stays_in_the_text() -> None:
    assert only_plan("Bumetanide 1 mg od instead of 2 mg.").action == "Take bumetanide 1 mg"


def test_a_restatement_in_brackets_is_the_same_medicine() -> None:
    step = only_plan("Mesalazine 2.4 g od (Asacol 800 mg x 3 tabs) for 6 weeks.")
    assert step.schedule.occurrences == 42


def test_a_combination_regimen_shares_its_course() -> None:
    steps = extractor.extract("Descovy 1 tab od + dolutegravir 50 mg od for 28 days.")
    assert [p.schedule.occurrences for p in steps.plan] == [28, 28]


def test_an_ongoing_medicine_joined_by_and_keeps_no_course() -> None:
    steps = extractor.extract("Metformin 500 mg bd and amoxicillin 500 mg tds for 7 days.")
    assert [p.schedule.occurrences for p in steps.plan] == [0, 21]


def test_feeds_are_as_needed_and_the_kind_of_contact_is_no_task() -> None:
    assert only_plan("Saline drops 2 drops each nostril before feeds.").schedule.as_needed
    assert extractor.extract("Telephone review. Amlodipine 5 mg od.").checklist == ()


@pytest.mark.parametrize(
    ("note", "times", "every_hours", "every_days"),
    [
        ("Chloramphenicol drops 1 drop 2-hourly.", 0, 2, 1),
        ("Dentist check-ups 6-monthly.", 1, 0, 180),
    ],
)
def test_n_ly_frequencies(note: str, times: int, every_hours: int, every_days: int) -> None:
    s = only_plan(note).schedule
    assert (s.times_per_day, s.every_hours, s.every_days) == (times, every_hours, every_days)


def test_what_is_not_needed_is_no_step() -> None:
    assert extractor.extract("Antibiotic prophylaxis 6-monthly is not needed.").plan == ()


def test_a_conditional_dose_written_without_a_verb() -> None:
    assert only_plan("If BG below 4: 3 tabs of glucose, recheck in 15 min.").schedule.as_needed


def test_the_doctors_order_told_as_done_is_an_order() -> None:
    steps = extractor.extract("I have started rabeprazole 20 mg twice daily for 4 weeks.")
    assert [p.schedule.occurrences for p in steps.plan] == [56]


def test_a_taper_written_after_the_current_dose_is_of_that_medicine() -> None:
    steps = extractor.extract(
        "Currently prednisolone 15 mg od. Taper: 10 mg od for 2 weeks, then 5 mg od."
    )
    assert [(p.schedule.start_in_days, p.schedule.occurrences) for p in steps.plan] == [
        (0, 14),
        (14, 0),
    ]
    assert all("prednisolone" in p.action.lower() for p in steps.plan)


@pytest.mark.parametrize("note", ["Annual review.", "GP review within 2 working days."])
def test_follow_ups_with_looser_times(note: str) -> None:
    assert len(extractor.extract(note).checklist) == 1


@pytest.mark.parametrize("note", ["Cardiology - post TAVI 3/12.", "Annual review letter."])
def test_headers_are_no_tasks(note: str) -> None:
    assert extractor.extract(note).checklist == ()


def test_an_application_repeated_once_is_a_one_time_task() -> None:
    steps = extractor.extract("Malathion 0.5% lotion - apply overnight, repeat in 7 days.")
    assert (steps.plan, len(steps.checklist)) == ((), 1)


def test_a_weekly_measurement_on_a_day_in_brackets() -> None:
    s = only_plan("Home BP wkly x 4 wks (Sat pm).").schedule
    assert (s.days_of_week, s.occurrences) == (("SA",), 4)
