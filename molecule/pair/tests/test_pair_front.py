"""The web front on a host of its own beside the mail pair (inventories/example's webmail1; docs/webmail.md, "On a
host of its own"; docs/cluster.md, "The mail pair").

congvu-pair-front (group webmail only) serves Roundcube; Roundcube reaches IMAP, submission and ManageSieve at the
mail host name, which the province's DNS (prepare.yml's stand-in) points at the pair's virtual address, and
verifies the certificate of whichever node holds it (the CA of both nodes trusted). A person's browser is
rc_client.py (molecule/webmail/tests: the login form with its CSRF token, the message list, the message) run in
the front, sent to the front's own nginx with the mail host name kept in SNI and Host, as the province's public
address sends 443 to the web front. The front also serves the MTA-STS policy that role dns_records wrote there
from the first MX.
"""

import hashlib
import json
import os
import re
import sys
import textwrap
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from pair_layout import (  # noqa: E402
    DOMAIN,
    FRONT,
    FRONT_ADDRESS,
    L1,
    NAMES,
    NODE,
    VIRTUAL,
    bind,
    delivered,
    docker,
    holder,
    imap_login,
    move_address,
    other,
    ready,
    send,
    slapd_answers,
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ldaptools import PEOPLE, sh  # noqa: E402
from polling import wait  # noqa: E402

CLIENT = open(os.path.join(os.path.dirname(__file__), "..", "..", "webmail", "tests", "rc_client.py"),
              encoding="utf-8").read()
ZONE = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "dns", f"{DOMAIN}.zone")
# a person of the demo roster no other test of the pair logs in as
UID, PASSWORD = "TT0020", "Front-Cap-2026"
# the person who changes the password in Roundcube while the first provider is down
CHANGER, CHANGER_PASSWORD, CHANGED = "TT0021", "Front-Truoc-2026", "Front-Sau-2027"
PROVIDER_1 = "congvu-pair-ldap1"


def run_client(code):
    """rc_client.py + code in the web front, as a person's browser there; the last printed line is JSON."""
    r = sh(FRONT, ["python3", "-"], CLIENT + "\n" + textwrap.dedent(code))
    assert r.rc == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def read_in_roundcube(address, uids):
    """Log in to Roundcube on the front, list the INBOX and open each message of `uids` (subject -> its UID on
    the node holding the address): for each, whether the list shows it and the opened message shows its
    subject and text."""
    return run_client(f"""
        rc = Roundcube()
        r = rc.login({address!r}, {PASSWORD!r})
        listed = json.dumps(rc.ajax("/?_task=mail&_action=list&_mbox=INBOX&_remote=1"))
        shown = {{}}
        for subject, uid in {uids!r}.items():
            body = rc.get(f"/?_task=mail&_mbox=INBOX&_uid={{uid}}&_action=show")["body"]
            shown[subject] = {{"listed": subject in listed, "subject": subject in body,
                               "text": ("Body of " + subject) in body}}
        print(json.dumps({{"logged_in": env(r["body"]).get("task") == "mail", "shown": shown}}))
        """)


