"""Art. 16.2: the mail pair (docs/cluster.md, "The mail pair").

Two mail nodes (congvu-mail1, congvu-mail2), each MX + submission + Dovecot, Dovecot's dsync replication
between them, the virtual address of role failover (keepalived) that IMAP, POP3, submission and every
MX's LMTP deliveries go to, and one DKIM key. Everything goes through real clients: smtplib and imaplib
from the controller (as a sending server on the Internet and a mail client would), `docker kill` for a
node that dies, doveadm to count what each replica holds, python3-dkim (Debian) to verify signatures.
Runs after test_cluster.py (the directory's tests, linked from molecule/cluster), whose roster apply made
the mailboxes.
"""

import email
import email.utils
import imaplib
import os
import re
import shlex
import smtplib
import ssl
import subprocess
import sys
import threading
import time
import uuid
from email.message import EmailMessage

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import dkim_verify  # noqa: E402
from archive_records import ARCHIVE_DIR, archive_actions  # noqa: E402
from collector import collector_metrics  # noqa: E402
from ldaptools import PEOPLE, ROOT, sh  # noqa: E402
from polling import wait  # noqa: E402
from reach import controller_reaches, reaches  # noqa: E402
from roster_runs import apply_roster, commit, demo_roster  # noqa: E402

DOMAIN = "quangbinh.gov.vn"
SELECTOR = "congvu1"
NAMES = ("congvu-mail1", "congvu-mail2")
# the fixed addresses of molecule.yml, and the virtual address of host_vars/
ADDRESS = {"congvu-mail1": "10.216.16.21", "congvu-mail2": "10.216.16.22"}
VIRTUAL = "10.216.16.100"
M1, M2 = (testinfra.get_host(f"docker://{name}") for name in NAMES)
NODE = {"congvu-mail1": M1, "congvu-mail2": M2}
L1, L2 = (testinfra.get_host(f"docker://{name}") for name in ("congvu-pair-ldap1", "congvu-pair-ldap2"))
PASSWORDS = "/var/lib/congvu/initial-passwords"
ZONE = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "dns", f"{DOMAIN}.zone")
# the user of these tests: a person of the demo roster's stttt, whose password the first test sets
# dsync's port, as the inventory gives it to both nodes (congvu__mail_replication_port, group_vars/all)
REPLICATION_PORT = int(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_variables(NAMES[0])[
    "congvu__mail_replication_port"])
UID = "TT0012"
PASSWORD = "Mat-khau-cap-16"


def docker(*argv):
    subprocess.run(["docker", *argv], check=True, capture_output=True, timeout=120)


def client_context():
    # the nodes' certificates come from local CAs the controller does not hold: the test reads mail, it
    # does not judge the certificate (the scanners on the demo's host do)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def address_of(uid):
    r = sh(L1, ["ldapsearch", "-LLL", *ROOT, "-b", PEOPLE, f"(uid={uid})", "mail"])
    return next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("mail: "))


def initial_password(address):
    agency = address.split("@")[0].split(".")[-1]
    for host in (L1, L2):  # written where the reconcile ran
        r = host.run(f"grep -h '^{address},' {PASSWORDS}/{agency}.csv 2>/dev/null | tail -n 1 | cut -d, -f2")
        if r.stdout.strip():
            return r.stdout.strip()
    raise AssertionError(f"no initial password of {address}")


def imap_login(host, user, password):
    """True when `user` logs in over IMAPS at `host` (an address)."""
    try:
        with imaplib.IMAP4_SSL(host, 993, ssl_context=client_context(), timeout=20) as imap:
            imap.login(user, password)
            imap.logout()
        return True
    except imaplib.IMAP4.error:
        return False


def holders():
    """The nodes that hold the virtual address now (both only while they cannot hear each other)."""
    return [name for name, host in NODE.items() if up(name) and VIRTUAL in host.run("ip -o -4 addr show").stdout]


def holder():
    """The node that holds the virtual address now (None while none does)."""
    now = holders()
    assert len(now) <= 1, f"both nodes hold {VIRTUAL}"
    return now[0] if now else None


def up(name):
    r = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True)
    return r.stdout.strip() == "true"


