"""Mail delivery and access (roles tls, mta, imap) proven with real clients.

A small province (agency `stttt`) is applied to the directory with the project's own reconcile
(`playbooks/roster.yml`, run from the controller as an operator would), twice: the second roster
renames one person (alias), suspends one and terminates one. Then Python's smtplib/imaplib/poplib,
swaks, openssl s_client and doveadm run inside the container against Postfix and Dovecot, and each
test asserts what a user would see. Subjects carry a fresh token, so verify may run again.
"""

import imaplib
import json
import os
import poplib
import re
import shlex
import smtplib
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from archive_records import ARCHIVE_DIR, archive_log  # noqa: E402
from roster_runs import playbook  # noqa: E402

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
DOMAIN = "quangbinh.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE}"
PASSWORD = "Thu-Nghiem-2026"  # what the test users choose at their first login (Art. 8 rules)
URL = "https://mail.quangbinh.gov.vn/"
RUN = uuid.uuid4().hex[:8]


def addr(local):
    return f"{local}.stttt@{DOMAIN}"


HEAD, DELEGATE, RENAMED, QUOTA, SUSPENDED, MUST_CHANGE, TERMINATED, OTHER = (
    addr("annv"), addr("hadtt"), addr("baolv"), addr("lanpt"), addr("namhv"), addr("maitt"), addr("tungvv"),
    addr("hoant"))
AGENCY = f"stttt@{DOMAIN}"
OLD_ADDRESS = addr("binhlv")  # RENAMED's address before the rename: an alias now (Art. 11.3)
ARCHIVED = "art7 archived before the termination"  # subject of TERMINATED's only message


def roster(final, head="MT0001", states=None):
    """The agency file: first everybody active; `final` renames, suspends and terminates one each;
    `states` ({id: state}) changes more."""
    staff = [
        {"id": "MT0001", "name": "Nguyễn Văn An", "leader": True, "title": "Giám đốc"},
        {"id": "MT0002", "name": "Đặng Thị Thu Hà", "title": "Chánh Văn phòng"},
        {"id": "MT0003", "name": "Lê Văn Bảo" if final else "Lê Văn Bình"},
        {"id": "MT0004", "name": "Phạm Thị Lan", "quota": "1M"},
        {"id": "MT0005", "name": "Hoàng Văn Nam", **({"state": "suspended"} if final else {})},
        {"id": "MT0006", "name": "Trần Thị Mai"},
        {"id": "MT0007", "name": "Võ Văn Tùng", **({"state": "terminated"} if final else {})},
        {"id": "MT0008", "name": "Ngô Thị Hoa"},
    ]
    for person in staff:
        if person["id"] in (states or {}):
            person["state"] = states[person["id"]]
    return {"agency": {"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                       "head": head, "delegates": ["MT0002"]}, "staff": staff}


def sh(host, argv, check=True):
    r = host.run(" ".join(shlex.quote(str(a)) for a in argv))
    if check:
        assert r.rc == 0, f"{argv}: {r.stdout} {r.stderr}"
    return r


def apply_roster(folder, final, **changes):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "stttt.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(roster(final, **changes), handle, allow_unicode=True, sort_keys=False)
    subprocess.run(["git", "init", "-q", folder], check=True)
    git = ["git", "-C", folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", f"final={final}"], check=True)
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster.yml"),
                           "-e", f"roster_path={folder}", "-e", "roster_override_guard=true"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def state_of(host, pid):
    r = sh(host, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", PEOPLE, f"(uid={pid})",
                  "congvuState"], check=False)
    return next((line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("congvuState:")), None)


def initial_password(host, address):
    r = host.run(f"grep -h '^{address},' /var/lib/congvu/initial-passwords/stttt.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), f"no initial password for {address}"
    return r.stdout.strip()


@pytest.fixture(scope="module")
def province(host, tmp_path_factory):
    """The test province in the directory; the users (all but MUST_CHANGE) have chosen PASSWORD."""
    if state_of(host, "MT0007") != "terminated":
        folder = str(tmp_path_factory.mktemp("province") / "roster")
        apply_roster(folder, final=False)
        # first login (Art. 4.3): each user changes the initial password, before any suspension
        for pid, address in [("MT0001", HEAD), ("MT0002", DELEGATE), ("MT0003", OLD_ADDRESS), ("MT0004", QUOTA),
                             ("MT0005", SUSPENDED), ("MT0007", TERMINATED), ("MT0008", OTHER)]:
            sh(host, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", f"uid={pid},{PEOPLE}",
                      "-w", initial_password(host, address), "-s", PASSWORD])
        # mail that TERMINATED received while in service: archived, not lost, by the termination below
        assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{TERMINATED!r}], {ARCHIVED!r}))")[0] == 250
        assert wait_count(host, TERMINATED, ARCHIVED) == 1
        apply_roster(folder, final=True)
    sh(host, ["systemctl", "start", "congvu-agency-acl.service"])
    sh(host, ["doveadm", "auth", "cache", "flush"])
    return True


