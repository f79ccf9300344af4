"""Usage records and the report (Art. 12, 14.6, 16.9; docs/reports.md), with real clients.

Mail programs connect from the controller, over the network, as a person's would (a login from the
container itself would come from the webmail host's address, which the records treat as the
webmail's own connection); the webmail runs in Debian's chromium inside the container. The figures
of `congvu-reports summary` and of the report written by playbooks/reports.yml must equal what the
clients did here, and stay equal through a restart of every mail service, of the directory and of
the journal, and through a collector killed in the middle of a batch.

Runs after test_4 (whose ban of the controller's address lasts 20 s): the first connection waits
for the ban to lift.
"""

import csv
import datetime as dt
import imaplib
import json
import os
import poplib
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import uuid
from email.message import EmailMessage

import pytest
from demo_host import ARTIFACTS, INVENTORY, ROOT, accounts, container_network, install_browser_journey

MAIL_HOST = "mail.quangbinh.gov.vn"
RUN = uuid.uuid4().hex[:8]
# Two periods that cover the whole day, so that the opening made here falls in one whatever the
# time of the run (the real Art. 12 periods are tested in tests/unit/test_art12.py).
ALL_DAY = [{"key": "sang", "label": "Sáng", "start": "00:00", "end": "12:00"},
           {"key": "chieu", "label": "Chiều", "start": "12:00", "end": "23:59"}]


@pytest.fixture(scope="module")
def people():
    rows = [a for a in accounts() if a["state"] == "active" and a["must_change"] == "no"]
    delegate = next(a for a in rows if a["delegate_of"])
    others = [a for a in rows if a is not delegate and not a["delegate_of"]]
    return {"delegate": delegate, "reader": others[0], "peer": others[1]}


@pytest.fixture(scope="module")
def net(host):
    """(address of the container, TLS context trusting the demo CA) for clients on the controller."""
    ip = container_network("IPAddress")
    ca = host.file("/etc/congvu/tls/ca.crt").content_string
    ctx = ssl.create_default_context(cadata=ca)
    # the chain is verified against the demo CA; the name is not, since the clients reach the host by
    # its address (the certificate names mail.quangbinh.gov.vn)
    ctx.check_hostname = False
    # the ban of test_4 on the controller's address lifts after 20 s
    deadline = time.time() + 90
    while True:
        try:
            imaplib.IMAP4_SSL(ip, 993, ssl_context=ctx, timeout=5).logout()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(3)
    return ip, ctx


def imap_login(net, who, select=None):
    ip, ctx = net
    m = imaplib.IMAP4_SSL(ip, 993, ssl_context=ctx, timeout=20)
    m.login(who["address"], who["password"])
    if select:
        status, _ = m.select(f'"{select}"', readonly=True)
        assert status == "OK", select
    m.logout()


def pop3_login(net, who):
    ip, ctx = net
    p = poplib.POP3_SSL(ip, 995, context=ctx, timeout=20)
    p.user(who["address"])
    p.pass_(who["password"])
    p.quit()


def send(net, who, to, subject):
    """Submit one message; a temporary refusal (a service still starting) is retried, as mail programs do.

    Returns the number of successful logins it took (each is a submission login in the records)."""
    ip, ctx = net
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = who["address"], ", ".join(to), subject
    msg.set_content("Báo cáo sử dụng: thư thử.")
    logins = 0
    for _ in range(10):
        try:
            s = smtplib.SMTP(ip, 587, timeout=30)
            s.starttls(context=ctx)
            s.login(who["address"], who["password"])
            logins += 1
            s.send_message(msg)
            s.quit()
            return logins
        except smtplib.SMTPResponseException as exc:
            if not 400 <= exc.smtp_code < 500:
                raise
            time.sleep(3)
    raise AssertionError(f"submission kept refusing {who['address']} for a while")


def wait_delivered(host, user, subject, count):
    for _ in range(120):
        r = host.run(f"doveadm search -u {user} mailbox INBOX subject '{subject}'")
        if len(r.stdout.splitlines()) >= count:
            return
        time.sleep(1)
    raise AssertionError(f"{count} message(s) '{subject}' not delivered to {user}")


