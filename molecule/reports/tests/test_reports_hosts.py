"""The usage records of two hosts in one database (docs/reports.md, "Several hosts"): what the mail host serves
(an IMAP login, the opening of an agency mailbox, a message delivered) is counted by its own collector, written
into the database host's PostgreSQL over TLS, and shows exactly once in the report an operator makes with
playbooks/reports.yml, however often the collectors run.

DB is the database host (the directory and PostgreSQL), MAIL the mail host (MX and IMAP; molecule.yml). The people
are a small roster applied with playbooks/roster.yml, who choose their password as at a first login; the mail
client runs in DB, so that Dovecot sees a person's computer, not the loopback of a webmail.

On the mail pair both hosts log mail lines. DB runs no Dovecot, so the test logs one IMAP login line in DB's journal
under the unit and name Dovecot has (a transient dovecot.service), as the pair's other node would: both hosts'
`journal` sources then move, and each collector must keep its own position. The test runs the collectors itself,
the timers stopped, in the order that shows it: DB's first, then the report's (MAIL's, then DB's). Collectors that
shared one position would have MAIL read on from DB's, past what MAIL served before it (the journal seeks a cursor
of another host by its time).
"""

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
import zoneinfo

import pytest
import testinfra
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from roster_runs import apply_roster, playbook  # noqa: E402

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
(DB_NAME,) = RUNNER.get_hosts("directory")
(MAIL_NAME,) = RUNNER.get_hosts("imap")
DB = testinfra.get_host(f"docker://{DB_NAME}")
MAIL = testinfra.get_host(f"docker://{MAIL_NAME}")

BASE = "dc=quangbinh,dc=gov,dc=vn"
PASSWORD = "Thu-Nghiem-2026"  # what the test users choose at their first login (Art. 8 rules)
AGENCY = "hosts"
HEAD, DELEGATE, READER = "HS0001", "HS0002", "HS0003"
PERIOD = {"key": "ca_ngay", "label": "Cả ngày", "start": "00:00", "end": "23:59"}


def sh(host, argv, check=True):
    r = host.run(" ".join(shlex.quote(str(a)) for a in argv))
    if check:
        assert r.rc == 0, f"{argv}: {r.stdout} {r.stderr}"
    return r


def mail_of(uid):
    r = sh(DB, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", BASE, f"(uid={uid})", "mail"])
    return next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("mail:"))