def test_art3_art16_roundcube_on_the_front_reads_the_pair_wherever_the_virtual_address_is():
    """A person logs in to Roundcube on the front and reads a message delivered to the pair; the address moves
    to the other node (as an operator moves it); the person logs in again and reads that message and a new
    one sent from the webmail itself (submission at the address). Each time the journal of the node holding
    the address shows Roundcube's IMAP login coming from the front, over TLS to that node's certificate."""
    address = ready(UID, PASSWORD)
    start = wait(holder, timeout=30, what="a node holding the virtual address")
    run = uuid.uuid4().hex[:8]
    first, second = f"Front {run} one", f"Front {run} two"
    try:
        since = NODE[start].run("date +%s").stdout.strip()
        send(NAMES[0], address, first, f"Body of {first}\n")
        read = read_in_roundcube(address, {first: delivered(start, address, first)})
        assert read == {"logged_in": True, "shown": {first: {"listed": True, "subject": True, "text": True}}}, read
        logins = NODE[start].run(f"journalctl -u dovecot --since @{since} -o cat").stdout
        assert re.search(rf"imap-login: Login: user=<{re.escape(address)}>.*rip={FRONT_ADDRESS},.*TLS", logins), \
            logins[-2000:]

        node = other(start)
        move_address(node)
        since = NODE[node].run("date +%s").stdout.strip()
        sent = run_client(f"""
            rc = Roundcube()
            r = rc.login({address!r}, {PASSWORD!r})
            if env(r["body"]).get("task") != "mail":
                print(json.dumps({{"logged_in": False, "messages": messages(r["body"])}}))
            else:
                r = rc.send({address!r}, {second!r}, {"Body of " + second!r})
                print(json.dumps({{"logged_in": True, "sent": "sent_successfully" in r["body"],
                                  "messages": messages(r["body"])}}))
            """)
        assert sent["logged_in"] and sent["sent"], sent
        # the first message as dsync copied it to this node, the second as this node's LMTP saved it
        read = read_in_roundcube(address, {s: delivered(node, address, s) for s in (first, second)})
        assert read == {"logged_in": True, "shown": {s: {"listed": True, "subject": True, "text": True}
                                                     for s in (first, second)}}, read
        logins = NODE[node].run(f"journalctl -u dovecot --since @{since} -o cat").stdout
        assert re.search(rf"imap-login: Login: user=<{re.escape(address)}>.*rip={FRONT_ADDRESS},.*TLS", logins), \
            logins[-2000:]
        submitted = NODE[node].run(f"journalctl --since @{since} -o cat -t postfix/submission/smtpd").stdout
        assert re.search(rf"\[{FRONT_ADDRESS}\].*sasl_username={re.escape(address)}", submitted), submitted[-2000:]
    finally:
        move_address(start)


def test_rfc8461_the_front_serves_the_policy_the_zone_announces_naming_both_mx():
    """RFC 8461: https://mta-sts.<domain>/.well-known/mta-sts.txt on the front (its certificate verified, the name
    resolving to the front as the DNS records point it) is the policy whose id the zone announces (the first 20
    hex digits of its SHA-1, role dns_records), and it lists both MX of the zone."""
    r = sh(FRONT, ["python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                                     f"'https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt', timeout=20).read().decode(),"
                                     " end='')"])
    assert r.rc == 0, r.stderr
    policy = r.stdout
    with open(ZONE, encoding="utf-8") as handle:
        zone = handle.read()
    announced = re.search(r'^_mta-sts\s+IN\s+TXT\s+"v=STSv1; id=(\w+)"', zone, re.M).group(1)
    assert announced in {hashlib.sha1(t.encode()).hexdigest()[:20] for t in (policy, policy.rstrip("\n"))}, policy
    mx = sorted(name.rstrip(".") for name in re.findall(r"^@\s+IN MX\s+\d+ (\S+)$", zone, re.M))
    assert sorted(re.findall(r"^mx: (\S+)$", policy, re.M)) == mx == sorted(NAMES), (policy, mx)


def test_art8_art16_a_password_changed_in_roundcube_while_provider_1_is_down_is_written_on_provider_2():
    """The loss of a directory provider with Roundcube running: its LDAPS URI names both providers
    (webmail__ldap_uri), so with the first one's machine down, the person's change of password in Settings
    binds on the second, which writes it; the consumers on the mail nodes take it from there, and the new
    password logs in at the virtual address while the old one no longer does. Back, the first provider holds
    the change too (delta-syncrepl from the second)."""
    address = ready(CHANGER, CHANGER_PASSWORD)
    dn = f"uid={CHANGER},{PEOPLE}"
    # the machine lost, as a power cut loses it (docker kill, as the mail pair's outage test)
    docker("kill", PROVIDER_1)
    try:
        out = run_client(f"""
            rc = Roundcube()
            r = rc.login({address!r}, {CHANGER_PASSWORD!r})
            said = texts(rc.change_in_settings({CHANGER_PASSWORD!r}, {CHANGED!r})["body"])
            print(json.dumps({{"logged_in": env(r["body"]).get("task") == "mail", "said": said}}))
            """)
        assert out["logged_in"], out
        assert wait(lambda: imap_login(VIRTUAL, address, CHANGED), timeout=60,
                    what="the password changed in Roundcube logging in at the virtual address"), out
        assert not imap_login(VIRTUAL, address, CHANGER_PASSWORD)
    finally:
        docker("start", PROVIDER_1)
        wait(lambda: slapd_answers(L1), timeout=120, what="slapd on the first provider after its start")
    assert wait(lambda: bind(L1, dn, CHANGED), timeout=120, what="the change on the first provider after its return")