# --- clients, run inside the container ------------------------------------------------------------

PRELUDE = '''
import imaplib, json, os, poplib, smtplib, ssl, sys, time
from email.message import EmailMessage
CTX = ssl.create_default_context()   # the system bundle holds the CA of role tls

def message(sender, to, subject, body="Xin chào", attach=0):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg.set_content(body)
    if attach:
        msg.add_attachment(os.urandom(attach), maintype="application", subtype="octet-stream",
                           filename="baocao.bin")
    return msg

def submit(user, password, sender, to, subject, attach=0, port=587):
    """Send like a mail client: (code, text) of the first refusal, or (250, '')."""
    try:
        if port == 465:
            s = smtplib.SMTP_SSL("localhost", 465, context=CTX, timeout=120)
        else:
            s = smtplib.SMTP("localhost", port, timeout=120)
            s.starttls(context=CTX)
        s.login(user, password)
        refused = s.send_message(message(sender, to, subject, attach=attach), from_addr=sender, to_addrs=to)
        s.quit()
        if refused:
            code, text = next(iter(refused.values()))
            return code, text.decode()
        return 250, ""
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return code, text.decode()
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError, smtplib.SMTPAuthenticationError) as e:
        return e.smtp_code, e.smtp_error.decode()

def imap(user, password):
    m = imaplib.IMAP4("localhost", 143)
    m.starttls(ssl_context=CTX)
    m.login(user, password)
    return m

def out(value):
    print(json.dumps(value))
'''


def quoted(text):
    return '"' + text + '"'


def client(host, code):
    """Run Python in the container with the helpers above; the value it out()s."""
    script = PRELUDE + textwrap.dedent(code)
    r = host.run("python3 - <<'PYEOF'\n" + script + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def count(host, user, subject, mailbox="INBOX", *more):
    """Messages whose subject contains `subject` (and matching the further doveadm search keys)."""
    r = sh(host, ["doveadm", "search", "-u", user, "mailbox", mailbox, "subject", subject, *more], check=False)
    return len(r.stdout.splitlines()) if r.rc == 0 else 0


def wait_count(host, user, subject, want=1, mailbox="INBOX", timeout=60, more=()):
    deadline = time.time() + timeout
    while True:
        n = count(host, user, subject, mailbox, *more)
        if n >= want or time.time() > deadline:
            return n
        time.sleep(1)


def fetch_text(host, user, subject):
    """Whole text of the newest message with `subject` in the user's INBOX (doveadm)."""
    r = sh(host, ["doveadm", "fetch", "-u", user, "text", "mailbox", "INBOX", "subject", subject])
    return r.stdout


# --- delivery ---------------------------------------------------------------------------------

def test_art3_message_from_one_user_lands_in_the_others_inbox(host, province):
    subject = f"art3 {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{OTHER!r}], {subject!r}))") == [250, ""]
    assert wait_count(host, OTHER, subject) == 1
    # and the recipient reads it with a mail client (IMAP over STARTTLS)
    found = client(host, f"""
        m = imap({OTHER!r}, {PASSWORD!r}); m.select("INBOX")
        out(m.search(None, "SUBJECT", {quoted(subject)!r})[1][0].decode().split())""")
    assert len(found) == 1


def test_art11_mail_to_an_old_address_reaches_the_renamed_mailbox(host, province):
    subject = f"art11 alias {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{OLD_ADDRESS!r}], {subject!r}))")[0] == 250
    assert wait_count(host, RENAMED, subject) == 1


