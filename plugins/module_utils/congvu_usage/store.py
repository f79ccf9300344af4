"""The usage database (docs/reports.md): SQLite in WAL mode, schema versioned by migrations; or
PostgreSQL when the configuration names one (a `postgresql://` URL: `congvu_usage.postgresql`, which
speaks this file's SQL to it, the same migrations included).

The adapter beside the policy core (`congvu.usage_events` parses, this file stores). The one rule that
makes the figures trustworthy: the rows of a batch and the read position after it are committed in
one transaction, so a collector killed at any point, or a database that stops, leaves the database
either before or after the whole batch: re-reading from the stored position loses nothing and counts
nothing twice.

Several collectors, one a host, may write one PostgreSQL database (docs/reports.md, "Several hosts"): a
connection carries the name of the host whose lines it writes (`connect(..., host=...)`), and what
identifies where a row was read (the read positions, the submissions waiting for their queue line, the
line counts, the time of the last collection) is keyed by that host. Each line is counted by the host
that logged it; which kind of line counts for what, so that an event seen on two hosts counts once, is
decided by the parser (`congvu.usage_events`).

Raw events (logins, messages) are kept for `raw_days`; the daily aggregates per mailbox, the Art. 12
openings of agency mailboxes, the directory snapshots and the audit events for `keep_days` (the
period the law requires: 5 years by default).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from congvu import usage_events as ev

MIGRATIONS = [
    # 1: the first schema
    """
    CREATE TABLE source_position (
        source TEXT PRIMARY KEY, position TEXT NOT NULL, updated TEXT NOT NULL);
    CREATE TABLE login (
        ts TEXT NOT NULL, day TEXT NOT NULL, mailbox TEXT NOT NULL, kind TEXT NOT NULL, rip TEXT);
    CREATE INDEX login_day ON login (day);
    CREATE TABLE message (
        ts TEXT NOT NULL, day TEXT NOT NULL, mailbox TEXT NOT NULL, direction TEXT NOT NULL,
        recipients INTEGER NOT NULL DEFAULT 1);
    CREATE INDEX message_day ON message (day);
    CREATE TABLE pending_submission (
        queue_id TEXT PRIMARY KEY, ts TEXT NOT NULL, mailbox TEXT NOT NULL);
    CREATE TABLE agency_open (
        ts TEXT NOT NULL, day TEXT NOT NULL, agency_mail TEXT NOT NULL, opener TEXT NOT NULL,
        folder TEXT NOT NULL, command TEXT NOT NULL);
    CREATE INDEX agency_open_day ON agency_open (day);
    CREATE TABLE daily_usage (
        day TEXT NOT NULL, mailbox TEXT NOT NULL,
        imap INTEGER NOT NULL DEFAULT 0, pop3 INTEGER NOT NULL DEFAULT 0,
        submission INTEGER NOT NULL DEFAULT 0, webmail INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0, sent_recipients INTEGER NOT NULL DEFAULT 0,
        received INTEGER NOT NULL DEFAULT 0, virus_refused INTEGER NOT NULL DEFAULT 0,
        spam_refused INTEGER NOT NULL DEFAULT 0, last_login TEXT,
        PRIMARY KEY (day, mailbox)) WITHOUT ROWID;
    CREATE TABLE audit_event (
        ts TEXT NOT NULL, day TEXT NOT NULL, action TEXT NOT NULL, uid TEXT NOT NULL,
        agency TEXT NOT NULL, source TEXT NOT NULL);
    CREATE INDEX audit_event_day ON audit_event (day);
    CREATE TABLE snapshot (
        day TEXT NOT NULL, uid TEXT NOT NULL, mail TEXT NOT NULL, name TEXT NOT NULL,
        agency TEXT NOT NULL, title TEXT, leader INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,
        quota INTEGER, quota_decision TEXT, storage INTEGER,
        PRIMARY KEY (day, uid)) WITHOUT ROWID;
    CREATE INDEX snapshot_mail ON snapshot (mail);
    CREATE TABLE agency_snapshot (
        day TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
        mail TEXT NOT NULL, state TEXT NOT NULL, head TEXT,
        PRIMARY KEY (day, code)) WITHOUT ROWID;
    CREATE TABLE line_quality (
        day TEXT NOT NULL, source TEXT NOT NULL, lines INTEGER NOT NULL DEFAULT 0,
        events INTEGER NOT NULL DEFAULT 0, ignored INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, source)) WITHOUT ROWID;
    CREATE TABLE marker (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: every address ever seen and its mailbox (or agency), kept apart from the daily snapshots, so
    # that the summary's address lookup does not grow with five years of snapshots
    """
    CREATE TABLE address (
        mail TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL) WITHOUT ROWID;
    INSERT OR IGNORE INTO address SELECT mail, uid, 'person' FROM snapshot;
    INSERT OR IGNORE INTO address SELECT mail, code, 'agency' FROM agency_snapshot;
    INSERT OR IGNORE INTO marker SELECT 'snapshot:' || day, COUNT(*) FROM snapshot GROUP BY day;
    """,
    # 3: several hosts in one database: the read positions, the submissions waiting for their queue
    # line (Postfix's queue ids are unique per host only), the line counts and the last collection keyed
    # by host. What a database of one collector holds is that collector's: `?` is the host it belongs to
    # (connect's `owner`, the database host's name, whoever migrates first).
    """
    CREATE TABLE source_position_3 (
        host TEXT NOT NULL, source TEXT NOT NULL, position TEXT NOT NULL, updated TEXT NOT NULL,
        PRIMARY KEY (host, source)) WITHOUT ROWID;
    INSERT INTO source_position_3 SELECT ?, source, position, updated FROM source_position;
    DROP TABLE source_position;
    ALTER TABLE source_position_3 RENAME TO source_position;
    CREATE TABLE pending_submission_3 (
        host TEXT NOT NULL, queue_id TEXT NOT NULL, ts TEXT NOT NULL, mailbox TEXT NOT NULL,
        PRIMARY KEY (host, queue_id)) WITHOUT ROWID;
    INSERT INTO pending_submission_3 SELECT ?, queue_id, ts, mailbox FROM pending_submission;
    DROP TABLE pending_submission;
    ALTER TABLE pending_submission_3 RENAME TO pending_submission;
    CREATE TABLE line_quality_3 (
        day TEXT NOT NULL, host TEXT NOT NULL, source TEXT NOT NULL, lines INTEGER NOT NULL DEFAULT 0,
        events INTEGER NOT NULL DEFAULT 0, ignored INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, host, source)) WITHOUT ROWID;
    INSERT INTO line_quality_3 SELECT day, ?, source, lines, events, ignored, malformed FROM line_quality;
    DROP TABLE line_quality;
    ALTER TABLE line_quality_3 RENAME TO line_quality;
    UPDATE marker SET name = 'collect:last_success:' || ? WHERE name = 'collect:last_success';
    """,
]

