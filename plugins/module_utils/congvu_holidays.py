"""Vietnam's public holidays from the maintained library `holidays`, for the working-day calendar.

The core's congvu.workdays.WorkCalendar is given a year's holidays as data; this adapter reads them from
the library (Debian's python3-holidays, a controller requirement), imported here only, the first time a
year is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

if __package__:  # the collection's module_utils (a module run)
    from .congvu.workdays import WorkCalendar
else:  # a tool or a test: the core on sys.path as the package congvu
    from congvu.workdays import WorkCalendar


def vietnam(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """The public holidays and carried-over days off of `year` with their Vietnamese names, and the
    weekend days worked in exchange for a bridge day."""
    import holidays

    table = holidays.country_holidays("VN", years=year, language="vi")
    names = {day: "; ".join(table.get_list(day)) for day in table}
    worked = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return names, worked


def work_calendar(swaps: Iterable[Mapping] | None = ()) -> WorkCalendar:
    """The reports' calendar: Vietnam's holidays, then the operator's day swaps."""
    return WorkCalendar(swaps, vietnam)