def initial_password(address):
    r = DB.run(f"grep -h '^{address},' /var/lib/congvu/initial-passwords/{AGENCY}.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), f"no initial password for {address}"
    return r.stdout.strip()


def wait(what, check, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not reached within {timeout} s"
        time.sleep(2)


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """The roster's three people, with their own password; the agency mailbox with its ACLs on MAIL."""
    folder = str(tmp_path_factory.mktemp("roster") / "roster")
    os.makedirs(folder)
    roster = {"agency": {"code": AGENCY, "name": "Sở Thử nghiệm", "kind": "department", "head": HEAD,
                         "delegates": [DELEGATE]},
              "staff": [{"id": HEAD, "name": "Nguyễn Văn An", "leader": True, "title": "Giám đốc"},
                        {"id": DELEGATE, "name": "Đặng Thị Thu Hà", "title": "Chánh Văn phòng"},
                        {"id": READER, "name": "Lê Văn Bình"}]}
    with open(os.path.join(folder, f"{AGENCY}.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(roster, handle, allow_unicode=True, sort_keys=False)
    subprocess.run(["git", "init", "-q", folder], check=True)
    git = ["git", "-C", folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "roster"], check=True)
    run = apply_roster(folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = {uid: mail_of(uid) for uid in (HEAD, DELEGATE, READER)}
    for uid, address in found.items():
        dn = f"uid={uid},ou=people,{BASE}"
        if sh(DB, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn, "-w", PASSWORD], check=False).rc != 0:
            sh(DB, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", initial_password(address), "-s", PASSWORD])
    sh(MAIL, ["doveadm", "auth", "cache", "flush"])
    sh(MAIL, ["systemctl", "start", "congvu-agency-acl.service"])
    agency = next(line.split(": ", 1)[1] for line in sh(DB, [
        "ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", f"ou=agencies,{BASE}",
        f"(cn={AGENCY})", "mail"]).stdout.splitlines() if line.startswith("mail:"))
    return {**found, "agency": agency}


def imap_from_db(user, select=None):
    """A mail program on a person's computer (DB): log in to MAIL's IMAP, open a folder, log out."""
    script = f"""
import imaplib, ssl
m = imaplib.IMAP4({MAIL_NAME!r}, 143)
m.starttls(ssl_context=ssl._create_unverified_context())
m.login({user!r}, {PASSWORD!r})
if {select!r}:
    status, _ = m.select('"' + {select!r} + '"', readonly=True)
    assert status == "OK", status
m.logout()
"""
    r = DB.run(f"python3 - <<'PYEOF'\n{script}PYEOF")
    assert r.rc == 0, r.stdout + r.stderr


@pytest.fixture
def collectors_by_hand():
    """The collect timers stopped on both hosts (a run under way finishes first), started again after the test."""
    for host in (DB, MAIL):
        sh(host, ["systemctl", "stop", "congvu-reports-collect.timer"])
        wait("the collector's run under way", lambda h=host: h.run(
            "systemctl is-active --quiet congvu-reports-collect.service").rc != 0)
    yield
    for host in (DB, MAIL):
        sh(host, ["systemctl", "start", "congvu-reports-collect.timer"])


def report(tmp_path, day):
    """What an operator reads: report.json of playbooks/reports.yml for `day`, every hour of it an Art. 12
    period and the day a working day (the test may run at night or on a Sunday)."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"congvu__art12_periods": [PERIOD],
                                    "congvu__working_day_swaps": [{"date": day, "kind": "work", "note": "thử"}]}))
    folder = tmp_path / "report"
    run = playbook("reports.yml", "-e", f"report_from={day}", "-e", f"report_to={day}", "-e", f"report_dir={folder}",
                   "-e", f"@{settings}")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


def log_as_dovecot(host, line):
    """`line` in the host's journal as Dovecot's unit logs it (its unit and name: what the collector reads), from a
    transient unit of that name; systemd keeps a finished transient unit loaded, so it is unloaded before and
    after."""
    unload = "rm -f /run/systemd/transient/dovecot.service && systemctl daemon-reload"
    sh(host, ["sh", "-c", unload])
    sh(host, ["systemd-run", "--quiet", "--wait", "--unit=dovecot.service", "-p", "SyslogIdentifier=dovecot",
              "/bin/echo", line])
    sh(host, ["sh", "-c", unload])


COUNTS = ("head_imap", "reader_imap", "delegate_imap", "reader_received")


def figures(document, people):
    mailboxes = {m["mail"]: m for m in document["mailboxes"]}
    art12 = next((a for a in document["art12"] if a["agency"] == AGENCY), {"days": [], "months": []})
    return {
        "head_imap": mailboxes[people[HEAD]]["logins"]["imap"],
        "reader_imap": mailboxes[people[READER]]["logins"]["imap"],
        "delegate_imap": mailboxes[people[DELEGATE]]["logins"]["imap"],
        "reader_received": mailboxes[people[READER]]["received"],
        "openers": [opener for day in art12["days"] for opener in day["periods"].get(PERIOD["key"], [])],
        "done": sum(month["done"] for month in art12["months"]),
    }


def added(after, before):
    """What the test's events added to the report: the counts, and the Art. 12 period as it is after them (a period
    is done or not, however often the agency mailbox was opened in it)."""
    return {**{name: after[name] - before[name] for name in COUNTS}, "openers": after["openers"],
            "done": after["done"]}


def test_what_the_mail_host_serves_shows_once_in_the_report(people, collectors_by_hand, tmp_path):
    day = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    before = figures(report(tmp_path, day), people)  # what an earlier run of the test left (none on a new scenario)
    inbox = ["doveadm", "-f", "flow", "mailbox", "status", "-u", people[READER], "messages", "INBOX"]
    messages = int(sh(MAIL, inbox).stdout.strip().rsplit("=", 1)[1]) + 1
    imap_from_db(people[DELEGATE])
    imap_from_db(people[HEAD], select=f"Shared/{people['agency']}/INBOX")
    sent = MAIL.run(f"printf 'Subject: bao cao\\n\\nXin chao\\n' | /usr/sbin/sendmail -f ban@example.org "
                    f"{people[READER]}")
    assert sent.rc == 0, sent.stderr
    wait("the message delivered on MAIL", lambda: sh(MAIL, inbox).stdout.strip() == f"INBOX messages={messages}")
    # afterwards, a login on DB's own (simulated) Dovecot, read by DB's collector before MAIL's reads its lines
    login = (f"imap-login: Login: user=<{people[READER]}>, method=PLAIN, rip=10.9.9.9, lip=10.9.9.8, mpid=1, TLS, "
             "session=<reportstest>")
    log_as_dovecot(DB, login)
    sh(DB, ["congvu-reports", "collect"])
    want = {"head_imap": 1, "reader_imap": 1, "delegate_imap": 1, "reader_received": 1, "openers": [people[HEAD]],
            "done": 1}
    assert added(figures(report(tmp_path, day), people), before) == want
    # every collector again, as the timers run them, and the report's own collection: nothing counted twice
    for host in (MAIL, DB):
        sh(host, ["systemctl", "start", "congvu-reports-collect.service"])
    assert added(figures(report(tmp_path, day), people), before) == want


def journal_id(host):
    """The seqnum id of the host's journal: the `s=` of its cursors."""
    cursor = sh(host, ["journalctl", "-n", "1", "--show-cursor", "--no-pager"]).stdout.rsplit("-- cursor: ", 1)[1]
    return cursor.split(";", 1)[0]


def test_each_collector_has_its_own_read_positions_in_the_one_database(people):
    status = json.loads(sh(MAIL, ["congvu-reports", "status"]).stdout)
    assert status["host"] == MAIL_NAME
    everybody = json.loads(sh(DB, ["congvu-reports", "status"]).stdout)["hosts"]
    # each host's `journal` position is a cursor of its own journal
    for name, host in ((MAIL_NAME, MAIL), (DB_NAME, DB)):
        assert everybody[name]["positions"]["journal"]["position"].startswith(journal_id(host) + ";"), name
        assert everybody[name]["last_collect"], name
    assert journal_id(MAIL) != journal_id(DB)
    # the mail host's lines are counted as its own
    assert everybody[MAIL_NAME]["quality"]["journal"]["lines"] > 0


def connect(url):
    """A connection from MAIL to the usage database with the collector's libpq settings but `url`."""
    script = f"""
import psycopg2, sys
try:
    psycopg2.connect({url!r}).close()
except psycopg2.Error as exc:
    sys.exit(str(exc).strip())
"""
    return MAIL.run(f"python3 - <<'PYEOF'\n{script}PYEOF")


def test_the_mail_hosts_collector_reaches_the_database_over_tls_verified_without_a_password_in_its_settings():
    config = json.loads(MAIL.file("/etc/congvu/reports.json").content_string)
    url = config["database_url"]
    assert url.startswith(f"postgresql://congvu_reports@{DB_NAME}:5432/congvu_reports?sslmode=verify-full&")
    assert ":" not in url.split("//", 1)[1].split("@", 1)[0]  # no password in the URL
    assert MAIL.file("/etc/congvu/reports.pgpass").mode == 0o600
    assert connect(url).rc == 0
    # the certificate is checked against the name: by the database host's address, refused
    address = DB.run("hostname -I").stdout.split()[0]
    refused = connect(url.replace(f"@{DB_NAME}:", f"@{address}:"))
    assert refused.rc != 0 and "does not match host name" in refused.stderr, refused.stderr
    # never without TLS (pg_hba.conf: hostssl only)
    plain = connect(url.replace("sslmode=verify-full", "sslmode=disable"))
    assert plain.rc != 0 and "no pg_hba.conf entry" in plain.stderr, plain.stderr


def test_postgresql_is_open_to_the_other_collector_only():
    ruleset = sh(DB, ["nft", "list", "table", "inet", "congvu_filter"]).stdout
    mail_address = MAIL.run("hostname -I").stdout.split()[0]
    lines = [line.strip() for line in ruleset.splitlines() if "5432" in line]
    # one rule, from the mail host's address only (nft lists a set of one as the value alone)
    assert len(lines) == 1 and lines[0].startswith("ip saddr ") and lines[0].endswith(" accept"), ruleset
    assert lines[0].replace("{ ", "").replace(" }", "").split()[2] == mail_address, lines
    assert "5432" not in sh(MAIL, ["nft", "list", "table", "inet", "congvu_filter"]).stdout