def fetched(host, user, fields):
    """One row (the values of `fields`) per message in every folder of `user` on that replica (doveadm)."""
    r = host.run(f"doveadm -f tab fetch -u {user} '{fields}' mailbox '*' all")
    assert r.rc == 0, r.stderr
    n = len(fields.split())
    return [(line.split("\t") + [""] * n)[:n] for line in r.stdout.splitlines()[1:]]


def copies(host, user):
    """Message-ID -> {GUID: how many entries list it}, in every folder of `user` on that replica."""
    found = {}
    for guid, message_id in fetched(host, user, "guid hdr.message-id"):
        if message_id.strip():
            entries = found.setdefault(message_id.strip(), {})
            entries[guid] = entries.get(guid, 0) + 1
    return found


def deliveries(host, user, message_id):
    """GUID -> (the LMTP delivery's Received line, Postfix's queue id, when the LMTP delivery began) of each
    copy of `message_id` that replica holds. Dovecot's LMTP writes the first line for each delivery (its
    own session id, and the time it began to take the message), Postfix's smtpd the second."""
    r = host.run(f"doveadm -f pager fetch -u {user} 'guid hdr' mailbox '*' header Message-ID {shlex.quote(message_id)}")
    assert r.rc == 0, r.stderr
    found = {}
    for record in r.stdout.split("\f"):
        match = re.match(r"\s*guid: (\S+)\nhdr:\n(.*)", record, re.DOTALL)
        if not match:
            continue
        lines = [" ".join(line.split()) for line in email.message_from_string(match.group(2)).get_all("Received", [])]
        lmtp = next((line for line in lines if " with LMTP " in line), "")
        queue_id = next((m.group(1) for line in lines if (m := re.search(r"\(Postfix\) with \S+ id (\w+)", line))), "")
        began = email.utils.parsedate_to_datetime(lmtp.rsplit(";", 1)[1]).timestamp() if ";" in lmtp else None
        found[match.group(1)] = (lmtp, queue_id, began)
    return found


def delivered_twice_by_smtp(host, user, message_ids, killed_at, resent):
    """Of `message_ids` (each saved under two GUIDs on `host`), those that SMTP delivered twice because a
    node died in the middle, each with its two copies' deliveries. Two LMTP deliveries (their LMTP
    Received lines differ: replication copies a message whole, Received lines and all, so a copy it made
    twice is never here), and either
    - one message accepted once (one Postfix queue id) whose first delivery began before the kill: the
      node saved it and died before its answer reached Postfix, or died before Postfix recorded it, and
      Postfix delivered it again; or
    - a message the sender sent again after the MX it was sending to died (`resent`): that MX had taken
      it and delivered it when it came back.
    SMTP delivers at least once (docs/cluster.md, "Exactly once")."""
    allowed = {}
    for message_id in message_ids:
        copies_of = list(deliveries(host, user, message_id).values())
        if len(copies_of) != 2 or copies_of[0][0] == copies_of[1][0] or not all(c[0] for c in copies_of):
            continue
        (_, queue1, began1), (_, queue2, began2) = copies_of
        redelivered = (queue1 and queue1 == queue2 and None not in (began1, began2)
                       and min(began1, began2) <= killed_at + 1)
        if redelivered or message_id in resent:
            allowed[message_id] = [f"queue id {q}, LMTP {b - killed_at:+.0f} s from the kill" for _, q, b in copies_of]
    return allowed


def test_art16_dns_records_list_both_mx_and_both_sign_with_one_key():
    zone = open(ZONE, encoding="utf-8").read()
    mx = re.findall(r"^@\s+IN MX\s+(\d+) (\S+)$", zone, re.MULTILINE)
    assert sorted(name for _, name in mx) == [f"{n}." for n in NAMES], zone
    assert len({priority for priority, _ in mx}) == 1, mx  # both accept mail alike
    # one key, made once and given to the other MX: the same file on both, one DKIM record
    key = f"/var/lib/rspamd/dkim/{DOMAIN}.{SELECTOR}.key"
    assert M1.file(key).sha256sum == M2.file(key).sha256sum
    assert zone.count("._domainkey") == 1


