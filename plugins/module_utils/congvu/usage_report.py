"""The six-monthly report (Art. 11.1, 12, 14.6, 16.9): summary.json + calendar + Art. 12 settings -> report.json.

docs/reports-data.md fixes both documents; this module is the only place that turns the one into the
other, so that the PDF, the web page, the workbook and the CSV files all show the same numbers. Pure: no
I/O. The summary comes from another host, so it is checked first and a bad field is named by its path
(`mailboxes[3].logins.imap: not an integer`) rather than failing somewhere in the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from .art12 import TZ, AgencyMailbox, Period, compliance, months_between, parse_periods, percent

SCHEMA = 1
DEFAULT_TITLE = "Báo cáo tình hình sử dụng hệ thống thư điện tử công vụ"
LOGIN_KINDS = ("imap", "pop3", "submission", "webmail")
STATES = ("active", "suspended", "terminated")
# Days since the last login at the end of the period -> bucket; Art. 7.2 suspends after 90.
BUCKETS = ((7, "0-7"), (30, "8-30"), (90, "31-90"))
BUCKET_KEYS = ("0-7", "8-30", "31-90", "over-90", "never")
_COUNTS = ("sent", "sent_recipients", "received", "virus_refused", "spam_refused",
           "suspended_inactivity", "password_resets")
_MONTHLY_COUNTS = ("users_logged_in", "mailboxes", "sent", "received", "virus_refused", "spam_refused")
_MISSING = object()


# --- validation -------------------------------------------------------------------------------------

def _bad(path: str, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


def _get(obj: Mapping, key: str, path: str) -> object:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise _bad(f"{path}.{key}", "missing")
    return value


def _count(obj: Mapping, key: str, path: str) -> int:
    value = obj.get(key, _MISSING)
    if isinstance(value, bool) or not isinstance(value, int):  # bool is not a count
        raise _bad(f"{path}.{key}", "missing" if value is _MISSING else f"not an integer ({value!r})")
    if value < 0:
        raise _bad(f"{path}.{key}", f"negative ({value})")
    return value


def _text(obj: Mapping, key: str, path: str, empty: bool = False) -> str:
    value = _get(obj, key, path)
    if not isinstance(value, str) or (not empty and not value):
        raise _bad(f"{path}.{key}", f"not a {'' if empty else 'non-empty '}text ({value!r})")
    return value


def _list(obj: Mapping, key: str, path: str) -> list:
    value = _get(obj, key, path)
    if not isinstance(value, list):
        raise _bad(f"{path}.{key}", "not a list")
    return value


def _mapping(value: object, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise _bad(path, "not an object")
    return value


def _date(value: object, path: str) -> dt.date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise _bad(path, f"not a day YYYY-MM-DD ({value!r})")


def _time(value: object, path: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(path, f"not an ISO 8601 time with its UTC offset ({value!r})")
    return moment


def _logins(obj: Mapping, path: str) -> None:
    logins = _mapping(_get(obj, "logins", path), f"{path}.logins")
    for kind in LOGIN_KINDS:
        _count(logins, kind, f"{path}.logins")


def _in_period(obj: Mapping, key: str, path: str, first: dt.date, last: dt.date, null: bool) -> None:
    value = _get(obj, key, path)
    if value is None and null:
        return
    day = _date(value, f"{path}.{key}")
    if not first <= day <= last:
        raise _bad(f"{path}.{key}", f"{day} is outside the period {first} to {last}")


def validate_summary(summary: object) -> None:
    """Raise ValueError naming the first bad field by its path; fields this module does not use are ignored."""
    top = _mapping(summary, "summary")
    if top.get("schema") != SCHEMA:
        raise _bad("schema", f"expected {SCHEMA}, got {top.get('schema')!r}")
    period = _mapping(_get(top, "period", "summary"), "period")
    first, last = _date(_get(period, "from", "period"), "period.from"), _date(_get(period, "to", "period"), "period.to")
    if last < first:
        raise _bad("period.to", f"{last} is before period.from {first}")
    _time(_get(top, "generated_at", "summary"), "generated_at")
    if not isinstance(top.get("demo_data", False), bool):
        raise _bad("demo_data", "not true or false")
    codes: set[str] = set()
    for i, agency in enumerate(_list(top, "agencies", "summary")):
        path = f"agencies[{i}]"
        agency = _mapping(agency, path)
        code = _text(agency, "code", path)
        if code in codes:
            raise _bad(f"{path}.code", f"{code!r} appears twice")
        codes.add(code)
        _text(agency, "name", path)
        _text(agency, "kind", path, empty=True)
        _text(agency, "mail", path)
        if agency.get("state", _MISSING) not in STATES:
            raise _bad(f"{path}.state", f"{agency.get('state')!r} is not one of {', '.join(STATES)}")
        for key in ("created", "closed"):  # optional: an agency made or abolished inside the period
            if agency.get(key) is not None:
                _in_period(agency, key, path, first, last, True)
    addresses: set[str] = set()
    for i, box in enumerate(_list(top, "mailboxes", "summary")):
        path = f"mailboxes[{i}]"
        box = _mapping(box, path)
        _text(box, "uid", path)
        _text(box, "mail", path)
        _text(box, "name", path, empty=True)
        if box["mail"] in addresses:
            raise _bad(f"{path}.mail", f"{box['mail']!r} appears twice")
        addresses.add(box["mail"])
        if _get(box, "agency", path) not in codes:
            raise _bad(f"{path}.agency", f"{box['agency']!r} is not in agencies")
        if box.get("state", _MISSING) not in STATES:
            raise _bad(f"{path}.state", f"{box.get('state')!r} is not one of {', '.join(STATES)}")
        for key in ("quota", "storage"):  # null: not known (no figure from the mail store)
            if _get(box, key, path) is not None:
                _count(box, key, path)
        decision = box.get("quota_decision")
        if decision is not None and not isinstance(decision, str):
            raise _bad(f"{path}.quota_decision", f"not a text or null ({decision!r})")
        _in_period(box, "created", path, first, last, True)
        _in_period(box, "closed", path, first, last, True)
        _logins(box, path)
        if _get(box, "last_login", path) is not None:
            _time(box["last_login"], f"{path}.last_login")
        for key in _COUNTS:
            _count(box, key, path)
    months = set(months_between(first, last))
    for i, row in enumerate(_list(top, "monthly", "summary")):
        path = f"monthly[{i}]"
        row = _mapping(row, path)
        if _get(row, "month", path) not in months:
            raise _bad(f"{path}.month", f"{row['month']!r} is not a month YYYY-MM of the period")
        if _get(row, "agency", path) not in codes:
            raise _bad(f"{path}.agency", f"{row['agency']!r} is not in agencies")
        _logins(row, path)
        for key in _MONTHLY_COUNTS:
            _count(row, key, path)
    for i, row in enumerate(_list(top, "agency_checks", "summary")):
        path = f"agency_checks[{i}]"
        row = _mapping(row, path)
        _text(row, "agency", path)  # an agency not listed is not under Art. 12 here: its rows do not count
        _in_period(row, "day", path, first, last, False)
        _text(row, "period", path)
        openers = _list(row, "openers", path)
        if not all(isinstance(who, str) and who for who in openers):
            raise _bad(f"{path}.openers", "not a list of addresses")
    quality = _mapping(_get(top, "quality", "summary"), "quality")
    for key in ("lines", "malformed", "unknown"):
        _count(quality, key, "quality")


# --- the report ---------------------------------------------------------------------------------------

def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _bucket(days: int | None) -> str:
    if days is None:
        return "never"
    for limit, key in BUCKETS:
        if days <= limit:
            return key
    return "over-90"


def _new_agency(agency: Mapping) -> dict:
    return {"code": agency["code"], "name": agency["name"], "kind": agency["kind"], "mail": agency["mail"],
            "mailboxes": dict.fromkeys(STATES, 0), "created": 0, "closed": 0, "logged_in": 0,
            "logged_in_pct": None, "logins": dict.fromkeys(LOGIN_KINDS, 0),
            "sent": 0, "sent_recipients": 0, "received": 0, "storage": 0, "quota": 0, "quota_exceptions": [],
            "virus_refused": 0, "spam_refused": 0, "suspended_inactivity": 0, "password_resets": 0,
            "art12": None, "last_login_buckets": dict.fromkeys(BUCKET_KEYS, 0)}


def _art12_mailboxes(agencies: Sequence[Mapping]) -> list[AgencyMailbox]:
    """The agency mailboxes Art. 12 applied to: not those closed before the period began."""
    boxes = []
    for agency in sorted(agencies, key=lambda a: a["code"]):
        created, closed = agency.get("created"), agency.get("closed")
        if agency["state"] == "terminated" and closed is None:
            continue
        boxes.append(AgencyMailbox(agency["code"], agency["mail"],
                                   dt.date.fromisoformat(created) if created else None,
                                   dt.date.fromisoformat(closed) if closed else None))
    return boxes


def build_report(summary: dict, calendar, periods: Sequence[Period | Mapping], threshold_pct: float,
                 province: str, domain: str, title: str | None = None, today: dt.date | None = None) -> dict:
    """report.json (docs/reports-data.md section 2) from a summary.json.

    `calendar` is a congvu.workdays.WorkCalendar (anything with `working_days(start, end)`). `today`
    (default: the day of `generated_at`) matters only for a report built before its period is over: then
    it counts up to that day (`period.as_of`), so that days still to come are not shown as missed.
    """
    validate_summary(summary)
    periods = parse_periods(periods)
    if isinstance(threshold_pct, bool) or not isinstance(threshold_pct, (int, float)) \
            or not 0 <= threshold_pct <= 100:
        raise ValueError(f"Art. 12 threshold_pct: {threshold_pct!r} must be a number from 0 to 100")
    first = dt.date.fromisoformat(summary["period"]["from"])
    last = dt.date.fromisoformat(summary["period"]["to"])
    today = today or _local_day(dt.datetime.fromisoformat(summary["generated_at"]))
    if today < first:
        raise ValueError(f"the period starts {first}, after the day of the report {today}")
    end = min(last, today)
    working_days = calendar.working_days(first, end)
    months = months_between(first, end)

    rows = {agency["code"]: _new_agency(agency) for agency in summary["agencies"]}
    boxes = []
    for box in summary["mailboxes"]:
        row = rows[box["agency"]]
        state, logins = box["state"], box["logins"]
        row["mailboxes"][state] += 1
        row["created"] += box["created"] is not None
        row["closed"] += box["closed"] is not None
        total = row["logins"]
        for kind in LOGIN_KINDS:
            total[kind] += logins[kind]
        for key in _COUNTS:
            row[key] += box[key]
        storage, quota = box["storage"], box["quota"]
        if state != "terminated":
            row["storage"] += storage or 0
            row["quota"] += quota or 0
            if box.get("quota_decision"):
                row["quota_exceptions"].append({"mail": box["mail"], "name": box["name"], "quota": box["quota"],
                                                "decision": box["quota_decision"]})
        last_login = box["last_login"]
        days = None
        if last_login is not None:
            days = max(0, (end - _local_day(dt.datetime.fromisoformat(last_login))).days)
        if state == "active":
            row["logged_in"] += any(logins[kind] for kind in LOGIN_KINDS)
            row["last_login_buckets"][_bucket(days)] += 1
        boxes.append({"uid": box["uid"], "mail": box["mail"], "name": box["name"], "agency": box["agency"],
                      "state": state, "quota": quota, "storage": storage,
                      "storage_pct": None if storage is None else percent(storage, quota or 0),
                      "logins": {kind: logins[kind] for kind in LOGIN_KINDS}, "last_login": last_login,
                      "days_since_login": days, "sent": box["sent"], "received": box["received"]})
    boxes.sort(key=lambda b: (b["agency"], b["mail"]))

    art12 = compliance(summary["agency_checks"], _art12_mailboxes(summary["agencies"]), working_days,
                       periods, threshold_pct, months)
    agencies = [rows[code] for code in sorted(rows)]
    for row in agencies:
        row["logged_in_pct"] = percent(row["logged_in"], row["mailboxes"]["active"])
        row["quota_exceptions"].sort(key=lambda e: e["mail"])
        row["art12"] = art12.summary.get(row["code"], {"due": 0, "done": 0, "compliance_pct": None,
                                                       "below_threshold": False})

    return {
        "schema": SCHEMA,
        "title": title or DEFAULT_TITLE,
        "province": province,
        "domain": domain,
        "period": {"from": first.isoformat(), "to": last.isoformat(), "as_of": end.isoformat(),
                   "working_days": len(working_days)},
        "generated_at": summary["generated_at"],
        "demo_data": bool(summary.get("demo_data", False)),
        "art12_settings": {"periods": [p.as_dict() for p in periods], "threshold_pct": threshold_pct},
        "totals": _totals(agencies, art12.compliance_pct),
        "agencies": agencies,
        "art12": art12.agencies,
        "below_threshold": art12.below_threshold,
        "monthly": _monthly(summary["monthly"], months),
        "mailboxes": boxes,
        "quality": {key: summary["quality"][key] for key in ("lines", "malformed", "unknown")},
    }


def _totals(agencies: list[dict], art12_pct: float | None) -> dict:
    """The province: the sums of the agencies, so that the two tables always add up."""
    totals = {"mailboxes": {state: sum(a["mailboxes"][state] for a in agencies) for state in STATES}}
    for key in ("created", "closed", "logged_in"):
        totals[key] = sum(a[key] for a in agencies)
    totals["logged_in_pct"] = percent(totals["logged_in"], totals["mailboxes"]["active"])
    totals["logins"] = {kind: sum(a["logins"][kind] for a in agencies) for kind in LOGIN_KINDS}
    for key in ("sent", "sent_recipients", "received", "storage", "quota", "virus_refused", "spam_refused",
                "suspended_inactivity", "password_resets"):
        totals[key] = sum(a[key] for a in agencies)
    totals["art12_compliance_pct"] = art12_pct
    return totals


def _monthly(rows: list[Mapping], months: list[str]) -> list[dict]:
    """The province's trend: every month of the period, the agencies' rows summed (zeros when none)."""
    trend = {m: {"month": m, "logins": dict.fromkeys(LOGIN_KINDS, 0), "users_logged_in": 0, "sent": 0,
                 "received": 0} for m in months}
    for row in rows:
        month = trend.get(row["month"])
        if month is None:  # after the day of a report built before its period ended
            continue
        for kind in LOGIN_KINDS:
            month["logins"][kind] += row["logins"][kind]
        for key in ("users_logged_in", "sent", "received"):
            month[key] += row[key]
    return list(trend.values())