def test_art10_mail_to_the_agency_address_lands_in_the_agency_mailbox(host, province):
    subject = f"art10 agency {RUN}"
    assert client(host, f"out(submit({OTHER!r}, {PASSWORD!r}, {OTHER!r}, [{AGENCY!r}], {subject!r}))")[0] == 250
    assert wait_count(host, AGENCY, subject) == 1
    assert host.file(f"/var/vmail/{DOMAIN}/agencies/stttt/Maildir").is_directory


def test_art10_head_and_delegate_read_the_agency_mailbox_with_their_own_login(host, province):
    subject = f"art10 delegate {RUN}"
    assert client(host, f"out(submit({OTHER!r}, {PASSWORD!r}, {OTHER!r}, [{AGENCY!r}], {subject!r}))")[0] == 250
    assert wait_count(host, AGENCY, subject) == 1
    for user in (HEAD, DELEGATE):
        seen = client(host, f"""
            m = imap({user!r}, {PASSWORD!r})
            listed = any(b"Shared/{AGENCY}" in line for line in m.list()[1])
            typ, _ = m.select('"Shared/{AGENCY}/INBOX"', readonly=True)
            out([listed, typ, m.search(None, "SUBJECT", {quoted(subject)!r})[1][0].decode().split()])""")
        assert seen[0] and seen[1] == "OK" and len(seen[2]) == 1, (user, seen)


def test_art13_a_non_delegate_cannot_open_the_agency_mailbox_nor_another_persons(host, province):
    seen = client(host, f"""
        m = imap({OTHER!r}, {PASSWORD!r})
        listed = [line.decode() for line in m.list()[1] if b"Shared" in line]
        out([listed, m.select('"Shared/{AGENCY}/INBOX"')[0], m.select('"Shared/{HEAD}/INBOX"')[0]])""")
    assert seen == [[], "NO", "NO"]


def agency_inbox_seen(host, users, subject):
    """{user: [agency mailbox listed, SELECT answer, messages with subject]} over IMAP, for each user."""
    return client(host, f"""
        seen = {{}}
        for user in {list(users)!r}:
            m = imap(user, {PASSWORD!r})
            listed = any(b"Shared/{AGENCY}" in line for line in m.list()[1])
            typ, _ = m.select('"Shared/{AGENCY}/INBOX"', readonly=True)
            found = m.search(None, "SUBJECT", {quoted(subject)!r})[1][0].split() if typ == "OK" else []
            seen[user] = [listed, typ, len(found)]
            m.logout()
        out(seen)""")


def test_art10_handover_the_new_head_opens_the_agency_mailbox_and_the_old_head_no_longer(host, province,
                                                                                       tmp_path):
    """A change of head in the roster (Art. 10): after that one roster run, the new head reads the agency
    mailbox with their own login and the old head cannot open it. The roster is put back afterwards, so
    that no other test depends on this one."""
    subject = f"art10 handover {RUN}"
    assert client(host, f"out(submit({OTHER!r}, {PASSWORD!r}, {OTHER!r}, [{AGENCY!r}], {subject!r}))")[0] == 250
    assert wait_count(host, AGENCY, subject) == 1
    folder = str(tmp_path / "roster")
    apply_roster(folder, final=True, head="MT0008")
    try:
        seen = agency_inbox_seen(host, [OTHER, HEAD], subject)
        assert seen[OTHER] == [True, "OK", 1], seen
        assert seen[HEAD] == [False, "NO", 0], seen
    finally:
        apply_roster(folder, final=True)
    seen = agency_inbox_seen(host, [HEAD, OTHER], subject)
    assert seen[HEAD] == [True, "OK", 1] and seen[OTHER] == [False, "NO", 0], seen


# --- sending ------------------------------------------------------------------------------------

def test_art13_spoofed_sender_refused_at_submission(host, province):
    r = sh(host, ["swaks", "--server", "localhost", "--port", "587", "--tls", "--auth", "PLAIN",
                  "--auth-user", OTHER, "--auth-password", PASSWORD, "--from", HEAD, "--to", DELEGATE,
                  "--header", f"Subject: art13 spoof {RUN}"], check=False)
    assert r.rc != 0
    assert "553 5.7.1" in r.stdout and "not owned by user" in r.stdout