def test_art16_the_firewall_opens_dsync_to_the_other_node_only():
    """Role hardening's firewall (converge.yml) on each node: dsync's port answers the other node, not
    the controller (the admin network), to which IMAPS on the same address answers. VRRP passes too:
    otherwise each node would take the virtual address, which holder() refuses."""
    for name in NAMES:
        other = next(n for n in NAMES if n != name)
        assert reaches(NODE[other], ADDRESS[name], REPLICATION_PORT), f"{other} -> {name}"
        assert controller_reaches(ADDRESS[name], 993), name
        assert not controller_reaches(ADDRESS[name], REPLICATION_PORT), name
    assert wait(holder, timeout=30, what="a node holding the virtual address")


def test_art8_password_changed_in_the_directory_logs_in_on_both_nodes():
    address = address_of(UID)
    initial = initial_password(address)
    r = sh(L1, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", f"uid={UID},{PEOPLE}", "-w", initial,
                "-a", initial, "-s", PASSWORD])
    assert r.rc == 0, r.stderr
    for name in NAMES:
        assert wait(lambda name=name: imap_login(ADDRESS[name], address, PASSWORD), timeout=30,
                    what=f"the new password on {name}")
        assert not imap_login(ADDRESS[name], address, initial), name


def message(to, message_id, subject, body):
    msg = EmailMessage()
    msg["From"] = "citizen@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


class Sender:
    """Sends `count` messages to `to` as servers on the Internet do for a domain with two MX: batches
    over `workers` connections at once, each batch to either MX, and what a batch could not hand over
    to the other MX. A message counts as sent once an MX said 250 (it is in that MX's queue). The
    workers run beside the test, which kills and starts a node meanwhile."""

    def __init__(self, to, count, batch=25, workers=6):
        self.to, self.count, self.batch = to, count, batch
        self.run_id = uuid.uuid4().hex[:12]
        self.sent, self.retried, self.errors, self.failures = [], [], [], []
        self.batches = list(range(0, count, batch))
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work, args=(n,), daemon=True) for n in range(workers)]

    def message(self, i):
        return message(self.to, f"<pair-{self.run_id}-{i}@example.org>", f"Pair {self.run_id} {i}",
                       f"Message {i} of {self.count} to the mail pair.\n")

    def deliver(self, mx, pending):
        """Hands over as many of `pending` as `mx` takes; returns the rest."""
        sending = None
        try:
            with smtplib.SMTP(ADDRESS[mx], 25, local_hostname="sender.example.org", timeout=30) as smtp:
                while pending:
                    sending = pending[0]
                    smtp.send_message(self.message(sending), "citizen@example.org", [self.to])
                    self.sent.append(sending)
                    sending, pending = None, pending[1:]
        except (OSError, smtplib.SMTPException) as exc:
            self.errors.append(f"{mx}: {exc!r}")
            if sending is not None:  # cut off in the middle of that message: sent again to the other MX
                self.retried.append(sending)
        return pending

    def work(self, n):
        try:
            turn = n
            while True:
                with self.lock:
                    if not self.batches:
                        return
                    start = self.batches.pop(0)
                pending = list(range(start, min(start + self.batch, self.count)))
                end = time.monotonic() + 180
                while pending:
                    if time.monotonic() > end:
                        raise AssertionError(f"no MX took messages {pending[:3]}...: {self.errors[-3:]}")
                    mx = NAMES[turn % 2]
                    turn += 1
                    if up(mx):
                        pending = self.deliver(mx, pending)
                    if pending:
                        time.sleep(1)
        except Exception as exc:  # noqa: BLE001 -- reported by the test
            self.failures.append(exc)

    def start(self):
        for thread in self.threads:
            thread.start()

    def join(self, timeout):
        end = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))

    @property
    def error(self):
        return self.failures[0] if self.failures else None