# The host of a connection opened without one: a database only one collector writes (the tests, a file
# read by hand into a database of its own). The program always names its host.
ONE_HOST = "localhost"
# The marker of each host's last full collection: this prefix and the host's name.
LAST_COLLECT = "collect:last_success:"

_KIND_COLUMN = {kind: kind for kind in ev.LOGIN_KINDS}


class StoreError(Exception):
    pass


class PositionMoved(StoreError):
    """Another collector committed this source since this batch was read: the batch is dropped."""


class ConnectionLost(StoreError):
    """PostgreSQL went away (restarted, the backend killed) during a statement: the server rolled the
    open transaction back; the next run reconnects and reads again from the committed position."""


def is_url(database: str) -> bool:
    """Whether `database` names a PostgreSQL database (a URL) rather than a SQLite file."""
    return database.startswith(("postgresql://", "postgres://"))


class _SQLite(sqlite3.Connection):
    """sqlite3's connection with the name of the host whose lines it writes."""

    host = ONE_HOST


def connect(path: str, timeout: float = 60.0, host: str = ONE_HOST, owner: str | None = None):
    """Open (and create or migrate) the database. WAL: readers (the report) never block the collector.

    `path` is a SQLite file, or a `postgresql://` URL: a `congvu_usage.postgresql.Connection` then.
    `host`: the host whose lines this connection writes (its read positions are its own). `owner`: the
    host to which the rows of a database from before several hosts belong (the database host: it was
    its only collector), whichever collector migrates it; without it, only a database that holds no
    read position yet is migrated (`migrate`)."""
    if not host:
        raise StoreError("the collector's host name is empty")
    if is_url(path):
        from congvu_usage import postgresql  # noqa: PLC0415  (psycopg2, only where PostgreSQL is used)

        conn = postgresql.connect(path)
        conn.host = host
        try:
            migrate(conn, owner)
        except BaseException:
            conn.close()
            raise
        return conn
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, factory=_SQLite)
    conn.host = host
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed batch survives a power cut, not only a killed process (the position with it).
    conn.execute("PRAGMA synchronous=FULL")
    # Each batch rewrites the daily rows of the mailboxes it saw, scattered over the day's pages; a
    # checkpoint every 1,000 pages (SQLite's default) copied them all again after nearly every batch.
    # 10,000 pages (40 MiB of WAL) writes a third less for a day's backlog; a commit is as durable.
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    # and those pages are read again by the next batch: keep a day of a province's daily rows
    # (about 10 MiB at 100,000 mailboxes) in memory rather than SQLite's default 2 MiB
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn, owner)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    if not isinstance(conn, sqlite3.Connection):
        from congvu_usage import postgresql  # noqa: PLC0415

        return postgresql.schema_version(conn)
    return conn.execute("PRAGMA user_version").fetchone()[0]


