"""congvu-health's line for the usage records' collector (role monitoring, docs/monitoring.md).

What an operator relies on: the collector that stopped (a failed unit, a stopped timer, a database it
cannot write) shows as FAIL once its last success is older than the threshold, a collector that just
ran is OK, and a host where the reports were just installed is not failed before its first minute.
"""

import importlib.machinery
import importlib.util
import json
import os
import time

import pytest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "monitoring", "files", "congvu-health")
NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def health():
    loader = importlib.machinery.SourceFileLoader("congvu_health", TOOL)
    spec = importlib.util.spec_from_loader("congvu_health", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_a_collector_that_ran_a_minute_ago_is_ok(health):
    status, detail = health.collector_state(NOW - 65, NOW - 86400, NOW, 10)
    assert status == "OK" and "65 s ago" in detail


def test_a_collector_silent_longer_than_the_threshold_fails(health):
    assert health.collector_state(NOW - 599, NOW - 86400, NOW, 10)[0] == "OK"
    status, detail = health.collector_state(NOW - 601, NOW - 86400, NOW, 10)
    assert status == "FAIL" and "10 min ago" in detail and "congvu-reports-collect.service" in detail
    assert health.collector_state(NOW - 601, NOW - 86400, NOW, 15)[0] == "OK"


def test_no_success_yet_fails_only_once_the_settings_are_older_than_the_threshold(health):
    assert health.collector_state(None, NOW - 120, NOW, 10)[0] == "WARN"
    status, detail = health.collector_state(None, NOW - 3600, NOW, 10)
    assert status == "FAIL" and "no successful collection" in detail


def test_the_check_reads_the_collectors_metrics_file_only_where_the_reports_are(health, tmp_path):
    metrics = tmp_path / "congvu_reports.prom"
    settings = tmp_path / "reports.json"
    conf = {"reports_config": str(settings), "reports_metrics_file": str(metrics), "reports_late_minutes": 10,
            "textfile_dir": str(tmp_path)}
    assert list(health.collector(conf)) == []  # no role reports on this host: no line
    settings.write_text(json.dumps({}))
    os.utime(settings, (time.time() - 7200, time.time() - 7200))  # written two hours ago
    assert [line[:2] for line in health.collector(conf)] == [("FAIL", "usage collector")]
    metrics.write_text("# HELP congvu_reports_last_success_timestamp_seconds x\n"
                       "# TYPE congvu_reports_last_success_timestamp_seconds gauge\n"
                       f"congvu_reports_last_success_timestamp_seconds {int(time.time()) - 30}\n")
    assert [line[:2] for line in health.collector(conf)] == [("OK", "usage collector")]


# --- the mail pair's lines (Art. 16.2) -----------------------------------------------------------------

def test_the_node_holding_the_address_says_so_and_nothing_fails(health):
    lines = list(health.pair_lines("10.0.0.100", True, True, 0, 0))
    assert lines == [("OK", "mail pair address", "10.0.0.100 is held by this node; the other node is its replica"),
                     ("OK", "mail replication", "no failed dsync with the other node")]


def test_the_replica_names_the_other_node_as_the_holder(health):
    status, _, detail = next(health.pair_lines("10.0.0.100", False, True, None, None))
    assert status == "OK" and "held by the other node" in detail


def test_an_address_nobody_answers_at_is_down_and_fails_the_run(health):
    status, check, detail = next(health.pair_lines("10.0.0.100", False, False, None, None))
    assert status in health.BAD and check == "mail pair address" and "no node answers at 10.0.0.100" in detail


def test_failed_dsyncs_warn_with_the_count_and_the_waiting_syncs(health):
    lines = list(health.pair_lines("", False, False, 3, 7))
    assert lines == [("WARN", "mail replication", "3 user(s) whose last dsync with the other node failed, 7 waiting "
                                                  "(doveadm replicator status)")]


def test_a_host_outside_the_pair_has_no_pair_lines(health, tmp_path):
    assert list(health.pair({"mail_virtual_ipv4": "", "dovecot_replication": False,
                             "textfile_dir": str(tmp_path)})) == []


def test_the_replication_counts_are_read_from_the_collectors_textfile(health, tmp_path):
    (tmp_path / "congvu_host.prom").write_text(
        "# HELP congvu_dovecot_replication_queued Users waiting.\n"
        "# TYPE congvu_dovecot_replication_queued gauge\n"
        'congvu_dovecot_replication_queued{queue="sync"} 2\n'
        'congvu_dovecot_replication_queued{queue="failed"} 1\n'
        "congvu_dovecot_replication_failed 1\n"
        "congvu_dovecot_replication_users 40\n", encoding="utf-8")
    lines = list(health.pair({"mail_virtual_ipv4": "", "dovecot_replication": True, "textfile_dir": str(tmp_path)}))
    assert lines == [("WARN", "mail replication", "1 user(s) whose last dsync with the other node failed, 3 waiting "
                                                  "(doveadm replicator status)")]


def test_the_node_holding_the_address_is_read_from_the_collectors_textfile(health, tmp_path):
    (tmp_path / "congvu_host.prom").write_text(
        'congvu_mail_virtual_address_held{address="10.0.0.100"} 1\n', encoding="utf-8")
    conf = {"mail_virtual_ipv4": "10.0.0.100", "dovecot_replication": False, "textfile_dir": str(tmp_path)}
    assert list(health.pair(conf)) == [
        ("OK", "mail pair address", "10.0.0.100 is held by this node; the other node is its replica")]
