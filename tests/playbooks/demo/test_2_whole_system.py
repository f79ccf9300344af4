"""The whole system on one host, as a user and an operator see it, with real clients: the demo
province applied by the reconcile, the demo accounts from accounts.csv
(playbooks/demo_accounts.yml), mail through the full path (Postfix, rspamd + ClamAV, LMTP, Dovecot).

Every client here is a real one the project did not write, run inside the container: Python's
smtplib / imaplib / poplib, python3-dkim, doveadm, systemctl. Each role's own scenario tests it in
depth; this file tests what only the assembled system can show.
"""

import csv
import hashlib
import json
import os
import re
import shlex
import textwrap
import time
import uuid

import pytest
from demo_host import DEMO

DOMAIN = "quangbinh.gov.vn"
ACCOUNTS = os.path.join(DEMO, "accounts.csv")
RUN = uuid.uuid4().hex[:8]
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# Runs in the container before each snippet: the clients, connecting as a user's mail program would.
PRELUDE = '''
import imaplib, json, smtplib, ssl
from email.message import EmailMessage
CTX = ssl.create_default_context()   # the system bundle trusts the demo CA (role tls)

def out(value):
    print(json.dumps(value))

def message(sender, to, subject, body="Xin chào", attachment=None):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment.encode(), maintype="application", subtype="octet-stream",
                           filename="tep.bin")
    return msg

def refusal(call):
    """(code, text) of an SMTP refusal, or (250, "") when the server took the message."""
    try:
        call()
        return 250, ""
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return code, text.decode()
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError, smtplib.SMTPAuthenticationError) as e:
        return e.smtp_code, e.smtp_error.decode()

def imap_login(user, password):
    m = imaplib.IMAP4_SSL("localhost", 993, ssl_context=CTX)
    try:
        m.login(user, password)
        return m, ""
    except imaplib.IMAP4.error as e:
        return None, str(e)
'''


