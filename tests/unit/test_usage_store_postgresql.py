"""The usage database on a real PostgreSQL (tests/unit/pg_cluster.py): what only PostgreSQL has to prove.

test_usage_store.py runs the store's behaviours on both databases. Here: the schema and its table of
versions, two collectors committing the same source at once under READ COMMITTED (the position row
locked, a first position written once), a server restarted or a backend killed while a batch is open
(the batch rolled back, retried from the committed position: totals equal the input, nothing twice),
and the same events giving the same tables and the same summary on SQLite and PostgreSQL, through the
store and through the `congvu-reports` program.
"""

import datetime as dt
import json
import os
import pwd
import random
import subprocess
import sys
import threading
import time

import jinja2
import psycopg2
import pytest
import yaml
from congvu import art12
from congvu import usage_events as ev
from congvu_usage import postgresql, store, summary
from pg_cluster import postgresql_cluster  # noqa: F401  (the session's server)

TZ = ev.TZ
DOMAIN = "quangbinh.gov.vn"
REPO = os.path.join(os.path.dirname(__file__), "..", "..")
COLLECTOR = os.path.join(REPO, "roles", "reports", "files", "congvu-reports")
TABLES = ["source_position", "login", "message", "pending_submission", "agency_open", "daily_usage",
          "audit_event", "snapshot", "agency_snapshot", "line_quality", "marker", "address"]


@pytest.fixture
def url(postgresql_cluster):  # noqa: F811
    return postgresql_cluster.new_database()


@pytest.fixture
def pg(url):
    conn = store.connect(url)
    yield conn
    conn.close()


def addr(local):
    return f"{local}@{DOMAIN}"


def login(day, hhmm, local, kind="imap"):
    hour, minute = (int(x) for x in hhmm.split(":"))
    return ev.Login(dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=TZ), addr(local), kind,
                    "10.0.0.1")


def batch_of(conn, source, events):
    batch = store.Batch(source, store.position(conn, source))
    for event in events:
        batch.count(event.ts, ev.EVENT)
        batch.add(event)
    return batch


def totals(conn):
    return conn.execute("SELECT COUNT(*), (SELECT SUM(imap) FROM daily_usage), "
                        "(SELECT SUM(lines) FROM line_quality) FROM login").fetchone()


# --- schema ----------------------------------------------------------------------------------------