def test_art16_a_thousand_messages_while_a_node_dies_arrive_once_on_both_replicas():
    address = address_of(UID)
    first = wait(holder, timeout=30, what="a node holding the virtual address")
    other = NAMES[1 - NAMES.index(first)]
    sender = Sender(address, 1000)
    # the agency ACL job runs on the other node only when keepalived starts it there (its timer held)
    assert NODE[other].run("systemctl stop congvu-agency-acl.timer").rc == 0
    t0 = time.monotonic()
    sender.start()
    wait(lambda: len(sender.sent) >= 300 or sender.error, timeout=300, step=0.5, what="300 messages sent")
    docker("kill", first)
    killed_at, killed_wall = time.monotonic(), time.time()
    try:
        # the other node takes the virtual address, and the mail is read there through it
        assert wait(lambda: holder() == other, timeout=30, step=0.5, what="the address on the other node")
        moved = time.monotonic() - killed_at
        # ... and sets the agency mailboxes' ACLs at once (failover__on_master_units)
        wait(lambda: "agency mailboxes" in NODE[other].run(
            f"journalctl -u congvu-agency-acl.service --since @{int(killed_wall)} -o cat").stdout,
            timeout=60, what="the agency ACL job on the node that took the address")

        def readable():
            with imaplib.IMAP4_SSL(VIRTUAL, 993, ssl_context=client_context(), timeout=20) as imap:
                imap.login(address, PASSWORD)
                imap.select("INBOX", readonly=True)
                found = imap.search(None, "HEADER", "Message-ID", f"pair-{sender.run_id}-")[1][0].split()
                if not found:
                    return False
                body = imap.fetch(found[0], "(BODY.PEEK[TEXT])")[1][0][1]
                return len(found) if b"to the mail pair" in body else False

        read = wait(readable, timeout=60, what="the messages over IMAP at the virtual address")
        wait(lambda: len(sender.sent) >= 700 or sender.error, timeout=300, step=0.5, what="700 messages sent")
    finally:
        docker("start", first)
        NODE[other].run("systemctl start congvu-agency-acl.timer")
    sender.join(timeout=600)
    assert sender.error is None, sender.error
    assert sorted(sender.sent) == list(range(1000)), sender.errors
    sent_in = time.monotonic() - t0
    # the address stays where it went (nopreempt): the node that came back catches up first
    assert wait(lambda: NODE[first].run("systemctl is-active dovecot").stdout.strip() == "active", timeout=120)
    assert holder() == other
    expected = {f"<pair-{sender.run_id}-{i}@example.org>" for i in range(1000)}
    last = {}

    def both():
        """Every message on both replicas, each entry (GUID) once, and one GUID per message except where
        SMTP delivered it twice because the node died in the middle (docs/cluster.md, "Exactly once")."""
        ok, twice = True, set()
        for name in NAMES:
            found = {k: v for k, v in copies(NODE[name], address).items() if k in expected}
            listed_twice = sorted(k for k, guids in found.items() if any(n > 1 for n in guids.values()))
            two_guids = sorted(k for k, guids in found.items() if len(guids) > 1)
            twice |= set(two_guids)
            last[name] = {"count": len(found), "one GUID listed twice": listed_twice[:5], "saved twice": two_guids[:5]}
            ok = ok and set(found) == expected and not listed_twice
        if not ok:
            return False
        resent = {f"<pair-{sender.run_id}-{i}@example.org>" for i in sender.retried}
        allowed = delivered_twice_by_smtp(NODE[other], address, sorted(twice), killed_wall, resent)
        last["delivered twice by SMTP"] = allowed
        last["saved twice otherwise"] = sorted(twice - set(allowed))[:5]
        return twice <= set(allowed)

    try:
        wait(both, timeout=420, step=5, what="every message once on both replicas")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last}; retried {sender.retried}; "
                             f"queues {[NODE[n].run('postqueue -p | tail -n 1').stdout for n in NAMES]}") from None
    print(f"1000 messages sent in {sent_in:.0f} s; the address moved in {moved:.1f} s; {read} read over IMAP "
          f"during the outage; retried after an error: {len(sender.retried)}; delivered twice because the "
          f"node died in the middle: {last['delivered twice by SMTP']}")


PARTITION = "congvu_partition_test"


def partition(on):
    """Drops all traffic between the two mail nodes, dsync's and VRRP's with the rest (a table of the
    test's own beside role hardening's, on each node), or lifts it."""
    for name in NAMES:
        peer = ADDRESS[next(n for n in NAMES if n != name)]
        if on:
            rules = (f"table inet {PARTITION} {{ chain input {{ type filter hook input priority -10; "
                     f"ip saddr {peer} drop; }}; chain output {{ type filter hook output priority -10; "
                     f"ip daddr {peer} drop; }}; }}")
            r = NODE[name].run(f"echo {shlex.quote(rules)} | nft -f -")
        else:
            r = NODE[name].run(f"nft delete table inet {PARTITION}")
        assert r.rc == 0, (name, r.stderr)