def statements(conn, script: str, owner: str | None):
    """A migration's statements, each with its parameters (`?`: the host that owns what was there).

    Without `owner` (a program that does not say which host the database was written by: an older
    collector program beside a newer core, or settings written before several hosts) a database that
    holds read positions is refused rather than given to the wrong host, whose collector would then start
    its journal again from the beginning and count it twice; a new database is this connection's."""
    for statement in script.split(";"):
        if not statement.strip():
            continue
        if "?" in statement and owner is None:
            if conn.execute("SELECT COUNT(*) FROM source_position").fetchone()[0]:
                raise StoreError("the usage database holds the read positions of one collector from before "
                                 "several hosts, and this program does not say whose they are (the settings' "
                                 "database_host): run role reports to update the collector and its settings")
            owner = host_of(conn)
        yield statement, (owner,) * statement.count("?")


def migrate(conn: sqlite3.Connection, owner: str | None = None) -> int:
    """Apply the migrations this database has not seen yet, each in its own transaction. `owner`: the host
    the rows of a database of one collector belong to (migration 3; `statements`)."""
    if not isinstance(conn, sqlite3.Connection):
        from congvu_usage import postgresql  # noqa: PLC0415

        return postgresql.migrate(conn, MIGRATIONS, owner)
    version = schema_version(conn)
    if version > len(MIGRATIONS):
        raise StoreError(f"the usage database has schema {version}, newer than this program "
                         f"({len(MIGRATIONS)}): upgrade congvu-reports")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement, params in statements(conn, script, owner):
                conn.execute(statement, params)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def host_of(conn) -> str:
    """The host whose lines this connection writes."""
    return getattr(conn, "host", ONE_HOST)


def position(conn: sqlite3.Connection, source: str) -> str | None:
    """Where this connection's host last committed `source` (another host's `source` is its own)."""
    row = conn.execute("SELECT position FROM source_position WHERE host = ? AND source = ?",
                       (host_of(conn), source)).fetchone()
    return row[0] if row else None


_SEVEN_HOURS = dt.timedelta(hours=7)


def _stamp(ts: dt.datetime) -> tuple[str, str]:
    # most lines already carry +07:00 (the hosts' zone): no conversion then
    when = ts if ts.utcoffset() == _SEVEN_HOURS else ev.local(ts)
    stamp = when.isoformat(timespec="seconds")
    return stamp, stamp[:10]


def day_of(ts: dt.datetime) -> str:
    """The Vietnamese day of a time, as the tables write it."""
    return (ts if ts.utcoffset() == _SEVEN_HOURS else ev.local(ts)).date().isoformat()


_DAILY_COLUMNS = ("imap", "pop3", "submission", "webmail", "sent", "sent_recipients", "received",
                  "virus_refused", "spam_refused")
_COLUMN = {name: index for index, name in enumerate(_DAILY_COLUMNS)}
_LAST_LOGIN = len(_DAILY_COLUMNS)  # the field after the counts in a daily row in memory
_QUALITY_COLUMNS = ("events", "ignored", "malformed")  # in the order of ev.STATUSES


