"""Art. 7.2: the inactivity job's policy (congvu.inactivity), with dates."""

import datetime as dt
import email
import email.policy

import pytest
from congvu import inactivity
from congvu.inactivity import Options, Record, select
from congvu.settings import Settings

D = "quangbinh.gov.vn"
TODAY = dt.date(2026, 11, 28)


def at(days_ago, hour=9):
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), dt.UTC)


def person(pid, days_ago=None, state="active", agency="stttt", **times):
    if days_ago is not None:
        times.setdefault("last_success", at(days_ago))
    return Record(pid, f"{pid.lower()}.{agency}@{D}", agency, state, "person", f"Người {pid}", **times)


def ids(decision):
    return [c.record.id for c in decision.suspend]


def test_art7_90_days_without_login_is_suspended_89_is_not():
    records = [person("A", 91), person("B", 89), person("C", 400), person("D", 1)]
    decision = select(records, TODAY, Settings(), Options())
    assert ids(decision) == ["A", "C"]
    assert decision.skipped["recent login"] == ["B", "D"]


def test_art7_the_boundary_is_exactly_the_threshold():
    # last login at midnight 90 days ago: 90 full days without a login -> suspended; a minute later: not
    midnight = dt.datetime.combine(TODAY - dt.timedelta(days=90), dt.time(), dt.UTC)
    records = [person("A", last_success=midnight), person("B", last_success=midnight + dt.timedelta(minutes=1))]
    assert ids(select(records, TODAY, Settings(), Options())) == ["A"]


def test_art7_threshold_is_a_setting():
    records = [person("A", 31), person("B", 29)]
    assert ids(select(records, TODAY, Settings(), Options(threshold_days=30))) == ["A"]
    with pytest.raises(ValueError):
        select(records, TODAY, Settings(), Options(threshold_days=0))


def test_art7_password_change_deletes_last_success_so_the_change_time_counts():
    # slapd 2.5 deletes pwdLastSuccess at a password change: pwdChangedTime then says when it was used
    changed_recently = person("A", last_success=None, changed=at(10), created=at(500))
    changed_long_ago = person("B", last_success=None, changed=at(120), created=at(500))
    decision = select([changed_recently, changed_long_ago], TODAY, Settings(), Options())
    assert ids(decision) == ["B"]
    assert decision.suspend[0].source == "pwdChangedTime" and decision.suspend[0].days == 120


def test_art7_never_logged_in_counts_from_creation():
    new = person("A", created=at(5))
    forgotten = person("B", created=at(95))
    nothing = person("C")  # no time at all: nothing shows it was ever used
    decision = select([new, forgotten, nothing], TODAY, Settings(), Options())
    assert ids(decision) == ["B", "C"]
    assert [c.source for c in decision.suspend] == ["createTimestamp", "none"]


def test_art7_last_success_wins_over_older_fallbacks():
    rec = person("A", last_success=at(3), changed=at(300), created=at(900))
    assert rec.last_login() == (at(3), "pwdLastSuccess")


def test_art7_reactivation_restarts_the_clock():
    # reactivated 10 days ago after an inactivity suspension; last login still 200 days ago
    again = person("A", 200, reactivated=TODAY - dt.timedelta(days=10))
    long_ago = person("B", 200, reactivated=TODAY - dt.timedelta(days=100))
    decision = select([again, long_ago], TODAY, Settings(), Options())
    assert ids(decision) == ["B"]


def test_art7_agency_mailboxes_and_administrators_only_with_an_explicit_setting():
    agency = Record("stttt", f"stttt@{D}", "stttt", "active", "agency", "Sở TT&TT")
    admin = Record("admin1", f"admin1@{D}", "", "active", "admin", "Quản trị", last_success=at(200))
    records = [agency, admin, person("A", 100)]
    decision = select(records, TODAY, Settings(), Options())
    assert ids(decision) == ["A"]
    assert decision.skipped["agency mailbox"] == ["stttt"]
    assert decision.skipped["administrator"] == ["admin1"]
    both = select(records, TODAY, Settings(), Options(include_agency=True, include_admins=True))
    assert sorted(ids(both)) == ["A", "admin1", "stttt"]