def test_art13_delegate_may_send_as_the_agency_and_the_owner_as_an_alias(host, province):
    subject = f"art13 as agency {RUN}"
    assert client(host, f"out(submit({DELEGATE!r}, {PASSWORD!r}, {AGENCY!r}, [{OTHER!r}], {subject!r}))")[0] == 250
    assert client(host, f"out(submit({OTHER!r}, {PASSWORD!r}, {AGENCY!r}, [{HEAD!r}], 'x'))")[0] == 553
    assert client(host, f"out(submit({RENAMED!r}, {PASSWORD!r}, {OLD_ADDRESS!r}, [{OTHER!r}], 'x', port=465))")[0] \
        == 250


def test_art16_unauthenticated_relay_refused(host, province):
    # from the container's own network address: not the host itself (mynetworks)
    ip = host.run("hostname -I").stdout.split()[0]
    r = sh(host, ["swaks", "--server", ip, "--port", "25", "--from", "someone@example.org",
                  "--to", "victim@example.com", "--timeout", "60"], check=False)
    assert "554 5.7.1" in r.stdout and "Relay access denied" in r.stdout


def test_art16_no_login_before_tls(host, province):
    """From the controller: inside the container Dovecot counts the connection as local (secure)."""
    ip = host.run("hostname -I").stdout.split()[0]
    smtp = smtplib.SMTP(ip, 587, timeout=60)
    smtp.ehlo()
    assert not smtp.has_extn("auth")
    code, text = smtp.docmd("AUTH", "PLAIN AGhvYW50AHBhc3M=")
    assert code == 530 and b"STARTTLS" in text
    smtp.close()
    imap = imaplib.IMAP4(ip, 143, timeout=60)
    assert "LOGINDISABLED" in imap.capabilities and "AUTH=PLAIN" not in imap.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED|LOGINDISABLED|disabled"):
        imap.login(OTHER, PASSWORD)
    imap.logout()
    # POP3 only on 995 (TLS from the first byte): nothing listens on 110
    with pytest.raises(OSError):
        poplib.POP3(ip, 110, timeout=10)


def negotiated(s_client_output):
    """(protocol, cipher) of the handshake openssl s_client made, or None if there was none."""
    # "New, <version of the cipher>, Cipher is <cipher>"; the session's protocol is in the
    # SSL-Session block, which TLS 1.3 prints only once a session ticket has come
    new = re.search(r"^New, (\S+), Cipher is (\S+)$", s_client_output, re.M)
    if not new or new.group(2) == "(NONE)":
        return None
    protocol = re.search(r"^\s+Protocol\s*:\s*(TLSv\S+)$", s_client_output, re.M)
    return (protocol.group(1) if protocol else new.group(1)), new.group(2)


TLS13_AEAD = {("TLSv1.3", c) for c in ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                       "TLS_CHACHA20_POLY1305_SHA256")}


def test_art3_tls_certificate_verifies_for_the_mail_host_names(host, province):
    for port, extra in [(993, []), (995, []), (465, []), (587, ["-starttls", "smtp"]), (143, ["-starttls", "imap"])]:
        r = sh(host, ["sh", "-c", " ".join(["echo | openssl s_client -connect localhost:" + str(port),
                                            "-verify_return_error -verify_hostname mail.quangbinh.gov.vn",
                                            *extra, "2>&1"])], check=False)
        assert "Verify return code: 0 (ok)" in r.stdout, (port, r.stdout[-500:])
        # the handshake itself (not any mention of a version): TLS 1.3 with an AEAD cipher
        assert negotiated(r.stdout) in TLS13_AEAD, (port, r.stdout[-500:])
        # the policy of role tls on TLS 1.2: the server's order, never CBC (the client asks CBC first)
        r = sh(host, ["sh", "-c", " ".join(["echo | openssl s_client -connect localhost:" + str(port), *extra,
                                            "-tls1_2 -cipher ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256 2>&1"])],
               check=False)
        assert negotiated(r.stdout) == ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), (port, r.stdout[-500:])
    names = sh(host, ["openssl", "x509", "-in", "/etc/congvu/tls/mail.crt", "-noout", "-ext", "subjectAltName"])
    for name in ("mail.quangbinh.gov.vn", "autoconfig.quangbinh.gov.vn", "autodiscover.quangbinh.gov.vn",
                 "mta-sts.quangbinh.gov.vn"):
        assert f"DNS:{name}" in names.stdout
    # TLS 1.1 refused by the server even when the client would allow it
    r = sh(host, ["sh", "-c", "echo | openssl s_client -connect localhost:993 -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1"],
           check=False)
    assert "Cipher is (NONE)" in r.stdout


