"""`make demo` as a newcomer runs it (conftest.py), then the demo again from the installed collection on the
same host: no change there. The system tests (test_1 to test_6) follow on the same host, and test_9 takes
it down.

What a newcomer gets is checked from this machine, through the ports the demo publishes on 127.0.0.1,
with real clients: the webmail page over HTTPS, IMAP and submission with an account of
.demo/accounts.csv, LDAPS. The browser journey itself is test_3's.
"""

import glob
import imaplib
import json
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest
from demo_host import CONTAINER, DEMO, OFFSET, PORTS, ROOT, TEST_VARS, accounts, port_free


def tls_context():
    return ssl.create_default_context(cafile=os.path.join(DEMO, "ca.crt"))


def in_demo(*argv):
    return subprocess.run(["docker", "exec", CONTAINER, *argv], capture_output=True, text=True, timeout=120)


def test_make_demo_brings_up_the_directory_with_the_demo_roster(demo):
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    # the summary line of the plan, in Vietnamese by default (the YAML callback may wrap it)
    assert "Planned the demo province: chuyển công tác: 1, đổi tên: 1" in " ".join(demo.stdout.split())
    people = in_demo("ldapsearch", "-Q", "-LLL", "-Y", "EXTERNAL", "-H", "ldapi:///",
                     "-b", "ou=people,dc=quangbinh,dc=gov,dc=vn", "(objectClass=congvuMailbox)", "mail")
    mails = [line.split(": ", 1)[1] for line in people.stdout.splitlines() if line.startswith("mail: ")]
    assert len(mails) == 625 and "annv.stttt@quangbinh.gov.vn" in mails
    assert in_demo("test", "-s", "/var/lib/congvu/initial-passwords/stttt.csv").returncode == 0


