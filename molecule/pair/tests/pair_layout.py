"""The rest of inventories/example's layout beside the mail pair (molecule/pair/molecule.yml), for the tests of the
web front, the usage records and the alerts: the hosts, a person of the demo roster ready to log in, the virtual
address moved as an operator moves it, a message delivered by an MX as a server on the Internet hands it over.

Each test that moves the address puts it back where it found it: the tests do not depend on their order.
"""

import os
import smtplib
import sys
import tempfile
from email.message import EmailMessage

import testinfra

sys.path.insert(0, os.path.dirname(__file__))
from test_cluster import bind, slapd_answers  # noqa: E402,F401
from test_mail_pair import (  # noqa: E402,F401
    ADDRESS,
    L1,
    NAMES,
    NODE,
    VIRTUAL,
    address_of,
    docker,
    holder,
    imap_login,
    initial_password,
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ldaptools import PEOPLE, sh  # noqa: E402
from polling import wait  # noqa: E402
from roster_runs import apply_roster, demo_roster  # noqa: E402

FRONT_NAME = "congvu-pair-front"
FRONT = testinfra.get_host(f"docker://{FRONT_NAME}")
FRONT_ADDRESS = "10.216.16.31"  # molecule.yml
MONITORING_NAME = "congvu-mail2"  # group monitoring (Prometheus, Alertmanager)
REPORTS_NAME = "congvu-mail1"  # the first of group reports: the usage database (PostgreSQL) and the daily snapshot
DOMAIN = "quangbinh.gov.vn"


def ready(uid, password):
    """The address of person `uid` of the demo roster, who logs in with `password`: the roster is applied
    first when the directory does not hold the person yet (the directory's tests apply it when they run
    first), and the person changes the initial password themselves (ldappasswd as the person), as the
    first login asks."""
    try:
        address = address_of(uid)
    except StopIteration:
        with tempfile.TemporaryDirectory() as folder:
            run = apply_roster(demo_roster(os.path.join(folder, "roster")))
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        address = address_of(uid)
    # asked of the directory, not of Dovecot: Dovecot keeps a password that did not match for a minute
    # (imap__auth_cache_negative_ttl), so the login with the new one would wait that out
    if not bind(L1, f"uid={uid},{PEOPLE}", password):
        initial = initial_password(address)
        r = sh(L1, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", f"uid={uid},{PEOPLE}", "-w", initial,
                    "-a", initial, "-s", password])
        assert r.rc == 0, r.stderr
        assert wait(lambda: imap_login(VIRTUAL, address, password), timeout=60,
                    what=f"{address} logging in at the virtual address")
    return address


def other(name):
    return NAMES[1 - NAMES.index(name)]


def move_address(to):
    """The virtual address onto node `to`, as docs/runbook.md moves it: `systemctl restart keepalived` on the
    node that holds it, and the other takes it within seconds (nopreempt: it stays there)."""
    now = wait(holder, timeout=30, what="a node holding the virtual address")
    if now != to:
        assert NODE[now].run("systemctl restart keepalived").rc == 0
        wait(lambda: holder() == to, timeout=30, step=0.5, what=f"the virtual address on {to}")
    # both services of the node answer at the address (keepalived's own check watches them)
    wait(lambda: "active" == NODE[to].run("systemctl is-active dovecot").stdout.strip(), timeout=30)
    return now


def send(mx, to, subject, body):
    """A message from outside handed to port 25 of `mx`, as a server on the Internet delivers it."""
    msg = EmailMessage()
    msg["From"] = "citizen@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(ADDRESS[mx], 25, local_hostname="sender.example.org", timeout=30) as smtp:
        smtp.send_message(msg, "citizen@example.org", [to])


def delivered(node, address, subject, timeout=60):
    """The UID of the message `subject` in the INBOX of `address` on `node` (doveadm), once it is there."""
    def uid():
        r = NODE[node].run(f"doveadm search -u {address} mailbox INBOX subject '{subject}'")
        return r.stdout.split()[1] if r.rc == 0 and r.stdout.strip() else None
    return wait(uid, timeout=timeout, step=1, what=f"'{subject}' delivered to {address} on {node}")