def test_art3_pop3_over_tls_and_managesieve(host, province):
    seen = client(host, f"""
        p = poplib.POP3_SSL("localhost", 995, context=CTX); p.user({OTHER!r}); p.pass_({PASSWORD!r})
        count = p.stat()[0]; p.quit()
        import socket
        s = socket.create_connection(("localhost", 4190)); greeting = s.recv(4096).decode(); s.close()
        out([count, greeting])""")
    assert seen[0] >= 1
    assert '"STARTTLS"' in seen[1] and "vacation" in seen[1]


# --- Art. 9: size and quota -----------------------------------------------------------------------

def test_art9_20mb_attachment_accepted(host, province):
    subject = f"art9 20MB {RUN}"
    code = client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{OTHER!r}], {subject!r}, "
                        f"attach=20 * 1024 * 1024))")
    assert code == [250, ""]
    assert wait_count(host, OTHER, subject, timeout=120) == 1


def test_art9_30mb_attachment_refused_with_the_size_message(host, province):
    code, text = client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{OTHER!r}], 'art9 30MB', "
                              f"attach=30 * 1024 * 1024))")
    assert code == 552 and "5.3.4" in text and "size exceeds fixed limit" in text


def test_art9_quota_warnings_at_80_and_95_percent_and_over_quota_bounced_to_the_sender(host, province):
    # start from an empty mailbox (quota 1 MiB from the roster), so verify may run again
    sh(host, ["doveadm", "expunge", "-u", QUOTA, "mailbox", "*", "all"])
    sh(host, ["doveadm", "quota", "recalc", "-u", QUOTA])
    quota = sh(host, ["doveadm", "-f", "tab", "quota", "get", "-u", QUOTA]).stdout
    assert "\t1024\t" in quota, quota  # STORAGE limit, KiB
    first, second = f"art9 fill {RUN}", f"art9 over {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{QUOTA!r}], {first!r}, "
                        f"attach=640 * 1024))")[0] == 250
    assert wait_count(host, QUOTA, first) == 1
    # 80 % passed (640 KiB of data is ~875 KiB in base64): the bilingual notice is in the mailbox
    assert wait_count(host, QUOTA, "Mailbox 80% full") >= 1
    notice = fetch_text(host, QUOTA, "Mailbox 80% full")
    assert "dung lượng" in notice and "is more than 80% full" in notice
    assert count(host, QUOTA, "Mailbox 95% full") == 0
    # 80 KiB more (~110 KiB encoded) takes it to about 97 %: accepted, and the 95 % notice follows
    near = f"art9 near {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{QUOTA!r}], {near!r}, "
                        f"attach=80 * 1024))")[0] == 250
    assert wait_count(host, QUOTA, near) == 1
    assert wait_count(host, QUOTA, "Mailbox 95% full") >= 1
    assert "is more than 95% full" in fetch_text(host, QUOTA, "Mailbox 95% full")
    # this one would take it far over: Dovecot refuses it for good, Postfix bounces it to the sender
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{QUOTA!r}], {second!r}, "
                        f"attach=300 * 1024))")[0] == 250
    assert wait_count(host, HEAD, "Undelivered Mail Returned to Sender", more=("body", second)) == 1
    bounces = sh(host, ["doveadm", "fetch", "-u", HEAD, "text", "mailbox", "INBOX", "subject",
                        "Undelivered Mail Returned to Sender", "body", second]).stdout
    assert "552 5.2.2" in bounces and QUOTA in bounces
    assert count(host, QUOTA, second) == 0


# --- Art. 4, 7: who may log in ------------------------------------------------------------------

