"""The metrics congvu-textfile-metrics adds for the alerts (role monitoring; docs/monitoring.md, "Alerts"):
the directory's contextCSN per provider, the build time of ClamAV's daily signatures, the age of the oldest
message of each Postfix queue; on a node of the mail pair, whether it holds the virtual address and Dovecot's
replication queue. The commands' outputs are the real formats (ldapsearch, sigtool, postqueue -j, ip -o -4 addr,
doveadm replicator status of Dovecot 2.3).
"""

import importlib.machinery
import importlib.util
import json
import os

import pytest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "monitoring", "files",
                    "congvu-textfile-metrics")


@pytest.fixture()
def collector():
    loader = importlib.machinery.SourceFileLoader("congvu_textfile_metrics", TOOL)
    spec = importlib.util.spec_from_loader("congvu_textfile_metrics", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fake_run(outputs):
    def run(argv, timeout=60):
        for key, result in outputs.items():
            if key in argv:
                return result
        return 255, ""
    return run


def samples(out, name):
    return [line for line in out.lines if line.startswith(name + "{") or line.startswith(name + " ")]


def test_each_providers_contextcsn_is_its_own_series(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({"contextCSN": (0, (
        "dn: dc=quangbinh,dc=gov,dc=vn\n"
        "contextCSN: 20261205214100.123456Z#000000#001#000000\n"
        "contextCSN: 20261205200000.000001Z#000000#002#000000\n"))}))
    out = collector.Out()
    collector.context_csn("dc=quangbinh,dc=gov,dc=vn", out)
    assert samples(out, "congvu_ldap_context_csn_timestamp_seconds") == [
        'congvu_ldap_context_csn_timestamp_seconds{sid="001"} 1796506860',
        'congvu_ldap_context_csn_timestamp_seconds{sid="002"} 1796500800',
    ]


def test_no_contextcsn_when_the_directory_does_not_answer(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({}))
    out = collector.Out()
    collector.context_csn("dc=quangbinh,dc=gov,dc=vn", out)
    assert out.lines == []


def test_the_oldest_message_of_each_queue_and_zero_for_empty_queues(collector, monkeypatch):
    monkeypatch.setattr(collector.time, "time", lambda: 1_800_000_000)
    queue = [
        {"queue_name": "deferred", "queue_id": "A1", "arrival_time": 1_800_000_000 - 4000, "sender": "a@b"},
        {"queue_name": "deferred", "queue_id": "A2", "arrival_time": 1_800_000_000 - 600, "sender": "a@b"},
        {"queue_name": "active", "queue_id": "A3", "arrival_time": 1_800_000_000 - 5, "sender": "a@b"},
    ]
    monkeypatch.setattr(collector, "run", fake_run({"-j": (0, "\n".join(json.dumps(q) for q in queue) + "\n")}))
    out = collector.Out()
    collector.postfix({}, out)
    assert samples(out, "congvu_postfix_queue_oldest_seconds") == [
        'congvu_postfix_queue_oldest_seconds{queue="active"} 5',
        'congvu_postfix_queue_oldest_seconds{queue="deferred"} 4000',
        'congvu_postfix_queue_oldest_seconds{queue="hold"} 0',
        'congvu_postfix_queue_oldest_seconds{queue="incoming"} 0',
        'congvu_postfix_queue_oldest_seconds{queue="maildrop"} 0',
    ]


def test_clamav_daily_signatures_build_time_from_sigtool(collector, monkeypatch, tmp_path):
    (tmp_path / "daily.cld").write_bytes(b"ClamAV-VDB")
    info = "File: daily.cld\nBuild time: 05 Dec 2026 08:12 +0000\nVersion: 27480\n"
    monkeypatch.setattr(collector, "run", fake_run({"--info": (0, info), "-d": (0, "1796458320\n")}))
    out = collector.Out()
    collector.clamav({"clamav_dir": str(tmp_path)}, out)
    assert samples(out, "congvu_clamav_signatures_timestamp_seconds") == [
        'congvu_clamav_signatures_timestamp_seconds{database="daily"} 1796458320']


def test_no_clamav_metric_without_downloaded_signatures(collector, tmp_path):
    # the role antispam's local test signatures only (congvu-local.ndb): nothing to be late
    (tmp_path / "congvu-local.ndb").write_text("Eicar:0:*:...")
    out = collector.Out()
    collector.clamav({"clamav_dir": str(tmp_path)}, out)
    assert out.lines == []


# `ip -o -4 addr show` on a node of the pair holding the virtual address (keepalived adds it as a /32)
IP_HOLDER = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.216.16.21/24 brd 10.216.16.255 scope global eth0\\"
    "       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.216.16.100/32 scope global eth0\\       valid_lft forever preferred_lft forever\n")
IP_STANDBY = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.216.16.22/24 brd 10.216.16.255 scope global eth0\\"
    "       valid_lft forever preferred_lft forever\n")


