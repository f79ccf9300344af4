"""The live reconcile against a real slapd (role `directory`), driven as an operator drives it.

Each test edits a copy of the demo roster (a git repository, so the revision is real), runs
`ansible-playbook playbooks/roster.yml` from the controller and reads the directory back inside the
container as root over ldapi://. The tests run in file order and build on each other: the province
is created first, then changed step by step (the lifecycle of POLICY.md).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ansible_output import json_callback_output  # noqa: E402
from ldaptools import AGENCIES, BASE, PEOPLE, sh  # noqa: E402
from ldaptools import root_search as search  # noqa: E402

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
DOMAIN = "quangbinh.gov.vn"
PASSWORDS = "/var/lib/congvu/initial-passwords"
AUDIT = "/var/log/congvu/roster-audit.jsonl"


SHARED = {}  # what a test leaves for a later one


def addr(local):
    return f"{local}@{DOMAIN}"


# --- reading the directory ----------------------------------------------------------------------

def person(host, pid, *attrs):
    found = search(host, PEOPLE, f"(uid={pid})", *(attrs or ("*", "+")))
    assert len(found) == 1, f"uid={pid}: {len(found)} entries"
    return next(iter(found.values()))


def people(host):
    return search(host, PEOPLE, "(objectClass=congvuMailbox)", "uid", "mail", "congvuState")


def password_of(host, address):
    """The last password written for an address (initial or reset), from the agency's file."""
    agency = address.split("@")[0].split(".")[-1]
    r = host.run(f"grep -h '^{address},' {PASSWORDS}/{agency}.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), f"no password for {address}"
    return r.stdout.strip()


def can_login(host, pid, password):
    r = sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", f"uid={pid},{PEOPLE}", "-w", password])
    return r.rc == 0


# --- the roster, as an agency IT person edits it --------------------------------------------------

class Province:
    def __init__(self, folder):
        self.folder = folder
        shutil.copytree(os.path.join(ROOT, "inventories", "demo", "roster"), folder)
        subprocess.run(["git", "init", "-q", folder], check=True)
        self.commit("demo roster")

    def path(self, code):
        return os.path.join(self.folder, f"{code}.yml")

    def load(self, code):
        with open(self.path(code), encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def save(self, code, data):
        with open(self.path(code), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, allow_unicode=True, sort_keys=False)

    def edit(self, code, pid, **fields):
        data = self.load(code)
        entry = next(p for p in data["staff"] if p["id"] == pid)
        entry.update(fields)
        self.save(code, data)
        return entry

    def move(self, pid, source, target):
        src, dst = self.load(source), self.load(target)
        entry = next(p for p in src["staff"] if p["id"] == pid)
        src["staff"].remove(entry)
        src["agency"]["delegates"] = [d for d in src["agency"].get("delegates") or [] if d != pid]
        dst["staff"].append(entry)
        self.save(source, src)
        self.save(target, dst)

    def commit(self, message):
        git = ["git", "-C", self.folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)
        return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                              text=True).stdout.strip()

    def command(self, *extra, check=False, diff=False):
        argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster.yml"),
                "-e", f"roster_path={self.folder}", "-e", "roster_plan_date=2026-11-28", *extra]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
        return argv, env

    def run(self, *extra, check=False, diff=False):
        argv, env = self.command(*extra, check=check, diff=diff)
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900)
        return Run(proc)