def test_migrations_make_the_schema_record_each_version_and_reopening_keeps_it(url):
    conn = store.connect(url)
    assert store.schema_version(conn) == len(store.MIGRATIONS)
    assert [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")] == \
        list(range(1, len(store.MIGRATIONS) + 1))
    # sizes in bytes pass 2^31 (a 3 GiB mailbox), text compares as bytes whatever the database's locale
    store.write_snapshot(conn, "2026-07-01", [{"uid": "TT0001", "mail": addr("annv.stttt"), "name": "An",
                                                "agency": "stttt", "state": "active", "quota": 4 * 1024**3}],
                         [], {addr("annv.stttt"): 3 * 1024**3})
    assert conn.execute("SELECT quota, storage FROM snapshot").fetchone() == (4 * 1024**3, 3 * 1024**3)
    assert conn.execute("SELECT collation_name FROM information_schema.columns WHERE table_name = 'marker' "
                        "AND column_name = 'name'").fetchone() == ("C",)
    conn.close()
    again = store.connect(url)
    assert store.schema_version(again) == len(store.MIGRATIONS)
    assert again.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(store.MIGRATIONS)
    again.close()


def test_a_newer_schema_is_refused_with_a_clear_message(url):
    store.connect(url).close()
    raw = psycopg2.connect(url)
    with raw, raw.cursor() as cursor:
        cursor.execute("INSERT INTO schema_version VALUES (%s, 'later')", (len(store.MIGRATIONS) + 1,))
    raw.close()
    with pytest.raises(store.StoreError, match="newer than this program"):
        store.connect(url)


def test_two_programs_starting_on_a_new_database_migrate_it_once(url):
    results, errors = [], []

    def open_it():
        try:
            conn = store.connect(url)
            results.append(store.schema_version(conn))
            conn.close()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and results == [len(store.MIGRATIONS)] * 3


def test_the_store_sql_is_rewritten_for_postgresql_and_pragma_refused():
    assert postgresql.translate("BEGIN IMMEDIATE") == "BEGIN"
    assert postgresql.translate("SELECT 1 FROM marker WHERE name LIKE 'a?%' AND name < ?") == \
        "SELECT 1 FROM marker WHERE name LIKE 'a?%%' AND name < %s"
    assert postgresql.translate("INSERT OR IGNORE INTO address SELECT mail, uid, 'person' FROM snapshot") == \
        "INSERT INTO address SELECT mail, uid, 'person' FROM snapshot ON CONFLICT DO NOTHING"
    assert postgresql.translate("INSERT OR REPLACE INTO pending_submission VALUES (?, ?, ?, ?)") == (
        "INSERT INTO pending_submission VALUES (%s, %s, %s, %s) ON CONFLICT (host, queue_id) DO UPDATE SET "
        "ts = excluded.ts, mailbox = excluded.mailbox")
    assert "SET lines = line_quality.lines + excluded.lines" in postgresql.translate(
        "INSERT INTO line_quality VALUES (?) ON CONFLICT (day, source) DO UPDATE SET lines = lines + excluded.lines")
    with pytest.raises(ValueError, match="SQLite's"):
        postgresql.translate("PRAGMA user_version")
    with pytest.raises(ValueError, match="_KEYS"):
        postgresql.translate("INSERT OR REPLACE INTO login VALUES (?)")


def test_a_database_that_does_not_answer_is_a_store_error_naming_it_without_its_password(postgresql_cluster):  # noqa: F811
    url = postgresql_cluster.url("absent").replace("postgres@", "postgres:secret@")
    with pytest.raises(store.StoreError, match="cannot connect to the usage database") as raised:
        store.connect(url)
    assert "secret" not in str(raised.value)


# --- two collectors at once (READ COMMITTED) -------------------------------------------------------

def _blocked(thread, seconds=0.5):
    thread.join(seconds)
    return thread.is_alive()


def test_a_collector_waits_for_the_other_ones_batch_then_finds_the_position_moved(url, pg):
    store.commit(pg, batch_of(pg, "journal", [login("2026-07-01", "08:00", "annv.stttt")]), "c1")
    late = batch_of(pg, "journal", [login("2026-07-01", "08:05", "annv.stttt")])  # read from c1
    # the other collector, read from c1 too, is in the middle of its commit: the position row locked
    other = store.connect(url)
    other.execute("BEGIN")
    assert other.locked_position(store.ONE_HOST, "journal") == "c1"
    other.execute("INSERT INTO login VALUES ('2026-07-01T08:05:00+07:00', '2026-07-01', 'x', 'imap', NULL)")
    outcome = []

    def commit_late():
        try:
            store.commit(store_conn, late, "c2")
            outcome.append("committed")
        except store.PositionMoved:
            outcome.append("moved")

    store_conn = store.connect(url)
    thread = threading.Thread(target=commit_late)
    thread.start()
    assert _blocked(thread), "the second commit must wait for the position row"
    assert other.save_position(store.ONE_HOST, "journal", "c1", "c2", "now")
    other.execute("COMMIT")
    thread.join(30)
    assert outcome == ["moved"]
    assert store.position(pg, "journal") == "c2"
    assert pg.execute("SELECT COUNT(*) FROM login").fetchone()[0] == 2  # c1's and the other's, not `late`'s
    assert pg.execute("SELECT SUM(imap) FROM daily_usage").fetchone()[0] == 1
    for conn in (other, store_conn):
        conn.close()


def test_two_first_batches_of_a_source_count_once(url, pg):
    # no position row yet: nothing to lock; the second one's insert of the position waits, then refuses
    other = store.connect(url)
    other.execute("BEGIN")
    assert other.locked_position(store.ONE_HOST, "audit") is None
    assert other.save_position(store.ONE_HOST, "audit", None, "i:10", "now")
    outcome = []

    def commit_second():
        conn = store.connect(url)
        try:
            store.commit(conn, batch_of(conn, "audit", [login("2026-07-01", "08:00", "annv.stttt")]), "i:10")
            outcome.append("committed")
        except store.PositionMoved:
            outcome.append("moved")
        conn.close()

    thread = threading.Thread(target=commit_second)
    thread.start()
    assert _blocked(thread), "the second first batch must wait for the first one's position"
    other.execute("COMMIT")
    thread.join(30)
    assert outcome == ["moved"]
    assert totals(pg) == (0, None, None)
    assert store.position(pg, "audit") == "i:10"
    other.close()


# --- the server restarted, the backend killed, while a batch is open ------------------------------

def _interrupt_during_commit(monkeypatch, interrupt):
    """Run `interrupt` once inside store.commit: after BEGIN and the position lock, before the rows."""
    original = store._resolve_submissions
    done = []

    def resolve(conn, batch):
        if not done:
            done.append(True)
            interrupt(conn)
        return original(conn, batch)

    monkeypatch.setattr(store, "_resolve_submissions", resolve)
    return done


@pytest.mark.parametrize("how", ["restart", "terminate"])
def test_a_batch_open_when_postgresql_restarts_or_its_backend_dies_is_rolled_back_and_retried(
        url, postgresql_cluster, monkeypatch, how):  # noqa: F811
    conn = store.connect(url)
    store.commit(conn, batch_of(conn, "journal", [login("2026-07-01", "08:00", "annv.stttt")]), "c1")
    events = [login("2026-07-01", "09:00", "annv.stttt"), login("2026-07-01", "09:01", "binhlt.stttt"),
              ev.Submitted(dt.datetime(2026, 7, 1, 9, 2, tzinfo=TZ), "Q1", addr("annv.stttt")),
              ev.Queued(dt.datetime(2026, 7, 1, 9, 2, tzinfo=TZ), "Q1", 4)]

    def interrupt(collector):
        if how == "restart":  # pg_ctl restart -m fast: every session ended, its transaction rolled back
            postgresql_cluster.restart()
        else:  # the collector's backend killed (an operator's pg_terminate_backend); waits until it is gone
            cursor = postgresql_cluster.admin().cursor()
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", (collector.raw.get_backend_pid(),))
            assert cursor.fetchone() == (True,)

    interrupted = _interrupt_during_commit(monkeypatch, interrupt)
    with pytest.raises(store.ConnectionLost, match="rolled back"):
        store.commit(conn, batch_of(conn, "journal", events), "c2")
    assert interrupted
    conn.close()  # nothing to do: the connection is gone

    # the next run: a new connection, the batch read again from the committed position
    again = store.connect(url)
    assert store.position(again, "journal") == "c1"
    assert totals(again) == (1, 1, 1)
    store.commit(again, batch_of(again, "journal", events), "c2")
    assert store.position(again, "journal") == "c2"
    assert totals(again) == (3, 3, 5)
    assert again.execute("SELECT SUM(sent), SUM(sent_recipients) FROM daily_usage").fetchone() == (1, 4)
    again.close()


def test_a_connection_left_idle_across_a_restart_fails_cleanly_and_the_next_connection_goes_on(
        url, postgresql_cluster):  # noqa: F811
    conn = store.connect(url)
    store.commit(conn, batch_of(conn, "journal", [login("2026-07-01", "08:00", "annv.stttt")]), "c1")
    postgresql_cluster.restart()
    with pytest.raises(store.ConnectionLost):
        store.commit(conn, batch_of_start(conn, "journal", "c1", [login("2026-07-01", "08:01", "annv.stttt")]),
                     "c2")
    again = store.connect(url)
    store.commit(again, batch_of(again, "journal", [login("2026-07-01", "08:01", "annv.stttt")]), "c2")
    assert totals(again) == (2, 2, 2)
    again.close()


def batch_of_start(conn, source, start, events):
    """A batch read from `start` (a connection that cannot read the position any more)."""
    batch = store.Batch(source, start)
    for event in events:
        batch.count(event.ts, ev.EVENT)
        batch.add(event)
    return batch


def test_a_collector_run_through_restarts_counts_every_line_once(url, postgresql_cluster, monkeypatch):  # noqa: F811
    """A log of 600 lines read 50 at a time, the server restarted in the middle of two batches: each
    failure ends the run, the next run reads from the stored position; the totals equal the log."""
    rng = random.Random(12)
    log = [login("2026-07-0" + str(1 + i // 200), f"{8 + (i % 200) // 60:02d}:{i % 60:02d}",
                 rng.choice(["annv.stttt", "binhlt.stttt", "cuongpq.sxd"]), rng.choice(ev.LOGIN_KINDS))
           for i in range(600)]
    restarts = {3, 9}  # the runs' batch numbers that meet a restart
    calls = []
    original = store._resolve_submissions

    def resolve(conn, batch):
        calls.append(True)
        if len(calls) in restarts:
            postgresql_cluster.restart()
        return original(conn, batch)

    monkeypatch.setattr(store, "_resolve_submissions", resolve)
    runs = failures = 0
    while True:
        runs += 1
        conn = store.connect(url)
        try:
            offset = int(store.position(conn, "file") or 0)
            if offset == len(log):
                break
            while offset < len(log):
                chunk = log[offset:offset + 50]
                store.commit(conn, batch_of_start(conn, "file", str(offset) if offset else None, chunk),
                             str(offset + len(chunk)))
                offset += len(chunk)
        except store.ConnectionLost:
            failures += 1
        finally:
            conn.close()
    assert failures == 2 and runs == 4
    conn = store.connect(url)
    kinds = {kind: sum(1 for e in log if e.kind == kind) for kind in ev.LOGIN_KINDS}
    assert conn.execute("SELECT SUM(imap), SUM(pop3), SUM(submission), SUM(webmail) FROM daily_usage").fetchone() \
        == tuple(kinds[k] for k in ("imap", "pop3", "submission", "webmail"))
    assert totals(conn)[0] == 600 and totals(conn)[2] == 600
    conn.close()


# --- the same events, the same records on SQLite and PostgreSQL -----------------------------------

def _history(seed=5):
    """Three weeks of a small agency's usage: every kind of event, in batches with positions."""
    rng = random.Random(seed)
    people = ["annv.stttt", "binhlt.stttt", "cuongpq.stttt", "dungtt.sxd", "em.sxd"]
    batches, queue = [], 0
    for day in range(1, 22):
        events = []
        for _ in range(rng.randint(5, 25)):
            when = dt.datetime(2026, 6, 20, tzinfo=TZ) + dt.timedelta(days=day, minutes=rng.randint(7 * 60, 18 * 60))
            who = addr(rng.choice(people))
            pick = rng.random()
            if pick < 0.4:
                events.append(ev.Login(when, who, rng.choice(ev.LOGIN_KINDS), f"10.0.0.{rng.randint(1, 9)}"))
            elif pick < 0.55:
                queue += 1
                events.append(ev.Submitted(when, f"Q{queue}", who))
                if rng.random() < 0.8:  # some wait for the next batch, one in ten is taken twice
                    events.append(ev.Queued(when, f"Q{queue}", rng.randint(1, 5)))
            elif pick < 0.75:
                events.append(ev.Delivered(when, who))
            elif pick < 0.8:
                events.append(ev.Refused(when, who, rng.choice(["virus", "spam"])))
            elif pick < 0.92:
                events.append(ev.AgencyOpen(when, who, addr(rng.choice(["stttt", "sxd"])), "INBOX", "SELECT"))
            else:
                events.append(ev.Audited(when, rng.choice(["password_reset", "suspend", "create"]),
                                         f"TT000{rng.randint(1, 5)}", "stttt", rng.choice(["roster", "inactivity"])))
        if day % 3 == 0 and queue > 1:
            events.append(ev.Queued(events[-1].ts, f"Q{queue - 1}", 1))
        batches.append(events)
    return people, batches


def _fill(conn, people, batches):
    agencies = [{"code": code, "name": f"Sở {code}", "kind": "department", "mail": addr(code), "state": "active",
                 "head": None} for code in ("stttt", "sxd")]
    for number, events in enumerate(batches, start=1):
        batch = batch_of(conn, "journal", events)
        batch.count_day(events[0].ts.date().isoformat(), ev.MALFORMED)
        batch.count_day(events[0].ts.date().isoformat(), ev.IGNORED)
        store.commit(conn, batch, f"cursor-{number}")
        if number % 7 == 0:
            day = events[0].ts.date().isoformat()
            store.write_snapshot(conn, day, [
                {"uid": f"TT000{i}", "mail": addr(local), "name": f"Người {i}", "agency": local.split(".")[1],
                 "title": None, "leader": i == 1, "state": "active" if i < 5 else "locked", "quota": 3 * 1024**3,
                 "quota_decision": None} for i, local in enumerate(people, start=1)],
                agencies, {addr(people[0]): 2**33})
    store.set_marker(conn, "demo_data", "true")
    return store.prune(conn, dt.date(2026, 7, 12), raw_days=5, keep_days=15)


def _tables(conn):
    return {table: sorted(tuple(row) for row in conn.execute(
        f"SELECT * FROM {table}" if table != "source_position" else "SELECT source, position FROM source_position"))
        for table in TABLES}


def test_the_same_events_give_the_same_tables_and_the_same_summary_on_both_databases(tmp_path, pg):
    people, batches = _history()
    lite = store.connect(str(tmp_path / "usage.sqlite"))
    assert _fill(lite, people, batches) == _fill(pg, people, batches)
    assert _tables(lite) == _tables(pg)
    now = dt.datetime(2026, 8, 1, 9, 0, tzinfo=TZ)
    for start, end in ((dt.date(2026, 6, 1), dt.date(2026, 7, 31)), (dt.date(2026, 7, 5), dt.date(2026, 7, 9))):
        mine = summary.build_summary(lite, start, end, art12.DEFAULT_PERIODS, now=now)
        theirs = summary.build_summary(pg, start, end, art12.DEFAULT_PERIODS, now=now)
        assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)
    assert mine["mailboxes"] and mine["agency_checks"] and mine["quality"]["lines"]
    lite.close()


# --- the role's peer authentication ---------------------------------------------------------------

def _role_blocks(**variables):
    """The pg_ident.conf and pg_hba.conf lines role reports writes (its tasks/postgresql.yml), rendered."""
    with open(os.path.join(REPO, "roles", "reports", "tasks", "postgresql.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    block = next(task["block"] for task in tasks if "block" in task)
    lines = {}
    for task in block:
        settings = task.get("ansible.builtin.blockinfile")
        if settings:
            lines[os.path.basename(settings["path"].split("}}")[-1])] = jinja2.Template(settings["block"]).render(
                **variables)
    return lines["pg_ident.conf"], lines["pg_hba.conf"]


def test_the_roles_peer_authentication_lets_the_collectors_system_user_in_by_the_url_and_nobody_else(
        postgresql_cluster):  # noqa: F811
    me = pwd.getpwuid(os.geteuid()).pw_name  # root in CI: the collector's user in production
    admin = postgresql_cluster.admin().cursor()
    for statement in ("CREATE ROLE congvu_reports LOGIN", "CREATE ROLE congvu_other LOGIN",
                      "CREATE DATABASE congvu_reports OWNER congvu_reports TEMPLATE template0 ENCODING 'UTF8' "
                      "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"):
        admin.execute(statement)
    ident, hba = _role_blocks(reports__postgresql_os_user=me, reports__postgresql_role="congvu_reports",
                              reports__postgresql_database="congvu_reports")
    assert ident.split() == ["congvu-reports", me, "congvu_reports"]
    assert hba.split() == ["local", "congvu_reports", "congvu_reports", "peer", "map=congvu-reports"]
    # the same rule for another role, whose map names another system user: refused (peer is in force)
    postgresql_cluster.configure_authentication(
        f"{hba}\n{hba.replace('congvu_reports  peer', 'congvu_other  peer')}\n",
        f"{ident}\ncongvu-reports  someone-else  congvu_other\n")
    other = f"postgresql://congvu_other@/congvu_reports?host={postgresql_cluster.dir}"
    for _ in range(50):  # the server reads the files again on its own time after the reload signal
        try:
            store.connect(other).close()
        except store.StoreError as exc:
            refused = str(exc)
            break
        time.sleep(0.1)
    assert "Peer authentication failed for user \"congvu_other\"" in refused
    url = f"postgresql://congvu_reports@/congvu_reports?host={postgresql_cluster.dir}"
    conn = store.connect(url)  # the role's example URL, the socket folder aside
    assert store.schema_version(conn) == len(store.MIGRATIONS)
    assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'daily_usage'").fetchone() == \
        ("congvu_reports",)
    conn.close()


# --- the program: congvu-reports on PostgreSQL ----------------------------------------------------

LINES = [
    "2026-11-25T08:00:01.5+07:00 mail dovecot: imap-login: Login: user=<annv.stttt@quangbinh.gov.vn>, method=PLAIN, "
    "rip=10.0.0.1, lip=10.0.0.5, mpid=1, TLS, session=<a>\n",
    "2026-11-25T08:00:02+07:00 mail postfix/smtpd[7]: connect from unknown[10.0.0.1]\n",
    "2026-11-25T08:00:03+07:00 mail postfix/submission/smtpd[8]: Q1: client=unknown[10.0.0.1], sasl_method=PLAIN, "
    "sasl_username=annv.stttt@quangbinh.gov.vn\n",
    "2026-11-25T08:00:04+07:00 mail postfix/qmgr[9]: Q1: from=<annv.stttt@quangbinh.gov.vn>, size=600, nrcpt=3 "
    "(queue active)\n",
    "2026-11-24T17:00:05Z mail dovecot: lmtp(annv.stttt@quangbinh.gov.vn)<1><s>: msgid=<m@x>: saved mail to INBOX\n",
    # a day that does not exist: malformed
    "2026-11-31T08:00:06+07:00 mail dovecot: imap-login: Login: user=<annv.stttt@quangbinh.gov.vn>, method=PLAIN, "
    "rip=10.0.0.1, lip=10.0.0.5, mpid=1, TLS, session=<b>\n",
]


def _program(tmp_path, name, database_url):
    folder = tmp_path / name
    folder.mkdir()
    config = folder / "reports.json"
    config.write_text(json.dumps({
        "lib_dir": os.path.join(REPO, "plugins", "module_utils"), "database": str(folder / "usage.sqlite"),
        "database_url": database_url, "raw_days": 400, "keep_days": 1827, "journal_units": [],
        "webmail_addresses": ["127.0.0.1"], "files": [], "virus_marker": "Virus found", "batch": 2, "ldap": {},
        "domain": DOMAIN, "default_quota": 1, "doveadm": False, "textfile_dir": "", "host": "mail1",
        "database_host": "mail1"}))

    def run(*args):
        env = {**os.environ, "CONGVU_REPORTS_CONFIG": str(config)}
        proc = subprocess.run([sys.executable, COLLECTOR, *args], env=env, capture_output=True, text=True,
                              check=False, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run


def test_the_program_reads_a_log_into_postgresql_as_into_sqlite(tmp_path, url):
    log = tmp_path / "mail.log"
    log.write_text("".join(LINES), encoding="utf-8")
    outputs = {}
    for name, database_url in (("sqlite", ""), ("postgresql", url)):
        run = _program(tmp_path, name, database_url)
        assert run("ingest-file", "--source", "t", "--kind", "journal-text", "--demo", str(log))["lines"] == 6
        assert run("ingest-file", "--source", "t", "--kind", "journal-text", str(log))["lines"] == 0
        status = run("status")
        for position in [*status["positions"].values(),
                         *(p for h in status["hosts"].values() for p in h["positions"].values())]:
            position.pop("updated")
        summary_json = run("summary", "--from", "2026-11-01", "--to", "2026-11-30")
        summary_json.pop("generated_at")
        outputs[name] = (status, summary_json)
    assert outputs["sqlite"] == outputs["postgresql"]
    status = outputs["postgresql"][0]
    assert status["schema"] == len(store.MIGRATIONS) and status["demo_data"] is True
    assert status["quality"]["t"] == {"lines": 6, "malformed": 1, "ignored": 1}
    assert status["rows"]["login"] == 1 and status["rows"]["message"] == 2


def test_the_program_says_which_database_it_cannot_reach(tmp_path, postgresql_cluster):  # noqa: F811
    run = _program(tmp_path, "absent", postgresql_cluster.url("absent"))
    start = time.monotonic()
    with pytest.raises(AssertionError, match="cannot connect to the usage database"):
        run("status")
    assert time.monotonic() - start < 60
