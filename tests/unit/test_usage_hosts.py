"""Several hosts' collectors writing one usage database (docs/reports.md, "Several hosts"), on real SQLite
and a real PostgreSQL (tests/unit/pg_cluster.py): each host has read positions of its own, a Postfix
queue id of one MX never takes the submission of another, a database of one collector migrates in
place with its positions kept as the database host's, and two hosts adding to the same daily rows at
once wait for each other instead of deadlocking. Which host's lines count for what (the pair: an MX
relaying to the node that holds the virtual address, dsync's copies on the replica) is the parser's
decision: the last tests here, on lines of both nodes.
"""

import datetime as dt
import sqlite3
import threading
import time

import psycopg2
import pytest
from congvu import usage_events as ev
from congvu_usage import postgresql, store
from pg_cluster import postgresql_cluster  # noqa: F401  (the session's server)

TZ = ev.TZ
MAIL1, MAIL2 = "mail1.example.quangbinh.gov.vn", "mail2.example.quangbinh.gov.vn"


def at(hhmm, day="2026-07-01"):
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=TZ)


def addr(local):
    return f"{local}@quangbinh.gov.vn"


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    """A new database's path or URL (both hosts open it)."""
    if request.param == "sqlite":
        return str(tmp_path / "usage.sqlite")
    return request.getfixturevalue("postgresql_cluster").new_database()


def ingest(conn, source, events, new_position):
    batch = store.Batch(source, store.position(conn, source))
    for event in events:
        batch.count(event.ts, ev.EVENT)
        batch.add(event)
    return store.commit(conn, batch, new_position)


def test_each_host_has_its_own_read_positions_and_both_hosts_lines_count(where):
    mail1 = store.connect(where, host=MAIL1)
    mail2 = store.connect(where, host=MAIL2)
    ingest(mail1, "journal", [ev.Login(at("08:00"), addr("annv.stttt"), "imap", "10.0.0.9")], "m1-c1")
    # mail2's journal has its own cursor under the same source name: not "moved" by mail1's commit
    ingest(mail2, "journal", [ev.Login(at("08:01"), addr("annv.stttt"), "imap", "10.0.0.9")], "m2-c1")
    ingest(mail1, "journal", [ev.Login(at("08:02"), addr("annv.stttt"), "imap", "10.0.0.9")], "m1-c2")
    assert store.position(mail1, "journal") == "m1-c2"
    assert store.position(mail2, "journal") == "m2-c1"
    assert mail1.execute("SELECT SUM(imap) FROM daily_usage").fetchone()[0] == 3
    # each host's line counts and last collection apart
    store.set_last_collect(mail2, "2026-07-01T01:02:03+00:00")
    assert store.last_collects(mail1) == {MAIL2: "2026-07-01T01:02:03+00:00"}
    rows = mail1.execute("SELECT host, SUM(lines) FROM line_quality GROUP BY host ORDER BY host").fetchall()
    assert [tuple(r) for r in rows] == [(MAIL1, 2), (MAIL2, 1)]
    # a batch of mail2 read from a position mail2 no longer has is still refused (the host's own check)
    stale = store.Batch("journal", None)
    with pytest.raises(store.PositionMoved):
        store.commit(mail2, stale, "m2-c0")
    mail1.close()
    mail2.close()


def test_a_queue_line_of_one_mx_never_takes_the_submission_of_another(where):
    mail1 = store.connect(where, host=MAIL1)
    mail2 = store.connect(where, host=MAIL2)
    sender = addr("annv.stttt")
    ingest(mail1, "journal", [ev.Submitted(at("08:00"), "4AbC1", sender)], "m1-c1")
    # mx2 takes inbound mail under the same queue id: not a message annv sent
    ingest(mail2, "journal", [ev.Queued(at("08:00"), "4AbC1", 5)], "m2-c1")
    assert mail1.execute("SELECT COALESCE(SUM(sent), 0) FROM daily_usage").fetchone()[0] == 0
    # mx1's own queue line does
    ingest(mail1, "journal", [ev.Queued(at("08:01"), "4AbC1", 2)], "m1-c2")
    assert mail1.execute("SELECT SUM(sent), SUM(sent_recipients) FROM daily_usage").fetchone() == (1, 2)
    assert mail1.execute("SELECT COUNT(*) FROM pending_submission").fetchone()[0] == 0
    mail1.close()
    mail2.close()


