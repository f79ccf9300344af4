"""Art. 7.2 on a real slapd: the daily job suspends mailboxes with no login for 90 days.

The mailboxes are made by the project's reconcile (playbooks/roster.yml from the controller, as an
operator runs it). Last-login times are set in the past offline with slapmodify (slapd refuses any
online write of pwdLastSuccess, even by root with the relax control: NO-USER-MODIFICATION). The job
is then run as the timer runs it (`systemctl start congvu-inactivity.service`). The tests build on
each other, in file order.

They share the scenario `directory`'s host and run after test_directory.py (file order). The reconcile
is province-wide (whoever is not in the roster is terminated), and that file's mailboxes, seeded by
converge.yml, have the staff ids used here: the fixture `own_province` sets the starting point of a
fresh directory (no personal or agency mailbox, no audit line, no notice waiting, admin1 not locked)
and puts those mailboxes back at the end, so that `molecule verify` may run both files again. Nothing
here depends on what test_directory.py did.
"""

import base64
import email
import email.policy
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ansible_output import json_callback_output  # noqa: E402
from ldaptools import AGENCIES, BASE, PEOPLE, sh  # noqa: E402
from ldaptools import ROOT as ROOT_LDAPI  # noqa: E402
from roster_runs import commit, playbook  # noqa: E402

DOMAIN = "quangbinh.gov.vn"
AUDIT = "/var/log/congvu/roster-audit.jsonl"
SPOOL = "/var/spool/congvu/inactivity"
SERVICE = "congvu-inactivity.service"
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc",
         "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thành", "Thu", "Thủy", "Trang", "Trung",
         "Tú", "Tuấn", "Vân", "Việt"]
# 40 people: the guard allows min(50, 5% of 40) = 2 suspensions in one run.
STAFF = [{"id": f"TT{i + 1:04}", "name": f"Nguyễn Văn {g}"} for i, g in enumerate(GIVEN)]
OLD, RECENT, NEW = ["TT0002", "TT0003"], "TT0004", "TT0005"
EXTRA_OLD = "TT0006"  # the third one, which trips the guard


def attrs(host, pid, *names):
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///",
                  "-b", f"uid={pid},{PEOPLE}", "-s", "base", "(objectClass=*)", *names])
    assert r.rc == 0, r.stderr
    found = {}
    for line in r.stdout.splitlines()[1:]:
        name, _, value = line.partition(": ")
        found.setdefault(name.rstrip(":"), []).append(value)
    return found


def password_of(host, pid):
    address = attrs(host, pid, "mail")["mail"][0]
    r = host.run(f"grep -h '^{address},' /var/lib/congvu/initial-passwords/stttt.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), f"no password for {address}"
    return r.stdout.strip()


def bind_refused(host, pid):
    """True when slapd refuses the login (49: a locked account answers like a wrong password).

    A fresh account must change its initial password first (pwdReset), so a good bind is followed
    by a refused whoami (53): the bind itself, the login, succeeded."""
    r = sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", f"uid={pid},{PEOPLE}", "-w", password_of(host, pid)])
    assert r.rc in (0, 49, 53), r.stderr
    return r.rc == 49


def set_last_login(host, stamps):
    """pwdLastSuccess per staff id, written offline: slapd stopped, slapmodify, slapd started."""
    ldif = "".join(f"dn: uid={pid},{PEOPLE}\nchangetype: modify\nreplace: pwdLastSuccess\n"
                   f"pwdLastSuccess: {stamp}\n-\n\n" for pid, stamp in stamps.items())
    r = host.run("systemctl stop slapd && cat > /tmp/lastlogin.ldif <<'EOF'\n" + ldif + "EOF\n"
                 "slapmodify -n 1 -l /tmp/lastlogin.ldif; rc=$?; chown -R openldap:openldap /var/lib/ldap; "
                 "systemctl start slapd; exit $rc")
    assert r.rc == 0, r.stderr
    for pid, stamp in stamps.items():
        assert attrs(host, pid, "pwdLastSuccess")["pwdLastSuccess"] == [stamp]


def days_ago(host, days):
    return host.run(f"date -u -d '{days} days ago' +%Y%m%d%H%M%SZ").stdout.strip()


def run_job(host):
    """As the timer does; the unit's result says how the run ended."""
    host.run(f"systemctl reset-failed {SERVICE}")
    start = host.run(f"systemctl start {SERVICE}")
    result = host.run(f"systemctl show -p Result --value {SERVICE}").stdout.strip()
    return start.rc, result


def audit_lines(host, **match):
    r = host.run(f"cat {AUDIT}")
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    return [x for x in lines if all(x.get(k) == v for k, v in match.items())]


def reconcile(folder, *extra):
    proc = playbook("roster.yml", "-e", f"roster_path={folder}", *extra,
                    ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json_callback_output(proc.stdout)
    for play in data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "Plan and apply the roster":
                return next(iter(task["hosts"].values()))
    raise AssertionError("no roster task in the run")


def children(host, parent):
    """The entries right under `parent`, as root reads them: (DNs, their LDIF with the user attributes)."""
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT_LDAPI, "-b", parent, "-s", "one",
                  "(objectClass=*)", "*"])
    assert r.rc == 0, r.stderr
    dns = []
    for line in r.stdout.splitlines():
        if line.startswith("dn:: "):
            dns.append(base64.b64decode(line[5:]).decode())
        elif line.startswith("dn: "):
            dns.append(line[4:])
    return dns, r.stdout


