"""Art. 16.2 and Art. 8: the read-only directory consumers on the mail nodes (docs/cluster.md, "Read-only
consumers on the mail nodes").

Each mail node (group directory_consumers) runs slapd as a delta-syncrepl consumer of both providers; Postfix
and Dovecot there read it first. Everything goes through real clients: OpenLDAP's tools inside the containers
(the consumer listens on its local socket only), smtplib and imaplib from the controller, `docker stop` for
the providers. Runs after test_cluster.py (file order), whose roster apply made the mailboxes; it leaves both
providers running and in step for the tests after it (test_firewall.py, test_mail_pair.py).
"""

import email
import imaplib
import os
import re
import smtplib
import ssl
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ldaptools import BASE, PEOPLE, ROOT, parse_ldif, sh  # noqa: E402
from polling import wait  # noqa: E402

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
PROVIDERS = tuple(sorted(RUNNER.get_hosts("directory")))
CONSUMERS = tuple(sorted(RUNNER.get_hosts("directory_consumers")))
L1, L2 = (testinfra.get_host(f"docker://{name}") for name in PROVIDERS)
M1, M2 = (testinfra.get_host(f"docker://{name}") for name in CONSUMERS)
VIRTUAL = RUNNER.get_variables(CONSUMERS[0])["congvu__mail_virtual_ipv4"]
# people of the demo roster's stttt that no other test of the scenario uses
READER, LOCKED = "TT0017", "TT0014"
PASSWORD = "Mat-khau-ban-sao-17"
SUBJECT = "Mail while the providers are down"


def docker(*argv):
    subprocess.run(["docker", *argv], check=True, capture_output=True, timeout=120)


def entry(host, dn, *attrs):
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT, "-s", "base", "-b", dn, *(attrs or ["*", "+"])])
    assert r.rc in (0, 32), r.stderr
    return parse_ldif(r.stdout).get(dn, {})


def context_csn(host):
    return sorted(entry(host, BASE, "contextCSN").get("contextCSN", []))


def same_csn(dn, *hosts):
    """Every host holds `dn` at the same change (entryCSN), and has it."""
    csns = [entry(host, dn, "entryCSN").get("entryCSN") for host in hosts]
    return csns[0] is not None and all(csn == csns[0] for csn in csns)


def bind(host, dn, password):
    return sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn, "-w", password])


def address_of(uid):
    return entry(L1, f"uid={uid},{PEOPLE}", "mail")["mail"][0]


def own_password(uid):
    """Gives `uid` the password PASSWORD, set by root on provider 1 (no bind, so no failure recorded), with no
    change asked at the next login and no failures kept on either provider; waits until every copy holds it.
    (A successful bind clears failures on its own provider only, slapd 2.5.13's ITS#10379, docs/cluster.md:
    the test never relies on that.)"""
    dn = f"uid={uid},{PEOPLE}"
    r = sh(L1, ["ldappasswd", *ROOT, "-s", PASSWORD, dn])
    assert r.rc == 0, r.stderr
    for host, attr in ((L1, "pwdReset"), (L1, "pwdFailureTime"), (L2, "pwdFailureTime")):
        if entry(host, dn, attr).get(attr):
            change = f"dn: {dn}\nchangetype: modify\ndelete: {attr}\n-\n"
            assert sh(host, ["ldapmodify", *ROOT, "-e", "relax"], stdin=change).rc == 0
    wait(lambda: same_csn(dn, L1, L2, M1, M2), timeout=60, what=f"{uid}'s password on every copy")
    return dn


def test_art16_each_mail_node_is_a_read_only_consumer_of_both_providers():
    for host in (M1, M2):
        db = parse_ldif(sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT, "-b", "cn=config",
                                  f"(olcSuffix={BASE})", "olcSyncrepl", "olcMultiProvider", "olcUpdateRef"]).stdout)
        (attrs,) = db.values()
        assert len(attrs["olcSyncrepl"]) == 2 and "olcMultiProvider" not in attrs
        assert all("syncdata=accesslog" in value for value in attrs["olcSyncrepl"])
        # exactly the URIs (an X-ORDERED "{0}" written into one would end up in the referral, unusable)
        assert sorted(attrs["olcUpdateRef"]) == [f"ldaps://{name}:636" for name in PROVIDERS]
        # the local socket only: nothing of the directory listens on the network
        assert not host.run("ss -Hltn 'sport = :389 or sport = :636'").stdout.strip()


def test_art16_a_change_written_on_a_provider_is_read_on_both_consumers():
    token = f"consumer-{uuid.uuid4().hex[:12]}"
    dn = f"uid={READER},{PEOPLE}"
    change = f"dn: {dn}\nchangetype: modify\nreplace: title\ntitle: {token}\n"
    assert sh(L2, ["ldapmodify", *ROOT], stdin=change).rc == 0

    def read():
        return all(entry(host, dn, "title").get("title") == [token] for host in (M1, M2))

    wait(read, timeout=30, step=0.5, what="provider 2's change on both consumers")
    # and the consumers hold what the providers hold: the same contextCSN
    wait(lambda: context_csn(M1) == context_csn(M2) == context_csn(L1) == context_csn(L2),
         timeout=30, what="the same contextCSN on the providers and the consumers")