def send(mx, to, message_id, subject):
    """One message to `to` at port 25 of node `mx`, as a server on the Internet sends it."""
    with smtplib.SMTP(ADDRESS[mx], 25, local_hostname="sender.example.org", timeout=30) as smtp:
        smtp.send_message(message(to, message_id, subject, f"{subject}: a message to the mail pair.\n"),
                          "citizen@example.org", [to])


def placed(host, user, tag):
    """Message-ID -> [(folder, flags), one per entry] of `user`'s messages whose Message-ID holds `tag`,
    as that replica has them."""
    found = {}
    for mailbox, flags, message_id in fetched(host, user, "mailbox flags hdr.message-id"):
        if tag in message_id:
            wanted = sorted(f for f in flags.split() if f in ("\\Seen", "\\Flagged"))
            found.setdefault(message_id.strip(), []).append((mailbox, " ".join(wanted)))
    return {k: sorted(v) for k, v in found.items()}


def on_node(name, address, change):
    """Runs change(imap) as a mail client logged in at node `name`'s own address."""
    with imaplib.IMAP4_SSL(ADDRESS[name], 993, ssl_context=client_context(), timeout=30) as imap:
        imap.login(address, PASSWORD)
        change(imap)
        imap.logout()


def uids(imap, tag, numbers):
    imap.select("INBOX")
    return [imap.uid("SEARCH", None, "HEADER", "Message-ID", f"<{tag}-{i}@")[1][0].decode() for i in numbers]


def flag_and_file(imap, tag, flag, flagged, folder, moved):
    """As a mail client: `flag` on the messages `flagged`, a new `folder`, the message `moved` moved into it."""
    imap.create(folder)
    imap.uid("STORE", ",".join(uids(imap, tag, flagged)), "+FLAGS", f"({flag})")
    uid = uids(imap, tag, [moved])[0]
    imap.uid("COPY", uid, folder)
    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    imap.expunge()


