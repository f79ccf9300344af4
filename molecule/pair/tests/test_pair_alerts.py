"""Art. 16.2: Prometheus and Alertmanager on mail2 (inventories/example's group monitoring; docs/monitoring.md,
"Alerts") watch the five hosts of the layout, and the pair's rules read the pair.

What an operator asks Prometheus (docs/monitoring.md, "Testing a rule": its HTTP API on the monitoring host,
which listens on the loopback there): every target up, each of them the host it is named after, the rules
loaded, and the mail pair's address held by one node as the rules add it up.
"""

import json
import os
import sys

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.dirname(__file__))
from pair_layout import MONITORING_NAME, NAMES, VIRTUAL, holder  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from polling import wait  # noqa: E402

HOSTS = sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("mail"))
MONITORING = testinfra.get_host(f"docker://{MONITORING_NAME}")
PAIR_RULES = {"CongvuMailPairNoAddress", "CongvuMailPairSplitBrain", "CongvuMailReplicationFailing",
              "CongvuMailReplicationUnknown"}


def api(path):
    """Prometheus's answer to `path` (its HTTP API), asked in the monitoring host."""
    r = MONITORING.run(f"python3 -c \"import urllib.request; print(urllib.request.urlopen("
                       f"'http://127.0.0.1:9090{path}', timeout=20).read().decode())\"")
    assert r.rc == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["status"] == "success", answer
    return answer["data"]


def test_art16_prometheus_scrapes_every_host_of_the_layout_each_under_its_own_name():
    """Every target is up: node-exporter on the five hosts, Postfix's exporter on both MX, and the rest each host
    publishes (role monitoring's fact); the node-exporter named after a host is that host's (its node_uname_info
    says the host's own name), not the monitoring host's."""
    assert len(HOSTS) == 5, HOSTS

    def targets():
        active = api("/api/v1/targets?state=active")["activeTargets"]
        up = {(t["labels"]["job"], t["labels"]["instance"]) for t in active if t["health"] == "up"}
        return active if len(up) == len(active) and {("congvu-node", h) for h in HOSTS} <= up else False

    active = wait(targets, timeout=90, step=3, what="every target up")
    jobs = {(t["labels"]["job"], t["labels"]["instance"]) for t in active}
    assert {("congvu-postfix", n) for n in NAMES} <= jobs, sorted(jobs)
    # each host's own: scraped at its address, never at the monitoring host's loopback under another name
    for target in active:
        if target["labels"]["instance"] != MONITORING_NAME:
            assert not target["scrapeUrl"].startswith(("http://127.", "http://localhost", "http://[::1]")), target
    names = {s["metric"]["instance"]: s["metric"]["nodename"] for s in api(
        "/api/v1/query?query=node_uname_info")["result"]}
    hostnames = {h: testinfra.get_host(f"docker://{h}").run("hostname").stdout.strip() for h in HOSTS}
    assert names == hostnames


def test_art16_the_pair_rules_are_loaded_and_read_one_node_holding_the_address():
    """The pair's rules are loaded and healthy, and what they add up (congvu_mail_virtual_address_held of both
    nodes, as the collector on each exports it) is 1 for the virtual address: no alert of the pair fires."""
    rules = {r["name"]: r for g in api("/api/v1/rules")["groups"] for r in g["rules"] if r["type"] == "alerting"}
    assert PAIR_RULES <= set(rules), sorted(rules)
    assert all(rules[name]["health"] == "ok" for name in PAIR_RULES), {n: rules[n]["health"] for n in PAIR_RULES}
    wait(holder, timeout=30, what="a node holding the virtual address")

    def held():
        result = api("/api/v1/query?query=sum+by+(address)+(congvu_mail_virtual_address_held)")["result"]
        return result if [(s["metric"]["address"], s["value"][1]) for s in result] == [(VIRTUAL, "1")] else False

    wait(held, timeout=90, step=3, what="one node holding the address, as Prometheus adds it up")
    per_node = api("/api/v1/query?query=congvu_mail_virtual_address_held")["result"]
    assert sorted(s["metric"]["instance"] for s in per_node) == sorted(NAMES), per_node
    assert {s["metric"]["instance"] for s in api("/api/v1/query?query=congvu_dovecot_replication_users")["result"]} \
        == set(NAMES)
    # (a user's dsync may still be failing after the other tests' outages: Dovecot retries it, its own alert)
    firing = [a for a in api("/api/v1/alerts")["alerts"] if a["state"] == "firing"
              and a["labels"]["alertname"] in PAIR_RULES - {"CongvuMailReplicationFailing"}]
    assert not firing, firing