def client(host, code):
    """Run Python in the container with PRELUDE; return what it out()s last."""
    r = host.run("python3 - <<'PYEOF'\n" + PRELUDE + textwrap.dedent(code) + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def sh(host, *argv):
    return host.run(" ".join(shlex.quote(str(a)) for a in argv))


def accounts():
    with open(ACCOUNTS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ready():
    return [a for a in accounts() if a["state"] == "active" and a["must_change"] == "no"]


def count(host, user, subject, mailbox="INBOX"):
    r = sh(host, "doveadm", "search", "-u", user, "mailbox", mailbox, "subject", subject)
    return len(r.stdout.splitlines()) if r.rc == 0 else 0


def wait_count(host, user, subject, want=1, mailbox="INBOX", timeout=120):
    deadline = time.time() + timeout
    while count(host, user, subject, mailbox) < want and time.time() < deadline:
        time.sleep(1)
    return count(host, user, subject, mailbox)


# --- the demo accounts -----------------------------------------------------------------------------

def test_demo_accounts_file_has_every_kind_of_account():
    with open(ACCOUNTS, encoding="utf-8") as handle:
        assert handle.readline().strip() == "address,password,state,must_change,delegate_of"
    rows = accounts()
    assert len(ready()) >= 3
    assert any(a["state"] == "active" and a["must_change"] == "yes" for a in rows)
    assert any(a["state"] == "suspended" for a in rows)
    assert any(a["delegate_of"].endswith("@" + DOMAIN) for a in ready())
    assert all(a["address"].endswith("@" + DOMAIN) and a["password"] for a in rows)


def test_art3_ready_accounts_log_in_over_imap_and_submission(host):
    for account in ready():
        result = client(host, f"""
            m, error = imap_login({account['address']!r}, {account['password']!r})
            s = smtplib.SMTP_SSL("localhost", 465, context=CTX, timeout=60)
            s.login({account['address']!r}, {account['password']!r})
            s.quit()
            out(error)
        """)
        assert result == "", f"{account['address']}: {result}"


def test_art4_must_change_account_is_told_where_to_change_the_password(host):
    account = next(a for a in accounts() if a["state"] == "active" and a["must_change"] == "yes")
    error = client(host, f"out(imap_login({account['address']!r}, {account['password']!r})[1])")
    assert "https://mail.quangbinh.gov.vn" in error


def test_art7_suspended_account_cannot_log_in(host):
    account = next(a for a in accounts() if a["state"] == "suspended")
    m_ok = client(host, f"out(imap_login({account['address']!r}, {account['password']!r})[0] is not None)")
    assert m_ok is False


# --- the mail path: Postfix -> rspamd + ClamAV -> LMTP -> Dovecot ------------------------------------

def test_art13_submitted_mail_lands_dkim_signed_and_scanned(host):
    sender, rcpt = ready()[0], ready()[1]
    subject = f"whole path {RUN}"
    assert client(host, f"""
        def send():
            s = smtplib.SMTP("localhost", 587, timeout=60)
            s.starttls(context=CTX)
            s.login({sender['address']!r}, {sender['password']!r})
            s.send_message(message({sender['address']!r}, {rcpt['address']!r}, {subject!r}))
            s.quit()
        out(refusal(send))
    """) == [250, ""]
    assert wait_count(host, rcpt["address"], subject) == 1
    raw = sh(host, "doveadm", "fetch", "-u", rcpt["address"], "hdr", "mailbox", "INBOX", "subject", subject).stdout
    assert "DKIM-Signature:" in raw and f"d={DOMAIN}" in raw
    # the signature verifies against the TXT record dns_records wrote for the operator to publish
    verified = client(host, f"""
        import dkim, re, subprocess
        zone = open("/etc/congvu/dns/{DOMAIN}.zone").read()
        block = re.search(r"_domainkey\\s+IN TXT\\s+\\((.*?)\\)", zone, re.S).group(1)
        record = "".join(re.findall(r'"([^"]*)"', block)).encode()
        msg = subprocess.run(["doveadm", "fetch", "-u", {rcpt['address']!r}, "text", "mailbox", "INBOX",
                              "subject", {subject!r}], capture_output=True, check=True).stdout
        msg = msg.split(b"\\n", 1)[1]            # drop doveadm's "text:" label line
        out(dkim.verify(msg.replace(b"\\r\\n", b"\\n").replace(b"\\n", b"\\r\\n"),
                        dnsfunc=lambda name, timeout=5: record))
    """)
    assert verified is True


@pytest.mark.parametrize("kind, payload, words", [("EICAR", EICAR, "virus"), ("GTUBE", GTUBE, "gtube")])
def test_art13_virus_and_spam_refused_at_smtp_time(host, kind, payload, words):
    rcpt = ready()[0]["address"]
    code, text = client(host, f"""
        def send():
            s = smtplib.SMTP("localhost", 25, timeout=60)
            # EICAR as an attachment (what a virus looks like), GTUBE in the text (where spam is read)
            if {kind!r} == "EICAR":
                msg = message("citizen@example.org", {rcpt!r}, "{kind} {RUN}", body="xem tệp đính kèm",
                              attachment={payload!r})
            else:
                msg = message("citizen@example.org", {rcpt!r}, "{kind} {RUN}", body={payload!r})
            s.send_message(msg)
            s.quit()
        out(refusal(send))
    """)
    assert code == 554 and words in text.lower()
    assert count(host, rcpt, f"{kind} {RUN}") == 0


def test_art10_delegate_reads_the_agency_mailbox_and_others_cannot(host):
    delegate = next(a for a in ready() if a["delegate_of"])
    outsider = next(a for a in ready() if not a["delegate_of"])
    agency, subject = delegate["delegate_of"], f"to the agency {RUN}"
    sh(host, "python3", "-c", f"import smtplib; s=smtplib.SMTP('localhost', 25); "
       f"s.sendmail('citizen@example.org', [{agency!r}], 'Subject: {subject}\\r\\n\\r\\nxin chao'); s.quit()")
    assert wait_count(host, agency, subject) == 1
    seen = client(host, f"""
        result = {{}}
        for who, pw in (({delegate['address']!r}, {delegate['password']!r}),
                        ({outsider['address']!r}, {outsider['password']!r})):
            m, _ = imap_login(who, pw)
            typ, _ = m.select('"Shared/{agency}/INBOX"', readonly=True)
            found = m.search(None, "SUBJECT", '"{subject}"')[1][0].split() if typ == "OK" else []
            result[who] = [typ, len(found)]
            m.logout()
        out(result)
    """)
    assert seen[delegate["address"]] == ["OK", 1]
    assert seen[outsider["address"]][0] == "NO"


def test_art16_restart_of_postfix_dovecot_and_rspamd_during_500_messages_loses_none(host):
    rcpt, subject = ready()[2]["address"], f"batch {RUN}"
    sender = textwrap.dedent(f'''
        import smtplib, time
        done = 0
        while done < 500:
            try:
                s = smtplib.SMTP("localhost", 25, timeout=60)
                while done < 500:
                    s.sendmail("batch@example.org", ["{rcpt}"], "Subject: {subject} %d\\r\\n\\r\\nbatch\\r\\n" % done)
                    done += 1
                s.quit()
            except (OSError, smtplib.SMTPException):
                time.sleep(0.5)   # a real client retries what the server did not take
        open("/root/batch-{RUN}.done", "w").write(str(done))
    ''')
    host.run(f"cat > /root/batch-{RUN}.py <<'PYEOF'\n{sender}\nPYEOF")
    host.run(f"nohup python3 /root/batch-{RUN}.py > /root/batch-{RUN}.log 2>&1 &")
    for unit in ("postfix.service", "dovecot.service", "rspamd.service"):
        time.sleep(3)
        assert sh(host, "systemctl", "restart", unit).rc == 0
    deadline = time.time() + 600
    while not host.file(f"/root/batch-{RUN}.done").exists and time.time() < deadline:
        time.sleep(2)
    assert host.file(f"/root/batch-{RUN}.done").content_string == "500"
    sh(host, "postqueue", "-f")   # what waited for a restarting Dovecot goes now, not at the next retry
    assert wait_count(host, rcpt, subject, want=500, timeout=600) >= 500
    subjects = sh(host, "doveadm", "fetch", "-u", rcpt, "hdr.subject", "mailbox", "INBOX", "subject", subject).stdout
    assert len({line for line in subjects.splitlines() if line.startswith("hdr.subject:")}) == 500


# --- operations ----------------------------------------------------------------------------------------

def test_art16_health_says_everything_is_up_after_the_first_backup(host):
    assert sh(host, "systemctl", "start", "congvu-backup.service").rc == 0
    health = sh(host, "congvu-health")
    assert health.rc == 0, health.stdout
    for name in ("slapd", "postfix", "dovecot", "rspamd", "clamav-daemon", "nginx", "last backup"):
        assert name in health.stdout


def test_art16_fail2ban_watches_every_service_of_the_all_in_one_host(host):
    status = host.check_output("fail2ban-client status")
    for jail in ("sshd", "postfix-sasl", "dovecot", "roundcube-auth", "nginx-http-auth"):
        assert jail in status, status


# --- published records ----------------------------------------------------------------------------

def test_rfc8461_mta_sts_policy_served_is_the_one_dns_announces(host):
    """The role dns_records writes the policy on the web front; nginx serves that file, and its id in
    the zone (`_mta-sts` TXT) is the hash of exactly the text served: a sender that sees the id
    fetches this policy."""
    # Python's TLS client, verifying the certificate for the mta-sts name (no DNS in the container: the
    # connection goes to the host itself with that name, as a sender's would after its lookup)
    status, text = client(host, f"""
        import socket
        name = "mta-sts.{DOMAIN}"
        with socket.create_connection(("127.0.0.1", 443), timeout=30) as raw:
            with CTX.wrap_socket(raw, server_hostname=name) as tls:
                tls.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.0\\r\\nHost: {{name}}\\r\\n\\r\\n".encode())
                data = b""
                while chunk := tls.recv(4096):
                    data += chunk
        head, _, body = data.decode().partition("\\r\\n\\r\\n")
        out([head.splitlines()[0], body])""")
    assert status.split()[1] == "200", status
    assert text.splitlines() == ["version: STSv1", "mode: testing", f"mx: mail.{DOMAIN}", "max_age: 604800"]
    zone = host.file(f"/etc/congvu/dns/{DOMAIN}.zone").content_string
    announced = re.search(r'^_mta-sts\s.*"v=STSv1; id=([0-9a-f]{20})"', zone, re.M)
    assert announced, zone
    # (the role hashes the rendered template; whether its final newline counts does not matter)
    texts = {text, text.rstrip("\n")}
    assert announced.group(1) in {hashlib.sha1(t.encode()).hexdigest()[:20] for t in texts}
