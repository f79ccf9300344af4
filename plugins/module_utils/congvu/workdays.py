"""The working-day calendar of the reports (POLICY.md "Reports"; Art. 12 is due on working days only).

A working day is Monday to Friday, minus Vietnam's public holidays, plus or minus the day swaps the
government announces. The holidays come from the maintained library `holidays` (Tết and the Hùng Kings'
day follow the lunar calendar; days off carried over from a weekend, and the Saturdays worked in exchange
for a bridge day, are in it for the years it knows), read by the adapter congvu_holidays.py and handed in
as a function of the year, so that this file imports with the standard library alone. Each year the
government may announce swaps the library does not have yet, or that a province applies differently: the
operator lists them as
{"date": "2026-01-03", "kind": "work" | "off", "note": "..."} and they win over the library.

No I/O. Days are dates in Asia/Ho_Chi_Minh (congvu.art12.TZ).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .art12 import TZ, months_between

KINDS = ("work", "off")
_SWAP_FIELDS = ("date", "kind", "note")
WEEKDAY_NAMES = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


@dataclass(frozen=True)
class Swap:
    day: dt.date
    kind: str  # "work": a weekend day or holiday is worked; "off": a weekday is not
    note: str = ""


def parse_swaps(items: Iterable[Mapping] | None) -> tuple[Swap, ...]:
    """Operator list -> swaps sorted by day; every error names the item and the field.

    A date may come as text or, from unquoted YAML, as a date. A swap that repeats what the library
    already says is accepted: a later version of the library catching up must not break the settings.
    """
    swaps: dict[dt.date, tuple[int, Swap]] = {}
    if items is None:
        return ()
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValueError("day swaps: expected a list of {date, kind, note}")
    for number, item in enumerate(items, 1):
        name = f"day swap #{number}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{name}: expected a mapping with date, kind and note; got {item!r}")
        unknown = sorted(set(map(str, item)) - set(_SWAP_FIELDS))
        if unknown:
            raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}; known: {', '.join(_SWAP_FIELDS)}")
        raw = item.get("date")
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            day = raw
        else:
            try:
                day = dt.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
            except ValueError:
                day = None
            if day is None:
                raise ValueError(f"{name}, field 'date': {raw!r} is not a date YYYY-MM-DD")
        name = f"day swap #{number} ({day.isoformat()})"
        kind = item.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{name}, field 'kind': {kind!r} must be 'work' (a day off is worked) or 'off' "
                             "(a working day is a day off)")
        note = item.get("note", "")
        if note is None:
            note = ""
        if not isinstance(note, str):
            raise ValueError(f"{name}, field 'note': must be a text")
        if day in swaps:
            raise ValueError(f"{name}: day swap #{swaps[day][0]} names the same date already")
        swaps[day] = (number, Swap(day, kind, note.strip()))
    return tuple(swap for _, (_, swap) in sorted(swaps.items()))


def local_date(moment: dt.datetime) -> dt.date:
    """The day in Vietnam of an aware time (a naive one is taken as local)."""
    return moment.astimezone(TZ).date() if moment.tzinfo is not None else moment.date()


# year -> (the public holidays and carried-over days off of that year with their Vietnamese names, the
# weekend days worked in exchange for a bridge day): congvu_holidays.vietnam
YearTable = tuple[dict[dt.date, str], frozenset[dt.date]]


class WorkCalendar:
    """Which days are working days: weekdays - holidays + the library's worked Saturdays, then the swaps.

    `holidays_of(year)` gives a year's holidays (congvu_holidays.work_calendar passes the library's)."""

    def __init__(self, swaps: Iterable[Mapping] | None, holidays_of: Callable[[int], YearTable]):
        self.swaps = {swap.day: swap for swap in parse_swaps(swaps)}
        self.holidays_of = holidays_of
        self._years: dict[int, YearTable] = {}

    def _year(self, year: int) -> YearTable:
        if year not in self._years:
            self._years[year] = self.holidays_of(year)
        return self._years[year]

    def holiday(self, day: dt.date) -> str | None:
        """The library's Vietnamese name of a public holiday (or carried-over day off), else None."""
        return self._year(day.year)[0].get(day)

    def is_working_day(self, day: dt.date) -> bool:
        swap = self.swaps.get(day)
        if swap is not None:
            return swap.kind == "work"
        names, worked = self._year(day.year)
        if day in names:
            return False
        return day.weekday() < 5 or day in worked

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The working days from start to end, both included, in order."""
        if end < start:
            raise ValueError(f"working days: the end {end} is before the start {start}")
        count = (end - start).days + 1
        return [day for day in (start + dt.timedelta(days=n) for n in range(count)) if self.is_working_day(day)]

    def reason(self, day: dt.date) -> str | None:
        """Why the day is not an ordinary one, in Vietnamese, for the report's calendar; None if ordinary.

        A swap's note (or a generic text), the holiday's name, the weekday of a weekend, or that a
        weekend day is worked in exchange for a day off.
        """
        swap = self.swaps.get(day)
        if swap is not None:
            return swap.note or ("Ngày làm việc bù" if swap.kind == "work" else "Ngày nghỉ theo thông báo")
        names, worked = self._year(day.year)
        if day in names:
            return names[day]
        if day.weekday() >= 5:
            return "Ngày làm việc bù" if day in worked else WEEKDAY_NAMES[day.weekday()]
        return None

    @staticmethod
    def months(start: dt.date, end: dt.date) -> list[str]:
        """"YYYY-MM" of every month that overlaps start..end (inclusive)."""
        return months_between(start, end)
