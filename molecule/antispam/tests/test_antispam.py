"""Roles `antispam` (rspamd milter + ClamAV + redis) and `dns_records` (molecule scenario `antispam`).

Real clients only: Python's smtplib (run inside the container, against the scenario's minimal Postfix
whose smtpd_milters is the role's milter), `rspamadm`, `openssl`, `redis-cli`, systemd, and the dkim
module of python3-dkim (Debian) as the DKIM verifier, fed the TXT record from the zone file the role
wrote. "Inbound" mail comes in on the container's own address (not a local network for rspamd);
"outgoing" mail is an authenticated submission (Cyrus sasldb users of prepare.yml, password Seed-pass1).
Every message lands in the Maildir of the local user `sink`. Each test fails when its feature is removed.
"""

import json
import os
import re
import shlex
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import dkim_verify  # noqa: E402

DOMAIN = "quangbinh.gov.vn"
SELECTOR = "congvu1"
KEY = f"/var/lib/rspamd/dkim/{DOMAIN}.{SELECTOR}.key"
# the former domain of converge.yml (congvu__former_domains): its addresses are aliases here
FORMER = "quangtri.gov.vn"
FORMER_KEY = f"/var/lib/rspamd/dkim/{FORMER}.{SELECTOR}.key"
HOST_ZONE = f"/etc/congvu/dns/{DOMAIN}.zone"
MTA_STS = "/etc/congvu/dns/mta-sts.txt"
MAILDIR = "/home/sink/Maildir/new"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# Runs inside the container: sends one message and prints the SMTP outcome as JSON.
SEND = r'''
import json, smtplib, socket, sys
from email.message import EmailMessage
a = json.loads(sys.argv[1])
host = socket.gethostbyname(socket.gethostname()) if a["inbound"] else "127.0.0.1"
if a.get("raw"):
    data = a["raw"].encode()
else:
    m = EmailMessage()
    m["From"] = a["from"]
    m["To"] = ", ".join(a["to"])
    m["Subject"] = a["subject"]
    m.set_content(a["body"])
    if a.get("attach"):
        m.add_attachment(a["attach"].encode(), maintype="application", subtype="octet-stream",
                         filename="eicar.com")
    data = m.as_bytes()
try:
    s = smtplib.SMTP(host, 25, local_hostname="mail.example.org", timeout=60)
    if a.get("user"):
        s.login(a["user"], "Seed-pass1")
    refused = s.sendmail(a["from"], a["to"], data)
    s.quit()
    print(json.dumps({"code": 250, "text": "", "refused": {k: list(v) for k, v in refused.items()}}))
except (smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as e:
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, text = list(e.recipients.values())[0]
    else:
        code, text = e.smtp_code, e.smtp_error
    print(json.dumps({"code": code, "text": text.decode(errors="replace")}))
'''

def run(host, argv):
    return host.run(" ".join(shlex.quote(str(a)) for a in argv))


def send(host, inbound=True, user=None, frm="citizen@example.org", to=(f"annv@{DOMAIN}",),
         subject="Test", body="Hello.\n", attach=None, raw=None):
    args = {"inbound": inbound, "user": user, "from": frm, "to": list(to), "subject": subject,
            "body": body, "attach": attach, "raw": raw}
    r = run(host, ["python3", "-c", SEND, json.dumps(args)])
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


def delivered(host, needle, timeout=30):
    """Path of the message in the sink's Maildir that contains `needle` (Postfix delivers async)."""
    for _ in range(timeout):
        r = host.run(f"grep -l -F -- {shlex.quote(needle)} {MAILDIR}/* 2>/dev/null | head -1")
        if r.stdout.strip():
            return r.stdout.strip()
        time.sleep(1)
    return None


def uniq(tag):
    return f"{tag}-{time.time_ns()}"


def flush_ratelimits(host):
    r = host.run("redis-cli --scan --pattern 'RL*' | xargs -r redis-cli del")
    assert r.rc == 0, r.stderr


