"""Art. 16.2 (24/7 operation): restart on failure, metrics for Prometheus, the one-screen health check.

What a Prometheus user and an operator see: a killed service comes back by itself, each exporter
answers on the admin address with the metric names dashboards use, and congvu-health (on the host,
and through playbooks/health.yml from the controller) says DOWN and fails when a service is down.

On the backup scenario's all-in-one host: the directory, Postfix and Dovecot (no antispam, no webmail),
watched with the role's default list of services and ports. These tests need nothing another file did.
They run after tests/test_backup.py (file order) and leave the host as they found it: every service they
kill or stop is running again, the queue they fill is emptied, and the backup's metrics file, which they
overwrite with chosen ages, is put back as the backup job wrote it.
"""

import json
import os
import re
import sys
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from roster_runs import playbook  # noqa: E402

TEXTFILE = "/var/lib/prometheus/node-exporter"
BACKUP_METRICS = f"{TEXTFILE}/congvu_backup.prom"
KEPT = "/root/congvu_backup.prom.kept"  # outside the textfile folder: node-exporter reads every *.prom there
# the services of this host, in the order of monitoring__services
WATCHED = ["slapd.service", "postfix@-.service", "dovecot.service"]
# installed by roles antispam and webmail, which this scenario does not converge
ABSENT = ["rspamd.service", "clamav-daemon.service", "redis-server.service", "nginx.service", "php8.2-fpm.service"]
# node-exporter and the postfix exporter (this role's ports), Dovecot's stats listener (role imap's fact)
EXPORTERS = {"node": "http://127.0.0.1:9100/metrics", "postfix": "http://127.0.0.1:9154/metrics",
             "dovecot": "http://127.0.0.1:9900/metrics"}


def conf(host):
    return json.loads(host.file("/etc/congvu/monitoring.json").content_string)


def scrape(host, port):
    r = host.run(f"python3 -c 'import sys, urllib.request; "
                 f"sys.stdout.write(urllib.request.urlopen(\"http://127.0.0.1:{port}/metrics\", timeout=10)"
                 f".read().decode())'")
    assert r.rc == 0, r.stderr
    return r.stdout


def names(text):
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def main_pid(host, unit):
    return int(host.run(f"systemctl show -p MainPID --value {unit}").stdout.strip() or 0)


