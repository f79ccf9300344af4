"""Role `reports` with PostgreSQL: the collector writes its records there, as the collector's system user
by peer authentication, and a restart of the database loses and duplicates nothing (docs/reports.md)."""

import json
import os

from testinfra.utils.ansible_runner import AnsibleRunner

# the database host (the other host's collector: test_reports_hosts.py)
testinfra_hosts = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("directory")

LINES = 3000
FILE = "/root/pg-test/mail.log"


def status(host):
    r = host.run("congvu-reports status")
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


def imap_logins(host):
    """What the database holds, read with psql as the collector's role (peer authentication as root)."""
    r = host.run("psql -At 'postgresql://congvu_reports@/congvu_reports?host=/run/postgresql' "
                 "-c 'SELECT COALESCE(SUM(imap), 0) FROM daily_usage'")
    assert r.rc == 0, r.stderr
    return int(r.stdout.strip())


def write_log(host, start, count):
    host.run("mkdir -p /root/pg-test")
    script = ("import sys\n"
              f"with open('{FILE}', 'a') as f:\n"
              f"    for i in range({start}, {start + count}):\n"
              "        f.write('2026-01-05T08:%02d:%02d+07:00 mail dovecot[1]: imap-login: Login: '\n"
              "                'user=<pgtest%d.stttt@quangbinh.gov.vn>, method=PLAIN, rip=10.9.0.1, '\n"
              "                'lip=10.9.0.2, mpid=1, TLS, session=<x>\\n' % (i // 60 % 60, i % 60, i % 20))\n")
    assert host.run(f"python3 - <<'PYEOF'\n{script}PYEOF").rc == 0


def test_the_collector_imports_the_core_of_package_congvu_core(host):
    assert host.package("congvu-core").is_installed
    for module in ("congvu/usage_events.py", "congvu_usage/store.py", "congvu_usage/postgresql.py"):
        owner = host.run(f"dpkg -S /usr/lib/congvu/python/{module}")
        assert owner.rc == 0 and owner.stdout.startswith("congvu-core:"), owner.stdout + owner.stderr
    assert not host.file("/usr/local/lib/congvu/congvu_usage").exists


def test_postgresql_runs_and_the_collector_uses_it(host):
    assert host.service("postgresql").is_running
    config = json.loads(host.file("/etc/congvu/reports.json").content_string)
    assert config["database_url"].startswith("postgresql://congvu_reports@/congvu_reports")
    assert status(host)["schema"] >= 1
    # the timer's collection works on PostgreSQL (nothing to read here but the journal) and is recorded
    assert host.run("systemctl start congvu-reports-collect.service").rc == 0
    assert status(host)["last_collect"]


def test_the_daily_snapshot_runs_on_postgresql(host):
    """The daily job reads the directory (no mailbox in this scenario) and writes its day there."""
    r = host.run("congvu-reports snapshot")
    assert r.rc == 0, r.stderr
    r = host.run("psql -At 'postgresql://congvu_reports@/congvu_reports?host=/run/postgresql' "
                 "-c 'SELECT COUNT(*) FROM agency_snapshot'")
    assert r.rc == 0, r.stderr


def test_the_snapshot_reads_the_tree_under_the_configured_base_dn_after_a_change_of_domain(host):
    """A province whose domain changed keeps its directory where it was (congvu__base_dn): the snapshot reads
    the tree under the base DN of its configuration, not under one derived from the new domain (that tree
    does not exist, and the read would fail or find nobody)."""
    config = json.loads(host.file("/etc/congvu/reports.json").content_string)
    base = config["base_dn"]
    assert base == "dc=quangbinh,dc=gov,dc=vn"
    agency = f"cn=basetest,ou=agencies,{base}"
    ldif = (f"dn: {agency}\nobjectClass: top\nobjectClass: congvuAgencyMailbox\ncn: basetest\n"
            "mail: basetest@quangtri.gov.vn\ndescription: Ban thu nghiem\ncongvuKind: other\ncongvuState: active\n")
    added = host.run(f"ldapadd -Q -Y EXTERNAL -H ldapi:/// <<'EOF'\n{ldif}EOF")
    assert added.rc == 0, added.stderr
    try:
        moved = {**config, "domain": "quangtri.gov.vn"}  # the new domain, the base DN unchanged
        host.run("mkdir -p /root/base-test")
        write = host.run(f"cat > /root/base-test/reports.json <<'EOF'\n{json.dumps(moved)}\nEOF")
        assert write.rc == 0, write.stderr
        run = host.run("CONGVU_REPORTS_CONFIG=/root/base-test/reports.json congvu-reports snapshot --day 2020-01-01")
        assert run.rc == 0, run.stderr
        rows = host.run("psql -At 'postgresql://congvu_reports@/congvu_reports?host=/run/postgresql' "
                        "-c \"SELECT code || ' ' || name FROM agency_snapshot WHERE day = '2020-01-01'\"")
        assert rows.rc == 0, rows.stderr
        assert "basetest Ban thu nghiem" in rows.stdout.splitlines()
    finally:
        host.run(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// {agency}")


def test_a_restart_of_postgresql_between_batches_loses_and_duplicates_nothing(host):
    host.run(f"rm -f {FILE}")
    before = imap_logins(host)
    write_log(host, 0, LINES)
    run = f"congvu-reports ingest-file --source pgtest --kind journal-text --batch 500 {FILE}"
    assert host.run(run).rc == 0
    assert imap_logins(host) - before == LINES
    assert host.run("systemctl restart postgresql").rc == 0
    write_log(host, LINES, LINES)
    # the same file read again from the committed position: only the new half counts
    assert host.run(run).rc == 0
    assert imap_logins(host) - before == 2 * LINES
    assert status(host)["positions"]["pgtest"]["position"]
