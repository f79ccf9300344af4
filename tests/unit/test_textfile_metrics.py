"""The metrics congvu-textfile-metrics adds for the alerts (role monitoring; docs/monitoring.md, "Alerts"):
the directory's contextCSN per provider, the build time of ClamAV's daily signatures, the age of the oldest
message of each Postfix queue. The commands' outputs are the real formats (ldapsearch, sigtool, postqueue -j).
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
