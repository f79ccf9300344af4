"""Art. 12.1: the four checking periods and each agency's compliance (congvu.art12)."""

import datetime as dt
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from congvu.art12 import (
    DEFAULT_PERIODS,
    AgencyMailbox,
    Period,
    compliance,
    months_between,
    parse_periods,
    percent,
    period_of,
)

D = dt.date
KEYS = [p.key for p in DEFAULT_PERIODS]
STTTT = AgencyMailbox("stttt", "stttt@quangbinh.gov.vn")
SXD = AgencyMailbox("sxd", "sxd@quangbinh.gov.vn")
# July 2026 has no holiday: its 23 weekdays are the working days
JULY = [day for day in (D(2026, 7, 1) + dt.timedelta(days=n) for n in range(31)) if day.weekday() < 5]


def check(agency, day, period, *openers):
    return {"agency": agency, "day": day.isoformat(), "period": period,
            "openers": list(openers) or [f"annv.{agency}@quangbinh.gov.vn"]}


def test_art12_default_periods_are_the_start_and_end_of_morning_and_afternoon():
    assert [(p.key, p.label, p.start, p.end) for p in DEFAULT_PERIODS] == [
        ("sang_dau", "Đầu giờ sáng", "07:00", "09:00"),
        ("sang_cuoi", "Cuối giờ sáng", "10:30", "12:00"),
        ("chieu_dau", "Đầu giờ chiều", "13:00", "14:30"),
        ("chieu_cuoi", "Cuối giờ chiều", "16:00", "17:30"),
    ]
    assert parse_periods([p.as_dict() for p in DEFAULT_PERIODS]) == DEFAULT_PERIODS


@pytest.mark.parametrize("clock, key", [
    (dt.time(7, 0), "sang_dau"),
    (dt.time(8, 59, 59), "sang_dau"),
    (dt.time(9, 0), None),            # the end is outside its period
    (dt.time(6, 59, 59), None),
    (dt.time(10, 30), "sang_cuoi"),
    (dt.time(12, 15), None),
    (dt.time(13, 0), "chieu_dau"),
    (dt.time(17, 29), "chieu_cuoi"),
    (dt.time(17, 30), None),
])
def test_art12_period_boundaries_start_inclusive_end_exclusive(clock, key):
    assert period_of(clock, DEFAULT_PERIODS) == key


def test_art12_period_of_takes_vietnamese_time():
    assert period_of(dt.datetime(2026, 7, 1, 1, 30, tzinfo=dt.UTC)) == "sang_dau"   # 08:30 in Hà Nội
    assert period_of(dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)) is None         # 15:30 in Hà Nội
    assert period_of(dt.datetime(2026, 7, 1, 16, 5)) == "chieu_cuoi"                # naive: local already


def test_art12_periods_are_settings():
    periods = parse_periods([
        {"key": "chieu", "label": "Buổi chiều", "start": "14:00", "end": "15:00"},
        {"key": "sang", "label": "Buổi sáng", "start": "7:30", "end": "08:00"},
    ])
    assert [(p.key, p.start) for p in periods] == [("sang", "07:30"), ("chieu", "14:00")]  # sorted, two digits
    assert period_of(dt.time(7, 45), periods) == "sang"
    assert period_of(dt.time(9, 0), periods) is None


@pytest.mark.parametrize("change, message", [
    ({"start": "25:00"}, "Art. 12 period #1 (sang_dau), field 'start': '25:00' is not a time of day HH:MM"),
    ({"end": "9h"}, "field 'end': '9h' is not a time of day"),
    ({"start": 630}, "field 'start': got the number 630; write the time in quotes"),
    ({"end": "06:00"}, "Art. 12 period #1 (sang_dau), field 'end': 06:00 must be after start 07:00"),
    ({"label": ""}, "field 'label': missing"),
    ({"key": "Sáng"}, "field 'key': 'Sáng' must be lowercase"),
    ({"key": "sang_cuoi"}, "Art. 12 period #2 (sang_cuoi), field 'key': 'sang_cuoi' is used by another"),
    ({"end": "11:00"}, "Art. 12 periods sang_dau (07:00-11:00) and sang_cuoi (10:30-12:00) overlap"),
    ({"begin": "07:00"}, "Art. 12 period #1 (sang_dau): unknown field(s) begin"),
])
def test_art12_bad_periods_name_the_item_and_the_field(change, message):
    items = [p.as_dict() for p in DEFAULT_PERIODS]
    items[0] = {**items[0], **change}
    with pytest.raises(ValueError) as error:
        parse_periods(items)
    assert message in str(error.value)


def test_art12_periods_must_be_a_non_empty_list():
    with pytest.raises(ValueError, match="empty"):
        parse_periods([])
    with pytest.raises(ValueError, match="expected a list"):
        parse_periods({"key": "sang_dau"})
    with pytest.raises(ValueError, match="is not HH:MM"):
        Period("x", "X", "7:00", "09:00")


def test_percent_rounds_halves_up_and_is_none_without_denominator():
    assert percent(3, 4) == 75.0
    assert percent(1, 3) == 33.3 and percent(2, 3) == 66.7
    assert percent(1, 8) == 12.5
    assert percent(1, 400) == 0.3      # 0.25 -> 0.3, as a spreadsheet shows it (round() would say 0.2)
    assert percent(0, 5) == 0.0
    assert percent(0, 0) is None and percent(5, 0) is None


