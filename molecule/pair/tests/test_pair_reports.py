"""Art. 14, 16.9: the usage records of both mail nodes (inventories/example's group reports; docs/reports.md,
"Several hosts"), as the person who makes the report reads them.

Each node's collector reads the journal of its own node into one PostgreSQL database on mail1 (host_vars/),
mail2's over TLS. What a node served while it held the virtual address (a mail client's login there, a delivery
that an MX handed to it by LMTP) is in the report that playbooks/reports.yml writes on the controller, once:
after a failover the new holder's logins count, and the copy that dsync makes on the replica is no delivery.
The daily job (snapshot of the directory, read on mail1's own copy as the service account `reports`) is run
first, as its timer would at night: a person the roster made after the last snapshot is in no report until then.
"""

import datetime as dt
import json
import os
import sys
import tempfile
import uuid

import testinfra

sys.path.insert(0, os.path.dirname(__file__))
from pair_layout import NODE, REPORTS_NAME, VIRTUAL, delivered, holder, imap_login, move_address, other, ready, send  # noqa: E402,E501

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from roster_runs import playbook  # noqa: E402

REPORTS = testinfra.get_host(f"docker://{REPORTS_NAME}")
# a person of the demo roster no other test of the pair logs in as
UID, PASSWORD = "TT0022", "Reports-Cap-2026"


def figures(summary, address):
    box = next((m for m in summary["mailboxes"] if m["mail"] == address), None)
    assert box is not None, f"{address} is not in the report: {[m['mail'] for m in summary['mailboxes']][:5]}..."
    return {"imap": box["logins"]["imap"], "received": box["received"]}


def period():
    """Yesterday to tomorrow on the reports host (a run across local midnight stays in it)."""
    today = dt.date.fromisoformat(REPORTS.run("date +%F").stdout.strip())
    return str(today - dt.timedelta(days=1)), str(today + dt.timedelta(days=1))


def test_art14_the_report_counts_once_what_each_node_served_before_and_after_a_failover():
    address = ready(UID, PASSWORD)
    daily = REPORTS.run("systemctl start congvu-reports-daily.service")
    assert daily.rc == 0, daily.stderr + REPORTS.run("journalctl -u congvu-reports-daily.service -n 30 -o cat").stdout
    start = move_address(REPORTS_NAME)
    try:
        first, last = period()
        for name, node in NODE.items():
            collect = node.run("congvu-reports collect")
            assert collect.rc == 0, f"{name}: {collect.stderr}"
        r = REPORTS.run(f"congvu-reports summary --from {first} --to {last}")
        assert r.rc == 0, r.stderr
        before = figures(json.loads(r.stdout), address)

        # mail1 holds the address: a person's mail program logs in there from outside, and a message from
        # outside is handed to the other MX, which delivers it to mail1 by LMTP; dsync then copies it to mail2
        # (a copy, not a second delivery)
        assert imap_login(VIRTUAL, address, PASSWORD)
        subject = f"Reports {uuid.uuid4().hex[:8]}"
        send(other(REPORTS_NAME), address, subject, "For the usage records.\n")
        delivered(REPORTS_NAME, address, subject)
        delivered(other(REPORTS_NAME), address, subject)
        assert holder() == REPORTS_NAME
        # the address moves to mail2 (a failover, as an operator makes one): the next login is mail2's line,
        # which only mail2's collector reads, into mail1's database over TLS
        move_address(other(REPORTS_NAME))
        assert imap_login(VIRTUAL, address, PASSWORD)

        with tempfile.TemporaryDirectory() as out:
            run = playbook("reports.yml", "-e", f"report_from={first}", "-e", f"report_to={last}",
                           "-e", f"report_dir={out}")
            assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
            with open(os.path.join(out, "report.json"), encoding="utf-8") as handle:
                after = figures(json.load(handle), address)
        assert after == {"imap": before["imap"] + 2, "received": before["received"] + 1}, (before, after)
    finally:
        move_address(start)