def _schema_2(where):
    """A database as a collector of one host left it before several hosts (schema 2), with a position,
    a pending submission, line counts and its last collection."""
    if where.startswith("postgresql://"):
        raw = postgresql.connect(where)
        postgresql.migrate(raw, store.MIGRATIONS[:2], "unused")
    else:
        raw = sqlite3.connect(where, isolation_level=None)
        raw.executescript(store.MIGRATIONS[0] + store.MIGRATIONS[1] + "PRAGMA user_version = 2;")
    for sql, params in (
            ("INSERT INTO source_position VALUES (?, ?, ?)", ("journal", "s=abc;i=42", "2026-06-30T00:00:00+00:00")),
            ("INSERT INTO source_position VALUES (?, ?, ?)", ("roundcube", "12:345", "2026-06-30T00:00:00+00:00")),
            ("INSERT INTO pending_submission VALUES (?, ?, ?)", ("4AbC1", "2026-06-30T23:59:00+07:00",
                                                                 addr("annv.stttt"))),
            ("INSERT INTO line_quality VALUES (?, ?, ?, ?, ?, ?)", ("2026-06-30", "journal", 10, 4, 5, 1)),
            ("INSERT INTO marker VALUES (?, ?)", ("collect:last_success", "2026-06-30T00:01:00+00:00"))):
        raw.execute(sql, params)
    raw.close()


def test_a_database_of_one_host_migrates_in_place_its_positions_the_database_hosts(where):
    _schema_2(where)
    # mail2's collector is the first to open it after the upgrade: what is there is still mail1's
    mail2 = store.connect(where, host=MAIL2, owner=MAIL1)
    assert store.schema_version(mail2) == len(store.MIGRATIONS) == 3
    assert store.position(mail2, "journal") is None
    mail1 = store.connect(where, host=MAIL1, owner=MAIL1)
    assert store.position(mail1, "journal") == "s=abc;i=42"
    assert store.position(mail1, "roundcube") == "12:345"
    assert store.last_collects(mail1) == {MAIL1: "2026-06-30T00:01:00+00:00"}
    assert [tuple(r) for r in mail1.execute("SELECT host, day, source, lines FROM line_quality")] == \
        [(MAIL1, "2026-06-30", "journal", 10)]
    # mail1's submission waiting before the upgrade is sent when mail1's queue line comes, not mail2's
    ingest(mail2, "journal", [ev.Queued(at("00:00"), "4AbC1", 4)], "m2-c1")
    assert mail1.execute("SELECT COALESCE(SUM(sent), 0) FROM daily_usage").fetchone()[0] == 0
    batch = store.Batch("journal", "s=abc;i=42")
    batch.add(ev.Queued(at("00:00"), "4AbC1", 3))
    store.commit(mail1, batch, "s=abc;i=43")
    assert mail1.execute("SELECT SUM(sent), SUM(sent_recipients) FROM daily_usage").fetchone() == (1, 3)
    mail1.close()
    mail2.close()


def test_a_program_that_does_not_say_whose_the_old_positions_are_does_not_migrate_them(where):
    """An older collector program beside a newer core (an upgrade under way) opens the database without the
    database host's name: refused, the database left at schema 2, rather than its positions given to a host
    that would read its journal again from the beginning."""
    _schema_2(where)
    with pytest.raises(store.StoreError, match="whose they are"):
        store.connect(where, host=MAIL2)
    mail1 = store.connect(where, host=MAIL1, owner=MAIL1)
    assert store.position(mail1, "journal") == "s=abc;i=42"
    mail1.close()


def test_a_new_database_needs_no_owner(where):
    conn = store.connect(where, host=MAIL2)
    assert store.schema_version(conn) == len(store.MIGRATIONS)
    conn.close()


def test_a_database_without_a_host_name_is_refused(tmp_path):
    with pytest.raises(store.StoreError, match="host name"):
        store.connect(str(tmp_path / "usage.sqlite"), host="")