def summary(host):
    """The summary of yesterday to tomorrow (a run across local midnight stays in it)."""
    today = dt.date.fromisoformat(host.run("date +%F").stdout.strip())
    host.run("cat > /root/periods.json <<'EOF'\n" + json.dumps(ALL_DAY) + "\nEOF")
    collect = host.run("congvu-reports collect")
    assert collect.rc == 0, collect.stderr
    r = host.run(f"congvu-reports summary --from {today - dt.timedelta(days=1)} --to {today + dt.timedelta(days=1)} "
                 "--periods /root/periods.json")
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


def figures(result, who):
    box = next(m for m in result["mailboxes"] if m["mail"] == who["address"])
    return {**{f"login_{k}": v for k, v in box["logins"].items()},
            **{k: box[k] for k in ("sent", "sent_recipients", "received")}}


def openings(result, agency_mail, opener):
    code = next(a["code"] for a in result["agencies"] if a["mail"] == agency_mail)
    return sum(1 for c in result["agency_checks"] if c["agency"] == code and opener in c["openers"])


def delta(after, before):
    return {k: after[k] - before[k] for k in after}


def webmail_login(host, who, open_agency=None):
    """Log in with chromium (and open the agency mailbox's INBOX in the folder list)."""
    install_browser_journey(host)
    script = f"""
import sys
sys.path.insert(0, "/root")
import webmail_journey as w
w.trust_demo_ca()
j = w.Journey("/root/report-shots")
try:
    j.login({who['address']!r}, {who['password']!r})
    j.visible("#messagelist")
    j.step("report-webmail-login", True)
    if {open_agency!r}:
        j.driver.get(w.URL + "?_task=mail&_mbox=" + "Shared/{open_agency}/INBOX".replace("/", "%2F"))
        j.visible("#messagelist")
        j.step("report-agency-mailbox-opened", True)
finally:
    j.driver.quit()
"""
    r = host.run("mkdir -p /root/report-shots && timeout 300 python3 - <<'PYEOF'\n" + script + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr


def test_art14_every_client_is_counted_once_by_kind(host, net, people):
    delegate, reader, peer = people["delegate"], people["reader"], people["peer"]
    agency = delegate["delegate_of"]
    before = summary(host)
    b = {role: figures(before, who) for role, who in people.items()}
    opened_before = openings(before, agency, delegate["address"])

    for _ in range(3):
        imap_login(net, reader)
    for _ in range(2):
        pop3_login(net, reader)
    subject = f"Báo cáo {RUN}"
    submissions = sum(send(net, reader, [peer["address"], delegate["address"]], subject) for _ in range(2))
    imap_login(net, delegate, select=f"Shared/{agency}/INBOX")
    webmail_login(host, delegate, open_agency=agency)
    wait_delivered(host, peer["address"], subject, 2)
    wait_delivered(host, delegate["address"], subject, 2)

    after = summary(host)
    d = {role: delta(figures(after, who), b[role]) for role, who in people.items()}
    assert d["reader"] == {"login_imap": 3, "login_pop3": 2, "login_submission": submissions, "login_webmail": 0,
                           "sent": 2, "sent_recipients": 4, "received": 0}
    assert d["peer"] == {"login_imap": 0, "login_pop3": 0, "login_submission": 0, "login_webmail": 0,
                         "sent": 0, "sent_recipients": 0, "received": 2}
    # the webmail's own IMAP connections behind the chromium login are not IMAP logins of the person
    assert d["delegate"] == {"login_imap": 1, "login_pop3": 0, "login_submission": 0, "login_webmail": 1,
                             "sent": 0, "sent_recipients": 0, "received": 2}
    # Art. 12: the delegate opened the agency mailbox (IMAP, then the webmail) in today's period
    assert openings(after, agency, delegate["address"]) >= max(1, opened_before)
    assert after["quality"]["malformed"] == 0


def test_art14_restarts_of_every_service_and_a_killed_collector_lose_and_duplicate_nothing(host, net, people):
    reader, peer = people["reader"], people["peer"]
    host.run("systemctl stop congvu-reports-collect.timer")
    try:
        before = figures(summary(host), reader)
        subject = f"Khởi động lại {RUN}"
        services = ["dovecot", "postfix@-", "slapd", "systemd-journald", "rspamd"]
        submissions = 0
        for service in services:
            assert host.run(f"systemctl restart {service}").rc == 0, service
            # IMAP, submission and the milter (rspamd) answer again (bash: /dev/tcp)
            ready = host.run("bash -c 'for i in $(seq 60); do (echo > /dev/tcp/127.0.0.1/993 && "
                             "echo > /dev/tcp/127.0.0.1/587 && echo > /dev/tcp/127.0.0.1/11332) 2>/dev/null "
                             "&& exit 0; sleep 1; done; exit 1'")
            assert ready.rc == 0, f"a service did not come back after restarting {service}"
            imap_login(net, reader)
            submissions += send(net, reader, [peer["address"]], subject)
        # a message that met a restarting service waits in the queue (deferred, not lost): flush it
        # now instead of waiting for Postfix's next queue run
        host.run("postqueue -f")
        # a backlog of logins, then the collector, one line per transaction, killed once it has
        # committed at least one batch: in the middle of its work
        backlog = 150
        for _ in range(backlog):
            imap_login(net, reader)
        killed = host.run(
            "db=/var/lib/congvu/reports/usage.sqlite; "
            "q=\"SELECT position FROM source_position WHERE source='journal'\"; "
            "start=$(sqlite3 $db \"$q\"); congvu-reports collect --batch 1 >/dev/null & pid=$!; "
            "for i in $(seq 400); do [ \"$(sqlite3 $db \"$q\")\" != \"$start\" ] && break; sleep 0.05; done; "
            "kill -9 $pid; wait $pid; echo $?")
        assert killed.stdout.strip().splitlines()[-1] == "137", killed.stdout  # it was killed, not finished
        wait_delivered(host, peer["address"], subject, len(services))
        after = figures(summary(host), reader)
    finally:
        host.run("systemctl start congvu-reports-collect.timer")
    assert delta(after, before) == {"login_imap": len(services) + backlog, "login_pop3": 0,
                                    "login_submission": submissions, "login_webmail": 0,
                                    "sent": len(services), "sent_recipients": len(services), "received": 0}


def test_art14_a_killed_ingest_of_a_large_log_resumes_without_double_count(host):
    """The same transaction path on a long file: killed mid-batch, run again, every line once."""
    lines = 400_000
    host.run("rm -rf /root/kill-test && mkdir -p /root/kill-test")
    host.run("python3 - <<'PYEOF'\n"
             "with open('/root/kill-test/mail.log', 'w') as f:\n"
             f"    for i in range({lines}):\n"
             "        f.write('2026-01-05T08:%02d:%02d+07:00 mail dovecot[1]: imap-login: Login: '\n"
             "                'user=<killtest%d.stttt@quangbinh.gov.vn>, method=PLAIN, rip=10.9.0.1, lip=10.9.0.2, '\n"
             "                'mpid=1, TLS, session=<x>\\n' % (i // 60 % 60, i % 60, i % 50))\n"
             "PYEOF")
    cfg = "/root/kill-test/reports.json"
    host.run(f"python3 -c \"import json; c = json.load(open('/etc/congvu/reports.json')); "
             f"c['database'] = '/root/kill-test/usage.sqlite'; json.dump(c, open('{cfg}', 'w'))\"")
    run = f"CONGVU_REPORTS_CONFIG={cfg} congvu-reports ingest-file --source killtest --kind journal-text " \
          "--batch 1000 /root/kill-test/mail.log"
    # killed as soon as its first batch is committed, not after a fixed time: a fast machine reads
    # the whole file in a second or two, so a timer could let it finish
    killed = host.run(
        "db=/root/kill-test/usage.sqlite; "
        "q=\"SELECT COUNT(*) FROM source_position WHERE source='killtest'\"; "
        f"{run} & pid=$!; "
        "for i in $(seq 2000); do [ -f $db ] && [ \"$(sqlite3 $db \"$q\" 2>/dev/null)\" = 1 ] && break; "
        "sleep 0.02; done; "
        "kill -9 $pid; wait $pid; echo $?")
    assert killed.stdout.strip().splitlines()[-1] == "137", killed.stdout  # killed, not finished
    count = ("python3 -c \"import sqlite3; c = sqlite3.connect('/root/kill-test/usage.sqlite'); "
             "print(c.execute('SELECT COALESCE(SUM(imap), 0) FROM daily_usage').fetchone()[0], "
             "c.execute('SELECT COUNT(*) FROM login').fetchone()[0])\"")
    partial = [int(x) for x in host.run(count).stdout.split()]
    assert 0 < partial[0] < lines and partial[0] % 1000 == 0, partial  # whole batches only
    assert host.run(run).rc == 0
    assert [int(x) for x in host.run(count).stdout.split()] == [lines, lines]


def test_art12_art14_the_report_shows_what_the_clients_did(host, people):
    """playbooks/reports.yml as an operator runs it: the report's figures equal the summary's."""
    today = host.run("date +%F").stdout.strip()
    out = tempfile.mkdtemp(prefix="congvu-report-")
    env = {**os.environ, "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg")}
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "reports.yml"),
         "-e", f"report_from={today}", "-e", f"report_to={today}", "-e", f"report_dir={out}"],
        env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for name in ("bao-cao.pdf", "index.html", "bao-cao.xlsx", "agencies.csv", "mailboxes.csv", "report.json"):
        assert os.path.getsize(os.path.join(out, name)) > 0, name
    with open(os.path.join(out, "report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as handle:
        source = json.load(handle)
    reader = people["reader"]["address"]
    in_report = next(m for m in report["mailboxes"] if m["mail"] == reader)
    in_summary = next(m for m in source["mailboxes"] if m["mail"] == reader)
    assert in_report["logins"] == in_summary["logins"] and in_report["logins"]["imap"] >= 3
    assert in_report["sent"] == in_summary["sent"] >= 2
    # the same figure in the CSV an agency opens in a spreadsheet program
    with open(os.path.join(out, "mailboxes.csv"), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert any(reader in row and str(in_report["sent"]) in row for row in rows[1:]), rows[:3]
    # the demo's database holds its generated history (playbooks/demo.yml): every report made from it says so
    assert report["demo_data"] is True
    # the report is looked at: its pages as PNG in the artifacts
    shots = os.path.join(ARTIFACTS, "report")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    subprocess.run(["pdftoppm", "-png", "-r", "70", os.path.join(out, "bao-cao.pdf"), os.path.join(shots, "trang")],
                   check=True)
    assert os.listdir(shots)
    text = subprocess.run(["pdftotext", os.path.join(out, "bao-cao.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Quảng Bình" in text


def test_art16_health_says_when_the_usage_collector_is_late(host):
    """congvu-health (role monitoring) fails the usage collector when its last success is older than
    monitoring__health_reports_late_minutes (10), and says it is healthy again once its timer runs."""
    metrics = "/var/lib/prometheus/node-exporter/congvu_reports.prom"
    name = "congvu_reports_last_success_timestamp_seconds"

    def collector_line():
        health = host.run("congvu-health")
        return health.rc, next((line for line in health.stdout.splitlines() if "usage collector" in line), "")

    assert host.run("systemctl start congvu-reports-collect.service").rc == 0  # a success just now
    assert collector_line()[1].startswith("OK"), collector_line()
    assert host.run("systemctl stop congvu-reports-collect.timer").rc == 0
    try:
        # its last success twenty minutes ago, as when the timer has been stopped that long
        assert host.run(f'sed -i "s/^{name} .*/{name} $(( $(date +%s) - 1200 ))/" {metrics}').rc == 0
        rc, line = collector_line()
        assert rc == 1 and line.startswith("FAIL") and "20 min ago" in line, line
    finally:
        assert host.run("systemctl start congvu-reports-collect.timer").rc == 0
    # the timer runs the collector again within its interval (1 min) after the last run
    deadline = time.time() + 150
    rc, line = collector_line()
    while not line.startswith("OK") and time.time() < deadline:
        time.sleep(5)
        rc, line = collector_line()
    assert line.startswith("OK"), line