def test_art12_three_of_four_periods_every_day_is_75_percent():
    days = JULY[:20]
    checks = [check("stttt", day, key) for day in days for key in KEYS[:3]]
    result = compliance(checks, [STTTT], days, DEFAULT_PERIODS, 80)
    assert result.summary["stttt"] == {"due": 80, "done": 60, "compliance_pct": 75.0, "below_threshold": True}
    month = result.agencies[0]["months"][0]
    assert (month["month"], month["due"], month["done"], month["compliance_pct"]) == ("2026-07", 80, 60, 75.0)
    assert month["missed"][0] == {"day": "2026-07-01", "periods": ["chieu_cuoi"]}
    assert len(month["missed"]) == 20
    assert result.compliance_pct == 75.0


def test_art12_days_show_who_opened_each_period():
    day = JULY[0]
    checks = [check("stttt", day, "sang_dau", "binhhv.stttt@quangbinh.gov.vn", "annv.stttt@quangbinh.gov.vn"),
              check("stttt", day, "sang_dau", "chitt.stttt@quangbinh.gov.vn")]  # a second row is merged
    result = compliance(checks, [STTTT], [day], DEFAULT_PERIODS, 80)
    assert result.agencies[0]["days"] == [{"day": "2026-07-01", "periods": {
        "sang_dau": ["annv.stttt@quangbinh.gov.vn", "binhhv.stttt@quangbinh.gov.vn", "chitt.stttt@quangbinh.gov.vn"],
        "sang_cuoi": [], "chieu_dau": [], "chieu_cuoi": []}}]


def test_art12_an_opening_on_a_holiday_or_weekend_does_not_count():
    working = [D(2026, 9, 3), D(2026, 9, 4)]  # 1 and 2 September are National Day
    checks = [check("stttt", D(2026, 9, 2), key) for key in KEYS]
    checks += [check("stttt", D(2026, 9, 5), key) for key in KEYS]  # a Saturday
    checks += [check("stttt", D(2026, 9, 3), "sang_dau")]
    result = compliance(checks, [STTTT], working, DEFAULT_PERIODS, 80)
    assert result.summary["stttt"]["due"] == 8 and result.summary["stttt"]["done"] == 1
    assert [d["day"] for d in result.agencies[0]["days"]] == ["2026-09-03", "2026-09-04"]


def test_art12_below_threshold_lists_month_and_agency():
    june = [day for day in (D(2026, 6, 1) + dt.timedelta(days=n) for n in range(30)) if day.weekday() < 5]
    days = june + JULY
    checks = [check("stttt", day, key) for day in days for key in KEYS]                      # always
    checks += [check("sxd", day, key) for day in june for key in KEYS]                        # June only
    checks += [check("sxd", day, key) for day in JULY for key in KEYS[:2]]                    # July: half
    result = compliance(checks, [STTTT, SXD], days, DEFAULT_PERIODS, 80, months=["2026-06", "2026-07"])
    assert result.below_threshold == [{"month": "2026-07", "agency": "sxd", "compliance_pct": 50.0}]
    assert result.summary["stttt"]["compliance_pct"] == 100.0
    # over the whole period: (22 x 4 + 23 x 2) / (45 x 4) = 74.4 %, under 80 as well
    assert result.summary["sxd"] == {"due": 180, "done": 134, "compliance_pct": 74.4, "below_threshold": True}
    assert result.compliance_pct == percent(180 + 134, 360)


def test_art12_below_threshold_compares_the_shown_percentage():
    # 1999 of 2000 periods = 99.95 %, shown as 100.0: not listed under a threshold of 100
    days = [D(2026, 1, 1) + dt.timedelta(days=n) for n in range(500)]
    checks = [check("stttt", day, key) for day in days for key in KEYS][1:]
    result = compliance(checks, [STTTT], days, DEFAULT_PERIODS, 100)
    assert result.summary["stttt"]["compliance_pct"] == 100.0
    assert not result.summary["stttt"]["below_threshold"]


def test_art12_a_mailbox_is_due_only_while_it_existed():
    new = AgencyMailbox("snv", "snv@quangbinh.gov.vn", created=D(2026, 7, 15))
    gone = AgencyMailbox("sxd", "sxd@quangbinh.gov.vn", closed=D(2026, 7, 15))
    result = compliance([], [new, gone], JULY, DEFAULT_PERIODS, 80)
    assert result.summary["snv"]["due"] == 4 * len([d for d in JULY if d >= D(2026, 7, 15)])
    assert result.summary["sxd"]["due"] == 4 * len([d for d in JULY if d < D(2026, 7, 15)])


def test_art12_zero_due_is_null_not_zero_percent():
    result = compliance([], [STTTT], [], DEFAULT_PERIODS, 80, months=["2026-07"])
    assert result.summary["stttt"] == {"due": 0, "done": 0, "compliance_pct": None, "below_threshold": False}
    assert result.agencies == [] and result.below_threshold == [] and result.compliance_pct is None


def test_art12_a_period_the_settings_do_not_know_is_an_error():
    with pytest.raises(ValueError, match=r"agency_checks\[0\].period: 'trua' is not one of the Art. 12 periods"):
        compliance([check("stttt", JULY[0], "trua")], [STTTT], JULY, DEFAULT_PERIODS, 80)


def test_months_between():
    assert months_between(D(2026, 6, 30), D(2026, 8, 1)) == ["2026-06", "2026-07", "2026-08"]


def test_art12_module_runs_alone_with_the_standard_library():
    # the reports host loads art12.py by itself, without the package and without `holidays`
    path = Path(importlib.util.find_spec("congvu.art12").origin)
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('art12', sys.argv[1]); "
            "m = sys.modules['art12'] = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            "assert 'holidays' not in sys.modules; print(m.period_of(m.dt.time(8), m.DEFAULT_PERIODS))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "sang_dau"