class Batch:
    """The events of one read of a source, aggregated in memory, written by `commit` at once."""

    def __init__(self, source: str, start: str | None = None):
        self.source = source
        # the position this batch was read from: committed only if it is still the stored one
        self.start = start
        self.logins: list[tuple] = []
        self.messages: list[tuple] = []
        self.opens: list[tuple] = []
        self.audits: list[tuple] = []
        self.submitted: list[tuple] = []
        self.queued: list[tuple[str, str, int]] = []
        # (day, mailbox) -> the counts of _DAILY_COLUMNS, then the last login or None: a list, since
        # a busy day adds to a row a million times
        self.daily: dict[tuple[str, str], list] = {}
        # day -> lines per status, in the order of ev.STATUSES: every line is counted here
        self.tally: dict[str, list[int]] = {}

    @property
    def quality(self) -> dict[str, dict[str, int]]:
        """Lines, events, ignored and malformed per day."""
        return {day: {"lines": sum(counts), **dict(zip(_QUALITY_COLUMNS, counts, strict=True))}
                for day, counts in self.tally.items()}

    def count(self, ts: dt.datetime, status: str) -> None:
        self.count_day(day_of(ts), status)

    def count_day(self, day: str, status: str) -> None:
        counts = self.tally.get(day)
        if counts is None:
            counts = self.tally[day] = [0, 0, 0]
        counts[ev.STATUSES.index(status)] += 1

    def count_tally(self, tally: dict, default_day: str) -> None:
        """Add the counts of `ev.read_syslog_lines`; its lines without a day (malformed) count on
        `default_day`."""
        for day, counts in tally.items():
            mine = self.tally.setdefault(day or default_day, [0, 0, 0])
            for index, number in enumerate(counts):
                mine[index] += number

    def row(self, day: str, mailbox: str) -> list:
        """The daily row of a mailbox in this batch, made on first use."""
        row = self.daily.get((day, mailbox))
        if row is None:
            row = self.daily[(day, mailbox)] = [0, 0, 0, 0, 0, 0, 0, 0, 0, None]
        return row

    def add(self, event, second: str | None = None) -> None:
        """Take an event; `second` is its time as written (`_stamp`) when the caller has it already."""
        self.add_all(((event, second),))

    def add_all(self, events) -> None:
        """Take (event, second or None) pairs, as `add`: one loop for a batch of them."""
        daily, row_of, column, last = self.daily, self.row, _COLUMN, _LAST_LOGIN
        logins, messages, queued, submitted = self.logins, self.messages, self.queued, self.submitted
        received = column["received"]
        login, delivered = ev.Login, ev.Delivered
        for event, second in events:
            if second is None:
                stamp, day = _stamp(event.ts)
            else:
                stamp, day = second, second[:10]
            kind = type(event)
            if kind is login:
                row = daily.get((day, event.user)) or row_of(day, event.user)
                logins.append((stamp, day, event.user, event.kind, event.rip))
                row[column[event.kind]] += 1
                if row[last] is None or stamp > row[last]:
                    row[last] = stamp
            elif kind is delivered:
                messages.append((stamp, day, event.user, "received", 1))
                (daily.get((day, event.user)) or row_of(day, event.user))[received] += 1
            elif kind is ev.Queued:
                queued.append((event.queue_id, stamp, event.nrcpt))
            elif kind is ev.Submitted:
                submitted.append((event.queue_id, stamp, event.user))
            elif kind is ev.Refused:
                row_of(day, event.recipient)[column[f"{event.kind}_refused"]] += 1
            elif kind is ev.AgencyOpen:
                self.opens.append((stamp, day, event.agency_mail, event.opener, event.folder, event.command))
            elif kind is ev.Audited:
                self.audits.append((stamp, day, event.action, event.uid, event.agency, event.source))
            else:  # pragma: no cover - a parser that returns something new must be taught here first
                raise TypeError(f"unknown event {event!r}")


_UPSERT_DAILY = (
    f"INSERT INTO daily_usage (day, mailbox, {', '.join(_DAILY_COLUMNS)}, last_login) "
    f"VALUES (?, ?, {', '.join('?' for _ in _DAILY_COLUMNS)}, ?) "
    "ON CONFLICT (day, mailbox) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in _DAILY_COLUMNS)
    + ", last_login = CASE WHEN excluded.last_login IS NOT NULL AND "
      "(last_login IS NULL OR excluded.last_login > last_login) THEN excluded.last_login ELSE last_login END")


