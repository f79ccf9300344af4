"""`congvu-reports ingest-file` (role reports) on small text logs: what the collector reads of a file.

What an operator relies on: a line still being written waits for the next run, a line that is not UTF-8
is counted as malformed and stops nothing, each line is counted once across runs and batches, and the
records are the parser's (the same as event by event through `Batch.add`).
"""

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from congvu import usage_events as ev
from congvu_usage import store

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
COLLECTOR = os.path.join(REPO, "roles", "reports", "files", "congvu-reports")
USER = "annv.stttt@quangbinh.gov.vn"
LINES = [
    f"2026-11-25T08:00:01.5+07:00 mail dovecot: imap-login: Login: user=<{USER}>, method=PLAIN, rip=10.0.0.1, "
    "lip=10.0.0.5, mpid=1, TLS, session=<a>\n",
    "2026-11-25T08:00:02+07:00 mail postfix/smtpd[7]: connect from unknown[10.0.0.1]\n",
    f"2026-11-25T08:00:03+07:00 mail postfix/submission/smtpd[8]: Q1: client=unknown[10.0.0.1], sasl_method=PLAIN, "
    f"sasl_username={USER}\n",
    f"2026-11-25T08:00:04+07:00 mail postfix/qmgr[9]: Q1: from=<{USER}>, size=600, nrcpt=3 (queue active)\n",
    f"2026-11-24T17:00:05Z mail dovecot: lmtp({USER})<1><s>: msgid=<m@x>: saved mail to INBOX\n",
    "2026-11-25T08:00:06+07:00 mail postfix/qmgr[9]: Q1: removed\n",
]


@pytest.fixture
def collector(tmp_path):
    config = tmp_path / "reports.json"
    database = tmp_path / "usage.sqlite"
    (tmp_path / "textfile").mkdir()
    config.write_text(json.dumps({
        "lib_dir": os.path.join(REPO, "plugins", "module_utils"), "database": str(database), "raw_days": 400,
        "keep_days": 1827, "journal_units": [], "webmail_addresses": ["127.0.0.1", "::1"],
        "files": [{"source": "roundcube", "kind": "roundcube", "path": str(tmp_path / "userlogins.log")}],
        "virus_marker": "Virus found", "batch": 2, "ldap": {}, "domain": "quangbinh.gov.vn",
        "default_quota": 1, "doveadm": False, "textfile_dir": str(tmp_path / "textfile"), "host": "mail1",
        "database_host": "mail1"}))

    def run(*args):
        env = {**os.environ, "CONGVU_REPORTS_CONFIG": str(config)}
        proc = subprocess.run([sys.executable, COLLECTOR, *args], env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    run.database = str(database)
    return run


def test_a_file_is_read_in_batches_once_a_partial_line_waits_and_bad_bytes_are_malformed(collector, tmp_path):
    log = tmp_path / "mail.log"
    log.write_bytes("".join(LINES[:4]).encode() + b"2026-11-25T08:00:05+07:00 mail \xff\xfe broken\n"
                    + LINES[4].encode()[:20])
    assert collector("ingest-file", "--source", "t", "--kind", "journal-text", str(log)) == {"source": "t", "lines": 5}
    with log.open("ab") as handle:  # the rest of the line being written, and one more
        handle.write(LINES[4].encode()[20:] + LINES[5].encode())
    assert collector("ingest-file", "--source", "t", "--kind", "journal-text", str(log))["lines"] == 2
    assert collector("ingest-file", "--source", "t", "--kind", "journal-text", str(log))["lines"] == 0
    status = collector("status")
    assert status["quality"]["t"] == {"lines": 7, "malformed": 1, "ignored": 2}
    assert status["positions"]["t"]["position"].endswith(f":{log.stat().st_size}")
    conn = sqlite3.connect(collector.database)
    assert conn.execute("SELECT day, mailbox, imap, sent, sent_recipients, received, last_login FROM daily_usage"
                        ).fetchall() == [("2026-11-25", USER, 1, 1, 3, 1, "2026-11-25T08:00:01+07:00")]
    assert conn.execute("SELECT ts, direction FROM message ORDER BY ts").fetchall() == [
        ("2026-11-25T00:00:05+07:00", "received"), ("2026-11-25T08:00:04+07:00", "sent")]
    assert conn.execute("SELECT COUNT(*) FROM pending_submission").fetchone()[0] == 0


def test_the_collectors_records_are_those_of_the_events_one_by_one(collector, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text("".join(LINES), encoding="utf-8")
    collector("ingest-file", "--source", "t", "--kind", "journal-text", str(log))
    by_hand = store.connect(str(tmp_path / "by-hand.sqlite"), host="mail1")
    batch = store.Batch("t", None)
    for line in LINES:
        parsed = ev.parse_syslog_line(line, 2026)
        status, event = ev.parse_journal(*parsed, ev.Options())
        batch.count(parsed[0], status)
        if event is not None:
            batch.add(event)
    store.commit(by_hand, batch, "x")
    fast = sqlite3.connect(collector.database)
    for table in ("login", "message", "daily_usage", "line_quality", "pending_submission"):
        query = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        assert fast.execute(query).fetchall() == by_hand.execute(query).fetchall(), table


def test_a_successful_collection_is_recorded_even_when_nothing_was_logged(collector, tmp_path):
    """What congvu-health and the alert read: the time of the last run that read every source."""
    metrics = tmp_path / "textfile" / "congvu_reports.prom"
    assert collector("collect") == {"lines": {"journal": 0, "roundcube": 0}}  # no log yet: a quiet host
    first = collector("status")["last_collect"]
    assert first and abs(dt.datetime.fromisoformat(first).timestamp() - time.time()) < 60
    values = dict(line.split() for line in metrics.read_text().splitlines() if not line.startswith("#"))
    assert abs(int(values["congvu_reports_last_success_timestamp_seconds"]) - time.time()) < 60
    assert values["congvu_reports_last_run_lines"] == "0"
    (tmp_path / "userlogins.log").write_text(
        f"[25-Nov-2026 08:00:00 +0700]: <s1> Successful login for {USER} (ID: 1) from 10.0.0.1 in session s1 "
        "(error: 0)\n[25-Nov-2026 08:00:01 +0700]: <s1> Logout\n", encoding="utf-8")
    collector("collect")
    assert "congvu_reports_last_run_lines 2" in metrics.read_text()
    assert collector("status")["quality"]["roundcube"] == {"lines": 2, "malformed": 0, "ignored": 1}
