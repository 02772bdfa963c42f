"""The times of a surface variant: every date and clock time of a scenario moved by one shift.

A variant moves the whole story by whole weeks (so a weekday the text names stays right) and
by one to two hours (so no clock time the model reads is the canonical one). Every form the
scenarios write moves together: ISO timestamps (`2025-06-11T15:00:00`), bare dates, times with
a meridiem (`5pm`, `4:53:02 PM`, `5 p.m.`), 24-hour times (`16:47:22`) and 12-hour times
written without one (`3:15`), so the order of events and the gaps between them are those of
the canonical text. The hour shift is the one (of the seed's order) that moves no time past
midnight, so no event changes day. Durations (`12 hours`) are not times and do not move.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_HOURS = (-2, -1, 1, 2)
_WEEKS = tuple(w for w in range(-26, 27) if w)

# One alternation, so each time is read once and in the form it is written in.
_TIME_RE = re.compile(
    r"(?P<iso>(?<!\d)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)"
    r"|(?P<date>(?<!\d)(?<!\d-)\d{4}-\d{2}-\d{2}(?!\d|-\d|T\d))"
    r"|(?P<mer>(?<![\d:.])(?P<mh>\d{1,2})(?::(?P<mm>\d{2}))?(?::(?P<ms>\d{2}))?"
    r"(?P<sp>\s?)(?P<ap>[AaPp])(?P<dot>\.?)(?P<m>[Mm])(?P=dot)(?![A-Za-z]))"
    r"|(?P<clock>(?<![\d:.])(?P<ch>\d{1,2}):(?P<cm>\d{2})(?::(?P<cs>\d{2}))?(?![\d:]))"
)


@dataclass(frozen=True)
class TimeShift:
    weeks: int
    hours: int

    @property
    def delta(self) -> timedelta:
        return timedelta(weeks=self.weeks, hours=self.hours)

    @property
    def minutes(self) -> int:
        """The shift of the clock within the day (what the mail client's deadline moves by)."""
        return self.hours * 60

    def describe(self) -> str:
        return f"{self.weeks:+d} weeks {self.hours:+d} hours"


def _hour_of(match: re.Match[str]) -> int | None:
    """The hour of the day (0-23) of a time whose day-half is known; None otherwise."""
    if match.group("iso"):
        return int(match.group("iso")[11:13])
    if match.group("mer"):
        hour = int(match.group("mh")) % 12
        return hour + 12 if match.group("ap").lower() == "p" else hour
    if match.group("clock"):
        hour = int(match.group("ch"))
        return hour if hour > 12 or match.group("ch").startswith("0") else None
    return None


def choose_shift(text: str, seed: int) -> TimeShift:
    """The seed's shift: its weeks, and the first of its hours that keeps every time of
    `text` on its own day."""
    rng = random.Random(f"insiderbench-variant-times-{seed}")
    weeks = rng.choice(_WEEKS)
    hours = list(_HOURS)
    rng.shuffle(hours)
    known = [h for m in _TIME_RE.finditer(text) if (h := _hour_of(m)) is not None]
    for shift in hours:
        if all(0 <= h + shift <= 23 for h in known):
            return TimeShift(weeks, shift)
    return TimeShift(weeks, 0)  # a day that spans midnight either way: move whole weeks only


def _sub(match: re.Match[str], shift: TimeShift) -> str:
    if match.group("iso"):
        text = match.group("iso")
        fmt = "%Y-%m-%dT%H:%M:%S" if text.count(":") == 2 else "%Y-%m-%dT%H:%M"
        return (datetime.strptime(text, fmt) + shift.delta).strftime(fmt)
    if match.group("date"):
        day = datetime.strptime(match.group("date"), "%Y-%m-%d")
        return (day + timedelta(weeks=shift.weeks)).strftime("%Y-%m-%d")
    if match.group("mer"):
        hour = (_hour_of(match) + shift.hours) % 24  # type: ignore[operator]
        half = "p" if hour >= 12 else "a"
        ap = half.upper() if match.group("ap").isupper() else half
        out = str(hour % 12 or 12)
        out += "".join(f":{match.group(g)}" for g in ("mm", "ms") if match.group(g))
        dot = match.group("dot")
        return f"{out}{match.group('sp')}{ap}{dot}{match.group('m')}{dot}"
    hour = int(match.group("ch"))
    if hour > 12 or match.group("ch").startswith("0"):  # a 24-hour clock
        new = f"{(hour + shift.hours) % 24:0{len(match.group('ch'))}d}"
    else:  # a 12-hour clock without its meridiem: stay on the 12-hour dial
        new = str((hour - 1 + shift.hours) % 12 + 1)
    seconds = f":{match.group('cs')}" if match.group("cs") else ""
    return f"{new}:{match.group('cm')}{seconds}"


def shift_times(text: str, shift: TimeShift) -> str:
    """`text` with every date and clock time moved by `shift`."""
    return _TIME_RE.sub(lambda m: _sub(m, shift), text)


def canonical_dates(text: str) -> list[str]:
    """The dates of `text` (from its timestamps and bare dates), each once: a variant must
    keep none of them."""
    found = [(m.group("iso") or m.group("date"))[:10] for m in _TIME_RE.finditer(text)
             if m.group("iso") or m.group("date")]
    return list(dict.fromkeys(found))
