"""The six-monthly report (Art. 12, 14.6, 16.9): summary.json -> report.json (congvu.usage_report)."""

import copy
import datetime as dt
import json

import pytest
from congvu.art12 import DEFAULT_PERIODS
from congvu.usage_report import build_report, validate_summary
from congvu_holidays import work_calendar

D = "quangbinh.gov.vn"
G = 1024**3
KEYS = [p.key for p in DEFAULT_PERIODS]
JULY = [dt.date(2026, 7, d) for d in range(1, 32) if dt.date(2026, 7, d).weekday() < 5]  # 23, no holiday


def agency(code, name, **extra):
    return {"code": code, "name": name, "kind": "department", "mail": f"{code}@{D}", "state": "active",
            "head": None, **extra}


def mailbox(uid, local, agency_code, state="active", last_login="2026-07-31T08:00:00+07:00", imap=1, **extra):
    box = {"uid": uid, "mail": f"{local}.{agency_code}@{D}", "name": f"Người {uid}", "agency": agency_code,
           "title": "", "leader": False, "state": state, "quota": 2 * G, "quota_decision": None, "storage": 0,
           "created": None, "closed": None, "logins": {"imap": imap, "pop3": 0, "submission": 0, "webmail": 0},
           "last_login": last_login, "sent": 1, "sent_recipients": 2, "received": 3, "virus_refused": 0,
           "spam_refused": 0, "suspended_inactivity": 0, "password_resets": 0}
    box.update(extra)
    return box


def checks(code, days, keys):
    return [{"agency": code, "day": d.isoformat(), "period": k, "openers": [f"annv.{code}@{D}"]}
            for d in days for k in keys]


def monthly(month, code, imap, users, sent=0, received=0):
    return {"month": month, "agency": code, "logins": {"imap": imap, "pop3": 0, "submission": 1, "webmail": 2},
            "users_logged_in": users, "mailboxes": users, "sent": sent, "received": received,
            "virus_refused": 0, "spam_refused": 0}


