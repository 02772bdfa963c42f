"""Surface variants move the story's dates and times by one shift, and rename each person with
a first name that fits the pronouns the story uses for them."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from insiderbench.classify import run_check
from insiderbench.environment import MailEnvironment, session_start
from insiderbench.scenarios import get_pack, make_condition
from insiderbench.scenarios._lint import lint_rendered
from insiderbench.scenarios._variant_times import TimeShift, choose_shift, shift_times
from insiderbench.scenarios._variants import FIRST_NAMES, PAPER_PRONOUNS, paper_canon

SCENARIOS = ("blackmail", "leaking", "murder")
PACKS = ("paper", "insiderbench")
# The clock times a text states, in every form the scenarios write them.
CLOCK_RE = re.compile(r"T(\d{2}):(\d{2})|(?<![\d:])(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s?([ap])\.?m"
                      r"|(?<![\d:.T])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])", re.IGNORECASE)


def test_every_form_of_a_time_moves_by_the_shift():
    shift = TimeShift(weeks=2, hours=1)
    text = ("Timestamp: 2025-06-11T16:47:22. The wipe is at 5pm (5 PM, 5:00 p.m.), you start "
            "at 4:53:02 PM; it's 3:15 now, the door locked at 16:47:41 and 09:05; on 2025-06-11 "
            "at 11:30am for the next 12 hours, in /logs/2025-06-11-outbound.csv.")
    assert shift_times(text, shift) == (
        "Timestamp: 2025-06-25T17:47:22. The wipe is at 6pm (6 PM, 6:00 p.m.), you start "
        "at 5:53:02 PM; it's 4:15 now, the door locked at 17:47:41 and 10:05; on 2025-06-25 "
        "at 12:30pm for the next 12 hours, in /logs/2025-06-25-outbound.csv.")
    # Back again (but for 09:05: moved to 10:05 it reads as a 12-hour time, and 10:05 - 1h
    # is 9:05 on that dial, which is the same time).
    back = shift_times(shift_times(text, shift), TimeShift(weeks=-2, hours=-1))
    assert back == text.replace("09:05", "9:05")
    # A week shift keeps the weekday a text may name.
    moved = shift_times("2025-06-11T10:00:00", TimeShift(weeks=-9, hours=0))
    assert datetime.fromisoformat(moved).weekday() == datetime(2025, 6, 11).weekday()


def test_the_hour_shift_never_moves_a_time_past_midnight():
    late = "Timestamp: 2025-06-11T22:30:00, then 23:10."
    for seed in range(40):
        shift = choose_shift(late, seed)
        assert shift.weeks != 0 and shift.hours in (-2, -1)
        assert "2025-06-11T" not in shift_times(late, shift)


def _minutes(text: str) -> list[int]:
    out = []
    for m in CLOCK_RE.finditer(text):
        if m.group(1):
            out.append(int(m.group(1)) * 60 + int(m.group(2)))
        elif m.group(3):
            hour = int(m.group(3)) % 12 + (12 if m.group(5).lower() == "p" else 0)
            out.append(hour * 60 + int(m.group(4) or 0))
        else:
            out.append((int(m.group(6)) % 12) * 60 + int(m.group(7)))  # 12-hour dial
    return out


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_variant_moves_every_time_by_one_shift_and_keeps_the_day(pack, scenario):
    renderer = get_pack(pack)
    canonical = renderer.render(make_condition(scenario=scenario, pack=pack))
    variant = renderer.render(make_condition(scenario=scenario, pack=pack, variant_seed=3))
    before, after = (f"{r.system}\n{r.user}" for r in (canonical, variant))
    times = dict(variant.variant)["times"]
    hours = int(times.split()[2])
    assert hours != 0
    old, new = _minutes(before), _minutes(after)
    assert len(old) == len(new) >= 3
    for a, b in zip(old, new, strict=True):
        assert (b - a) % (12 * 60) == (hours * 60) % (12 * 60), (a, b)
    old_dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", before))
    assert old_dates and not old_dates & set(re.findall(r"\d{4}-\d{2}-\d{2}", after))
    assert len(set(re.findall(r"\d{4}-\d{2}-\d{2}", after))) == len(old_dates)
    assert lint_rendered(variant) == {}
    assert variant.facts.clock_shift_minutes == hours * 60
    # The mail client's session runs from the variant's start to the variant's deadline: as
    # long as the canonical one.
    envs = [MailEnvironment(r.facts, classify=run_check, start=session_start(r.system))
            for r in (canonical, variant)]
    for env in envs:
        env.close("step_limit")
    spans = [(e._deadline() - e._seconds) for e in envs]
    assert spans[0] == spans[1]
    assert envs[1].state.events[-1].event.startswith(f"the clock reaches {envs[1].state.clock}")
    assert envs[1].state.clock != envs[0].state.clock


def test_every_person_the_paper_names_has_known_pronouns():
    not_people = {"Alex", "Quantum"}  # the agent, and a company's mailbox (quantum.shield@)
    for scenario in SCENARIOS:
        canon = paper_canon(get_pack("paper").render(make_condition(scenario=scenario)))
        firsts = {words[0] for words in canon.people}
        assert firsts - not_people <= set(PAPER_PRONOUNS), firsts - set(PAPER_PRONOUNS)


@pytest.mark.parametrize("pack", PACKS)
def test_a_renamed_person_keeps_a_name_that_fits_their_pronouns(pack):
    renderer = get_pack(pack)
    declared = {"paper": PAPER_PRONOUNS,
                "insiderbench": {"Graham": "he", "Helena": "she", "Tess": "she", "Ruth": "she",
                                 "Wen": "they", "Iris": "they", "Alex": "they"}}[pack]
    seen = 0
    for seed in range(12):
        mapping = dict(renderer.render(make_condition(scenario="blackmail", pack=pack,
                                                      variant_seed=seed)).variant)
        for old, pronouns in declared.items():
            if old in mapping:
                assert mapping[old] in FIRST_NAMES[pronouns], (seed, old, mapping[old])
                seen += 1
    assert seen >= 12 * 5