def test_art4_must_change_password_refused_with_where_to_change_it(host, province):
    password = initial_password(host, MUST_CHANGE)
    seen = client(host, f"""
        try:
            imap({MUST_CHANGE!r}, {password!r}); imap_result = "OK"
        except imaplib.IMAP4.error as e:
            imap_result = str(e)
        out([imap_result, submit({MUST_CHANGE!r}, {password!r}, {MUST_CHANGE!r}, [{OTHER!r}], "x")])""")
    imap_result, (code, text) = seen
    assert URL in imap_result, imap_result
    assert code == 535 and URL in text, text


def test_art7_suspended_user_cannot_log_in_but_still_receives(host, province):
    refused = client(host, f"""
        try:
            imap({SUSPENDED!r}, {PASSWORD!r}); out("OK")
        except imaplib.IMAP4.error as e:
            out(str(e))""")
    assert "AUTHENTICATIONFAILED" in refused
    subject = f"art7 suspended {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{SUSPENDED!r}], {subject!r}))")[0] == 250
    assert wait_count(host, SUSPENDED, subject) == 1


def test_art7_terminated_address_rejected_at_rcpt_with_the_retired_text(host, province):
    code, text = client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{TERMINATED!r}], 'x'))")
    assert code == 550 and "5.1.1" in text and "retired" in text
    r = sh(host, ["swaks", "--server", "localhost", "--port", "25", "--from", "someone@example.org",
                  "--to", TERMINATED], check=False)
    assert "550 5.1.1" in r.stdout and "This address has been retired" in r.stdout


def archives_of(host, uid):
    listing = sh(host, ["find", ARCHIVE_DIR, "-maxdepth", "1", "-name", f"{uid}-*.tar.xz", "-printf", "%f %m %u\\n"])
    return sorted(line.split() for line in listing.stdout.splitlines())


def test_art7_terminated_mailbox_archived_read_only_with_its_mail_and_logged(host, province):
    """Art. 7.1: the data of a terminated mailbox is archived, never silently deleted. The roster run
    that terminated it ran the archive job (imap__archive_after_days is 0 here): one xz tar, 0400 root,
    holding the message it had; its live directory is gone; archive.log records it with its SHA-256."""
    (name, mode, owner), *_ = archives_of(host, "MT0007")
    assert (mode, owner) == ("400", "root"), (name, mode, owner)
    assert not host.file(f"/var/vmail/{DOMAIN}/people/MT0007").exists
    # the messages (cur/, new/), not Dovecot's binary index files beside them
    subject = shlex.quote("Subject: " + ARCHIVED)
    found = host.run(f"tar --extract --xz --to-stdout --file {ARCHIVE_DIR}/{name} --wildcards "
                     f"'MT0007/Maildir/cur/*' 'MT0007/Maildir/new/*' | grep -c -F {subject}")
    assert found.stdout.strip() == "1", found.stdout + found.stderr
    record = next(r for r in archive_log(host) if r["action"] == "archived" and r["archive"] == name)
    assert record["uid"] == "MT0007" and record["address"] == TERMINATED and record["files"] >= 1
    assert record["sha256"] == sh(host, ["sha256sum", f"{ARCHIVE_DIR}/{name}"]).stdout.split()[0]


def test_art7_purge_is_explicit_refuses_young_archives_and_is_logged(host, province):
    """Purging is a separate, explicit, logged step (Art. 7.1): only archives older than the retention
    period, only with --confirm, each one recorded. An archive made eleven years ago is simulated by a
    copy named with that time."""
    (name, _, _), *_ = archives_of(host, "MT0007")
    old = "MT0007-20151201T000000Z.tar.xz"
    sh(host, ["cp", "-p", f"{ARCHIVE_DIR}/{name}", f"{ARCHIVE_DIR}/{old}"])
    try:
        listed = sh(host, ["/usr/local/lib/congvu/congvu-mail-archive", "purge"])
        assert f"would purge {old}" in listed.stdout and name not in listed.stdout, listed.stdout
        assert host.file(f"{ARCHIVE_DIR}/{old}").exists
        sh(host, ["/usr/local/lib/congvu/congvu-mail-archive", "purge", "--confirm", "--operator", "ops-test"])
        assert not host.file(f"{ARCHIVE_DIR}/{old}").exists
        assert host.file(f"{ARCHIVE_DIR}/{name}").exists  # younger than the retention period: kept
        record = archive_log(host)[-1]
        assert record["action"] == "purged" and record["archive"] == old and record["operator"] == "ops-test"
    finally:
        sh(host, ["rm", "-f", f"{ARCHIVE_DIR}/{old}"])