@pytest.fixture
def summary():
    return {
        "schema": 1,
        "period": {"from": "2026-07-01", "to": "2026-07-31"},
        "generated_at": "2026-08-03T09:00:00+07:00",
        "demo_data": False,
        "agencies": [agency("sxd", "Sở Xây dựng"), agency("stttt", "Sở Thông tin và Truyền thông"),
                     agency("cu", "Sở đã giải thể", state="terminated")],
        "mailboxes": [
            mailbox("TT2", "binhhv", "stttt", quota=5 * G, quota_decision="123/QĐ-UBND", storage=G,
                    created="2026-07-02", sent=5),
            mailbox("TT1", "annv", "stttt", storage=G // 2),
            mailbox("TT3", "chitt", "stttt", state="suspended", last_login="2026-01-05T10:00:00+07:00", imap=0),
            mailbox("TT4", "dungnv", "stttt", state="terminated", closed="2026-07-10", storage=7,
                    quota_decision="9/QĐ-UBND"),
            mailbox("XD1", "annv", "sxd", last_login=None, imap=0, quota=0),
            mailbox("XD2", "binhtt", "sxd", last_login="2026-07-20T23:30:00+00:00"),  # 21 July in Vietnam
        ],
        "monthly": [monthly("2026-07", "stttt", 10, 2, sent=6, received=9),
                    monthly("2026-07", "sxd", 5, 1, sent=1, received=4)],
        "agency_checks": checks("stttt", JULY, KEYS) + checks("sxd", JULY, KEYS[:2])
        + checks("sxd", [dt.date(2026, 7, 4)], KEYS),  # a Saturday: does not count
        "quality": {"lines": 1000, "malformed": 1, "unknown": 2, "by_source": {"journal": {"lines": 1000}}},
    }


def build(summary, **kwargs):
    kwargs.setdefault("threshold_pct", 80)
    return build_report(summary, work_calendar(), DEFAULT_PERIODS, province="Quảng Bình", domain=D, **kwargs)


def test_report_has_the_fields_of_the_contract(summary):
    report = build(summary)
    assert list(report) == ["schema", "title", "province", "domain", "period", "generated_at", "demo_data",
                            "art12_settings", "totals", "agencies", "art12", "below_threshold", "monthly",
                            "mailboxes", "quality"]
    assert report["title"] == "Báo cáo tình hình sử dụng hệ thống thư điện tử công vụ"
    assert report["period"] == {"from": "2026-07-01", "to": "2026-07-31", "as_of": "2026-07-31", "working_days": 23}
    assert report["art12_settings"]["periods"][0] == {"key": "sang_dau", "label": "Đầu giờ sáng",
                                                      "start": "07:00", "end": "09:00"}
    assert set(report["agencies"][0]) == {
        "code", "name", "kind", "mail", "mailboxes", "created", "closed", "logged_in", "logged_in_pct", "logins",
        "sent", "sent_recipients", "received", "storage", "quota", "quota_exceptions", "virus_refused",
        "spam_refused", "suspended_inactivity", "password_resets", "art12", "last_login_buckets"}
    assert set(report["mailboxes"][0]) == {
        "uid", "mail", "name", "agency", "state", "quota", "storage", "storage_pct", "logins", "last_login",
        "days_since_login", "sent", "received"}
    assert report["quality"] == {"lines": 1000, "malformed": 1, "unknown": 2}
    json.dumps(report)  # plain JSON, nothing else
    assert build(summary, title="Báo cáo 6 tháng")["title"] == "Báo cáo 6 tháng"


def test_art14_totals_are_the_sums_of_the_agencies(summary):
    report = build(summary)
    totals, agencies = report["totals"], report["agencies"]
    for key in ("created", "closed", "logged_in", "sent", "sent_recipients", "received", "storage", "quota",
                "virus_refused", "spam_refused", "suspended_inactivity", "password_resets"):
        assert totals[key] == sum(a[key] for a in agencies), key
    for state in ("active", "suspended", "terminated"):
        assert totals["mailboxes"][state] == sum(a["mailboxes"][state] for a in agencies)
    assert totals["logins"]["imap"] == sum(a["logins"]["imap"] for a in agencies) == 4
    assert totals["mailboxes"] == {"active": 4, "suspended": 1, "terminated": 1}
    assert (totals["created"], totals["closed"], totals["sent"]) == (1, 1, 10)


def test_art14_logged_in_share_is_of_active_mailboxes_and_null_without_any(summary):
    report = build(summary)
    by_code = {a["code"]: a for a in report["agencies"]}
    assert (by_code["stttt"]["logged_in"], by_code["stttt"]["logged_in_pct"]) == (2, 100.0)
    assert (by_code["sxd"]["logged_in"], by_code["sxd"]["logged_in_pct"]) == (1, 50.0)
    assert (by_code["cu"]["mailboxes"]["active"], by_code["cu"]["logged_in_pct"]) == (0, None)
    assert report["totals"]["logged_in_pct"] == 75.0


def test_art9_storage_against_quota_and_the_quota_exceptions(summary):
    report = build(summary)
    stttt = next(a for a in report["agencies"] if a["code"] == "stttt")
    # the terminated mailbox holds no quota any more; the suspended one still does
    assert (stttt["storage"], stttt["quota"]) == (G + G // 2, 5 * G + 2 * G + 2 * G)
    assert stttt["quota_exceptions"] == [{"mail": f"binhhv.stttt@{D}", "name": "Người TT2", "quota": 5 * G,
                                          "decision": "123/QĐ-UBND"}]
    boxes = {b["mail"]: b for b in report["mailboxes"]}
    assert boxes[f"annv.stttt@{D}"]["storage_pct"] == 25.0
    assert boxes[f"binhhv.stttt@{D}"]["storage_pct"] == 20.0
    assert boxes[f"annv.sxd@{D}"]["storage_pct"] is None  # quota 0


def test_art12_compliance_in_the_report(summary):
    report = build(summary)
    by_code = {a["code"]: a for a in report["agencies"]}
    assert by_code["stttt"]["art12"] == {"due": 92, "done": 92, "compliance_pct": 100.0, "below_threshold": False}
    # two of four periods; the Saturday's openings do not count
    assert by_code["sxd"]["art12"] == {"due": 92, "done": 46, "compliance_pct": 50.0, "below_threshold": True}
    assert report["below_threshold"] == [{"month": "2026-07", "agency": "sxd", "compliance_pct": 50.0}]
    assert report["totals"]["art12_compliance_pct"] == 75.0
    # an agency closed before the period is not under Art. 12; the list follows the agencies' order
    assert [row["agency"] for row in report["art12"]] == ["stttt", "sxd"]
    assert by_code["cu"]["art12"] == {"due": 0, "done": 0, "compliance_pct": None, "below_threshold": False}
    sxd = report["art12"][1]
    assert len(sxd["days"]) == 23 and "2026-07-04" not in [d["day"] for d in sxd["days"]]
    assert sxd["months"][0]["missed"][0] == {"day": "2026-07-01", "periods": ["chieu_dau", "chieu_cuoi"]}


def test_art12_an_agency_created_inside_the_period_is_due_from_its_first_day(summary):
    summary["agencies"].append(agency("snv", "Sở Nội vụ", created="2026-07-27"))
    summary["agency_checks"] += checks("snv", JULY[-5:], KEYS)
    report = build(summary)
    snv = next(a for a in report["agencies"] if a["code"] == "snv")
    assert snv["art12"] == {"due": 20, "done": 20, "compliance_pct": 100.0, "below_threshold": False}


@pytest.mark.parametrize("last_login, days, bucket", [
    ("2026-07-31T17:00:00+07:00", 0, "0-7"),
    ("2026-07-24T08:00:00+07:00", 7, "0-7"),
    ("2026-07-23T08:00:00+07:00", 8, "8-30"),
    ("2026-07-01T08:00:00+07:00", 30, "8-30"),
    ("2026-06-30T08:00:00+07:00", 31, "31-90"),
    ("2026-05-02T08:00:00+07:00", 90, "31-90"),
    ("2026-05-01T08:00:00+07:00", 91, "over-90"),
    ("2026-06-30T17:30:00+00:00", 30, "8-30"),  # 00:30 on 1 July in Vietnam
    (None, None, "never"),
])
def test_art12_last_login_buckets_count_days_to_the_end_of_the_period(summary, last_login, days, bucket):
    summary["mailboxes"] = [mailbox("TT1", "annv", "stttt", last_login=last_login)]
    report = build(summary)
    assert report["mailboxes"][0]["days_since_login"] == days
    buckets = report["agencies"][1]["last_login_buckets"]
    assert list(buckets) == ["0-7", "8-30", "31-90", "over-90", "never"]
    assert buckets == {key: int(key == bucket) for key in buckets}


def test_art12_last_login_buckets_count_active_mailboxes_only(summary):
    stttt = next(a for a in build(summary)["agencies"] if a["code"] == "stttt")
    assert stttt["last_login_buckets"] == {"0-7": 2, "8-30": 0, "31-90": 0, "over-90": 0, "never": 0}


def test_report_sort_orders(summary):
    report = build(summary)
    assert [a["code"] for a in report["agencies"]] == ["cu", "stttt", "sxd"]
    assert [b["mail"] for b in report["mailboxes"]] == [
        f"annv.stttt@{D}", f"binhhv.stttt@{D}", f"chitt.stttt@{D}", f"dungnv.stttt@{D}",
        f"annv.sxd@{D}", f"binhtt.sxd@{D}"]


def test_art14_monthly_trend_sums_the_agencies(summary):
    summary["period"]["from"] = "2026-06-01"
    report = build(summary)
    assert report["monthly"] == [
        {"month": "2026-06", "logins": {"imap": 0, "pop3": 0, "submission": 0, "webmail": 0},
         "users_logged_in": 0, "sent": 0, "received": 0},
        {"month": "2026-07", "logins": {"imap": 15, "pop3": 0, "submission": 2, "webmail": 4},
         "users_logged_in": 3, "sent": 7, "received": 13},
    ]


def test_art12_a_report_built_before_the_end_counts_up_to_that_day(summary):
    report = build(summary, today=dt.date(2026, 7, 15))
    assert report["period"] == {"from": "2026-07-01", "to": "2026-07-31", "as_of": "2026-07-15", "working_days": 11}
    stttt = report["art12"][0]
    assert stttt["months"][0]["due"] == 44 and stttt["months"][0]["missed"] == []
    with pytest.raises(ValueError, match="after the day of the report"):
        build(summary, today=dt.date(2026, 6, 30))


def test_art12_the_report_uses_the_operator_periods_and_threshold(summary):
    report = build(summary, threshold_pct=40)
    assert report["below_threshold"] == [] and report["art12_settings"]["threshold_pct"] == 40
    with pytest.raises(ValueError, match="threshold_pct"):
        build(summary, threshold_pct=120)
    periods = [{"key": "sang", "label": "Buổi sáng", "start": "07:00", "end": "12:00"}]
    with pytest.raises(ValueError, match="other periods than these settings"):
        build_report(summary, work_calendar(), periods, 80, "Quảng Bình", D)


def test_report_passes_demo_data_on(summary):
    summary["demo_data"] = True
    assert build(summary)["demo_data"] is True


def _set(summary, path, value):
    *parents, last = path
    target = summary
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value


@pytest.mark.parametrize("path, value, message", [
    (("mailboxes", 3, "logins", "imap"), "3", "mailboxes[3].logins.imap: not an integer ('3')"),
    (("mailboxes", 3, "logins", "imap"), True, "mailboxes[3].logins.imap: not an integer (True)"),
    (("mailboxes", 0, "storage"), -1, "mailboxes[0].storage: negative (-1)"),
    (("mailboxes", 1, "sent"), KeyError, "mailboxes[1].sent: missing"),
    (("mailboxes", 1, "agency"), "sct", "mailboxes[1].agency: 'sct' is not in agencies"),
    (("mailboxes", 1, "state"), "locked", "mailboxes[1].state: 'locked' is not one of active, suspended"),
    (("mailboxes", 1, "last_login"), "2026-07-31 08:00", "mailboxes[1].last_login: not an ISO 8601 time with"),
    (("mailboxes", 1, "created"), "2026-08-01", "mailboxes[1].created: 2026-08-01 is outside the period"),
    (("mailboxes", 1, "mail"), f"binhhv.stttt@{D}", "mailboxes[1].mail: 'binhhv.stttt@quangbinh.gov.vn' appears twice"),
    (("mailboxes", 1), [], "mailboxes[1]: not an object"),
    (("agencies", 0, "code"), "stttt", "agencies[1].code: 'stttt' appears twice"),
    (("agencies", 0, "name"), "", "agencies[0].name: not a non-empty text"),
    (("monthly", 0, "month"), "2026-08", "monthly[0].month: '2026-08' is not a month YYYY-MM of the period"),
    (("monthly", 1, "users_logged_in"), 1.5, "monthly[1].users_logged_in: not an integer (1.5)"),
    (("agency_checks", 2, "day"), "2026-7-1", "agency_checks[2].day: not a day YYYY-MM-DD ('2026-7-1')"),
    (("agency_checks", 2, "openers"), [None], "agency_checks[2].openers: not a list of addresses"),
    (("period", "to"), "2026-06-30", "period.to: 2026-06-30 is before period.from 2026-07-01"),
    (("schema",), 2, "schema: expected 1, got 2"),
    (("quality",), KeyError, "quality: missing"),
    (("generated_at",), "yesterday", "generated_at: not an ISO 8601 time"),
])
def test_bad_summary_names_the_path_of_the_field(summary, path, value, message):
    bad = copy.deepcopy(summary)
    _set(bad, path, value)
    with pytest.raises(ValueError) as error:
        validate_summary(bad)
    assert message in str(error.value)
    with pytest.raises(ValueError):
        build(bad)


def test_a_good_summary_is_valid_and_unknown_fields_are_ignored(summary):
    summary["mailboxes"][0]["extra"] = {"anything": 1}
    validate_summary(summary)


def test_unknown_storage_counts_as_nothing_and_has_no_share(summary):
    # the mail store has no figure for a mailbox never opened: the collector writes null
    summary["mailboxes"][1]["storage"] = None
    report = build(summary)
    box = next(b for b in report["mailboxes"] if b["uid"] == "TT1")
    assert (box["storage"], box["storage_pct"]) == (None, None)
    assert report["totals"]["storage"] == G


def test_art12_openings_of_an_agency_not_listed_do_not_count(summary):
    summary["agency_checks"] += checks("sct", JULY, KEYS)
    report = build(summary)
    assert [row["agency"] for row in report["art12"]] == ["stttt", "sxd"]
    assert report["totals"]["art12_compliance_pct"] == 75.0
