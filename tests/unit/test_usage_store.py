"""The usage database (congvu_usage.store) and the period summary (congvu_usage.summary) on real SQLite
and on a real PostgreSQL (tests/unit/pg_cluster.py): every test taking `db` runs on both.

What an operator relies on: a batch and its read position are one transaction (a failure in the
middle leaves both as they were), a message counts as sent once even when the queue takes it again,
and the summary's figures equal the events that went in. The PostgreSQL-only behaviours (its schema
table, concurrent collectors, a server restart in the middle of a batch) are in
test_usage_store_postgresql.py.
"""

import datetime as dt
import sqlite3

import psycopg2
import pytest
from congvu import art12
from congvu import usage_events as ev
from congvu_usage import store, summary
from pg_cluster import postgresql_cluster  # noqa: F401  (the session's server)

TZ = ev.TZ
DOMAIN = "quangbinh.gov.vn"


def at(day, hhmm):
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=TZ)


def addr(local):
    return f"{local}@{DOMAIN}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        conn = store.connect(str(tmp_path / "usage.sqlite"))
    else:
        conn = store.connect(request.getfixturevalue("postgresql_cluster").new_database())
    yield conn
    conn.close()


def ingest(conn, source, events, position):
    batch = store.Batch(source, store.position(conn, source))
    for event in events:
        batch.count(event.ts, ev.EVENT)
        batch.add(event)
    return store.commit(conn, batch, position)


