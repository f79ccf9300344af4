"""The demo's generated usage history (tools/make_demo_history.py), read back by the real parser.

What the demo relies on: the files it loads with `congvu-reports ingest-file` parse without a malformed
line and give the report something in every column (the four kinds of login, mail sent and received,
Art. 12 openings, an agency below the threshold); the same seed gives the same files; the generator
only reads the usage database.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import sys

import pytest
from congvu import art12, usage_report
from congvu import usage_events as ev
from congvu_holidays import work_calendar
from congvu_usage import store, summary

import scripts

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "make_demo_history.py")
DOMAIN = "quangbinh.gov.vn"
START, END = dt.date(2026, 6, 1), dt.date(2026, 7, 31)
OPTS = ev.Options(["127.0.0.1", "::1"], "Virus found")
AGENCIES = (("stttt", "department", 24), ("sxd", "department", 18), ("badon", "district", 30))


@pytest.fixture(scope="module")
def tool():
    yield scripts.load("make_demo_history", TOOL)
    sys.modules.pop("make_demo_history", None)


def directory():
    """A small province: three agencies, each with a head and two deputies, one suspended and one
    terminated mailbox."""
    people, agencies = [], []
    for code, kind, size in AGENCIES:
        prefix = code[:2].upper()
        agencies.append({"code": code, "name": f"Cơ quan {code}", "kind": kind, "mail": f"{code}@{DOMAIN}",
                         "state": "active", "head": f"{prefix}0001"})
        for n in range(1, size + 1):
            people.append({"uid": f"{prefix}{n:04d}", "mail": f"nguoi{n}.{code}@{DOMAIN}", "name": f"Người {n}",
                           "agency": code, "title": None, "leader": n <= 3, "quota": 2 * 1024**3,
                           "quota_decision": None,
                           "state": "suspended" if n == size else "terminated" if n == size - 1 else "active"})
    return people, agencies


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("db") / "usage.sqlite")
    conn = store.connect(path)
    people, agencies = directory()
    store.write_snapshot(conn, END.isoformat(), people, agencies, {})
    conn.close()
    return path


def generate(tool, database, out, seed=7):
    assert tool.main(["--db", database, "--from", START.isoformat(), "--to", END.isoformat(), "--seed", str(seed),
                      "--out", str(out)]) == 0
    return {name: (out / name).read_bytes() for name in ("mail.log", "userlogins.log", "audit.jsonl")}


def ingest(conn, source, lines, parse, batch_size=1000):
    """What `congvu-reports ingest-file` does: the parser, then Batch + commit per batch of lines."""
    position = 0
    for first in range(0, len(lines), batch_size):
        batch = store.Batch(source, store.position(conn, source))
        for line in lines[first:first + batch_size]:
            status, event, ts = parse(line)
            batch.count(ts, status)
            if event is not None:
                batch.add(event)
        position += len(lines[first:first + batch_size])
        store.commit(conn, batch, str(position))


def journal_text(line):
    parsed = ev.parse_syslog_line(line, 1999)  # the year is in each line: this one must not be used
    if parsed is None:
        return ev.MALFORMED, None, dt.datetime(2026, 1, 1, tzinfo=ev.TZ)
    status, event = ev.parse_journal(*parsed, OPTS)
    return status, event, parsed[0]


def roundcube(line):
    status, event = ev.parse_roundcube(line, OPTS)
    return status, event, event.ts if event else dt.datetime(2026, 6, 1, tzinfo=ev.TZ)


def audit(line):
    status, event = ev.parse_audit(line)
    return status, event, event.ts if event else dt.datetime(2026, 6, 1, tzinfo=ev.TZ)


@pytest.fixture(scope="module")
def loaded(tool, database, tmp_path_factory):
    """The generated files, the generator's own counts, and a copy of the database they went into."""
    out = tmp_path_factory.mktemp("history")
    before = hashlib.sha256(open(database, "rb").read()).hexdigest()
    files = generate(tool, database, out)
    assert hashlib.sha256(open(database, "rb").read()).hexdigest() == before  # read only
    # the generator's own count of what it wrote, from the same inputs as the command line's
    _, people, agencies = tool.read_directory(database)
    history = tool.History(people, agencies, START, END, 7)
    again = tmp_path_factory.mktemp("again")
    history.write(str(again))
    assert (again / "mail.log").read_bytes() == files["mail.log"]
    expected = history.expected
    conn = store.connect(str(tmp_path_factory.mktemp("loaded") / "usage.sqlite"))
    store.write_snapshot(conn, END.isoformat(), *directory(), {})
    ingest(conn, "demo-mail", files["mail.log"].decode().splitlines(keepends=True), journal_text)
    ingest(conn, "demo-webmail", files["userlogins.log"].decode().splitlines(keepends=True), roundcube)
    ingest(conn, "demo-audit", files["audit.jsonl"].decode().splitlines(keepends=True), audit)
    result = summary.build_summary(conn, START, END, art12.DEFAULT_PERIODS,
                                   now=dt.datetime(2026, 8, 1, 9, 0, tzinfo=ev.TZ))
    yield files, expected, conn, result
    conn.close()


