"""The usage database on PostgreSQL (docs/reports.md, "The database"): the store's SQL, spoken to psycopg2.

`store` is written in SQLite's SQL and, on SQLite, sends it as it is. When the configuration names a
PostgreSQL database (`postgresql://...`), `store.connect` returns a `Connection` from here instead: an
object with the few methods of `sqlite3.Connection` the store, the summary and the collector use
(`execute`, `executemany`, `close`), which rewrites each statement once (then from a cache) by the rules
below. Every difference between the two databases is in this file:

- placeholders: `?` becomes `%s`, and a literal `%` becomes `%%` (psycopg2 formats every statement sent
  with parameters, an empty tuple included);
- `BEGIN IMMEDIATE` (SQLite's write lock) becomes `BEGIN`: PostgreSQL's default READ COMMITTED. The
  one place that needs more, the compare-and-set of a read position, locks the position row itself
  (`locked_position`, `save_position`);
- `INSERT OR IGNORE INTO t ...` becomes `INSERT INTO t ... ON CONFLICT DO NOTHING`, `INSERT OR REPLACE
  INTO t VALUES (...)` an upsert on the table's key (`_KEYS`: a table the store replaces into must be
  named there). In `ON CONFLICT (...) DO UPDATE SET c = c + excluded.c`, SQLite reads a bare `c` as the
  stored row's; PostgreSQL finds it ambiguous: the bare columns of the right-hand sides are qualified
  with the table's name;
- `PRAGMA` is SQLite's alone: refused here;
- in the migrations (`ddl`): `WITHOUT ROWID` is dropped, `INTEGER` is `BIGINT` (sizes in bytes pass
  2^31) and `TEXT` is `TEXT COLLATE "C"` (byte order, as SQLite compares: the days, times and marker
  names the queries compare and sort are ASCII, and the order must not depend on the database's
  locale). `SUM` of a `BIGINT` is a PostgreSQL `numeric`: read back as a Python int, as SQLite gives;
- the schema version is the table `schema_version` (SQLite keeps it in `PRAGMA user_version`); the
  migrations themselves are the store's, the same text for both.

A lost connection (the server restarted or the backend was killed) ends the transaction on the server,
which rolls it back: `execute` then raises `store.ConnectionLost`, and the `ROLLBACK` the store sends
after it is a no-op. The next run reconnects and reads from the committed position.

psycopg2 is imported here only: hosts on SQLite do not need it (Debian's python3-psycopg2 where the
role sets PostgreSQL up; psycopg2-binary in the project's .venv for the tests).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from congvu_usage import store

# The tables `INSERT OR REPLACE` writes: their key, then the other columns in their order.
_KEYS = {
    "pending_submission": (("host", "queue_id"), ("ts", "mailbox")),
    "address": (("mail",), ("owner", "kind")),
}

# pg_advisory_xact_lock key of the migrations: two programs starting on a new database (the timer's
# collector and the daily job) migrate one after the other ("cong" in ASCII)
_MIGRATE_LOCK = 0x636F6E67

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\s", re.IGNORECASE)
_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s+VALUES\s", re.IGNORECASE)
_UPSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\b.*?\bDO\s+UPDATE\s+SET\s", re.IGNORECASE | re.DOTALL)


def _top_level_split(text: str) -> list[str]:
    """`text` split at the commas outside parentheses (the assignments of a SET)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _qualified_upsert(sql: str) -> str:
    """`... DO UPDATE SET c = c + excluded.c` as `... SET c = t.c + excluded.c` (t the table)."""
    match = _UPSERT.match(sql)
    if not match:
        return sql
    table = match.group(1)
    assignments = [part.split("=", 1) for part in _top_level_split(sql[match.end():])]
    columns = "|".join(sorted({lhs.strip() for lhs, _ in assignments}, key=len, reverse=True))
    bare = re.compile(rf"(?<![.\w])({columns})\b")
    qualify = rf"{table}.\1"
    return sql[:match.end()] + ",".join(
        lhs + "=" + _outside_literals(rhs, lambda part: bare.sub(qualify, part)) for lhs, rhs in assignments)


def _outside_literals(sql: str, change) -> str:
    """`change` applied to the parts of `sql` that are not quoted literals."""
    return "".join(part if index % 2 else change(part) for index, part in enumerate(_LITERAL.split(sql)))


def translate(sql: str) -> str:
    """A statement of the store (SQLite's SQL) as PostgreSQL and psycopg2 take it."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    if sql.lstrip().upper().startswith("PRAGMA"):
        raise ValueError(f"PRAGMA is SQLite's: not sent to PostgreSQL ({sql.strip()!r})")
    if _OR_IGNORE.match(sql):
        sql = _OR_IGNORE.sub("INSERT INTO ", sql, count=1).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    match = _OR_REPLACE.match(sql)
    if match:
        table = match.group(1)
        if table not in _KEYS:
            raise ValueError(f"INSERT OR REPLACE INTO {table}: its key is not in congvu_usage.postgresql._KEYS")
        key, others = _KEYS[table]
        sql = (_OR_REPLACE.sub(f"INSERT INTO {table} VALUES ", sql, count=1).rstrip().rstrip(";")
               + f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
               + ", ".join(f"{column} = excluded.{column}" for column in others))
    sql = _qualified_upsert(sql)
    return _outside_literals(sql.replace("%", "%%"), lambda part: part.replace("?", "%s"))


def ddl(sql: str) -> str:
    """A statement of a migration with PostgreSQL's types (see the module's note)."""

    def types(part: str) -> str:
        part = re.sub(r"\)\s*WITHOUT\s+ROWID", ")", part, flags=re.IGNORECASE)
        part = re.sub(r"\bINTEGER\b", "BIGINT", part)
        return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', part)

    return _outside_literals(sql, types)


def _numeric(value, cursor):
    """`numeric` (what SUM of a BIGINT is) as an int when it is whole, as SQLite gives it."""
    if value is None:
        return None
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else number


_NUMERIC = psycopg2.extensions.new_type((1700,), "CONGVU_NUMERIC", _numeric)


def _display(url: str) -> str:
    """The URL without a password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