def delete_children(host, parent):
    dns, _ = children(host, parent)
    if dns:
        r = sh(host, ["ldapdelete", *ROOT_LDAPI, "-r", *dns])
        assert r.rc == 0, r.stderr
    assert children(host, parent)[0] == []


@pytest.fixture(scope="module")
def own_province(host):
    """No personal or agency mailbox, no audit line, no notice waiting and admin1 not locked, as on a
    fresh directory; afterwards, the mailboxes found there (converge.yml's seed, as test_directory.py
    left it) again, as root wrote them."""
    saved = [children(host, parent)[1] for parent in (PEOPLE, AGENCIES)]
    for parent in (AGENCIES, PEOPLE):
        delete_children(host, parent)
    # emptied, not removed: the files keep the owner and mode the reconcile gave them
    r = host.run(f"if [ -e {AUDIT} ]; then truncate -s 0 {AUDIT}; fi; "
                 f"if [ -d {SPOOL} ]; then find {SPOOL} -mindepth 1 -delete; fi")
    assert r.rc == 0, r.stderr
    admin1 = f"uid=admin1,ou=admins,{BASE}"
    locked = sh(host, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-b", admin1, "-s", "base", "pwdAccountLockedTime"])
    assert locked.rc == 0, locked.stderr
    if "pwdAccountLockedTime" in locked.stdout:
        r = sh(host, ["ldapmodify", *ROOT_LDAPI, "-e", "relax"],
               stdin=f"dn: {admin1}\nchangetype: modify\ndelete: pwdAccountLockedTime\n")
        assert r.rc == 0, r.stderr
    yield
    for parent in (AGENCIES, PEOPLE):
        delete_children(host, parent)
    for ldif in saved:
        if ldif.strip():
            r = sh(host, ["ldapadd", *ROOT_LDAPI], stdin=ldif)
            assert r.rc == 0, r.stderr


@pytest.fixture(scope="module")
def roster(tmp_path_factory, own_province):
    folder = tmp_path_factory.mktemp("province") / "roster"
    folder.mkdir()
    data = {"agency": {"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                       "head": "TT0001", "delegates": [RECENT]},
            "staff": STAFF}
    with open(folder / "stttt.yml", "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, allow_unicode=True, sort_keys=False)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    commit(str(folder), "stttt")
    yield str(folder)
    shutil.rmtree(folder, ignore_errors=True)


def test_art7_the_job_runs_daily_from_a_systemd_timer(host):
    assert host.service("congvu-inactivity.timer").is_enabled
    assert host.service("congvu-inactivity.timer").is_running
    timer = host.file("/etc/systemd/system/congvu-inactivity.timer").content_string
    assert "OnCalendar=*-*-* 06:30:00" in timer and "Persistent=true" in timer


def test_art7_the_job_imports_the_core_of_package_congvu_core(host):
    assert host.package("congvu-core").is_installed
    owner = host.run("dpkg -S /usr/lib/congvu/python/congvu/inactivity.py")
    assert owner.rc == 0 and owner.stdout.startswith("congvu-core:"), owner.stdout + owner.stderr
    assert not host.file("/usr/local/lib/congvu/congvu").exists
    assert "lib_dir" not in host.file("/etc/congvu/inactivity.json").content_string
    assert not host.package("gcc").is_installed


def test_art7_province_created_by_the_reconcile(host, roster):
    result = reconcile(roster)
    assert result["summary"]["create"] == 41  # 40 people and the agency mailbox
    for pid in (*OLD, RECENT, NEW, EXTRA_OLD):
        assert attrs(host, pid, "congvuState")["congvuState"] == ["active"]


def test_art7_guard_refuses_a_run_that_would_suspend_too_many(host):
    set_last_login(host, {OLD[0]: days_ago(host, 200), OLD[1]: days_ago(host, 95),
                          EXTRA_OLD: days_ago(host, 120), RECENT: days_ago(host, 5)})
    rc, result = run_job(host)
    assert rc != 0 and result == "exit-code"  # the unit fails: the operator sees it
    for pid in (*OLD, EXTRA_OLD):
        entry = attrs(host, pid, "congvuState", "pwdAccountLockedTime")
        assert entry["congvuState"] == ["active"] and "pwdAccountLockedTime" not in entry, pid
        # (no test login here: a bind would write pwdLastSuccess and make them recent)
    refused = audit_lines(host, source="inactivity", action="inactivity-run", outcome="refused")
    assert refused and refused[-1]["guard"] == {"count": 3, "limit": 2, "tripped": True, "override": False}
    assert "--override-guard" in refused[-1]["detail"]


def test_art7_no_login_for_90_days_is_suspended_and_login_refused(host):
    # the third one logs in again (a bind writes pwdLastSuccess now): 2 left, within the guard
    assert not bind_refused(host, EXTRA_OLD)
    rc, result = run_job(host)
    assert rc == 0 and result == "success", host.run(f"journalctl -u {SERVICE} -n 30 --no-pager").stdout
    for pid in OLD:
        entry = attrs(host, pid, "congvuState", "pwdAccountLockedTime", "description")
        assert entry["congvuState"] == ["suspended"]
        assert entry["pwdAccountLockedTime"] == ["000001010000Z"]  # the reconcile's lock, exactly
        assert any(v.startswith("congvu-inactivity suspended ") for v in entry["description"])
        assert bind_refused(host, pid), f"{pid} can still log in"


def test_art7_recent_new_agency_and_admin_accounts_are_kept(host):
    for pid in (RECENT, NEW, EXTRA_OLD, "TT0001"):
        assert attrs(host, pid, "congvuState")["congvuState"] == ["active"], pid
        assert not bind_refused(host, pid), pid
    # the agency mailbox never logs in itself (delegates do, Art. 10): not touched
    r = sh(host, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b",
                  f"cn=stttt,ou=agencies,{BASE}", "-s", "base", "congvuState"])
    assert "congvuState: active" in r.stdout
    r = sh(host, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b",
                  f"uid=admin1,ou=admins,{BASE}", "-s", "base", "pwdAccountLockedTime"])
    assert r.rc == 0 and "pwdAccountLockedTime" not in r.stdout


def test_art7_each_suspension_is_audited_with_source_inactivity(host):
    lines = audit_lines(host, source="inactivity", action="suspend", outcome="applied")
    assert sorted(x["id"] for x in lines) == OLD
    for line in lines:
        assert line["agency"] == "stttt" and line["changes"] == ["state"]
        assert line["last_login_source"] == "pwdLastSuccess" and line["days_inactive"] >= 90
        assert line["time"] and line["actor"]
    run = audit_lines(host, source="inactivity", action="inactivity-run", outcome="applied")
    assert run[-1]["suspended"] == 2


def test_art7_owner_and_agency_are_notified_in_vietnamese(host):
    # no Postfix in this scenario: the notices wait in the spool, and the audit says so
    assert not host.file("/usr/sbin/sendmail").exists
    files = host.run(f"ls {SPOOL}").stdout.split()
    assert len(files) == 2, files
    for pid in OLD:
        name = next(f for f in files if f.endswith(f"-person-{pid}.eml"))
        raw = host.run(f"cat {SPOOL}/{name}").stdout.encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        address = attrs(host, pid, "mail")["mail"][0]
        assert msg["To"] == address and msg["Cc"] == f"stttt@{DOMAIN}"
        assert "đã bị tạm khóa" in msg["Subject"]
        body = msg.get_content()
        assert "Cách mở lại hộp thư" in body and "quantri@quangbinh.gov.vn" in body
        assert "không có lần đăng nhập" in body
    lines = audit_lines(host, source="inactivity", action="suspend", outcome="applied")
    assert all(x["notice"].startswith(f"spooled {SPOOL}/") for x in lines)


def test_art7_a_second_run_changes_nothing(host):
    before = len(audit_lines(host, source="inactivity", action="suspend"))
    rc, result = run_job(host)
    assert rc == 0 and result == "success"
    assert len(audit_lines(host, source="inactivity", action="suspend")) == before
    assert audit_lines(host, action="inactivity-run")[-1]["suspended"] == 0


def test_art7_reactivation_on_request_restarts_the_clock(host):
    r = host.run(f"congvu-inactivity reactivate {OLD[0]} --requested-by 'CNTT Sở TT&TT, công văn 12/STTTT'")
    assert r.rc == 0, r.stderr
    assert attrs(host, OLD[0], "congvuState")["congvuState"] == ["active"]
    assert not bind_refused(host, OLD[0])
    line = audit_lines(host, source="inactivity", action="reactivate")[-1]
    assert line["id"] == OLD[0] and line["requested_by"].startswith("CNTT") and line["outcome"] == "applied"
    # the last login is still 200 days old, but the reactivation counts: not suspended again
    rc, _ = run_job(host)
    assert rc == 0
    assert attrs(host, OLD[0], "congvuState")["congvuState"] == ["active"]


def test_art7_reactivate_refuses_a_mailbox_the_job_did_not_suspend(host):
    r = host.run(f"congvu-inactivity reactivate {RECENT} --requested-by test")
    assert r.rc != 0 and "not suspended by the inactivity job" in r.stderr


def test_art7_the_next_reconcile_keeps_the_inactivity_suspension(host, roster):
    result = reconcile(roster, "--check")
    assert result["summary"]["reactivate"] == 0, "the reconcile would undo the job's suspension"