def totals(result, key):
    return sum(box[key] for box in result["mailboxes"])


def test_every_line_parses_and_none_is_malformed(loaded):
    files, _, _, result = loaded
    lines = sum(len(content.splitlines()) for content in files.values())
    assert result["quality"]["lines"] == lines
    assert result["quality"]["malformed"] == 0
    assert result["quality"]["unknown"] > 0  # connections, logouts, Roundcube's own IMAP: ignored, as in a real log


def test_the_report_gets_every_kind_of_login_and_mail(loaded):
    _, expected, _, result = loaded
    for kind in ev.LOGIN_KINDS:
        assert sum(box["logins"][kind] for box in result["mailboxes"]) == expected[f"login_{kind}"] > 0, kind
    assert totals(result, "sent") == expected["sent"] > 0
    assert totals(result, "sent_recipients") == expected["sent_recipients"]
    # deliveries to the agency mailboxes are stored but are nobody's personal mail
    assert totals(result, "received") == expected["received"] - expected["received_agency"] > 0
    assert totals(result, "virus_refused") + totals(result, "spam_refused") > 0
    assert all(row["users_logged_in"] > 0 for row in result["monthly"])


def test_art12_openings_and_an_agency_below_the_threshold(loaded, database, tool):
    _, expected, conn, result = loaded
    assert result["agency_checks"]
    assert conn.execute("SELECT COUNT(*) FROM agency_open").fetchone()[0] == expected["agency_opens"]
    openers = {opener for check in result["agency_checks"] for opener in check["openers"]}
    assert f"nguoi1.stttt@{DOMAIN}" in openers  # the head
    report = usage_report.build_report(result, work_calendar(), art12.DEFAULT_PERIODS, 80, "Quảng Bình",
                                       DOMAIN)
    assert report["below_threshold"]
    assert report["totals"]["art12_compliance_pct"] > 50


def test_life_events_reach_the_audit_counts(loaded):
    files, expected, conn, result = loaded
    assert conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0] == expected["audit_events"] > 0
    records = [json.loads(line) for line in files["audit.jsonl"].decode().splitlines()]
    assert all(r["revision"] == "demo" and r["actor"] == "demo" for r in records)
    by_uid = {box["uid"]: box for box in result["mailboxes"]}
    for box in by_uid.values():
        if box["state"] == "terminated" and box["closed"]:
            last = box["last_login"]
            assert last is None or last[:10] < box["closed"]  # nobody logs in after the mailbox is closed


def test_lines_are_in_time_order_and_carry_their_year(loaded):
    files, _, _, _ = loaded
    stamps = [ev.parse_syslog_line(line, 1999)[0] for line in files["mail.log"].decode().splitlines()]
    assert stamps == sorted(stamps)
    assert stamps[0].date() >= START and stamps[-1].date() <= END


def test_the_same_seed_gives_the_same_files_byte_for_byte(tool, database, tmp_path, loaded):
    files = loaded[0]
    assert generate(tool, database, tmp_path / "a") == files
    assert generate(tool, database, tmp_path / "b", seed=8)["mail.log"] != files["mail.log"]


def test_the_snapshot_of_the_history_is_the_latest_up_to_its_last_day(tool, database, tmp_path, loaded):
    """The demo takes a snapshot dated the last day of the report's period; a later one (the daily job's
    of today) does not change the history."""
    later = str(tmp_path / "usage.sqlite")
    shutil.copy(database, later)
    conn = store.connect(later)
    people, agencies = directory()
    newcomer = {**people[0], "uid": "ZZ0001", "mail": f"moi.stttt@{DOMAIN}"}
    store.write_snapshot(conn, (END + dt.timedelta(days=3)).isoformat(), [*people, newcomer], agencies, {})
    conn.close()
    assert tool.read_directory(later, END)[0] == END.isoformat()
    assert generate(tool, later, tmp_path / "out") == loaded[0]