def test_art7_reactivated_mailbox_gets_its_archived_mail_back(host, province, tmp_path):
    """The roster's "reactivate" brings a terminated person back with their mail: the roster run puts
    the archive back in place and the person reads the old message over IMAP. Terminated again at the
    end (archived once more), so that no other test depends on this one."""
    folder = str(tmp_path / "roster")
    apply_roster(folder, final=True, states={"MT0007": "active"})
    try:
        sh(host, ["doveadm", "auth", "cache", "flush"])
        found = client(host, f"""
            m = imap({TERMINATED!r}, {PASSWORD!r}); m.select("INBOX")
            out(m.search(None, "SUBJECT", {quoted(ARCHIVED)!r})[1][0].decode().split())""")
        assert len(found) == 1
        assert archive_log(host)[-1]["action"] == "restored"
    finally:
        apply_roster(folder, final=True)
    assert not host.file(f"/var/vmail/{DOMAIN}/people/MT0007").exists
    assert archive_log(host)[-1]["action"] == "archived"


def test_art7_a_login_is_recorded_by_the_directory(host, province):
    """Art. 7.2: the login is a bind as the user, so slapd records it (pwdLastSuccess)."""
    sh(host, ["doveadm", "auth", "cache", "flush"])
    client(host, f"m = imap({OTHER!r}, {PASSWORD!r}); out(1)")
    r = sh(host, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", PEOPLE, "(uid=MT0008)",
                  "pwdLastSuccess"])
    assert "pwdLastSuccess:" in r.stdout


# --- Art. 16.2: restarts lose nothing -------------------------------------------------------------

def test_art16_restart_of_postfix_and_dovecot_during_500_messages_loses_none(host, province):
    subject = f"batch {RUN}"
    sender = textwrap.dedent(f'''
        import smtplib, time
        done = 0
        while done < 500:
            try:
                s = smtplib.SMTP("localhost", 25, timeout=30)
                while done < 500:
                    s.sendmail("batch@example.org", ["{OTHER}"],
                               "Subject: {subject} %d\\r\\n\\r\\nbatch\\r\\n" % done)
                    done += 1
                s.quit()
            except (OSError, smtplib.SMTPException):
                time.sleep(0.5)   # a real client retries what was not accepted
        open("/root/batch-{RUN}.done", "w").write(str(done))
    ''')
    host.run(f"cat > /root/batch-{RUN}.py <<'PYEOF'\n{sender}\nPYEOF")
    host.run(f"nohup python3 /root/batch-{RUN}.py > /root/batch-{RUN}.log 2>&1 &")
    time.sleep(2)
    sh(host, ["systemctl", "restart", "postfix.service"])
    time.sleep(2)
    sh(host, ["systemctl", "restart", "dovecot.service"])
    deadline = time.time() + 300
    while not host.file(f"/root/batch-{RUN}.done").exists and time.time() < deadline:
        time.sleep(2)
    assert host.file(f"/root/batch-{RUN}.done").content_string == "500"
    # what Postfix could not hand to the restarting Dovecot waits in its queue: send it now
    sh(host, ["postqueue", "-f"])
    assert wait_count(host, OTHER, subject, want=500, timeout=300) >= 500
    numbers = sh(host, ["doveadm", "fetch", "-u", OTHER, "hdr.subject", "mailbox", "INBOX", "subject",
                        subject]).stdout
    assert len({line for line in numbers.splitlines() if line.startswith("hdr.subject:")}) == 500


def test_art16_services_come_back_after_a_crash(host, province):
    for unit, process in [("dovecot.service", "dovecot"), ("postfix@-.service", "master")]:
        sh(host, ["systemctl", "kill", "--signal=SIGKILL", "--kill-whom=main", unit])
        deadline = time.time() + 30
        while time.time() < deadline:
            time.sleep(2)
            if host.run(f"systemctl is-active {unit}").stdout.strip() == "active" and host.run(
                    f"pgrep -x {process}").rc == 0:
                break
        assert host.run(f"systemctl is-active {unit}").stdout.strip() == "active", unit


