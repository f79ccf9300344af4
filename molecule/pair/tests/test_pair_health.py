"""Art. 16.2: congvu-health, the operator's one screen (role monitoring, docs/monitoring.md), on the mail pair.

On each node it says which node holds the virtual address (this one, or the other, which answers IMAP
there) and whether a dsync with the other node failed, as the collector last read Dovecot's replicator.
Runs after test_mail_pair.py, whose outage test moved the address.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from test_mail_pair import NAMES, NODE, holder  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from collector import collector_metrics  # noqa: E402
from polling import wait  # noqa: E402


def pair_lines(name):
    collector_metrics(NODE[name])  # a fresh run of the collector, whose file congvu-health reads
    r = NODE[name].run("/usr/local/sbin/congvu-health --json")
    # the test host has none of the rest of a mail node's monitoring (its other lines may fail): only the pair's
    return {c["check"]: (c["status"], c["detail"]) for c in json.loads(r.stdout)["checks"]
            if c["check"] in ("mail pair address", "mail replication")}


def test_art16_health_says_on_each_node_which_node_holds_the_address():
    first = wait(holder, timeout=30, what="a node holding the virtual address")
    for name in NAMES:
        lines = pair_lines(name)
        status, detail = lines["mail pair address"]
        expected = "held by this node" if name == first else "held by the other node"
        assert status == "OK" and expected in detail, (name, lines)
        assert lines["mail replication"][0] in ("OK", "WARN"), (name, lines)


def test_art16_health_fails_when_no_node_answers_at_the_address():
    """keepalived stopped on both nodes: nobody holds the address, and health says DOWN on both."""
    try:
        for name in NAMES:
            NODE[name].run("systemctl stop keepalived")
        wait(lambda: holder() is None, timeout=30, what="no node holding the virtual address")
        for name in NAMES:
            status, detail = pair_lines(name)["mail pair address"]
            assert status == "DOWN" and "no node answers" in detail, (name, status, detail)
    finally:
        for name in NAMES:
            NODE[name].run("systemctl start keepalived")
        wait(holder, timeout=30, what="a node holding the virtual address again")