def test_demo_directory_answers_ldaps_on_loopback_over_tls13_only(demo):
    ca = in_demo("cat", "/usr/local/share/ca-certificates/congvu-directory-ca.crt").stdout

    def handshake(highest):
        context = ssl.create_default_context(cadata=ca)
        context.check_hostname = False  # the certificate names mail.quangbinh.gov.vn and localhost
        context.maximum_version = highest
        with socket.create_connection(("127.0.0.1", 636 + OFFSET), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version()

    # LDAPS offers TLS 1.3 only (role directory, docs/hardening.md): a client limited to 1.2 is refused
    assert handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        handshake(ssl.TLSVersion.TLSv1_2)


def test_make_demo_says_where_the_webmail_and_the_accounts_are(demo):
    assert f"Webmail: https://localhost:{443 + OFFSET}/" in demo.stdout
    assert ".demo/accounts.csv" in demo.stdout


def test_every_demo_port_is_published_on_loopback_only(demo):
    for port in PORTS:
        assert not port_free(port + OFFSET), f"nothing answers on 127.0.0.1:{port + OFFSET}"
    ports = subprocess.run(["docker", "port", CONTAINER], capture_output=True, text=True).stdout
    assert ports and all("127.0.0.1:" in line for line in ports.splitlines()), ports


def test_demo_accounts_file_lists_each_kind_of_account(demo):
    with open(os.path.join(DEMO, "accounts.csv"), encoding="utf-8") as handle:
        assert handle.readline().strip() == "address,password,state,must_change,delegate_of"
    rows = accounts()
    assert {(a["state"], a["must_change"]) for a in rows} >= {("active", "no"), ("active", "yes"),
                                                              ("suspended", "yes")}
    assert any(a["delegate_of"] for a in rows)


def test_webmail_answers_on_loopback_in_vietnamese(demo):
    request = urllib.request.Request(f"https://localhost:{443 + OFFSET}/", headers={"Accept-Language": "vi"})
    with urllib.request.urlopen(request, context=tls_context(), timeout=30) as page:
        body = page.read().decode()
    assert 'id="rcmloginuser"' in body and 'lang="vi"' in body


def test_a_ready_demo_account_reads_mail_and_sends_through_the_published_ports(demo):
    account = next(a for a in accounts() if a["state"] == "active" and a["must_change"] == "no")
    with imaplib.IMAP4_SSL("localhost", 993 + OFFSET, ssl_context=tls_context()) as m:
        assert m.login(account["address"], account["password"])[0] == "OK"
        assert m.select("INBOX")[0] == "OK"
    with smtplib.SMTP_SSL("localhost", 465 + OFFSET, context=tls_context(), timeout=60) as s:
        s.login(account["address"], account["password"])
        refused = s.sendmail(account["address"], [account["address"]],
                             f"From: {account['address']}\r\nSubject: demo\r\n\r\nXin chao\r\n")
        assert refused == {}


def test_mail_to_postmaster_reaches_the_demo_operators_mailbox(demo):
    """postmaster@ (alerts, TLS-RPT and DMARC reports) is a demo account that exists (inventories/demo,
    mta__role_aliases), not root@localhost, where nobody reads it."""
    rows = {a["address"]: a for a in accounts()}
    operator = rows["minhls.badon@quangbinh.gov.vn"]
    sender = next(a for a in accounts() if a["state"] == "active" and a["must_change"] == "no"
                  and a["address"] != operator["address"])
    subject = f"postmaster demo {time.time():.0f}"
    with smtplib.SMTP_SSL("localhost", 465 + OFFSET, context=tls_context(), timeout=60) as s:
        s.login(sender["address"], sender["password"])
        assert s.sendmail(sender["address"], ["postmaster@quangbinh.gov.vn"],
                          f"From: {sender['address']}\r\nSubject: {subject}\r\n\r\nXin chao\r\n") == {}
    deadline = time.monotonic() + 120
    found = []
    while not found and time.monotonic() < deadline:
        time.sleep(2)
        with imaplib.IMAP4_SSL("localhost", 993 + OFFSET, ssl_context=tls_context()) as m:
            m.login(operator["address"], operator["password"])
            m.select("INBOX", readonly=True)
            found = m.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
    assert len(found) == 1


def test_art14_make_demo_publishes_the_directory_on_the_webmail_and_for_the_portals(demo):
    request = urllib.request.Request(f"https://localhost:{443 + OFFSET}/danh-ba/stttt.vcf")
    with urllib.request.urlopen(request, context=tls_context(), timeout=30) as page:
        served = page.read()
        assert page.headers.get_content_type() == "text/vcard"
    assert served.startswith(b"BEGIN:VCARD") and b"EMAIL;TYPE=work:stttt@quangbinh.gov.vn" in served
    portal = os.path.join(ROOT, "inventories", "demo", ".published", "danh-ba")
    with open(os.path.join(portal, "stttt.vcf"), "rb") as handle:
        assert handle.read() == served  # the files for the agencies' portals are the ones served (CRLF too)


def test_art12_art14_make_demo_writes_the_six_month_report_marked_as_demo_data(demo):
    folders = glob.glob(os.path.join(DEMO, "reports", "*_*"))
    assert len(folders) == 1, folders
    for name in ("bao-cao.pdf", "index.html", "bao-cao.xlsx", "agencies.csv", "mailboxes.csv", "report.json"):
        assert os.path.getsize(os.path.join(folders[0], name)) > 0, name
    with open(os.path.join(folders[0], "report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["demo_data"] is True
    assert report["period"]["working_days"] > 100  # six whole months
    assert all(report["totals"]["logins"][kind] > 0 for kind in ("imap", "pop3", "submission", "webmail"))
    assert report["below_threshold"]  # the history has agencies that check their mailbox too rarely
    with open(os.path.join(folders[0], "index.html"), encoding="utf-8") as handle:
        assert "<svg" in handle.read()


def changed_tasks(output):
    """(host, task) of every task a run of the default callback reports as changed."""
    found, task = [], None
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.*)\] \**$", line)
        if header:
            task = header.group(1)
        hit = re.match(r"^changed: \[([^\]\s]+)", line)
        if hit and (hit.group(1), task) not in found:
            found.append((hit.group(1), task))
    return found


def test_the_installed_collection_runs_the_demo_again_and_changes_nothing_on_the_host(demo, project):
    """`ansible-playbook congvu.mail.demo` from the artifact installed in a new project (conftest.py), on the
    host the checkout's `make demo` made: the same code, so no change on the host. It finds what the first run
    left on the controller where its playbook looks, beside the installed playbooks: .demo (the CA, the
    accounts; linked) and the published directory (copied). The one change is on the controller: the plan,
    whose basis records the roster's git revision, which an installed copy (no git) gives as "unknown"."""
    folder, installed, _, env = project
    os.symlink(DEMO, installed / ".demo")
    shutil.copytree(os.path.join(ROOT, "inventories", "demo", ".published"),
                    installed / "inventories" / "demo" / ".published")
    start = time.time()
    inventory = installed / "inventories" / "demo" / "hosts.yml"
    result = subprocess.run(["ansible-playbook", "congvu.mail.demo", "-i", str(inventory),
                             "-e", f"demo_port_offset={OFFSET}", "-e", f"@{TEST_VARS}"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=3000)
    print(f"ansible-playbook congvu.mail.demo (installed): {time.time() - start:.0f} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert changed_tasks(result.stdout) == [("localhost", f"Plan {installed}/inventories/demo/roster")], \
        changed_tasks(result.stdout)
    recap = [line for line in result.stdout.splitlines() if line.startswith("mail.quangbinh.gov.vn ") and "ok=" in line]
    assert recap and " changed=0 " in recap[0], recap
    with open(os.path.join(DEMO, "plan", "plan.json"), encoding="utf-8") as handle:
        basis = json.load(handle)["basis"]
    assert basis["revision"] == "unknown", basis