def snapshot(conn, day, people, agencies=None, storage=None):
    agencies = agencies or [{"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                             "mail": addr("stttt"), "state": "active", "head": "TT0001"}]
    store.write_snapshot(conn, day, people, agencies, storage or {})


def person(uid, local, state="active", agency="stttt", quota=2 * 1024**3):
    return {"uid": uid, "mail": addr(local), "name": f"Người {uid}", "agency": agency, "title": None,
            "leader": False, "state": state, "quota": quota, "quota_decision": None}


def test_schema_is_created_by_migrations_and_reopening_keeps_it(tmp_path):
    path = str(tmp_path / "usage.sqlite")
    conn = store.connect(path)
    assert store.schema_version(conn) == len(store.MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert store.schema_version(store.connect(path)) == len(store.MIGRATIONS)


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = str(tmp_path / "usage.sqlite")
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(store.StoreError, match="newer than this program"):
        store.connect(path)


def test_batch_and_position_commit_together_or_not_at_all(db):
    ingest(db, "journal", [ev.Login(at("2026-07-01", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1")], "c1")
    broken = store.Batch("journal", "c1")
    broken.add(ev.Login(at("2026-07-01", "09:00"), addr("annv.stttt"), "imap", "10.0.0.1"))
    broken.logins.append((None, None, None, None, None))  # a row the database refuses (NOT NULL)
    with pytest.raises((sqlite3.IntegrityError, psycopg2.IntegrityError)):
        store.commit(db, broken, "c2")
    assert store.position(db, "journal") == "c1"
    assert db.execute("SELECT COUNT(*) FROM login").fetchone()[0] == 1
    assert db.execute("SELECT SUM(imap) FROM daily_usage").fetchone()[0] == 1


def test_two_collectors_reading_the_same_lines_count_them_once(db):
    first = store.Batch("journal", None)
    second = store.Batch("journal", None)
    for batch in (first, second):
        batch.add(ev.Login(at("2026-07-01", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1"))
    store.commit(db, first, "c1")
    with pytest.raises(store.PositionMoved):
        store.commit(db, second, "c1")
    assert db.execute("SELECT SUM(imap) FROM daily_usage").fetchone()[0] == 1
    assert store.position(db, "journal") == "c1"


def test_a_message_counts_as_sent_once_with_its_recipients_across_batches_and_a_deferral(db):
    sender = addr("annv.stttt")
    ingest(db, "journal", [ev.Submitted(at("2026-07-01", "08:00"), "4AbC1", sender)], "c1")
    ingest(db, "journal", [ev.Queued(at("2026-07-01", "08:00"), "4AbC1", 3)], "c2")
    # the queue manager takes the deferred message again later: not a second message
    ingest(db, "journal", [ev.Queued(at("2026-07-01", "09:00"), "4AbC1", 1)], "c3")
    # inbound mail has no submission: not sent by anybody here
    ingest(db, "journal", [ev.Queued(at("2026-07-01", "09:00"), "5XyZ2", 2)], "c4")
    row = db.execute("SELECT SUM(sent), SUM(sent_recipients) FROM daily_usage WHERE mailbox = ?",
                     (sender,)).fetchone()
    assert row == (1, 3)
    assert db.execute("SELECT COUNT(*) FROM pending_submission").fetchone()[0] == 0


def test_art12_summary_sorts_openings_into_periods_and_maps_addresses_to_agencies(db):
    snapshot(db, "2026-07-01", [person("TT0001", "annv.stttt"), person("TT0002", "binhlt.stttt")])
    opens = [
        ev.AgencyOpen(at("2026-07-01", "07:45"), addr("annv.stttt"), addr("stttt"), "INBOX", "SELECT"),
        ev.AgencyOpen(at("2026-07-01", "07:50"), addr("binhlt.stttt"), addr("stttt"), "INBOX", "EXAMINE"),
        ev.AgencyOpen(at("2026-07-01", "16:10"), addr("annv.stttt"), addr("stttt"), "Sent", "SELECT"),
        ev.AgencyOpen(at("2026-07-01", "12:30"), addr("annv.stttt"), addr("stttt"), "INBOX", "SELECT"),  # lunch
    ]
    ingest(db, "journal", opens, "c1")
    result = summary.build_summary(db, dt.date(2026, 7, 1), dt.date(2026, 7, 31), art12.DEFAULT_PERIODS)
    assert result["agency_checks"] == [
        {"agency": "stttt", "day": "2026-07-01", "period": "chieu_cuoi", "openers": [addr("annv.stttt")]},
        {"agency": "stttt", "day": "2026-07-01", "period": "sang_dau",
         "openers": [addr("annv.stttt"), addr("binhlt.stttt")]},
    ]


def test_art14_summary_figures_equal_what_went_in(db):
    snapshot(db, "2026-06-30", [person("TT0001", "annv.stttt"), person("TT0002", "binhlt.stttt")])
    # TT0002 moves agency on 1 July: a new address, the same mailbox (Art. 11.3)
    snapshot(db, "2026-07-02", [person("TT0001", "annv.stttt"),
                                person("TT0002", "binhlt.sxd", agency="sxd")],
             agencies=[{"code": "stttt", "name": "Sở TT", "kind": "department", "mail": addr("stttt"),
                        "state": "active", "head": "TT0001"},
                       {"code": "sxd", "name": "Sở Xây dựng", "kind": "department", "mail": addr("sxd"),
                        "state": "active", "head": None}],
             storage={addr("annv.stttt"): 5000})
    events = [
        ev.Login(at("2026-06-15", "08:00"), addr("binhlt.stttt"), "imap", "10.0.0.2"),  # before the period
        ev.Login(at("2026-07-01", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1"),
        ev.Login(at("2026-07-01", "08:05"), addr("annv.stttt"), "webmail", "10.0.0.1"),
        ev.Login(at("2026-07-03", "08:05"), addr("binhlt.sxd"), "pop3", "10.0.0.2"),
        ev.Login(at("2026-07-03", "08:06"), addr("binhlt.stttt"), "submission", "10.0.0.2"),  # old address
        ev.Submitted(at("2026-07-03", "08:07"), "Q1", addr("binhlt.stttt")),
        ev.Queued(at("2026-07-03", "08:07"), "Q1", 2),
        ev.Delivered(at("2026-07-04", "10:00"), addr("annv.stttt")),
        ev.Delivered(at("2026-07-04", "10:01"), addr("annv.stttt")),
        ev.Refused(at("2026-07-04", "10:02"), addr("annv.stttt"), "virus"),
        ev.Refused(at("2026-07-04", "10:03"), addr("annv.stttt"), "spam"),
        ev.Audited(at("2026-07-05", "09:00"), "password_reset", "TT0001", "stttt", "roster"),
        ev.Audited(at("2026-07-06", "09:00"), "suspend", "TT0002", "sxd", "inactivity"),
    ]
    ingest(db, "journal", events, "c1")
    result = summary.build_summary(db, dt.date(2026, 7, 1), dt.date(2026, 7, 31), art12.DEFAULT_PERIODS)
    by_uid = {m["uid"]: m for m in result["mailboxes"]}
    an, binh = by_uid["TT0001"], by_uid["TT0002"]
    assert an["logins"] == {"imap": 1, "pop3": 0, "submission": 0, "webmail": 1}
    assert an["received"] == 2 and an["virus_refused"] == 1 and an["spam_refused"] == 1
    assert an["password_resets"] == 1 and an["storage"] == 5000
    assert binh["agency"] == "sxd" and binh["mail"] == addr("binhlt.sxd")
    assert binh["logins"] == {"imap": 0, "pop3": 1, "submission": 1, "webmail": 0}
    assert (binh["sent"], binh["sent_recipients"]) == (1, 2)
    assert binh["suspended_inactivity"] == 1
    assert binh["last_login"] == "2026-07-03T08:06:00+07:00"
    assert [a["code"] for a in result["agencies"]] == ["stttt", "sxd"]
    july = {row["agency"]: row for row in result["monthly"]}
    assert july["sxd"]["users_logged_in"] == 1 and july["stttt"]["sent"] == 0 and july["sxd"]["sent"] == 1
    assert result["quality"]["lines"] == len(events) - 1  # the June login is outside the period


def test_last_login_before_the_period_is_reported_for_art12_2(db):
    snapshot(db, "2026-07-01", [person("TT0001", "annv.stttt")])
    ingest(db, "journal", [ev.Login(at("2026-03-02", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1")], "c1")
    result = summary.build_summary(db, dt.date(2026, 7, 1), dt.date(2026, 7, 31), art12.DEFAULT_PERIODS)
    assert result["mailboxes"][0]["last_login"] == "2026-03-02T08:00:00+07:00"
    assert result["mailboxes"][0]["logins"]["imap"] == 0


def test_prune_keeps_aggregates_and_drops_old_raw_events(db):
    ingest(db, "journal", [ev.Login(at("2025-01-02", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1"),
                           ev.Login(at("2026-07-01", "08:00"), addr("annv.stttt"), "imap", "10.0.0.1")], "c1")
    removed = store.prune(db, dt.date(2026, 7, 2), raw_days=400, keep_days=1827)
    assert removed["login"] == 1 and removed["daily_usage"] == 0
    assert db.execute("SELECT SUM(imap) FROM daily_usage").fetchone()[0] == 2


def test_a_snapshot_of_an_empty_directory_counts_as_taken(db):
    assert not store.has_snapshot(db, "2026-07-01")
    store.write_snapshot(db, "2026-07-01", [], [], {})
    assert store.has_snapshot(db, "2026-07-01")
