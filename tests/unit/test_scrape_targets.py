"""plugins/filter/congvu_scrape.py: what Prometheus on the monitoring host scrapes (role alerting, docs/monitoring.md,
"What is scraped"). An exporter on another host's loopback is left out: from the monitoring host that URL is the
monitoring host's own exporter."""

import importlib.util
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
spec = importlib.util.spec_from_file_location("congvu_scrape_filter",
                                              os.path.join(ROOT, "plugins", "filter", "congvu_scrape.py"))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
targets = module.FilterModule().filters()["congvu_scrape_targets"]


def exporters(address, dovecot="127.0.0.1"):
    return {"monitoring__exporters": [
        {"name": "node", "url": f"http://{address}:9100/metrics"},
        {"name": "rspamd", "url": "http://127.0.0.1:11334/metrics"},
        {"name": "dovecot", "url": f"http://{dovecot}:9900/metrics"},
    ]}


def test_the_all_in_one_host_scrapes_its_own_loopback():
    hostvars = {"mail": exporters("127.0.0.1")}
    found = targets(["mail"], hostvars, "mail")
    assert [t["job"] for t in found["targets"]] == ["congvu-node", "congvu-rspamd", "congvu-dovecot"]
    assert found["targets"][0] == {"job": "congvu-node", "host": "mail", "address": "127.0.0.1:9100",
                                   "scheme": "http", "path": "/metrics"}
    assert found["unreachable"] == []


def test_art16_another_hosts_loopback_exporter_is_left_out_and_named():
    hostvars = {"mail1": exporters("10.0.0.21"), "mail2": exporters("10.0.0.22", dovecot="10.0.0.22"),
                "web": {"monitoring__exporters": [{"name": "node", "url": "http://localhost:9100/metrics"}]}}
    found = targets(["mail1", "mail2", "web"], hostvars, "mail2")
    assert [(t["job"], t["host"], t["address"]) for t in found["targets"]] == [
        ("congvu-node", "mail1", "10.0.0.21:9100"),
        ("congvu-node", "mail2", "10.0.0.22:9100"),
        ("congvu-rspamd", "mail2", "127.0.0.1:11334"),  # the monitoring host's own: reachable here
        ("congvu-dovecot", "mail2", "10.0.0.22:9900"),
    ]
    assert found["unreachable"] == ["mail1 rspamd http://127.0.0.1:11334/metrics",
                                    "mail1 dovecot http://127.0.0.1:9900/metrics",
                                    "web node http://localhost:9100/metrics"]


def test_ipv6_loopback_and_a_path_of_its_own():
    hostvars = {"a": {"monitoring__exporters": [{"name": "node", "url": "http://[::1]:9100/metrics"}]},
                "b": {"monitoring__exporters": [{"name": "x", "url": "https://[2001:db8::2]:8443"}]}}
    found = targets(["a", "b"], hostvars, "b")
    assert found["targets"] == [{"job": "congvu-x", "host": "b", "address": "[2001:db8::2]:8443", "scheme": "https",
                                 "path": "/metrics"}]
    assert found["unreachable"] == ["a node http://[::1]:9100/metrics"]