def wait_active(host, unit, old_pid=None, timeout=90):
    for _ in range(timeout):
        pid = host.run(f"systemctl show -p MainPID --value {unit}").stdout.strip()
        state = host.run(f"systemctl is-active {unit}").stdout.strip()
        if state == "active" and pid not in ("", "0", old_pid):
            return pid
        time.sleep(1)
    pytest.fail(f"{unit} did not come back (state {state}, pid {pid})")


def controller_zone():
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "dns", f"{DOMAIN}.zone")
    with open(path, encoding="utf-8") as f:
        return f.read()


def records(zone):
    """(name, type) -> [data] from the fragment; parenthesised TXT strings joined as DNS would."""
    zone = re.sub(r"\(([^)]*)\)", lambda m: " ".join(m.group(1).split()), zone)
    out = {}
    for line in zone.splitlines():
        if not line.strip() or line.startswith((";", "$")):
            continue
        name, _in, rtype, data = line.split(None, 3)
        if rtype == "TXT":
            data = "".join(re.findall(r'"([^"]*)"', data))
        out.setdefault((name, rtype), []).append(data)
    return out


def zones(fragment):
    """{origin: records} for each `$ORIGIN` of the fragment (the domain, then each former domain)."""
    parts = re.split(r"^\$ORIGIN (\S+)\.$", fragment, flags=re.MULTILINE)
    return {origin: records(text) for origin, text in zip(parts[1::2], parts[2::2], strict=True)}


def public_key(host, path):
    pub = run(host, ["openssl", "pkey", "-in", path, "-pubout"]).stdout
    return "".join(line for line in pub.splitlines() if not line.startswith("-----"))


# --- Art. 13: antivirus and antispam on every message, at SMTP time --------------------------

def test_art13_eicar_refused_at_smtp_with_virus_text(host):
    subject = uniq("eicar")
    r = send(host, subject=subject, body="See the attachment.\n", attach=EICAR)
    assert r["code"] == 554, r
    assert "Virus found" in r["text"] and "EICAR" in r["text"], r
    assert delivered(host, subject, timeout=3) is None


def test_art13_gtube_refused_at_smtp(host):
    subject = uniq("gtube")
    r = send(host, subject=subject, body=f"Hello\n{GTUBE}\n")
    assert r["code"] == 554, r
    assert "gtube" in r["text"].lower(), r
    assert delivered(host, subject, timeout=3) is None


def test_art13_clean_message_delivered_without_spam_mark(host):
    subject = uniq("clean")
    r = send(host, frm="Công dân <citizen@example.org>", subject=f"Đơn đề nghị {subject}",
             body="Kính gửi Sở Thông tin và Truyền thông,\n\nTôi xin gửi đơn đề nghị.\n\nTrân trọng.\n")
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path, "the clean message never reached the mailbox"
    headers = host.file(path).content_string.split("\n\n", 1)[0]
    assert "X-Spam: Yes" not in headers and "X-Spam-Status: No," in headers
    assert "Authentication-Results:" in headers  # SPF/DKIM/DMARC were evaluated (Art. 16.4)


def test_art13_soft_spam_delivered_with_spam_mark(host):
    """Probable spam is delivered, marked (score between add_header and reject), never lost.

    Scores ~8.5-11 here: 8-bit text without charset and no MIME-Version (static rules), plus
    the DNS-based host checks that fail without network (up to 2.8).
    """
    subject = uniq("Thong bao trung thuong")
    raw = (f"From: winner@example.org\r\nTo: annv@{DOMAIN}\r\nSubject: {subject}\r\n"
           "Content-Type: text/plain\r\n\r\nKính gửi, bạn đã trúng thưởng. Hãy nhận ngay.\r\n")
    r = send(host, frm="winner@example.org", raw=raw)
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path
    headers = host.file(path).content_string.split("\n\n", 1)[0] + "\n"
    assert re.search(r"^X-Spam-Status: Yes, score=", headers, re.M), headers
    assert "\nX-Spam: Yes\n" in headers or f"Subject: [SPAM] {subject}" in headers, headers