def test_the_node_holding_the_virtual_address_says_1(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({"addr": (0, IP_HOLDER)}))
    out = collector.Out()
    collector.virtual_address({"mail_virtual_ipv4": "10.216.16.100"}, out)
    assert samples(out, "congvu_mail_virtual_address_held") == [
        'congvu_mail_virtual_address_held{address="10.216.16.100"} 1']


def test_the_standby_node_says_0_and_a_longer_address_is_not_the_virtual_one(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({"addr": (0, IP_STANDBY)}))
    out = collector.Out()
    collector.virtual_address({"mail_virtual_ipv4": "10.216.16.100"}, out)
    assert samples(out, "congvu_mail_virtual_address_held") == [
        'congvu_mail_virtual_address_held{address="10.216.16.100"} 0']
    # 10.216.16.2 is a prefix of the node's own 10.216.16.22, not the same address
    out = collector.Out()
    collector.virtual_address({"mail_virtual_ipv4": "10.216.16.2"}, out)
    assert samples(out, "congvu_mail_virtual_address_held") == [
        'congvu_mail_virtual_address_held{address="10.216.16.2"} 0']


def test_no_address_metric_when_ip_fails(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({}))
    out = collector.Out()
    collector.virtual_address({"mail_virtual_ipv4": "10.216.16.100"}, out)
    assert out.lines == []


# `doveadm replicator status` of Dovecot 2.3.19: the replicator sends "name<TAB>count" lines, doveadm prints
# them with its table formatter, titles hidden: each column padded, the last one widened by half of what
# is left of 80 columns (no terminal under systemd)
REPLICATOR_FAILING = (
    "Queued 'sync' requests        0                         \n"
    "Queued 'high' requests        2                         \n"
    "Queued 'low' requests         0                         \n"
    "Queued 'failed' requests      3                         \n"
    "Queued 'full resync' requests 30                        \n"
    "Waiting 'failed' requests     4                         \n"
    "Total number of known users   75                        \n")


def test_replication_queues_and_the_users_whose_last_sync_failed(collector, monkeypatch):
    monkeypatch.setattr(collector, "run", fake_run({"replicator": (0, REPLICATOR_FAILING)}))
    out = collector.Out()
    collector.replication({}, out)
    assert samples(out, "congvu_dovecot_replication_queued") == [
        'congvu_dovecot_replication_queued{queue="failed"} 3',
        'congvu_dovecot_replication_queued{queue="full_resync"} 30',
        'congvu_dovecot_replication_queued{queue="high"} 2',
        'congvu_dovecot_replication_queued{queue="low"} 0',
        'congvu_dovecot_replication_queued{queue="sync"} 0',
    ]
    # failed: due for a retry (3) and waiting for it (4)
    assert samples(out, "congvu_dovecot_replication_failed") == ["congvu_dovecot_replication_failed 7"]
    assert samples(out, "congvu_dovecot_replication_users") == ["congvu_dovecot_replication_users 75"]


def test_replication_in_step_reads_0_failed_and_unknown_lines_are_ignored(collector, monkeypatch):
    text = ("Queued 'sync' requests\t0\nQueued 'failed' requests\t0\nSomething new in a later Dovecot\t9\n"
            "Waiting 'failed' requests\t0\nTotal number of known users\t12\n\n")
    monkeypatch.setattr(collector, "run", fake_run({"replicator": (0, text)}))
    out = collector.Out()
    collector.replication({}, out)
    assert samples(out, "congvu_dovecot_replication_failed") == ["congvu_dovecot_replication_failed 0"]
    assert samples(out, "congvu_dovecot_replication_queued") == [
        'congvu_dovecot_replication_queued{queue="failed"} 0', 'congvu_dovecot_replication_queued{queue="sync"} 0']
    assert "Something" not in "\n".join(out.lines)


def test_no_replication_metric_when_the_replicator_does_not_answer(collector, monkeypatch):
    # doveadm exits non-zero when the replicator's socket is missing (Dovecot stopped, replication off)
    monkeypatch.setattr(collector, "run", fake_run({"replicator": (75, "")}))
    out = collector.Out()
    collector.replication({}, out)
    assert out.lines == []
    monkeypatch.setattr(collector, "run", fake_run({"replicator": (0, "doveadm: some other answer\n")}))
    collector.replication({}, out)
    assert out.lines == []


def test_a_pair_node_writes_both_through_main(collector, monkeypatch, tmp_path):
    conf = {"services": [], "cert_files": [], "textfile_dir": str(tmp_path), "mail_virtual_ipv4": "10.216.16.100",
            "dovecot_replication": True}
    (tmp_path / "monitoring.json").write_text(json.dumps(conf))
    monkeypatch.setattr(collector, "CONFIG", str(tmp_path / "monitoring.json"))
    monkeypatch.setattr(collector, "run", fake_run({"addr": (0, IP_HOLDER), "replicator": (0, REPLICATOR_FAILING)}))
    assert collector.main() == 0
    text = (tmp_path / "congvu_host.prom").read_text()
    assert 'congvu_mail_virtual_address_held{address="10.216.16.100"} 1\n' in text
    assert "congvu_dovecot_replication_failed 7\n" in text