def commit(conn: sqlite3.Connection, batch: Batch, new_position: str) -> dict:
    """Write a batch and the source's new position in ONE transaction (the no-loss rule above).

    Two collectors at once (the timer's and one run by hand) read the same lines: the second to
    commit finds the position moved and writes nothing, so nothing is counted twice. SQLite's
    BEGIN IMMEDIATE makes the writers wait for each other; PostgreSQL locks the position row (and
    writes a first position only where no other transaction did: `postgresql.Connection`).
    """
    sqlite = isinstance(conn, sqlite3.Connection)
    host = host_of(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if (position(conn, batch.source) if sqlite else conn.locked_position(host, batch.source)) != batch.start:
            raise PositionMoved(f"source {batch.source!r}: another collector committed since this batch was "
                                f"read; its lines are left to the next run")
        _resolve_submissions(conn, batch)
        conn.executemany("INSERT INTO login VALUES (?, ?, ?, ?, ?)", batch.logins)
        conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?)", batch.messages)
        conn.executemany("INSERT INTO agency_open VALUES (?, ?, ?, ?, ?, ?)", batch.opens)
        conn.executemany("INSERT INTO audit_event VALUES (?, ?, ?, ?, ?, ?)", batch.audits)
        # in the order of their keys: collectors of several hosts adding to the same daily rows at once
        # lock them in one order, so that on PostgreSQL one waits for the other instead of deadlocking
        conn.executemany(_UPSERT_DAILY, [(day, mailbox, *row) for (day, mailbox), row in sorted(batch.daily.items())])
        conn.executemany(
            "INSERT INTO line_quality (day, host, source, lines, events, ignored, malformed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (day, host, source) DO UPDATE SET lines = lines + excluded.lines, "
            "events = events + excluded.events, ignored = ignored + excluded.ignored, "
            "malformed = malformed + excluded.malformed",
            [(day, host, batch.source, c["lines"], c["events"], c["ignored"], c["malformed"])
             for day, c in sorted(batch.quality.items())])
        updated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if sqlite:
            conn.execute(
                "INSERT INTO source_position (host, source, position, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (host, source) DO UPDATE SET position = excluded.position, updated = excluded.updated",
                (host, batch.source, new_position, updated))
        elif not conn.save_position(host, batch.source, batch.start, new_position, updated):
            raise PositionMoved(f"source {batch.source!r}: another collector committed its first batch first; "
                                f"its lines are left to the next run")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"logins": len(batch.logins), "messages": len(batch.messages), "opens": len(batch.opens),
            "audits": len(batch.audits)}


def _resolve_submissions(conn, batch: Batch) -> None:
    """A message counts as sent when the queue manager takes it with its recipient count (`nrcpt`).

    The submission line and the queue line may fall in different batches: the submission waits in
    `pending_submission`, inside the same transactions. A message the queue manager takes again after
    a deferral finds no pending submission and is not counted twice. Pairs within the batch are made
    in memory, the others with one query per 500 queue lines (most queue lines are inbound mail,
    which has no submission). Queue ids are unique on one host only: a queue line of one MX never takes
    the submission of another.
    """
    host = host_of(conn)
    waiting = {queue_id: (stamp, mailbox) for queue_id, stamp, mailbox in batch.submitted}
    unmatched = [queue_id for queue_id, _, _ in batch.queued if queue_id not in waiting]
    stored = {}
    for start in range(0, len(unmatched), 500):
        chunk = unmatched[start:start + 500]
        stored.update(conn.execute(
            "SELECT queue_id, mailbox FROM pending_submission WHERE host = ? AND queue_id IN "
            f"({', '.join('?' * len(chunk))})", (host, *chunk)).fetchall())
    done_stored = []
    for queue_id, stamp, nrcpt in batch.queued:
        if queue_id in waiting:
            mailbox = waiting.pop(queue_id)[1]
        elif queue_id in stored:
            mailbox = stored.pop(queue_id)
            done_stored.append((host, queue_id))
        else:
            continue  # inbound mail, or already counted
        day = stamp[:10]
        batch.messages.append((stamp, day, mailbox, "sent", nrcpt))
        row = batch.row(day, mailbox)
        row[_COLUMN["sent"]] += 1
        row[_COLUMN["sent_recipients"]] += nrcpt
    if done_stored:
        conn.executemany("DELETE FROM pending_submission WHERE host = ? AND queue_id = ?", done_stored)
    if waiting:  # submissions whose queue line is still to come
        conn.executemany("INSERT OR REPLACE INTO pending_submission VALUES (?, ?, ?, ?)",
                         [(host, queue_id, stamp, mailbox) for queue_id, (stamp, mailbox) in waiting.items()])