class Connection:
    """A psycopg2 connection in autocommit mode: the store sends BEGIN, COMMIT and ROLLBACK itself, as
    it does to SQLite (isolation_level=None)."""

    def __init__(self, raw, host: str = "localhost"):
        self.raw = raw
        # the host whose lines this connection writes (store.connect sets it)
        self.host = host
        raw.autocommit = True
        psycopg2.extensions.register_type(_NUMERIC, raw)
        self._sql: dict[str, str] = {}

    def _translated(self, sql: str) -> str:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = translate(sql)
        return text

    def _cursor(self):
        if self.raw.closed:
            raise store.ConnectionLost("the connection to the usage database (PostgreSQL) is closed")
        return self.raw.cursor()

    def _lost(self, exc: Exception) -> None:
        if self.raw.closed:
            raise store.ConnectionLost(f"the connection to the usage database (PostgreSQL) was lost: "
                                       f"{str(exc).strip()}; the open transaction was rolled back") from exc

    def execute(self, sql: str, params=()):
        if sql.strip().upper() == "ROLLBACK":
            return self.rollback()
        cursor = self._cursor()
        try:
            cursor.execute(self._translated(sql), tuple(params))
        except psycopg2.Error as exc:
            self._lost(exc)
            raise
        return cursor

    def executemany(self, sql: str, rows):
        cursor = self._cursor()
        try:
            # in pages of statements, one round trip each (psycopg2's executemany makes one a row)
            psycopg2.extras.execute_batch(cursor, self._translated(sql), list(rows), page_size=500)
        except psycopg2.Error as exc:
            self._lost(exc)
            raise
        return cursor

    def rollback(self):
        """ROLLBACK, or nothing when the connection is gone: the server rolled the transaction back."""
        if self.raw.closed:
            return None
        try:
            self.raw.cursor().execute("ROLLBACK")
        except psycopg2.Error:
            if not self.raw.closed:
                raise
        return None

    def close(self) -> None:
        if not self.raw.closed:
            self.raw.close()

    # --- the read position's compare-and-set (store.commit) -------------------------------------

    def locked_position(self, host: str, source: str) -> str | None:
        """The stored position of `host`'s `source`, its row locked until the transaction ends.

        READ COMMITTED: a second collector's `FOR UPDATE` waits for the first one's transaction, then
        reads the row as that one committed it (its new position), so the second finds the position
        moved. A source without a row yet has nothing to lock: `save_position` checks that case."""
        row = self.execute("SELECT position FROM source_position WHERE host = ? AND source = ? FOR UPDATE",
                           (host, source)).fetchone()
        return row[0] if row else None

    def save_position(self, host: str, source: str, start: str | None, new_position: str, updated: str) -> bool:
        """Write the new position; False when another transaction wrote it first (only possible for
        the first batch of a source: the insert waits for the other's, then does nothing)."""
        if start is None:
            cursor = self.execute(
                "INSERT INTO source_position (host, source, position, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (host, source) DO NOTHING", (host, source, new_position, updated))
        else:
            cursor = self.execute("UPDATE source_position SET position = ?, updated = ? "
                                  "WHERE host = ? AND source = ? AND position = ?",
                                  (new_position, updated, host, source, start))
        return cursor.rowcount == 1


def connect(url: str) -> Connection:
    """Open the database the URL names (libpq's URI: `postgresql://user@/db?host=/run/postgresql` is
    peer authentication over the local socket; the role sets it up)."""
    try:
        raw = psycopg2.connect(url, application_name="congvu-reports")
    except psycopg2.Error as exc:
        raise store.StoreError(f"cannot connect to the usage database {_display(url)}: {str(exc).strip()}") from exc
    return Connection(raw)


def schema_version(conn: Connection) -> int:
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def migrate(conn: Connection, migrations: list[str], owner: str | None) -> int:
    """Apply the migrations this database has not seen yet, each in its own transaction, under a lock
    (another program may be migrating the same new database), each recorded in `schema_version`.
    `owner`: the host the rows of a database of one collector belong to (store.MIGRATIONS, 3)."""
    while True:
        conn.execute("BEGIN")
        try:
            conn.execute(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK})")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                         "version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
            version = schema_version(conn)
            if version > len(migrations):
                raise store.StoreError(f"the usage database has schema {version}, newer than this program "
                                       f"({len(migrations)}): upgrade congvu-reports")
            if version == len(migrations):
                conn.execute("COMMIT")
                return version
            for statement, params in store.statements(conn, migrations[version], owner):
                conn.execute(ddl(statement), params)
            conn.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)",
                         (version + 1, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
