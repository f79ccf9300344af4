"""The working-day calendar of the reports (congvu.workdays): holidays, the library's swaps, the operator's."""

import datetime as dt

import pytest
from congvu.workdays import WorkCalendar, local_date, parse_swaps
from congvu_holidays import work_calendar

D = dt.date


def test_art12_tet_2026_is_not_working_days():
    cal = work_calendar()
    tet = [D(2026, 2, 16) + dt.timedelta(days=n) for n in range(5)]  # Mon 16 .. Fri 20 February
    assert not any(cal.is_working_day(day) for day in tet)
    assert cal.is_working_day(D(2026, 2, 13)) and cal.is_working_day(D(2026, 2, 23))
    assert cal.reason(D(2026, 2, 17)) == "Tết Nguyên Đán"
    # 9 to 27 February: 15 weekdays, 5 of them Tết
    assert len(cal.working_days(D(2026, 2, 9), D(2026, 2, 27))) == 10


def test_art12_hung_kings_day_2026_on_a_sunday_is_observed_on_monday():
    cal = work_calendar()
    assert not cal.is_working_day(D(2026, 4, 26))
    assert not cal.is_working_day(D(2026, 4, 27))
    assert "Giỗ Tổ Hùng Vương" in cal.reason(D(2026, 4, 26))
    assert "nghỉ bù" in cal.reason(D(2026, 4, 27))
    assert cal.is_working_day(D(2026, 4, 28))


def test_art12_fixed_holidays_are_days_off():
    cal = work_calendar()
    for day in (D(2026, 1, 1), D(2026, 4, 30), D(2026, 5, 1), D(2026, 9, 1), D(2026, 9, 2)):
        assert not cal.is_working_day(day), day


def test_art12_weekends_are_days_off_and_ordinary_weekdays_have_no_reason():
    cal = work_calendar()
    assert not cal.is_working_day(D(2026, 7, 4)) and cal.reason(D(2026, 7, 4)) == "Thứ bảy"
    assert not cal.is_working_day(D(2026, 7, 5)) and cal.reason(D(2026, 7, 5)) == "Chủ nhật"
    assert cal.is_working_day(D(2026, 7, 6)) and cal.reason(D(2026, 7, 6)) is None


def test_art12_the_librarys_worked_saturday_and_its_day_off():
    # the library knows the 2025 swap: Saturday 26 April worked, Friday 2 May off
    cal = work_calendar()
    assert cal.is_working_day(D(2025, 4, 26))
    assert cal.reason(D(2025, 4, 26)) == "Ngày làm việc bù"
    assert not cal.is_working_day(D(2025, 5, 2))


def test_art12_a_work_swap_makes_a_saturday_a_working_day():
    cal = work_calendar([{"date": "2026-01-03", "kind": "work", "note": "Làm bù cho ngày 02/01/2026"}])
    assert cal.is_working_day(D(2026, 1, 3))
    assert cal.reason(D(2026, 1, 3)) == "Làm bù cho ngày 02/01/2026"
    assert D(2026, 1, 3) in cal.working_days(D(2026, 1, 1), D(2026, 1, 4))


def test_art12_an_off_swap_makes_a_weekday_a_day_off():
    cal = work_calendar([{"date": "2026-01-02", "kind": "off"}])
    assert not cal.is_working_day(D(2026, 1, 2))
    assert cal.reason(D(2026, 1, 2)) == "Ngày nghỉ theo thông báo"
    assert work_calendar().is_working_day(D(2026, 1, 2))


def test_art12_operator_swaps_win_over_the_library():
    # an operator who knows better can undo a library swap, or make a holiday worked
    cal = work_calendar([{"date": "2025-04-26", "kind": "off"}, {"date": "2026-11-24", "kind": "work"}])
    assert not cal.is_working_day(D(2025, 4, 26))
    assert cal.is_working_day(D(2026, 11, 24))


def test_swaps_accept_a_date_from_unquoted_yaml_and_a_redundant_swap():
    swaps = parse_swaps([{"date": D(2026, 1, 3), "kind": "work"}, {"date": "2026-02-17", "kind": "off"}])
    assert [s.day for s in swaps] == [D(2026, 1, 3), D(2026, 2, 17)]
    assert parse_swaps(None) == ()


@pytest.mark.parametrize("items, message", [
    ([{"date": "2026-13-01", "kind": "work"}], "day swap #1, field 'date': '2026-13-01' is not a date"),
    ([{"date": "3/1/2026", "kind": "work"}], "day swap #1, field 'date'"),
    ([{"kind": "work"}], "day swap #1, field 'date': None"),
    ([{"date": "2026-01-03", "kind": "lam"}], "day swap #1 (2026-01-03), field 'kind': 'lam' must be 'work'"),
    ([{"date": "2026-01-03", "kind": "work", "reason": "x"}], "day swap #1: unknown field(s) reason"),
    ([{"date": "2026-01-03", "kind": "work"}, {"date": "2026-01-03", "kind": "off"}],
     "day swap #2 (2026-01-03): day swap #1 names the same date already"),
    ([{"date": "2026-01-03", "kind": "work", "note": 5}], "field 'note': must be a text"),
    (["2026-01-03"], "day swap #1: expected a mapping"),
    ({"date": "2026-01-03"}, "expected a list"),
])
def test_swaps_errors_name_the_item_and_the_field(items, message):
    with pytest.raises(ValueError) as error:
        work_calendar(items)
    assert message in str(error.value)


def test_working_days_include_both_ends_and_refuse_a_reversed_range():
    cal = work_calendar()
    assert cal.working_days(D(2026, 7, 6), D(2026, 7, 10)) == [D(2026, 7, 6) + dt.timedelta(days=n) for n in range(5)]
    assert cal.working_days(D(2026, 7, 4), D(2026, 7, 4)) == []
    with pytest.raises(ValueError, match="before the start"):
        cal.working_days(D(2026, 7, 10), D(2026, 7, 6))


def test_months_overlapping_a_range_cross_the_year():
    assert WorkCalendar.months(D(2025, 11, 15), D(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert WorkCalendar.months(D(2026, 6, 1), D(2026, 6, 30)) == ["2026-06"]


def test_local_date_is_the_day_in_vietnam():
    late_utc = dt.datetime(2026, 7, 31, 18, 30, tzinfo=dt.UTC)  # 01:30 on 1 August in Hà Nội
    assert local_date(late_utc) == D(2026, 8, 1)