def test_art7_suspended_and_terminated_are_never_touched():
    records = [person("A", 300, state="suspended"), person("B", 300, state="terminated"), person("C", 300)]
    decision = select(records, TODAY, Settings(), Options())
    assert ids(decision) == ["C"]
    assert decision.skipped["already suspended"] == ["A"]
    assert decision.skipped["already terminated"] == ["B"]


def test_art7_guard_refuses_too_many_without_override():
    # 100 people: 5% = 5 may be suspended in one run; 6 trips the guard
    records = [person(f"P{i:03}", 100 if i < 6 else 1) for i in range(100)]
    decision = select(records, TODAY, Settings(), Options())
    assert decision.population == 100 and decision.guard_limit == 5
    assert decision.guard_count == 6 and decision.guard_tripped and decision.blocked
    assert "guard" in decision.guard_message() and "--override-guard" in decision.guard_message()
    overridden = select(records, TODAY, Settings(), Options(override_guard=True))
    assert overridden.guard_tripped and not overridden.blocked


def test_art7_guard_within_the_limit_and_its_base_leaves_out_terminated():
    records = [person(f"P{i:03}", 100 if i < 5 else 1) for i in range(100)]
    records += [person(f"T{i:03}", 300, state="terminated") for i in range(50)]
    decision = select(records, TODAY, Settings(), Options())
    assert decision.population == 100 and decision.guard_limit == 5
    assert not decision.blocked
    assert decision.summary()["guard"] == {"count": 5, "limit": 5, "tripped": False, "override": False}


def test_art7_guard_uses_the_province_settings():
    records = [person(f"P{i:04}", 100 if i < 60 else 1) for i in range(2000)]
    assert select(records, TODAY, Settings(), Options()).guard_limit == 50
    assert select(records, TODAY, Settings(guard_max_count=70), Options()).guard_limit == 70


def test_art7_marker_round_trip_and_hold():
    s = inactivity.suspended_marker(TODAY)
    assert s == "congvu-inactivity suspended 2026-11-28"
    assert inactivity.parse_marker(["some note", s]) == (TODAY, None)
    assert inactivity.held_by_inactivity([s])
    later = inactivity.reactivated_marker(TODAY + dt.timedelta(days=3))
    assert not inactivity.held_by_inactivity([s, later])
    # suspended again after a reactivation: held again
    again = inactivity.suspended_marker(TODAY + dt.timedelta(days=100))
    assert inactivity.held_by_inactivity([s, later, again])
    assert not inactivity.held_by_inactivity(["a note of the operator", "congvu-inactivity suspended bad"])


def test_art7_generalized_time():
    assert inactivity.generalized_time("20261128093000Z") == dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    assert inactivity.generalized_time("20261128093000.123456Z").second == 0
    assert inactivity.generalized_time(None) is None
    with pytest.raises(ValueError):
        inactivity.generalized_time("20261128093000+0700")


def test_art7_notice_is_in_vietnamese_to_owner_and_agency_with_how_to_reactivate():
    decision = select([person("TT0001", 120)], TODAY, Settings(), Options())
    msg = inactivity.notice(decision.suspend[0], TODAY, 90, D, f"postmaster@{D}", "quantri@quangbinh.gov.vn")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == f"tt0001.stttt@{D}"
    assert parsed["Cc"] == f"stttt@{D}"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert "tạm khóa" in parsed["Subject"] and "90 ngày" in parsed["Subject"]
    body = parsed.get_content()
    assert "Kính gửi Người TT0001" in body
    assert "Cách mở lại hộp thư" in body and "quantri@quangbinh.gov.vn" in body
    assert "31/07/2026" in body  # the last login, as a Vietnamese reader writes dates
    assert "vẫn được nhận" in body  # Art. 7.2: mail still arrives, nothing is lost