def test_art16_a_write_sent_to_a_consumer_is_referred_to_the_providers():
    dn = own_password(READER)
    before = entry(L1, dn, "title", "entryCSN")
    change = f"dn: {dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: Mat-khau-khac-17\n"
    r = sh(M1, ["ldapmodify", "-x", "-H", "ldapi:///", "-D", dn, "-w", PASSWORD], stdin=change)
    out = r.stdout + r.stderr
    assert r.rc == 10, out       # LDAP_REFERRAL: nothing written here, nothing chained
    referred = re.findall(r"^\s+(ldaps://[^/\s]+)/", out, re.MULTILINE)
    assert "Referral" in out and sorted(referred) == [f"ldaps://{name}:636" for name in PROVIDERS], out
    time.sleep(2)
    assert entry(L1, dn, "title", "entryCSN") == before
    assert bind(M1, dn, PASSWORD).rc == 0 and bind(L1, dn, PASSWORD).rc == 0


def failures(host, dn):
    return len(entry(host, dn, "pwdFailureTime").get("pwdFailureTime", []))


def test_art8_failed_binds_on_a_consumer_lock_the_account_on_the_providers():
    dn = own_password(LOCKED)
    policy = entry(L1, f"cn=users,ou=policies,{BASE}", "pwdMaxFailure")
    most = int(policy["pwdMaxFailure"][0])
    assert failures(L1, dn) == 0
    for n in range(1, most + 1):
        assert bind(M1, dn, "sai-mat-khau").rc == 49
        # recorded on the providers, and back on the consumer, whose next bind counts it (ppolicy counts
        # the failures the consumer holds)
        wait(lambda n=n: failures(L1, dn) == n and failures(L2, dn) == n and failures(M1, dn) == n,
             timeout=30, step=0.5, what=f"failure {n} on both providers and back on the consumer")
    locked = {}
    try:
        for host in (L1, L2):
            locked[host] = wait(lambda host=host: entry(host, dn, "pwdAccountLockedTime").get("pwdAccountLockedTime"),
                                timeout=30, step=0.5, what="the lock on the providers")
        assert locked[L1] == locked[L2]
        # the providers refuse the right password now, and so does the consumer once the lock is back there
        assert bind(L1, dn, PASSWORD).rc == 49
        wait(lambda: same_csn(dn, L1, M1), timeout=30, what="the lock on the consumer")
        assert bind(M1, dn, PASSWORD).rc == 49
    finally:
        # an administrator's unlock on provider 1, as docs/runbook.md has it; back on the consumers too
        unlock = f"dn: {dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n-\ndelete: pwdFailureTime\n-\n"
        sh(L1, ["ldapmodify", *ROOT, "-e", "relax"], stdin=unlock)
        wait(lambda: same_csn(dn, L1, L2, M1, M2), timeout=60, what="the unlock on every copy")
    assert bind(M1, dn, PASSWORD).rc == 0


def client_context():
    # the nodes' certificates come from local CAs the controller does not hold (test_mail_pair.py)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def holder():
    for host in (M1, M2):
        if VIRTUAL in host.run("ip -o -4 addr show").stdout:
            return host
    return None


def delivered(address, message_id):
    """True when `address` logs in over IMAPS at the virtual address and its INBOX holds `message_id`."""
    try:
        with imaplib.IMAP4_SSL(VIRTUAL, 993, ssl_context=client_context(), timeout=20) as imap:
            imap.login(address, PASSWORD)
            imap.select("INBOX", readonly=True)
            status, data = imap.search(None, "HEADER", "Message-ID", message_id)
            found = status == "OK" and bool(data[0].split())
            if found:
                status, parts = imap.fetch(data[0].split()[-1], "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                found = email.message_from_bytes(parts[0][1])["Subject"] == SUBJECT
            imap.logout()
            return found
    except (imaplib.IMAP4.error, OSError):
        return False


def slapd_answers(host):
    return sh(host, ["ldapsearch", *ROOT, "-s", "base", "-b", "", "1.1"]).rc == 0


def test_art16_mail_flows_on_the_mail_nodes_with_both_providers_stopped():
    own_password(READER)
    address = address_of(READER)
    node = wait(holder, timeout=30, what="a node holding the virtual address")
    message_id = f"<consumer-{uuid.uuid4().hex[:12]}@example.org>"
    msg = EmailMessage()
    msg["From"] = "citizen@example.org"
    msg["To"] = address
    msg["Subject"] = SUBJECT
    msg["Message-ID"] = message_id
    msg.set_content("Delivered and read with the directory's consumers only.\n")
    for name in PROVIDERS:
        docker("stop", "-t", "20", name)
    try:
        # nothing cached: every lookup and the login go to the directory
        for host in (M1, M2):
            assert host.run("doveadm auth cache flush").rc == 0
        assert sh(node, ["ldapsearch", "-x", "-H", f"ldaps://{PROVIDERS[0]}:636", "-s", "base", "-b", "",
                         "1.1"]).rc != 0
        mx = node.run("hostname -I").stdout.split()[0]
        with smtplib.SMTP(mx, 25, local_hostname="sender.example.org", timeout=60) as smtp:
            refused = smtp.send_message(msg)
        assert not refused
        wait(lambda: delivered(address, message_id), timeout=120, step=3,
             what="the message delivered and read over IMAP with both providers stopped")
        # an address that does not exist is still refused at RCPT: the consumer answers for the directory
        with smtplib.SMTP(mx, 25, local_hostname="sender.example.org", timeout=60) as smtp:
            smtp.ehlo()
            smtp.mail("citizen@example.org")
            code, _ = smtp.rcpt(f"khong-co-{uuid.uuid4().hex[:6]}@quangbinh.gov.vn")
        assert code // 100 == 5, code
    finally:
        for name in PROVIDERS:
            docker("start", name)
        for host in (L1, L2):
            wait(lambda host=host: slapd_answers(host), what="slapd on the provider after its start")
    # the providers and the consumers are in step again before the next tests
    wait(lambda: context_csn(M1) == context_csn(M2) == context_csn(L1) == context_csn(L2),
         timeout=120, what="the same contextCSN everywhere after the providers' start")