def test_art13_antivirus_fails_closed_when_clamd_is_down(host):
    """No scan, no delivery: the sender gets a tempfail and retries (docs/antispam.md)."""
    assert host.run("systemctl stop clamav-daemon.socket clamav-daemon.service").rc == 0
    try:
        subject = uniq("unscanned")
        r = send(host, subject=subject)
        assert r["code"] == 451, r
        assert "Virus scanner temporarily unavailable" in r["text"], r
        assert delivered(host, subject, timeout=3) is None
    finally:
        assert host.run("systemctl start clamav-daemon.socket clamav-daemon.service").rc == 0
        wait_active(host, "clamav-daemon.service")


# --- Art. 16.4 / 16.6: DKIM signs all outgoing mail -------------------------------------------

def test_art16_dkim_key_is_2048_bit_and_readable_only_by_rspamd(host):
    key = host.file(KEY)
    assert (key.user, key.group, key.mode) == ("root", "_rspamd", 0o640)
    r = run(host, ["openssl", "pkey", "-in", KEY, "-noout", "-text"])
    assert "2048 bit" in r.stdout


def test_art16_outgoing_mail_carries_a_dkim_signature_that_verifies(host):
    flush_ratelimits(host)
    subject = uniq("signed")
    r = send(host, inbound=False, user=f"hadtt@{DOMAIN}", frm=f"hadtt@{DOMAIN}",
             to=["partner@example.org"], subject=subject, body="Signed body line.\n")
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path
    assert f"d={DOMAIN}" in host.file(path).content_string and f"s={SELECTOR}" in host.file(path).content_string
    txt = zones(controller_zone())[DOMAIN][(f"{SELECTOR}._domainkey", "TXT")][0]
    v = run(host, ["python3", "-c", dkim_verify.SCRIPT, path, txt, SELECTOR, DOMAIN, "Signed body line"])
    assert v.rc == 0, v.stderr
    assert v.stdout.split() == ["ok", "bad"], v.stdout  # valid; and a changed body breaks it


# --- a change of domain (docs/reorganisation.md): the former domain signs with its own key ---------

def test_change_of_domain_former_domain_has_its_own_2048_bit_key(host):
    key = host.file(FORMER_KEY)
    assert (key.user, key.group, key.mode) == ("root", "_rspamd", 0o640)
    assert "2048 bit" in run(host, ["openssl", "pkey", "-in", FORMER_KEY, "-noout", "-text"]).stdout
    assert public_key(host, FORMER_KEY) != public_key(host, KEY)


def test_change_of_domain_mail_from_an_old_address_is_signed_for_the_former_domain(host):
    """A user sends as their old address (an alias of their mailbox): the message leaves signed with
    d=<former domain> and that domain's key, and verifies against the record the fragment publishes in
    the former domain's zone, so DMARC passes at the receiver; not with the new domain's key."""
    flush_ratelimits(host)
    subject = uniq("former-signed")
    r = send(host, inbound=False, user=f"annv@{DOMAIN}", frm=f"annv@{FORMER}",
             to=["partner@example.org"], subject=subject, body="Signed body line.\n")
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path
    signature = re.search(r"^DKIM-Signature:.*?(?=^\S|\Z)", headers_of(host, path), re.MULTILINE | re.DOTALL)
    assert signature, headers_of(host, path)
    tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", "", signature.group(0)[15:]).split(";") if t)
    assert (tags["d"], tags["s"]) == (FORMER, SELECTOR), tags
    rr = zones(controller_zone())
    v = run(host, ["python3", "-c", dkim_verify.SCRIPT, path, rr[FORMER][(f"{SELECTOR}._domainkey", "TXT")][0],
                   SELECTOR, FORMER, "Signed body line"])
    assert v.rc == 0, v.stderr
    assert v.stdout.split() == ["ok", "bad"], v.stdout
    # the new domain's record does not verify it: each domain signs with its own key
    wrong = run(host, ["python3", "-c", dkim_verify.SCRIPT, path, rr[DOMAIN][(f"{SELECTOR}._domainkey", "TXT")][0],
                       SELECTOR, FORMER, "Signed body line"])
    assert wrong.stdout.split() == ["bad", "bad"], wrong.stdout + wrong.stderr


