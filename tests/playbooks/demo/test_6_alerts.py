"""Alerts reach the operators (Art. 16.2; docs/monitoring.md, "Alerts"): Prometheus scrapes every exporter
of the host, and a service that stops becomes a mail in the operators' mailbox, read over IMAP as its owner
reads it, in Vietnamese, with the alert's name and its runbook section; the mail "resolved" follows the
restart.

The operators' mailbox is postmaster@ (congvu__operators_email), which the demo inventory points at a demo
account (mta__role_aliases); the tests' variables (demo_test_vars.yml) make the path fast (scrape and
evaluation every 5 s, the collector every 15 s, `for: 0s`, group_wait 5 s). The service stopped is PHP-FPM
(the webmail's): the mail path (Postfix, rspamd, ClamAV, redis, Dovecot, slapd) does not need it.
`systemctl stop` is not a failure, so the restart drop-ins leave it stopped.
"""

import json
import os
import textwrap
import time

import pytest
from demo_host import ARTIFACTS, accounts

OPERATOR = "minhls.badon@quangbinh.gov.vn"    # inventories/demo/hosts.yml: mta__role_aliases.postmaster
SERVICE = "php8.2-fpm.service"
# what the all-in-one host exports: node-exporter, Postfix's exporter, rspamd's own, Dovecot's own (role imap)
EXPECTED_JOBS = {"congvu-node", "congvu-postfix", "congvu-rspamd", "congvu-dovecot"}
TIMEOUT = 180

# Runs in the container: an IMAP client as a mail program would use it (993, the system's CA bundle
# trusts the demo CA); prints the new messages whose subject holds WANT, decoded.
IMAP = '''
import email, imaplib, json, ssl, sys
from email.header import decode_header, make_header
user, password, want, seen = sys.argv[1], sys.argv[2], sys.argv[3], set(json.loads(sys.argv[4]))
m = imaplib.IMAP4_SSL("localhost", 993, ssl_context=ssl.create_default_context())
m.login(user, password)
m.select("INBOX", readonly=True)
_, data = m.uid("SEARCH", None, "SUBJECT", want)
found = []
for uid in data[0].split():
    if uid.decode() in seen:
        continue
    _, parts = m.uid("FETCH", uid, "(RFC822)")
    msg = email.message_from_bytes(parts[0][1])
    body = msg.get_payload(decode=True) if not msg.is_multipart() else msg.get_payload(0).get_payload(decode=True)
    found.append({"uid": uid.decode(), "subject": str(make_header(decode_header(msg["Subject"]))),
                  "from": msg["From"], "to": msg["To"], "body": body.decode(msg.get_content_charset() or "utf-8")})
m.logout()
print(json.dumps(found))
'''


def operator_password():
    rows = {a["address"]: a for a in accounts()}
    account = rows.get(OPERATOR)
    assert account and account["state"] == "active" and account["must_change"] == "no", (
        f"{OPERATOR} (the postmaster alias of the demo inventory) is not a ready demo account: {sorted(rows)}")
    return account["password"]


def new_mail(host, password, want, seen):
    r = host.run("python3 -c " + _quote(IMAP) + " " + " ".join(
        _quote(a) for a in (OPERATOR, password, want, json.dumps(sorted(seen)))))
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def wait_mail(host, password, want, seen, match):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        mails = [m for m in new_mail(host, password, want, seen) if match(m)]
        if mails:
            return mails[0]
        time.sleep(2)
    # what to look at when it fails: Alertmanager's log and alerts, Prometheus's view of the alert, the mail log
    journal = host.run("journalctl -u prometheus-alertmanager --since -5min --no-pager | tail -20").stdout
    alerts = http_get(host, "http://127.0.0.1:9093/api/v2/alerts").stdout
    rules = http_get(host, "http://127.0.0.1:9090/api/v1/alerts").stdout
    maillog = host.run("journalctl -u 'postfix@-' --since -5min --no-pager | grep -i alertmanager | tail -10").stdout
    pytest.fail(f"no mail '{want}' for {OPERATOR} within {TIMEOUT} s\nalertmanager:\n{journal}\nalerts: {alerts}"
                f"\nprometheus alerts: {rules}\nmail log: {maillog}")