class Run:
    """One ansible-playbook run, with the roster module's result picked out of the JSON callback."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.result = {}
        try:
            data = json_callback_output(proc.stdout)
        except json.JSONDecodeError:
            return
        for play in data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == "Plan and apply the roster":
                    self.result = next(iter(task["hosts"].values()))

    @property
    def summary(self):
        return {k: v for k, v in self.result.get("summary", {}).items() if v}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    return Province(str(tmp_path_factory.mktemp("province") / "roster"))


def unchanged_since(host, stamp):
    """Mailbox entries written since `stamp` (LDAP generalized time). Service accounts are left out:
    slapd records each bind's time on the binding entry (lastbind), the reconcile's own included."""
    written = {}
    for base in (PEOPLE, AGENCIES):
        written.update(search(host, base, f"(&(modifyTimestamp>={stamp})(!(objectClass=organizationalUnit)))",
                              "dn"))
    return written


def fresh_stamp(host):
    """A time (LDAP generalized time, 1 s resolution) later than every write made so far."""
    time.sleep(1.1)
    return host.run("date -u +%Y%m%d%H%M%SZ").stdout.strip()


# --- the lifecycle, in order ---------------------------------------------------------------------

def test_art4_create_the_province_from_the_demo_roster(host, province):
    run = province.run()
    assert run.rc == 0, run.output
    # 626 people, one of them terminated in the roster with no mailbox to close; 27 agencies.
    assert run.summary == {"create": 652}
    assert run.result["applied"] == 652 and run.result["changed"] is True
    everyone = people(host)
    assert len(everyone) == 625
    mails = [e["mail"][0] for e in everyone.values()]
    assert len(set(mails)) == len(mails)
    # Art. 5.2b in the directory: the leader of three "Nguyễn Văn An" has the plain address.
    assert person(host, "TT0018", "mail")["mail"] == [addr("annv.stttt")]
    assert person(host, "TT0011", "mail")["mail"] == [addr("annv1.stttt")]
    assert person(host, "TT0026", "mail")["mail"] == [addr("annv2.stttt")]
    stttt = search(host, AGENCIES, "(cn=stttt)", "*")[f"cn=stttt,{AGENCIES}"]
    head = province.load("stttt")["agency"]["head"]
    assert stttt["congvuHead"] == [f"uid={head},{PEOPLE}"] and stttt["mail"] == [addr("stttt")]


def test_art4_new_mailbox_has_initial_password_that_must_be_changed(host, province):
    entry = person(host, "TT0018")
    assert entry["pwdReset"] == ["TRUE"]
    # a random one-time password, sent pre-hashed (docs/directory.md, "Initial passwords")
    assert entry["userPassword"][0].startswith("{SSHA512}")
    password = password_of(host, addr("annv.stttt"))
    assert len(password) >= 16
    r = sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", f"uid=TT0018,{PEOPLE}", "-w", password,
                  "-e", "ppolicy"])
    assert r.rc == 0 and "Password must be changed" in r.stderr
    # the owner's own password replaces it, checked (Art. 8) and stored with argon2
    dn, initial = f"uid=TT0026,{PEOPLE}", password_of(host, addr("annv2.stttt"))
    assert sh(host, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", initial, "-a", initial,
                     "-s", "abc1234"]).rc != 0
    assert sh(host, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", initial, "-a", initial,
                     "-s", "Mat-khau-rieng8"]).rc == 0
    assert person(host, "TT0026", "userPassword")["userPassword"][0].startswith("{ARGON2}")
    mode = host.file(f"{PASSWORDS}/stttt.csv")
    assert mode.mode == 0o600 and host.file(PASSWORDS).mode == 0o700


def test_every_change_is_audited_with_the_roster_revision(host, province):
    revision = subprocess.run(["git", "-C", province.folder, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert person(host, "TT0018", "congvuRevision")["congvuRevision"] == [revision]
    lines = [json.loads(x) for x in host.file(AUDIT).content_string.splitlines()]
    creates = [x for x in lines if x["action"] == "create" and x["revision"] == revision]
    assert len(creates) == 652
    # slapd's own trail (accesslog): who wrote the entry.
    log = search(host, "cn=accesslog", f"(reqDN=uid=TT0018,{PEOPLE})", "reqAuthzID", "reqType")
    assert any(e.get("reqAuthzID") == [f"cn=reconcile,ou=system,{BASE}"] for e in log.values())


def test_rerun_with_nothing_to_do_changes_nothing(host, province):
    stamp = fresh_stamp(host)
    run = province.run()
    assert run.rc == 0, run.output
    assert run.summary == {"keep": 652} and run.result["changed"] is False
    assert unchanged_since(host, stamp) == {}


def test_check_mode_shows_the_plan_and_diff_and_writes_nothing(host, province):
    province.edit("svhtt", "VH0009", name="Đoàn Văn Hài")
    stamp = fresh_stamp(host)
    run = province.run(check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.summary == {"update": 1, "keep": 651} and run.result["changed"] is True
    (diff,) = run.result["diff"]
    assert "name: Đoàn Văn Hải" in diff["before"] and "name: Đoàn Văn Hài" in diff["after"]
    assert unchanged_since(host, stamp) == {}
    province.edit("svhtt", "VH0009", name="Đoàn Văn Hải")


def test_art5_spelling_fix_renames_and_keeps_the_old_address(host, province):
    uuid = person(host, "KC0011", "entryUUID")["entryUUID"]
    province.edit("skhcn", "KC0011", name="Trần Ngọc Quí")
    province.commit("KC0011: the spelling on the decision is Quí")
    run = province.run()
    assert run.rc == 0 and run.summary == {"rename": 1, "keep": 651}, run.output
    entry = person(host, "KC0011")
    assert entry["mail"] == [addr("quitn.skhcn")] and entry["congvuAlias"] == [addr("quytn.skhcn")]
    assert entry["congvuAliasExpiry"] == [f"{addr('quytn.skhcn')} 2027-02-26"]
    assert entry["entryUUID"] == uuid  # the same entry: never a delete plus a create


def test_art5_promotion_to_leader_does_not_renumber(host, province):
    province.edit("stttt", "TT0011", leader=True)
    run = province.run()
    assert run.rc == 0 and run.summary == {"update": 1, "keep": 651}, run.output
    entry = person(host, "TT0011", "mail", "congvuLeader")
    assert entry == {"mail": [addr("annv1.stttt")], "congvuLeader": ["TRUE"]}
    assert person(host, "TT0018", "mail")["mail"] == [addr("annv.stttt")]


def test_art11_transfer_keeps_the_mailbox_and_the_old_address_for_a_while(host, province):
    uuid = person(host, "TC0042", "entryUUID")["entryUUID"]
    province.move("TC0042", "snv", "stc")
    run = province.run()
    assert run.rc == 0 and run.summary.get("transfer") == 1, run.output
    assert not {"create", "terminate"} & set(run.summary)
    entry = person(host, "TC0042")
    assert entry["mail"] == [addr("trangptt.stc")] and entry["departmentNumber"] == ["stc"]
    assert entry["congvuAlias"] == [addr("trangptt.snv")]
    assert entry["entryUUID"] == uuid


def _ordinary(province, code):
    """An active person of the agency who is neither its head nor a delegate."""
    data = province.load(code)
    busy = {data["agency"]["head"], *(data["agency"].get("delegates") or [])}
    return next(p for p in data["staff"] if p["id"] not in busy and p.get("state", "active") == "active")


def test_art7_suspend_refuses_login_and_keeps_the_mailbox(host, province):
    target = _ordinary(province, "sdl")
    address = person(host, target["id"], "mail")["mail"][0]
    password = password_of(host, address)
    assert can_login(host, target["id"], password)
    province.edit("sdl", target["id"], state="suspended")
    run = province.run()
    assert run.rc == 0 and run.summary == {"suspend": 1, "keep": 651}, run.output
    entry = person(host, target["id"])
    assert entry["congvuState"] == ["suspended"] and entry["mail"] == [address]
    assert entry["pwdAccountLockedTime"] == ["000001010000Z"]
    assert not can_login(host, target["id"], password)
    SHARED["suspended"] = (target["id"], address)


def test_art7_demo_person_listed_as_suspended_was_created_locked(host):
    entry = person(host, "CT0014")
    assert entry["congvuState"] == ["suspended"] and entry["pwdAccountLockedTime"] == ["000001010000Z"]
    assert not can_login(host, "CT0014", password_of(host, addr("dongtv.sct")))


def test_art7_reactivate_lets_the_owner_in_again(host, province):
    pid, address = SHARED["suspended"]
    province.edit("sdl", pid, state="active")
    run = province.run()
    assert run.rc == 0 and run.summary == {"reactivate": 1, "keep": 651}, run.output
    assert "pwdAccountLockedTime" not in person(host, pid)
    assert can_login(host, pid, password_of(host, address))


def test_art7_terminate_refuses_login_retires_the_address_and_keeps_the_data(host, province):
    target = _ordinary(province, "stp")
    entry = person(host, target["id"])
    address = entry["mail"][0]
    password = password_of(host, address)
    province.edit("stp", target["id"], state="terminated")
    run = province.run()
    assert run.rc == 0 and run.summary == {"terminate": 1, "keep": 651}, run.output
    after = person(host, target["id"])
    assert after["congvuState"] == ["terminated"] and after["mail"] == [address]
    assert after["entryUUID"] == entry["entryUUID"]
    assert not can_login(host, target["id"], password)
    SHARED["terminated"] = (target, address)


def test_art5_namesake_of_a_terminated_person_gets_a_new_number(host, province):
    target, address = SHARED["terminated"]
    data = province.load("stp")
    data["staff"].append({"id": "TP9001", "name": target["name"]})
    province.save("stp", data)
    run = province.run()
    assert run.rc == 0 and run.summary == {"create": 1, "keep": 652}, run.output
    new = person(host, "TP9001", "mail")["mail"][0].split("@")[0]
    old = address.split("@")[0]
    base = old.split(".")[0].rstrip("0123456789")
    assert new != old and new.endswith(".stp") and new.split(".")[0].startswith(base)
    assert new.split(".")[0][len(base):].isdigit()  # a number: the retired address stays retired


def test_art10_change_of_head_hands_the_agency_mailbox_over(host, province):
    data = province.load("sdl")
    old = data["agency"]["head"]
    new = next(p["id"] for p in data["staff"] if p["id"] != old and p.get("state", "active") == "active")
    data["agency"]["head"] = new
    province.save("sdl", data)
    run = province.run()
    # the two heads' own entries change too: congvuDelegateOf, the agency mailboxes each may open
    assert run.rc == 0 and run.summary == {"handover": 1, "update": 2, "keep": 650}, run.output
    entry = search(host, AGENCIES, "(cn=sdl)", "congvuHead")[f"cn=sdl,{AGENCIES}"]
    assert entry["congvuHead"] == [f"uid={new},{PEOPLE}"]
    assert addr("sdl") in person(host, new, "congvuDelegateOf")["congvuDelegateOf"]
    assert addr("sdl") not in person(host, old, "congvuDelegateOf").get("congvuDelegateOf", [])


def test_invalid_roster_changes_nothing_and_names_file_line_id_field(host, province):
    data = province.load("syt")
    data["staff"][2]["name"] = "Nguyễn Văn Аn"  # Cyrillic А
    province.save("syt", data)
    stamp = fresh_stamp(host)
    run = province.run()
    assert run.rc != 0
    pid = data["staff"][2]["id"]
    # in Vietnamese by default, the file named relative to the roster folder (not the host's copy)
    assert run.result["msg"].startswith("danh sách không hợp lệ: 1 lỗi; không có gì được thay đổi:"), run.output
    with open(province.path("syt"), encoding="utf-8") as handle:
        line = next(n for n, text in enumerate(handle, start=1) if "Аn" in text)
    (error,) = run.result["errors"]
    assert error.startswith(f"syt.yml:{line}: lỗi: mã cán bộ {pid}, trường 'name': 'Nguyễn Văn Аn' có ký tự không "
                            "thuộc bảng chữ cái tiếng Việt"), error
    # and in English on request
    run = province.run("-e", "congvu__language=en")
    assert run.rc != 0 and run.result["msg"].startswith("the roster is invalid: 1 error(s); nothing was changed:")
    assert f": error: staff id {pid}, field 'name': " in run.result["errors"][0]
    assert unchanged_since(host, stamp) == {}
    data["staff"][2]["name"] = "Nguyễn Văn An"
    province.save("syt", data)


def test_empty_roster_is_refused(host, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    stamp = fresh_stamp(host)
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster.yml"),
            "-e", f"roster_path={empty}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "danh sách trống sẽ chấm dứt mọi hộp thư" in " ".join((proc.stdout + proc.stderr).split())
    assert unchanged_since(host, stamp) == {}


def test_guard_stops_a_mass_termination_until_overridden(host, province):
    for code in ("sgddt", "syt"):
        os.unlink(province.path(code))
    stamp = fresh_stamp(host)
    run = province.run()
    assert run.rc != 0 and run.result["msg"].startswith("chốt an toàn dừng lần chạy này: "), run.output
    assert run.result["msg"].endswith("Không có gì được thay đổi.")
    assert unchanged_since(host, stamp) == {}
    run = province.run("-e", "roster_override_guard=true")
    assert run.rc == 0, run.output
    assert run.summary["terminate"] > 50
    gone = search(host, PEOPLE, "(&(congvuState=terminated)(|(departmentNumber=syt)(departmentNumber=sgddt)))",
                  "uid")
    assert len(gone) == run.summary["terminate"] - 2  # every person of both files, + 2 agency mailboxes
    assert not search(host, PEOPLE, "(&(congvuState=active)(|(departmentNumber=syt)(departmentNumber=sgddt)))")


def _big_agency(province, code, prefix, count):
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng"]
    middles = ["Văn", "Thị", "Đức", "Minh"]
    givens = ["An", "Bình", "Hà", "Lan", "Nam", "Hùng", "Dũng", "Trang"]
    staff = [{"id": f"{prefix}{i:04d}",
              "name": f"{surnames[i % 6]} {middles[(i // 6) % 4]} {givens[(i // 24) % 8]}"}
             for i in range(1, count + 1)]
    province.save(code, {"agency": {"code": code, "name": f"Ban {code}", "kind": "other",
                                    "head": staff[0]["id"], "delegates": []}, "staff": staff})


def _wait_for(host, code, at_least, proc, limit=120):
    deadline = time.time() + limit
    while time.time() < deadline:
        found = len(search(host, PEOPLE, f"(departmentNumber={code})", "uid"))
        if found >= at_least:
            return found
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} entries of {code} after {limit}s")


def _converged(host, code, count):
    entries = search(host, PEOPLE, f"(departmentNumber={code})", "uid", "mail")
    uids = [e["uid"][0] for e in entries.values()]
    mails = [e["mail"][0] for e in entries.values()]
    assert len(uids) == count and len(set(uids)) == count and len(set(mails)) == count
    every_mail = [e["mail"][0] for e in people(host).values()]
    assert len(every_mail) == len(set(every_mail))


# The agencies below are big enough that the apply is still running when it is interrupted: with
# several writes in flight (the Applier's window) a create takes 1-3 ms per entry.
# 1,000 people: enough for the kill to land mid-apply (after the first 100, the run has 900 to go), and a
# third of the 3,000 this test first made (355 s of make test on a busy machine).
KILLED_AGENCY = 1000


def test_killed_apply_is_finished_by_the_next_run(host, province):
    _big_agency(province, "bqlda", "DA", KILLED_AGENCY)
    argv, env = province.command()
    env["ANSIBLE_PIPELINING"] = "false"  # so the module runs as a file named AnsiballZ_roster.py
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        partial = _wait_for(host, "bqlda", 100, proc)
        host.run("pkill -9 -f AnsiballZ_roster")
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    written = len(search(host, PEOPLE, "(departmentNumber=bqlda)", "uid"))
    assert partial <= written < KILLED_AGENCY
    run = province.run()
    assert run.rc == 0, run.output
    assert run.summary["create"] == KILLED_AGENCY - written + 1  # + the agency mailbox
    _converged(host, "bqlda", KILLED_AGENCY)
    # Every created mailbox has a password in the agency's file (written before the entry).
    for entry in search(host, PEOPLE, "(departmentNumber=bqlda)", "mail").values():
        assert password_of(host, entry["mail"][0])


def test_slapd_stopped_mid_apply_is_finished_by_the_next_run(host, province):
    _big_agency(province, "bqlxd", "XQ", 2000)
    argv, env = province.command()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(host, "bqlxd", 100, proc)
        assert host.run("systemctl stop slapd").rc == 0
        output, _ = proc.communicate(timeout=300)
    finally:
        host.run("systemctl start slapd")
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "run again to finish" in output
    for _ in range(50):
        if host.run("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -s base -b '' 1.1").rc == 0:
            break
        time.sleep(0.2)
    run = province.run()
    assert run.rc == 0, run.output
    _converged(host, "bqlxd", 2000)


def test_art6_password_reset_on_request(host, province):
    old = password_of(host, addr("annv.stttt"))
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "password_reset.yml"),
            "-e", json.dumps({"address": addr("annv.stttt"), "requested_by": "Văn thư STTTT, phiếu 12/2026"})]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = password_of(host, addr("annv.stttt"))
    assert new != old
    assert not can_login(host, "TT0018", old) and can_login(host, "TT0018", new)
    assert person(host, "TT0018", "pwdReset")["pwdReset"] == ["TRUE"]
    last = json.loads(host.file(AUDIT).content_string.splitlines()[-1])
    assert last["action"] == "password_reset" and last["requested_by"] == "Văn thư STTTT, phiếu 12/2026"


def test_art8_administrator_password_rotation(host):
    before = host.file("/etc/ldap/congvu/admins/admin1.initial").content_string
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "admin_password_rotate.yml"),
            "-e", "admin=admin1"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uid: admin1" in proc.stdout  # the listing of password ages
    new = host.file("/etc/ldap/congvu/admins/admin1.initial")
    assert new.mode == 0o600 and new.content_string != before and len(new.content_string) == 20
    r = sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", f"uid=admin1,ou=admins,{BASE}",
                  "-w", new.content_string, "-e", "ppolicy"])
    assert r.rc == 0 and "Password must be changed" in r.stderr
    assert sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", f"uid=admin1,ou=admins,{BASE}",
                     "-w", before]).rc != 0
    last = json.loads(host.file(AUDIT).content_string.splitlines()[-1])
    assert last["action"] == "admin_password_rotate" and last["id"] == "admin1"


# --- the reviewed plan (docs/roster-flow.md) ------------------------------------------------------

sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))


def plan_offline(cwd, roster, plan_dir, state):
    """playbooks/roster_plan.yml as the pull-request job runs it, with paths relative to `cwd`."""
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster_plan.yml"),
            "-e", f"roster_path={roster}", "-e", f"plan_dir={plan_dir}", "-e", f"state_path={state}",
            "-e", "plan_date=2026-11-28"]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(cwd, plan_dir, "plan.json"), encoding="utf-8") as handle:
        return json.load(handle)


def what_it_writes(plan):
    """The parts of plan.json that say what a run writes (file names relative to the roster folder)."""
    from congvu.saved_plan import comparable  # the project's own comparison, as the apply makes it

    return comparable(plan)


def test_the_live_state_is_exported_after_a_run_with_no_secret(host, province, tmp_path):
    """After each apply the controller gets the live state; the commit is the operator's, when asked."""
    exports = tmp_path / "exports"
    exports.mkdir()
    subprocess.run(["git", "init", "-q", str(exports)], check=True)
    export = exports / "state.json"
    operator = {"GIT_AUTHOR_NAME": "Người vận hành", "GIT_AUTHOR_EMAIL": "vanhanh@quangbinh.gov.vn",
                "GIT_COMMITTER_NAME": "Người vận hành", "GIT_COMMITTER_EMAIL": "vanhanh@quangbinh.gov.vn"}
    argv, env = province.command("-e", f"roster_state_export={export}", "-e", "roster_state_commit=true",
                                 "-e", "roster_override_guard=true")
    proc = subprocess.run(argv, capture_output=True, text=True, env={**env, **operator}, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(export.read_text(encoding="utf-8"))
    assert export.read_bytes() == host.file("/var/lib/congvu/state.json").content
    live = people(host)
    assert len(data["mailboxes"]) == len(live)
    assert {m["address"] for m in data["mailboxes"]} == {e["mail"][0] for e in live.values()}
    assert "assword" not in export.read_text(encoding="utf-8")  # no userPassword, no initial password
    log = subprocess.run(["git", "-C", str(exports), "log", "--format=%an|%s", "--", "state.json"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(log) == 1 and log[0].startswith("Người vận hành|state: live state after applying roster ")
    SHARED["export"] = str(export)


def test_a_pull_request_plan_against_the_export_equals_the_live_check(host, province):
    """The PR plan (offline, against the export) and roster.yml --check (against slapd) list the same."""
    province.edit("svhtt", "VH0009", title="Phó Chánh Văn phòng")
    staff = province.load("snv")
    staff["staff"].append({"id": "NV9001", "name": "Lê Thị Duyệt"})
    province.save("snv", staff)
    SHARED["reviewed_revision"] = province.commit("a promotion and a new member of staff")
    parent = os.path.dirname(province.folder)
    shutil.copy(SHARED["export"], os.path.join(parent, "state.json"))
    # relative paths, from the repository's root, as a user types them
    offline = plan_offline(parent, "roster", "plan-pr", "state.json")
    assert offline["summary"]["create"] == 1 and offline["summary"]["update"] == 1
    assert offline["basis"]["revision"] == SHARED["reviewed_revision"]
    live = province.run(check=True)
    assert live.rc == 0, live.output
    checked = json.loads(host.file("/var/lib/congvu/last-plan/plan.json").content_string)
    assert checked["basis"]["state"] == offline["basis"]["state"]
    assert checked["basis"]["roster"] == offline["basis"]["roster"]
    assert what_it_writes(checked) == what_it_writes(offline)
    SHARED["reviewed"] = os.path.join(parent, "plan-pr", "plan.json")


def test_the_reviewed_plan_is_applied_as_it_was_reviewed(host, province):
    run = province.run("-e", f"plan_file={SHARED['reviewed']}")
    assert run.rc == 0, run.output
    assert run.summary == {"create": 1, "update": 1, "keep": run.summary["keep"]}
    assert run.result["stale"] == []
    assert person(host, "NV9001", "mail")["mail"] == [addr("duyetlt.snv")]
    assert person(host, "VH0009", "title")["title"] == ["Phó Chánh Văn phòng"]


def test_a_plan_made_before_the_directory_changed_is_refused_and_changes_nothing(host, province):
    # a new reviewed plan (the live check's own plan.json), then a change by hand in the directory
    province.edit("snv", "NV9001", title="Chuyên viên")
    province.commit("a title")
    assert province.run(check=True).rc == 0
    reviewed = host.file("/var/lib/congvu/last-plan/plan.json").content_string
    saved = os.path.join(os.path.dirname(province.folder), "plan-check.json")
    with open(saved, "w", encoding="utf-8") as handle:
        handle.write(reviewed)
    ldif = f"dn: uid=VH0009,{PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Chánh Văn phòng\n"
    assert sh(host, ["ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], stdin=ldif).rc == 0
    stamp = fresh_stamp(host)
    run = province.run("-e", f"plan_file={saved}")
    assert run.rc != 0
    # in Vietnamese, the reader's language by default; plan.json's `stale` keeps the English
    assert run.result["msg"].startswith("kế hoạch đã lưu không còn đúng với hiện trạng nên không được áp dụng"), \
        run.output
    assert "thư mục (LDAP) đã thay đổi kể từ khi lập kế hoạch" in run.result["msg"]
    assert run.result["stale"] == ["the directory changed since the plan was made (a later run, the inactivity "
                                   "job or a change by hand)"]
    assert unchanged_since(host, stamp) == {}
    assert person(host, "NV9001", "title").get("title") is None


def test_a_plan_of_another_roster_revision_is_refused_and_changes_nothing(host, province):
    assert province.run(check=True).rc == 0  # reviewed against the directory as it is now
    saved = os.path.join(os.path.dirname(province.folder), "plan-check2.json")
    with open(saved, "w", encoding="utf-8") as handle:
        handle.write(host.file("/var/lib/congvu/last-plan/plan.json").content_string)
    province.edit("snv", "NV9001", title="Chuyên viên chính")
    revision = province.commit("a later commit, not reviewed")
    stamp = fresh_stamp(host)
    run = province.run("-e", f"plan_file={saved}")
    assert run.rc != 0
    assert "danh sách cán bộ không còn là danh sách đã dùng để lập kế hoạch" in run.result["msg"], run.output
    assert f"hiện nay: phiên bản {revision})" in run.result["msg"]
    assert unchanged_since(host, stamp) == {}


# --- the 2025 reorganisation (docs/reorganisation.md) ---------------------------------------------

def test_a_merger_moves_the_staff_without_recreating_a_mailbox_and_keeps_the_old_addresses(host, province):
    """Sở TT&TT merged into Sở KH&CN: the same entries (entryUUID), new addresses, the old ones aliases."""
    stttt, skhcn = province.load("stttt"), province.load("skhcn")
    moving = [p["id"] for p in stttt["staff"] if p.get("state", "active") == "active"][:6]
    before = {pid: person(host, pid, "entryUUID", "mail") for pid in moving}
    skhcn["staff"] += stttt["staff"]
    skhcn["agency"]["replaces"] = ["stttt"]
    province.save("skhcn", skhcn)
    os.remove(province.path("stttt"))
    province.commit("Sở TT&TT hợp nhất vào Sở KH&CN")
    run = province.run("-e", "congvu__former_addresses_until=2026-12-31")
    assert run.rc == 0, run.output
    assert run.result["guard"]["count"] == 0 and run.result["guard"]["reorganisation"] >= len(moving) + 1
    for pid in moving:
        after = person(host, pid, "entryUUID", "mail", "congvuAlias", "congvuAliasExpiry", "departmentNumber")
        old = before[pid]["mail"][0]
        assert after["entryUUID"] == before[pid]["entryUUID"], pid  # the same mailbox, not a new one
        assert after["departmentNumber"] == ["skhcn"] and after["mail"][0].endswith(f".skhcn@{DOMAIN}")
        assert old in after["congvuAlias"] and f"{old} 2026-12-31" in after["congvuAliasExpiry"]
    agencies = search(host, AGENCIES, "(|(cn=stttt)(cn=skhcn))", "congvuState", "congvuAlias", "congvuAliasExpiry")
    assert agencies[f"cn=stttt,{AGENCIES}"]["congvuState"] == ["terminated"]
    assert agencies[f"cn=skhcn,{AGENCIES}"]["congvuAlias"] == [addr("stttt")]
    assert agencies[f"cn=skhcn,{AGENCIES}"]["congvuAliasExpiry"] == [f"{addr('stttt')} 2026-12-31"]
    # the plan shows the reorganisation as its own section
    md = host.file("/var/lib/congvu/last-plan/plan.md").content_string
    assert "## Tổ chức lại: skhcn (" in md and "(không tính vào chốt an toàn)" in md