def test_art16_inbound_mail_is_not_signed(host):
    subject = uniq("inbound")
    r = send(host, frm=f"spoof@{DOMAIN}", subject=subject)
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path and "DKIM-Signature:" not in host.file(path).content_string


# --- Art. 16.4: SPF and DMARC of inbound mail ------------------------------------------------------
# The senders' domains are answered by the scenario's DNS server (prepare.yml); the messages come
# from the container's own address, which only doitac-thu.vn lists in its SPF record.

def headers_of(host, path):
    return host.file(path).content_string.split("\n\n", 1)[0] + "\n"


def test_art16_4_forged_sender_of_a_p_reject_domain_is_refused_at_smtp_time(host):
    subject = uniq("Thong bao tai khoan")
    r = send(host, frm="canhbao@nganhang-thu.vn", subject=subject)
    assert r["code"] == 554, r
    assert delivered(host, subject, timeout=5) is None


def test_art16_4_forged_sender_of_a_p_quarantine_domain_is_delivered_marked_as_spam(host):
    subject = uniq("Hoa don")
    r = send(host, frm="ketoan@congty-thu.vn", subject=subject)
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path, "a quarantined message is delivered, marked, never lost"
    headers = headers_of(host, path)
    assert "dmarc=fail" in headers, headers
    assert "\nX-Spam: Yes\n" in headers or f"Subject: [SPAM] {subject}" in headers, headers


def test_art16_4_genuine_sender_of_a_p_reject_domain_is_delivered(host):
    subject = uniq("Cong van phoi hop")
    r = send(host, frm="lienhe@doitac-thu.vn", subject=subject)
    assert r["code"] == 250, r
    path = delivered(host, subject)
    assert path
    headers = headers_of(host, path)
    assert "spf=pass" in headers and "dmarc=pass" in headers, headers
    assert "X-Spam: Yes" not in headers


# --- Art. 13.7: outbound rate limits per authenticated user -----------------------------------

def test_art13_7_user_message_limit_tempfails_with_text(host):
    """The scenario sets 3 messages / 1h: the 4th message is refused for now (451), not lost."""
    flush_ratelimits(host)
    codes = []
    for i in range(5):
        r = send(host, inbound=False, user=f"annv@{DOMAIN}", frm=f"annv@{DOMAIN}",
                 to=[f"x{i}@example.org"], subject=uniq("rl"))
        codes.append(r["code"])
    assert codes[:3] == [250, 250, 250] and codes[3] == 451, codes
    assert "Sending limit of your account reached (Art. 13.7" in r["text"], r
    # another user is not affected
    r = send(host, inbound=False, user=f"binhlv@{DOMAIN}", frm=f"binhlv@{DOMAIN}",
             to=["y@example.org"], subject=uniq("rl-other"))
    assert r["code"] == 250, r
    flush_ratelimits(host)


def test_art13_7_user_recipient_limit_counts_recipients(host):
    """The scenario sets 10 recipients / 1d: 6 then 5 recipients is over it, in 2 messages (< 3)."""
    flush_ratelimits(host)
    user = f"binhlv@{DOMAIN}"
    r = send(host, inbound=False, user=user, frm=user, to=[f"r{i}@example.org" for i in range(6)],
             subject=uniq("rcpts"))
    assert r["code"] == 250, r
    r = send(host, inbound=False, user=user, frm=user, to=[f"s{i}@example.org" for i in range(5)],
             subject=uniq("rcpts"))
    assert r["code"] == 451 and "Sending limit" in r["text"], r
    flush_ratelimits(host)


# --- Art. 16.2: restart on failure --------------------------------------------------------------