# --- a mail host becomes a node of the pair: its store from Maildir to sdbox ---------------------------
# Last in this scenario: after it the host serves sdbox (docs/cluster.md, "Converting a mail host to sdbox").

def mailbox_view(host, user, shared=()):
    """{folder: sorted [subject, flags]} of every folder of `user`'s own and of the `shared` ones (an agency
    mailbox a head opens), as a mail client sees them (IMAP)."""
    return client(host, f"""
        import re
        m = imap({user!r}, {PASSWORD!r})
        view = {{}}
        names = [line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in m.list()[1]]
        for name in [n for n in names if not n.startswith("Shared")] + {list(shared)!r}:
            if m.select('"' + name + '"', readonly=True)[0] != "OK":
                continue
            found = m.search(None, "ALL")[1][0].split()
            rows = []
            for n in found:
                data = m.fetch(n, "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]
                flags = re.search(rb"FLAGS \\(([^)]*)\\)", data[0][0]).group(1).decode().split()
                flags = " ".join(sorted(f for f in flags if f != "\\\\Recent"))  # \\Recent: this session's only
                rows.append([data[0][1].decode().strip(), flags])
            view[name] = sorted(rows)
        out(view)""")


def test_art16_a_mail_host_converts_its_store_to_sdbox_and_a_client_sees_the_same_mailbox(host, province, tmp_path):
    subject = f"convert {RUN}"
    to = [OTHER, AGENCY]
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, {to!r}, {subject!r}))")[0] == 250
    assert wait_count(host, OTHER, subject) == 1 and wait_count(host, AGENCY, subject) == 1
    # a folder of the user's own, a message read, flagged and filed there
    client(host, f"""
        m = imap({OTHER!r}, {PASSWORD!r})
        m.create("Luu-tru"); m.select("INBOX")
        n = m.search(None, "SUBJECT", {quoted(subject)!r})[1][0].split()[0]
        m.store(n, "+FLAGS", "(\\\\Flagged \\\\Seen)"); m.copy(n, "Luu-tru")
        out(True)""")
    shared = {OTHER: [], HEAD: [f"Shared/{AGENCY}/INBOX"]}
    before = {user: mailbox_view(host, user, shared[user]) for user in (OTHER, HEAD)}
    assert before[OTHER]["Luu-tru"] == [[f"Subject: {subject}", "\\Flagged \\Seen"]]
    assert [f"Subject: {subject}", ""] in before[HEAD][f"Shared/{AGENCY}/INBOX"]

    def convert():
        return playbook("mail_store_convert.yml", "-e", "imap__mail_format=sdbox")

    proc = convert()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert host.file("/var/vmail/.congvu-mail-format").content_string.strip() == "sdbox"
    assert sh(host, ["doveconf", "-h", "mail_location"]).stdout.strip() == "sdbox:~/sdbox"
    assert not host.file("/etc/dovecot/congvu-maintenance.conf").exists
    # the same messages, flags and folders, the agency mailbox too; the Maildir still in the home
    assert {user: mailbox_view(host, user, shared[user]) for user in (OTHER, HEAD)} == before
    home = sh(host, ["doveadm", "user", "-f", "home", OTHER]).stdout.strip()
    assert host.file(f"{home}/Maildir").is_directory and host.file(f"{home}/sdbox").is_directory
    # new mail lands in the new store
    after = f"after the conversion {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{OTHER!r}], {after!r}))")[0] == 250
    assert wait_count(host, OTHER, after) == 1
    # a mailbox archived while the store was Maildir comes back into the sdbox store with its mail
    apply_roster(str(tmp_path / "roster"), final=True, states={"MT0007": "active"})
    sh(host, ["doveadm", "auth", "cache", "flush"])
    found = client(host, f"""
        m = imap({TERMINATED!r}, {PASSWORD!r}); m.select("INBOX")
        out(m.search(None, "SUBJECT", {quoted(ARCHIVED)!r})[1][0].decode().split())""")
    assert len(found) == 1
    assert [r["action"] for r in archive_log(host)][-2:] == ["restored", "imported"]
    # a second run finds the store in sdbox and changes nothing
    again = convert()
    assert again.returncode == 0 and "is in sdbox already" in again.stdout, again.stdout[-3000:]
    assert re.search(r"changed=0\s", again.stdout), again.stdout[-3000:]