def wait_active(host, unit, old_pid, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        pid = main_pid(host, unit)
        if host.run(f"systemctl is-active --quiet {unit}").rc == 0 and pid not in (0, old_pid):
            return pid
        time.sleep(1)
    return None


def backup_metrics(host, age_seconds):
    host.run(f"printf 'congvu_backup_last_success_timestamp_seconds %d\\ncongvu_backup_last_run_success 1\\n' "
             f"$(( $(date +%s) - {age_seconds} )) > {BACKUP_METRICS}")


@pytest.fixture(scope="module", autouse=True)
def backup_metrics_put_back(host):
    """The backup job's metrics file as it was before these tests (none: none after them either)."""
    had = host.run(f"cp -p {BACKUP_METRICS} {KEPT}").rc == 0
    yield
    host.run(f"mv -f {KEPT} {BACKUP_METRICS}" if had else f"rm -f {BACKUP_METRICS}")


def test_art16_the_expected_services_are_watched(host):
    units = conf(host)["services"]
    # what this scenario converges: the directory, Postfix and Dovecot
    assert units == WATCHED
    for unit in ABSENT:  # not installed here: not watched, not reported DOWN
        assert unit not in units


def test_art16_every_service_present_restarts_on_failure(host):
    for unit in conf(host)["services"]:
        assert host.run(f"systemctl show -p Restart --value {unit}").stdout.strip() == "on-failure", unit


@pytest.mark.parametrize("unit", WATCHED)
def test_art16_a_killed_service_comes_back_by_itself(host, unit):
    assert unit in conf(host)["services"]
    pid = main_pid(host, unit)
    assert pid > 0
    assert host.run(f"kill -9 {pid}").rc == 0
    new = wait_active(host, unit, pid)
    assert new, f"{unit} did not come back within 60 s after kill -9"


def test_art16_exporters_listen_on_the_admin_address_only(host):
    # what the health check reads and role alerting scrapes: the exporters of this host's services
    exporters = {e["name"]: e["url"] for e in conf(host)["exporters"]}
    assert exporters == EXPORTERS
    outside = host.run("hostname -I").stdout.split()[0]  # the container's network address
    probe = "python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)' {} {}"
    for port in (urllib.parse.urlsplit(url).port for url in exporters.values()):
        assert host.run(probe.format("127.0.0.1", port)).rc == 0, port
        assert host.run(probe.format(outside, port)).rc != 0, f"{port} answers on {outside}"


def test_art16_node_metrics(host):
    found = names(scrape(host, 9100))
    assert {"node_load1", "node_filesystem_avail_bytes", "node_memory_MemAvailable_bytes"} <= found
    assert "node_textfile_scrape_error" in found


def test_art16_dovecot_metrics(host):
    # Dovecot's own stats listener (role imap's congvu-metrics.conf), Dovecot being here: the login counts
    # that role alerting's CongvuLoginFailures reads. Each family is on the page from Dovecot's start; its
    # series per service come with the first login of that service.
    text = scrape(host, 9900)
    for family in ("dovecot_auth_failures", "dovecot_auth_successes"):
        assert f"# TYPE {family} counter" in text, text
        assert f"{family}_count" in names(text), family


def test_art16_slapd_and_services_through_the_textfile_collector(host):
    assert host.run("systemctl start congvu-textfile-metrics.service").rc == 0
    text = scrape(host, 9100)
    assert 'congvu_slapd_up 1' in text
    assert 'congvu_service_up{unit="slapd.service"} 1' in text
    assert 'congvu_service_up{unit="postfix@-.service"} 1' in text
    assert 'congvu_service_up{unit="dovecot.service"} 1' in text
    # Dovecot's open sessions (doveadm who), Dovecot being here
    assert re.search(r'congvu_dovecot_sessions\{protocol="imap"\} \d+\n', text), text
    assert 'congvu_directory_mailboxes{kind="person",state="active"}' in text
    assert 'congvu_cert_not_after_timestamp_seconds{file="/etc/ldap/congvu/tls/server.crt"}' in text
    # the age of the oldest deferred message (role alerting's CongvuDeferredMailOld), Postfix being here
    assert re.search(r'congvu_postfix_queue_oldest_seconds\{queue="deferred"\} \d+\n', text), text
    assert host.service("congvu-textfile-metrics.timer").is_running


def test_art16_postfix_metrics_queue_and_deliveries(host):
    # one message for a domain nobody serves: it stays deferred in the queue
    r = host.run("printf 'Subject: queue test\\n\\nhello\\n' | sendmail -f root@localhost nobody@unreachable.invalid")
    assert r.rc == 0, r.stderr
    time.sleep(3)
    text = scrape(host, 9154)
    found = names(text)
    assert "postfix_up" in found
    assert "postfix_showq_message_size_bytes_count" in found
    assert "postfix_showq_message_age_seconds_count" in found
    assert 'postfix_up{path="/var/spool/postfix/public/showq"} 1' in text
    # the log follower feeds the log-based counters (deliveries, bounces, rejects)
    assert host.file("/var/log/congvu-postfix.log").contains("postfix/")
    host.run("postsuper -d ALL")


def test_art16_backup_age_reaches_prometheus_and_the_health_check(host):
    backup_metrics(host, 3600)
    assert "congvu_backup_last_success_timestamp_seconds" in names(scrape(host, 9100))
    r = host.run("congvu-health")
    assert "OK    last backup" in r.stdout, r.stdout
    backup_metrics(host, 3 * 86400)
    r = host.run("congvu-health")
    assert "FAIL  last backup" in r.stdout and r.rc == 1, r.stdout
    backup_metrics(host, 3600)


def test_art16_health_all_up_exits_zero(host):
    backup_metrics(host, 3600)
    r = host.run("congvu-health")
    assert r.rc == 0, r.stdout
    for line in ("UP    service slapd.service", "UP    service postfix@-.service", "UP    service dovecot.service",
                 "certificate ends", "mail queue", "mail store disk"):
        assert line in r.stdout, line
    # every port of the role's default list answers here (465: Postfix's SASL is Dovecot's), the
    # implicit-TLS ones with their certificate's days left
    for port in (25, 465, 587, 143, 993, 995, 4190, 636):
        assert re.search(rf"^UP    port {port} +answering", r.stdout, re.M), port
    for port in (465, 993, 995, 636):
        assert re.search(rf"^UP    port {port} +answering, certificate ends", r.stdout, re.M), port
    for name in EXPORTERS:
        assert re.search(rf"^UP    metrics {name} ", r.stdout, re.M), name
    assert "everything is up" in r.stdout


def test_art16_health_says_down_for_a_stopped_service_and_exits_non_zero(host):
    backup_metrics(host, 3600)
    host.run("systemctl stop slapd.service")
    try:
        r = host.run("congvu-health")
        assert r.rc == 1, r.stdout
        assert "DOWN  service slapd.service" in r.stdout
        assert "DOWN  port 636" in r.stdout
        data = json.loads(host.run("congvu-health --json").stdout)
        assert data["ok"] is False
    finally:
        host.run("systemctl start slapd.service")


def test_art16_health_playbook_one_screen_per_host(host):
    backup_metrics(host, 3600)
    ok = playbook("health.yml")
    assert ok.returncode == 0, ok.stdout[-3000:]
    assert "everything is up" in ok.stdout
    host.run("systemctl stop postfix@-.service")
    try:
        down = playbook("health.yml")
        assert down.returncode != 0
        assert "DOWN  service postfix@-.service" in down.stdout
    finally:
        host.run("systemctl start postfix@-.service")