@pytest.mark.parametrize("unit", ["clamav-daemon.service", "rspamd.service", "redis-server.service"])
def test_art16_2_service_comes_back_after_kill_9(host, unit):
    assert host.run(f"systemctl show -p Restart --value {unit}").stdout.strip() == "on-failure"
    pid = wait_active(host, unit)
    assert host.run(f"kill -9 {pid}").rc == 0
    wait_active(host, unit, old_pid=pid)
    # and the mail path works again: a virus is still refused
    for _ in range(60):
        r = send(host, subject=uniq("after-kill"), attach=EICAR)
        if r["code"] == 554:
            break
        time.sleep(2)
    assert r["code"] == 554 and "Virus found" in r["text"], r


# --- the filter's configuration ---------------------------------------------------------------

def test_rspamd_configtest_passes_and_milter_listens_where_postfix_expects(host):
    assert run(host, ["runuser", "-u", "_rspamd", "--", "rspamadm", "configtest"]).rc == 0
    assert host.socket("tcp://127.0.0.1:11332").is_listening
    assert not host.socket("tcp://0.0.0.0:11332").is_listening


def test_clamd_runs_on_local_signatures_without_freshclam(host):
    assert host.file("/var/lib/clamav/congvu-local.ndb").exists
    assert not host.service("clamav-freshclam").is_running
    assert not host.service("clamav-freshclam").is_enabled
    assert host.service("clamav-daemon").is_running


# --- role dns_records ---------------------------------------------------------------------------

def test_dns_zone_fragment_has_every_record(host):
    fragment = controller_zone()
    assert host.file(HOST_ZONE).content_string == fragment  # the same fragment on the mx host
    assert list(zones(fragment)) == [DOMAIN, FORMER]  # the domain's zone, then the former domain's
    mail = "mail.quangbinh.gov.vn."
    for zone, key in ((DOMAIN, KEY), (FORMER, FORMER_KEY)):
        rr = zones(fragment)[zone]
        assert rr[("@", "MX")] == [f"10 {mail}"], zone
        assert rr[("@", "TXT")] == ["v=spf1 mx -all"], zone
        dmarc = rr[("_dmarc", "TXT")][0]
        # the former domain's aggregate reports go to the new domain's postmaster too
        assert dmarc.startswith("v=DMARC1; p=quarantine;") and f"rua=mailto:postmaster@{DOMAIN}" in dmarc, zone
        assert re.fullmatch(r"v=STSv1; id=[0-9a-f]{20}", rr[("_mta-sts", "TXT")][0]), zone
        assert rr[("_smtp._tls", "TXT")] == [f"v=TLSRPTv1; rua=mailto:postmaster@{DOMAIN}"], zone
        srv = {k[0]: v[0] for k, v in rr.items() if k[1] == "SRV"}
        assert srv == {
            "_submissions._tcp": f"0 1 465 {mail}", "_submission._tcp": f"10 1 587 {mail}",
            "_imaps._tcp": f"0 1 993 {mail}", "_imap._tcp": f"10 1 143 {mail}",
            "_pop3s._tcp": f"0 1 995 {mail}", "_pop3._tcp": "0 0 0 .",
            "_autodiscover._tcp": f"0 1 443 {mail}",
        }, zone
        for name in ("autoconfig", "autodiscover", "mta-sts"):
            assert rr[(name, "CNAME")] == [mail], zone
        # the DKIM record carries the public half of the key that signs for that domain
        assert rr[(f"{SELECTOR}._domainkey", "TXT")] == [f"v=DKIM1; k=rsa; p={public_key(host, key)}"], zone
    # the new domain's zone lets the former domain's DMARC reports come to its postmaster (RFC 7489 7.1)
    assert zones(fragment)[DOMAIN][(f"{FORMER}._report._dmarc", "TXT")] == ["v=DMARC1"]
    assert not any(name.endswith("._report._dmarc") for name, _ in zones(fragment)[FORMER])


def test_mta_sts_policy_for_the_webmail_host(host):
    policy = host.file(MTA_STS).content_string
    assert policy.splitlines() == ["version: STSv1", "mode: testing", "mx: mail.quangbinh.gov.vn",
                                   "max_age: 604800"]