def test_art16_a_partition_between_the_mail_nodes_loses_nothing_and_ends_with_equal_flags_and_folders():
    """The nodes cannot reach each other for a while: each holds the virtual address (VRRP hears no
    peer), accepts and stores mail, and its users change flags and folders there. When the partition
    ends, one node keeps the address, and dsync merges both sides at the user's next change (here one
    more message; without one, Dovecot retries a failed user within 5 minutes): every message once on
    both replicas, each where and as both sides left it."""
    address = address_of(UID)
    tag = f"part-{uuid.uuid4().hex[:8]}"
    a, b = NAMES
    for i in range(8):
        send(NAMES[i % 2], address, f"<{tag}-{i}@example.org>", f"Before {i}")
    before = {f"<{tag}-{i}@example.org>": [("INBOX", "")] for i in range(8)}
    wait(lambda: all(placed(NODE[n], address, tag) == before for n in NAMES), timeout=120, step=3,
         what="the messages of before the partition on both replicas")
    partition(True)
    try:
        wait(lambda: sorted(holders()) == sorted(NAMES), timeout=30, step=1, what="the address on both nodes")
        for name in NAMES:  # each side takes mail at its own MX and stores it itself
            for i in range(5):
                send(name, address, f"<{tag}-{name}-{i}@example.org>", f"During {name} {i}")
        for name in NAMES:
            mine = {f"<{tag}-{name}-{i}@example.org>" for i in range(5)}
            wait(lambda name=name, mine=mine: mine <= set(placed(NODE[name], address, tag)), timeout=120, step=3,
                 what=f"the messages to {name} during the partition stored there")

        # node a: 0-3 read, 6 moved into a new folder; node b: 2-5 flagged, 7 moved into another
        on_node(a, address, lambda imap: flag_and_file(imap, tag, "\\Seen", range(4), f"Partition-{a}", 6))
        on_node(b, address, lambda imap: flag_and_file(imap, tag, "\\Flagged", range(2, 6), f"Partition-{b}", 7))
        # each side sees its own changes only
        assert placed(NODE[a], address, tag)[f"<{tag}-7@example.org>"] == [("INBOX", "")]
        assert placed(NODE[b], address, tag)[f"<{tag}-0@example.org>"] == [("INBOX", "")]
    finally:
        partition(False)
    ended = time.monotonic()
    wait(lambda: len(holders()) == 1, timeout=60, step=1, what="one node holding the address again")
    one_holder = time.monotonic() - ended
    send(holder(), address, f"<{tag}-after@example.org>", "After the partition")
    expected = {f"<{tag}-{i}@example.org>": [("INBOX", "\\Seen" if i < 2 else "")] for i in range(8)}
    expected.update({f"<{tag}-{i}@example.org>": [("INBOX", "\\Flagged \\Seen")] for i in (2, 3)})
    expected.update({f"<{tag}-{i}@example.org>": [("INBOX", "\\Flagged")] for i in (4, 5)})
    expected[f"<{tag}-6@example.org>"] = [(f"Partition-{a}", "")]
    expected[f"<{tag}-7@example.org>"] = [(f"Partition-{b}", "")]
    expected.update({f"<{tag}-{n}-{i}@example.org>": [("INBOX", "")] for n in NAMES for i in range(5)})
    expected[f"<{tag}-after@example.org>"] = [("INBOX", "")]
    last = {}

    def merged():
        for name in NAMES:
            last[name] = placed(NODE[name], address, tag)
        return all(last[name] == expected for name in NAMES)

    try:
        wait(merged, timeout=240, step=5, what="both replicas merged")
    except AssertionError as exc:
        differ = {name: {k: v for k, v in last[name].items() if expected.get(k) != v} for name in NAMES}
        missing = {name: sorted(set(expected) - set(last[name])) for name in NAMES}
        raise AssertionError(f"{exc}: differs {differ}; missing {missing}") from None
    print(f"partition: one node held the address {one_holder:.0f} s after it ended; both replicas merged "
          f"{time.monotonic() - ended:.0f} s after it ended")
    # and a mail client at the virtual address reads the merged mailbox
    with imaplib.IMAP4_SSL(VIRTUAL, 993, ssl_context=client_context(), timeout=30) as imap:
        imap.login(address, PASSWORD)
        imap.select(f"Partition-{b}", readonly=True)
        assert imap.uid("SEARCH", None, "HEADER", "Message-ID", f"<{tag}-7@")[1][0]


def replication_state(user, message_id):
    """What each node says of `user`'s replication and whether it holds `message_id`: the message a wait on
    replication fails with, so that a stall can be told from a message that never arrived."""
    state = {}
    for name in NAMES:
        status = NODE[name].run(f"doveadm replicator status {shlex.quote(user)}").stdout.strip()
        running = NODE[name].run("doveadm replicator dsync-status").stdout.strip()
        state[name] = {"has it": message_id in copies(NODE[name], user), "replicator": status,
                       "dsync running": running}
    return state