def _waiting_backends(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        return cursor.fetchone()[0]


def test_two_hosts_adding_to_the_same_daily_rows_at_once_wait_instead_of_deadlocking(postgresql_cluster):  # noqa: F811
    """mail1's batch saw b's row before a's; mail2's transaction holds a's row and then wants b's. Written
    in the order of their keys, mail1's batch waits for a's row before it holds b's: mail2 commits, then
    mail1. In the order seen, mail1 would hold b's row while waiting for a's, and PostgreSQL would end one
    of the two with "deadlock detected"."""
    url = postgresql_cluster.new_database()
    mail1 = store.connect(url, host=MAIL1)
    mail2 = store.connect(url, host=MAIL2)
    a, b = addr("a.stttt"), addr("b.stttt")
    batch = store.Batch("journal", None)
    for local in (b, a):
        batch.count(at("08:00"), ev.EVENT)
        batch.add(ev.Login(at("08:00"), local, "imap", "10.0.0.9"))
    upsert = store._UPSERT_DAILY  # noqa: SLF001
    mail2.execute("BEGIN")
    mail2.execute(upsert, ("2026-07-01", a, 1, 0, 0, 0, 0, 0, 0, 0, 0, None))
    errors = []

    def first():
        try:
            store.commit(mail1, batch, "m1-c1")
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 20
    while _waiting_backends(url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # mail1's batch has gone as far as it can before the row a holds it
    try:
        mail2.execute(upsert, ("2026-07-01", b, 1, 0, 0, 0, 0, 0, 0, 0, 0, None))
        mail2.execute("COMMIT")
    except psycopg2.Error as exc:
        errors.append(exc)
        mail2.execute("ROLLBACK")
    thread.join(30)
    assert not errors, errors
    rows = mail1.execute("SELECT mailbox, imap FROM daily_usage ORDER BY mailbox").fetchall()
    assert [tuple(r) for r in rows] == [(a, 2), (b, 2)]
    mail1.close()
    mail2.close()


# --- which host's lines count for what, on the mail pair ------------------------------------------

OPTS = ev.Options(["127.0.0.1", "::1"], "Virus found")
TS = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)
PERSON = addr("annv.stttt")


def events(lines):
    """(ident, message) lines of one host's journal -> the events the collector stores."""
    found = []
    for ident, message in lines:
        status, event = ev.parse_journal(TS, ident, message, OPTS)
        if event is not None:
            found.append(event)
    return found


def test_a_message_mx2_relays_to_the_node_with_the_address_is_received_once_on_that_node():
    """mx2 accepts it and hands it by LMTP to the virtual address (mail1): mx2's journal has Postfix's
    LMTP client line, mail1's Dovecot's final delivery. Only the delivery counts."""
    mx2 = [("postfix/smtpd", "4XyZ9: client=mta.example.org[203.0.113.5]"),
           ("postfix/qmgr", "4XyZ9: from=<a@example.org>, size=1234, nrcpt=1 (queue active)"),
           ("postfix/lmtp", f"4XyZ9: to=<{PERSON}>, relay=10.0.0.100[10.0.0.100]:24, delay=0.2, "
                            f"delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <{PERSON}> "
                            "kJ8fAbc Saved)"),
           ("postfix/qmgr", "4XyZ9: removed")]
    mail1 = [("dovecot", f"lmtp({PERSON})<4711><kJ8fAbc>: msgid=<x@example.org>: saved mail to INBOX")]
    # mx2's queue line waits for a submission of mx2 that there is none of (the store's test above)
    assert [type(event) for event in events(mx2)] == [ev.Queued]
    assert events(mail1) == [ev.Delivered(TS, PERSON)]


def test_dsyncs_copy_on_the_replica_is_not_a_delivery_nor_a_login_nor_an_opening():
    """The replica (mail2) writes what dsync brings under doveadm's and the replicator's names, never as
    LMTP, a login process or an IMAP command: nothing of it counts."""
    replica = [
        ("dovecot", f"doveadm({PERSON})<4801><dsync>: Info: dsync-server: saved mail to INBOX"),
        ("dovecot", f"dsync-local({PERSON})<4801>: Info: save: box=INBOX, uid=7, msgid=<x@example.org>"),
        ("dovecot", f"doveadm(10.0.0.1,{PERSON}): Info: Shared/stttt@quangbinh.gov.vn/INBOX synced"),
        ("dovecot", "replicator: Info: Replicating annv.stttt@quangbinh.gov.vn"),
        ("dovecot", 'stats: {"event":"mail_synced","fields":{"user":"annv.stttt@quangbinh.gov.vn"}}'),
    ]
    assert events(replica) == []