def http_get(host, url):
    """GET `url` from inside the container (it has no curl: Python's urllib); the command's result."""
    return host.run("python3 -c " + _quote(textwrap.dedent(f'''
        import urllib.request
        print(urllib.request.urlopen("{url}", timeout=10).read().decode())''')))


def prometheus(host, path):
    r = http_get(host, f"http://127.0.0.1:9090{path}")
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


def test_prometheus_scrapes_every_exporter_of_the_host_and_each_answers(host):
    deadline = time.monotonic() + 60
    while True:
        targets = prometheus(host, "/api/v1/targets")["data"]["activeTargets"]
        health = {(t["labels"]["job"], t["scrapeUrl"]): t["health"] for t in targets}
        if all(h == "up" for h in health.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert {job for job, _ in health} == EXPECTED_JOBS, health
    assert all(h == "up" for h in health.values()), health
    # `instance` is the host's inventory name (what the mail names)
    assert {t["labels"]["instance"] for t in targets} == {host.ansible.get_variables()["inventory_hostname"]}


def test_prometheus_loaded_the_rules(host):
    groups = prometheus(host, "/api/v1/rules")["data"]["groups"]
    names = {r["name"] for g in groups for r in g["rules"]}
    assert {"CongvuServiceDown", "CongvuTargetDown", "CongvuDirectoryDown", "CongvuBackupLate"} <= names
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups


def test_prometheus_has_every_metric_the_rules_of_this_host_read(host):
    # (the backup's and the jobs' metrics appear after their first run, ClamAV's with downloaded signatures,
    # the directory's contextCSN with replication: syncprov)
    for metric in ("up", "congvu_service_up", "congvu_slapd_up", "congvu_textfile_last_run_timestamp_seconds",
                   "congvu_postfix_queue_oldest_seconds",
                   "postfix_showq_message_size_bytes_count", "node_filesystem_avail_bytes",
                   "congvu_cert_not_after_timestamp_seconds", "postfix_smtpd_sasl_authentication_failures_total"):
        assert prometheus(host, f"/api/v1/query?query={metric}")["data"]["result"], metric


def test_a_stopped_service_is_mailed_to_the_operators_then_its_return(host):
    password = operator_password()
    name = host.ansible.get_variables()["inventory_hostname"]
    seen = {m["uid"] for m in new_mail(host, password, "CongvuServiceDown", set())}
    started = time.monotonic()
    assert host.run(f"systemctl stop {SERVICE}").rc == 0
    try:
        firing = wait_mail(host, password, "CongvuServiceDown", seen,
                           lambda m: SERVICE in m["subject"] and m["subject"].startswith("[CẢNH BÁO]"))
        to_mail = time.monotonic() - started
    finally:
        assert host.run(f"systemctl start {SERVICE}").rc == 0
    restarted = time.monotonic()
    seen.add(firing["uid"])

    # what the operator reads: Vietnamese subject and text, the alert's name, the host, the runbook link
    assert firing["subject"] == f"[CẢNH BÁO] CongvuServiceDown: Dịch vụ {SERVICE} ngừng chạy trên {name}", \
        firing["subject"]
    assert firing["from"] == "alertmanager@quangbinh.gov.vn" and firing["to"] == "postmaster@quangbinh.gov.vn"
    body = firing["body"]
    assert "Hệ thống thư công vụ phát hiện sự cố sau" in body, body
    assert "Cảnh báo: CongvuServiceDown" in body and f"Máy: {name}" in body, body
    assert "Xử lý: docs/runbook.md#congvuservicedown" in body, body

    resolved = wait_mail(host, password, "CongvuServiceDown", seen,
                         lambda m: SERVICE in m["subject"] and m["subject"].startswith("[ĐÃ KHẮC PHỤC]"))
    to_resolved = time.monotonic() - restarted
    assert "Sự cố sau đã hết." in resolved["body"] and "Kết thúc:" in resolved["body"], resolved["body"]

    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "alerts-timing.json"), "w", encoding="utf-8") as handle:
        json.dump({"stop_to_mail_s": round(to_mail, 1), "start_to_resolved_mail_s": round(to_resolved, 1)}, handle)
