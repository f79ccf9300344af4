"""Art. 12.1: an agency mailbox is checked at least four times a working day, and how well each agency did.

"đầu, cuối giờ buổi sáng và đầu, cuối giờ buổi chiều": the start and the end of the morning and of the
afternoon. The regulation names no clock times, so the four periods are settings with documented defaults
(DEFAULT_PERIODS); a period counts as done when the head or a delegate opened the agency mailbox (selected
one of its folders) during it, on a working day.

Stdlib only and no import from the rest of the package: the collector on the reports host, which has no
third-party library, uses `parse_periods` and `period_of` from this file alone. Which days are working days
is the controller's business (congvu.workdays); `compliance` takes them as a list of dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset needs no tz database.
TZ_NAME = "Asia/Ho_Chi_Minh"
TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

# The regulation sets no threshold: this is where the report starts to flag an agency (a setting).
DEFAULT_THRESHOLD_PCT = 80.0

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FIELDS = ("key", "label", "start", "end")


@dataclass(frozen=True)
class Period:
    """One checking period of the day, local time; `start` inclusive, `end` exclusive."""

    key: str
    label: str
    start: str  # "HH:MM"
    end: str    # "HH:MM"

    def __post_init__(self) -> None:
        # period_of compares the times as text, which needs two-digit hours; parse_periods normalises.
        for field in ("start", "end"):
            value = getattr(self, field)
            if not (isinstance(value, str) and len(value) == 5 and _HHMM.match(value)):
                raise ValueError(f"Art. 12 period {self.key}: {field} {value!r} is not HH:MM")

    @property
    def start_time(self) -> dt.time:
        return dt.time.fromisoformat(self.start)

    @property
    def end_time(self) -> dt.time:
        return dt.time.fromisoformat(self.end)

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_PERIODS: tuple[Period, ...] = (
    Period("sang_dau", "Đầu giờ sáng", "07:00", "09:00"),
    Period("sang_cuoi", "Cuối giờ sáng", "10:30", "12:00"),
    Period("chieu_dau", "Đầu giờ chiều", "13:00", "14:30"),
    Period("chieu_cuoi", "Cuối giờ chiều", "16:00", "17:30"),
)


def _time_text(value: object, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # PyYAML (and so Ansible) reads an unquoted 10:30 as the base-60 number 630.
        raise ValueError(f"{where}: got the number {value}; write the time in quotes, e.g. '10:30' "
                         "(YAML reads an unquoted 10:30 as a base-60 number)")
    match = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{where}: {value!r} is not a time of day HH:MM (00:00 to 23:59)")
    return f"{int(match.group(1)):02d}:{match.group(2)}"  # two digits: the times compare as text


def parse_periods(items: Iterable[Mapping | Period]) -> tuple[Period, ...]:
    """Operator settings -> periods sorted by start; every error names the item and the field.

    Any number of periods is accepted (another province's regulation may ask for more or fewer), but they
    must not overlap: an opening must count for one period only.
    """
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValueError("Art. 12 periods: expected a list of {key, label, start, end}")
    periods: list[Period] = []
    for number, item in enumerate(items, 1):
        if isinstance(item, Period):
            item = item.as_dict()
        name = f"Art. 12 period #{number}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{name}: expected a mapping with key, label, start, end; got {item!r}")
        if isinstance(item.get("key"), str):
            name += f" ({item['key']})"
        unknown = sorted(set(map(str, item)) - set(_FIELDS))
        if unknown:
            raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}; known: {', '.join(_FIELDS)}")
        for field in _FIELDS:
            if item.get(field) in (None, ""):
                raise ValueError(f"{name}, field '{field}': missing")
        key, label = item["key"], item["label"]
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"{name}, field 'key': {key!r} must be lowercase letters, digits and _ "
                             "(starting with a letter, at most 32), e.g. sang_dau")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{name}, field 'label': must be a non-empty text")
        start = _time_text(item["start"], f"{name}, field 'start'")
        end = _time_text(item["end"], f"{name}, field 'end'")
        if start >= end:
            raise ValueError(f"{name}, field 'end': {end} must be after start {start}")
        if any(p.key == key for p in periods):
            raise ValueError(f"{name}, field 'key': {key!r} is used by another period already")
        periods.append(Period(key, label.strip(), start, end))
    if not periods:
        raise ValueError("Art. 12 periods: the list is empty; Art. 12.1 needs the checking periods")
    periods.sort(key=lambda p: p.start)
    for before, after in zip(periods, periods[1:], strict=False):
        if after.start < before.end:
            raise ValueError(f"Art. 12 periods {before.key} ({before.start}-{before.end}) and {after.key} "
                             f"({after.start}-{after.end}) overlap: an opening must fall in one period only")
    return tuple(periods)


def local(moment: dt.datetime) -> dt.datetime:
    """An aware time in Asia/Ho_Chi_Minh; a naive one is taken as already local."""
    return moment.astimezone(TZ) if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def period_of(moment: dt.datetime | dt.time, periods: Sequence[Period] = DEFAULT_PERIODS) -> str | None:
    """The key of the period `moment` falls in (start inclusive, end exclusive), or None.

    An aware datetime is converted to Vietnamese time first; a naive datetime or a time is local time.
    """
    if isinstance(moment, dt.datetime):
        clock = local(moment).time()
    elif isinstance(moment, dt.time):
        clock = moment.replace(tzinfo=None)
    else:
        raise TypeError(f"period_of: expected a datetime or a time, got {moment!r}")
    # "09:00:00.000000" sorts after "09:00": the start is in the period, the end is not.
    text = clock.strftime("%H:%M:%S.%f")
    for period in periods:
        if period.start <= text < period.end:
            return period.key
    return None


def percent(part: int, whole: int) -> float | None:
    """part/whole in percent, one decimal, halves rounded up as a spreadsheet does; None when whole is 0.

    Exact integer arithmetic: `round()` on floats rounds halves to even and trips on binary fractions.
    """
    if not whole:
        return None
    return (2000 * part + whole) // (2 * whole) / 10


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """"YYYY-MM" of every month that overlaps start..end (inclusive), in order."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class AgencyMailbox:
    """An agency mailbox under Art. 12 and the days it existed within the period.

    `created`: its first day, when inside the period. `closed`: the day it was closed, when inside the
    period; that day and later are not due (the mailbox may be gone before its afternoon periods).
    """

    code: str
    mail: str
    created: dt.date | None = None
    closed: dt.date | None = None

    def due_on(self, day: dt.date) -> bool:
        return (self.created is None or day >= self.created) and (self.closed is None or day < self.closed)


@dataclass
class Compliance:
    """The result of `compliance`, in the shapes of report.json (docs/reports-data.md section 2)."""

    agencies: list[dict]         # report.json `art12`
    summary: dict[str, dict]     # code -> {due, done, compliance_pct, below_threshold}
    below_threshold: list[dict]  # report.json `below_threshold`: (month, agency) pairs
    due: int
    done: int

    @property
    def compliance_pct(self) -> float | None:
        return percent(self.done, self.due)


def _below(pct: float | None, threshold_pct: float) -> bool:
    # Compared as shown: an agency shown at 80.0 % is not listed under an 80 % threshold.
    return pct is not None and pct < threshold_pct


def compliance(checks: Iterable[Mapping], agencies: Sequence[AgencyMailbox], working_days: Iterable[dt.date],
               periods: Sequence[Period], threshold_pct: float, months: Sequence[str] | None = None) -> Compliance:
    """Art. 12.1 per agency mailbox: per working day the periods opened and by whom; per month and overall
    due, done, the share and whether it is under the threshold.

    `checks` are summary.json `agency_checks` rows ({agency, day, period, openers}); rows of days that are
    not in `working_days` (weekends, holidays, outside the period) or of agencies not in `agencies` do not
    count. A period key the settings do not know is an error: the summary was made with other periods.
    `due` = working days (while the mailbox existed) x periods; `done` = those with at least one opening.
    """
    days = sorted(set(working_days))
    day_set = set(days)
    keys = [p.key for p in periods]
    key_set = set(keys)
    if months is None:
        months = sorted({month_of(d) for d in days})
    by_code = {a.code: a for a in agencies}
    opened: dict[str, dict[dt.date, dict[str, set[str]]]] = {code: {} for code in by_code}
    for index, row in enumerate(checks):
        key = row.get("period")
        if key not in key_set:
            raise ValueError(f"agency_checks[{index}].period: {key!r} is not one of the Art. 12 periods "
                             f"({', '.join(keys)}); the summary was made with other periods than these settings")
        code, day = row.get("agency"), row.get("day")
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        if code not in opened or day not in day_set or not by_code[code].due_on(day):
            continue
        opened[code].setdefault(day, {}).setdefault(key, set()).update(row.get("openers") or ())

    result = Compliance([], {}, [], 0, 0)
    for agency in agencies:
        agency_days = [d for d in days if agency.due_on(d)]
        per_month = {m: {"month": m, "due": 0, "done": 0, "missed": []} for m in months}
        day_rows = []
        for day in agency_days:
            got = opened[agency.code].get(day, {})
            day_rows.append({"day": day.isoformat(), "periods": {k: sorted(got.get(k, ())) for k in keys}})
            month = per_month.setdefault(month_of(day), {"month": month_of(day), "due": 0, "done": 0, "missed": []})
            month["due"] += len(keys)
            month["done"] += sum(1 for k in keys if got.get(k))
            missed = [k for k in keys if not got.get(k)]
            if missed:
                month["missed"].append({"day": day.isoformat(), "periods": missed})
        month_rows = []
        for month in sorted(per_month.values(), key=lambda m: m["month"]):
            pct = percent(month["done"], month["due"])
            month_rows.append({"month": month["month"], "due": month["due"], "done": month["done"],
                               "compliance_pct": pct, "below_threshold": _below(pct, threshold_pct),
                               "missed": month["missed"]})
            if _below(pct, threshold_pct):
                result.below_threshold.append({"month": month["month"], "agency": agency.code,
                                               "compliance_pct": pct})
        due = sum(m["due"] for m in month_rows)
        done = sum(m["done"] for m in month_rows)
        pct = percent(done, due)
        result.summary[agency.code] = {"due": due, "done": done, "compliance_pct": pct,
                                       "below_threshold": _below(pct, threshold_pct)}
        result.due += due
        result.done += done
        if due:
            result.agencies.append({"agency": agency.code, "mail": agency.mail, "months": month_rows,
                                    "days": day_rows})
    result.below_threshold.sort(key=lambda row: (row["month"], row["agency"]))
    return result