def test_art7_a_mailbox_terminated_and_reactivated_on_the_pair_comes_back_on_both_replicas(tmp_path):
    """Art. 7.1 on the pair (docs/mail.md, "Archive"): the roster terminates a person; each node's archive
    job packs its own copy (imap__archive_after_days is 0 here) and removes the home. The roster brings the
    person back: the node that holds the virtual address puts its archive back and asks Dovecot's
    replicator to copy the mailbox to the other node, which does not put its own back. Both replicas then
    hold the message from before, once, and the other node's job records it as brought by dsync."""
    pid = "TT0016"
    address = address_of(pid)
    home = f"/var/vmail/{DOMAIN}/people/{pid}"
    message_id = f"<art7-{uuid.uuid4().hex[:8]}@example.org>"
    send(NAMES[0], address, message_id, "Before the termination")
    try:
        wait(lambda: all(message_id in copies(NODE[n], address) for n in NAMES), timeout=120, step=3,
             what="the message on both replicas")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {replication_state(address, message_id)}") from None
    folder = demo_roster(str(tmp_path / "roster"))
    path = os.path.join(folder, "stttt.yml")
    active = open(path, encoding="utf-8").read()
    entry = re.search(rf"^  - id: {pid}\n(?:    .*\n)+", active, re.MULTILINE)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(active[:entry.end()] + "    state: terminated\n" + active[entry.end():])
    commit(folder, f"{pid} terminated")
    run = apply_roster(folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for name in NAMES:  # each node archived its own copy
        assert wait(lambda name=name: not NODE[name].file(home).exists
                    and NODE[name].run(f"ls {ARCHIVE_DIR}/{pid}-*.tar.xz").rc == 0, timeout=60,
                    what=f"the mailbox archived on {name}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(active)
    commit(folder, f"{pid} back in service")
    run = apply_roster(folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    first = holder()
    other = NAMES[1 - NAMES.index(first)]
    assert archive_actions(NODE[first], pid)[-1] == "restored"

    def once_on(name):
        guids = copies(NODE[name], address).get(message_id, {})
        return len(guids) == 1 and list(guids.values()) == [1]

    wait(lambda: all(once_on(n) for n in NAMES), timeout=120, step=3,
         what="the archived message once on both replicas")
    # the other node put nothing back: its job, in the same roster run or now, finds what dsync brought
    assert "restored" not in archive_actions(NODE[other], pid)
    assert NODE[other].run("systemctl start congvu-mail-archive.service").rc == 0
    assert archive_actions(NODE[other], pid)[-1] == "replicated"


def dkim_record():
    zone = open(ZONE, encoding="utf-8").read()
    block = re.search(rf"^{SELECTOR}\._domainkey\s+IN TXT\s+\((.*?)\)", zone, re.MULTILINE | re.DOTALL).group(1)
    return "".join(re.findall(r'"([^"]*)"', block))


def test_art16_mail_leaving_either_mx_carries_a_dkim_signature_that_verifies():
    address = address_of(UID)
    record = dkim_record()
    for name in NAMES:
        host = NODE[name]
        subject = f"DKIM {name} {uuid.uuid4().hex[:8]}"
        msg = EmailMessage()
        msg["From"] = address
        msg["To"] = "partner@example.org"
        msg["Subject"] = subject
        msg.set_content("Signed body line.\n")
        # submission on this node's own address: this MX signs and queues the message for the Internet
        with smtplib.SMTP(ADDRESS[name], 587, timeout=30) as smtp:
            smtp.starttls(context=client_context())
            smtp.login(address, PASSWORD)
            smtp.send_message(msg)

        def queued(host=host, subject=subject):
            ids = host.run("postqueue -j").stdout.splitlines()
            for line in ids:
                qid = re.search(r'"queue_id": *"([0-9A-F]+)"', line)
                if qid and subject in host.run(f"postcat -h -q {qid.group(1)}").stdout:
                    return qid.group(1)
            return None

        qid = wait(queued, timeout=60, what=f"the message in {name}'s queue")
        try:
            text = host.run(f"postcat -h -b -q {qid}").stdout
            assert f"d={DOMAIN}" in text and f"s={SELECTOR}" in text, text[:2000]
            path = f"/tmp/dkim-{qid}.eml"
            host.run(f"postcat -h -b -q {qid} | grep -v '^\\*\\*\\* ' > {path}")
            v = host.run(f"python3 -c '{dkim_verify.SCRIPT}' {path} '{record}' {SELECTOR} {DOMAIN}")
            assert v.stdout.split() == ["ok"], (name, v.stdout, v.stderr)
        finally:
            host.run(f"postsuper -d {qid}")


def test_art16_the_collector_reads_which_node_holds_the_address_and_no_failed_replication():
    """Role monitoring's collector on each node (converge.yml installs it): congvu_mail_virtual_address_held is
    1 on the holder and 0 on the other, what the alerts CongvuMailPairNoAddress/SplitBrain add up; once the
    nodes are in step (Dovecot retries a failed user 5 minutes later) no user's last dsync failed."""

    def metrics(name):
        return collector_metrics(NODE[name])

    first = wait(holder, timeout=30, what="a node holding the virtual address")
    for name in NAMES:
        held = f'congvu_mail_virtual_address_held{{address="{VIRTUAL}"}} {int(name == first)}\n'
        assert held in metrics(name), (name, metrics(name))
    wait(lambda: all("congvu_dovecot_replication_failed 0\n" in metrics(name) for name in NAMES), timeout=420,
         step=15, what="no failed replication on either node")