def write_snapshot(conn: sqlite3.Connection, day: str, people: list[dict], agencies: list[dict],
                   storage: dict[str, int]) -> dict:
    """The directory (state, quota, agency) and the mail store (bytes used) as of `day`, replacing an
    earlier snapshot of the same day (the daily job may run twice)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM snapshot WHERE day = ?", (day,))
        conn.execute("DELETE FROM agency_snapshot WHERE day = ?", (day,))
        conn.executemany("INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (day, p["uid"], p["mail"].lower(), p["name"], p["agency"], p.get("title"), int(bool(p.get("leader"))),
             p["state"], p.get("quota"), p.get("quota_decision"), storage.get(p["mail"].lower()))
            for p in people])
        conn.executemany("INSERT INTO agency_snapshot VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (day, a["code"], a["name"], a["kind"], a["mail"].lower(), a["state"], a.get("head"))
            for a in agencies])
        conn.executemany("INSERT OR REPLACE INTO address VALUES (?, ?, 'person')",
                         [(p["mail"].lower(), p["uid"]) for p in people])
        conn.executemany("INSERT OR REPLACE INTO address VALUES (?, ?, 'agency')",
                         [(a["mail"].lower(), a["code"]) for a in agencies])
        # a snapshot of an empty directory (a new system) is a snapshot too
        set_marker(conn, f"snapshot:{day}", str(len(people)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"people": len(people), "agencies": len(agencies), "storage": len(storage)}


def prune(conn: sqlite3.Connection, today: dt.date, raw_days: int, keep_days: int) -> dict:
    """Drop raw events older than `raw_days` and everything older than `keep_days`."""
    raw_before = (today - dt.timedelta(days=raw_days)).isoformat()
    keep_before = (today - dt.timedelta(days=keep_days)).isoformat()
    removed = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, before in (("login", raw_before), ("message", raw_before), ("agency_open", keep_before),
                              ("daily_usage", keep_before), ("audit_event", keep_before),
                              ("snapshot", keep_before), ("agency_snapshot", keep_before),
                              ("line_quality", keep_before)):
            removed[table] = conn.execute(f"DELETE FROM {table} WHERE day < ?", (before,)).rowcount
        # beyond the raw window, one snapshot a month (its last day) is enough for the reports of
        # long-past periods: a daily snapshot of 100,000 mailboxes for five years would be ~36 GB
        removed["snapshot_thinned"] = conn.execute(
            "DELETE FROM snapshot WHERE day < ? AND day NOT IN (SELECT MAX(day) FROM snapshot "
            "WHERE day < ? GROUP BY substr(day, 1, 7))", (raw_before, raw_before)).rowcount
        # a submission the queue never took (refused at the end of DATA) waits no longer than a day
        removed["pending_submission"] = conn.execute(
            "DELETE FROM pending_submission WHERE ts < ?",
            ((today - dt.timedelta(days=1)).isoformat(),)).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return removed


def set_last_collect(conn, when: str) -> None:
    """Record that this connection's host read every source to its end at `when` (UTC)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        set_marker(conn, f"{LAST_COLLECT}{host_of(conn)}", when)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def last_collects(conn) -> dict[str, str]:
    """host -> when it last read every source to its end (UTC)."""
    return {name[len(LAST_COLLECT):]: value for name, value in conn.execute(
        "SELECT name, value FROM marker WHERE name LIKE ? ORDER BY name", (f"{LAST_COLLECT}%",))}


def has_snapshot(conn: sqlite3.Connection, day: str) -> bool:
    return marker(conn, f"snapshot:{day}") is not None


def set_marker(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO marker VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                 (name, value))


def marker(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM marker WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None
