"""Art. 16.2: the directory on two providers (multi-provider delta-syncrepl, docs/cluster.md).

Two containers of group `directory` (congvu-ldap1, congvu-ldap2 here; the pair scenario, which runs these
tests too, names its own) converged by the role `directory`.
Everything a test does goes through real clients: the project's roster playbook run from the
controller as an operator runs it, OpenLDAP's ldapsearch/ldappasswd/ldapwhoami inside the
containers, `docker stop` for a provider that dies, nftables for a partition, and the monitoring
role's own textfile collector for the metric the out-of-step alert reads. Tests run in file order:
the roster apply with provider 1 down fills the directory the later tests use.
"""

import os
import subprocess
import sys
import time

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from collector import collector_metrics  # noqa: E402
from ldaptools import BASE, PEOPLE, parse_ldif, sh  # noqa: E402
from polling import wait  # noqa: E402
from roster_runs import apply_roster, demo_roster, playbook  # noqa: E402

# the scenario's providers, in the inventory's order
NAMES = tuple(sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("directory")))
L1, L2 = (testinfra.get_host(f"docker://{name}") for name in NAMES)
ROOT_LDAPI = ["-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"]
PASSWORDS = "/var/lib/congvu/initial-passwords"
# Per-server values that are not data: the replication state itself (compared on its own) and what
# slapd computes for each read.
LOCAL_ATTRS = {"contextCSN", "entryDN", "subschemaSubentry", "hasSubordinates"}
# ... and the stamp of the base entry, which holds the contextCSN: a provider's syncrepl consumer writes
# its cookie there and slapd 2.5 stamps the entry with that write (entryCSN of this provider's own
# server id, modifiersName, modifyTimestamp), a write no other provider hears of (docs/cluster.md). The
# base entry's data (o, dc, objectClass, entryUUID) is compared like any other.
BASE_STAMP = {"entryCSN", "modifiersName", "modifyTimestamp"}


def dump(host):
    """The whole mail database as root sees it: {dn: {attr: sorted values}}, operational attributes
    (entryUUID, entryCSN, ppolicy state) included."""
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT_LDAPI, "-b", BASE, "(objectClass=*)", "*", "+"])
    assert r.rc == 0, r.stderr
    return {dn.lower(): {k: sorted(v) for k, v in attrs.items()
                         if k not in LOCAL_ATTRS and not (dn.lower() == BASE.lower() and k in BASE_STAMP)}
            for dn, attrs in parse_ldif(r.stdout).items()}


def context_csn(host):
    r = sh(host, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-s", "base", "-b", BASE, "contextCSN"])
    return sorted(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("contextCSN: "))


def in_step():
    """Both providers hold the same contextCSN set (and it is not empty)."""
    a, b = context_csn(L1), context_csn(L2)
    return a and a == b


def differences(a, b):
    keys = set(a) | set(b)
    return sorted(dn for dn in keys if a.get(dn) != b.get(dn))


def same_tree(timeout=60):
    """Both providers hold the same contextCSN and, entry by entry, the same tree. Polled: each bind
    writes its time (lastbind, pwdLastSuccess), the replicator's own binds included, and that write may
    be on its way between the two dumps. Returns the number of entries."""
    last = {}

    def check():
        if not in_step():
            last["diff"] = ["contextCSN", context_csn(L1), context_csn(L2)]
            return False
        one, two = dump(L1), dump(L2)
        last["diff"] = [(dn, one.get(dn), two.get(dn)) for dn in differences(one, two)]
        return len(one) if not last["diff"] else False

    try:
        return wait(check, timeout=timeout, what="the same tree on both providers")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last.get('diff')}") from None


def entry_csn(host, dn):
    r = sh(host, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-s", "base", "-b", dn, "entryCSN"])
    return next((line for line in r.stdout.splitlines() if line.startswith("entryCSN: ")), None)


def bind(host, dn, password):
    return sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn, "-w", password]).rc == 0


def slapd_answers(host):
    return sh(host, ["ldapsearch", *ROOT_LDAPI, "-s", "base", "-b", "", "1.1"]).rc == 0


def docker(*argv):
    subprocess.run(["docker", *argv], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    return demo_roster(str(tmp_path_factory.mktemp("province") / "roster"))


def stamp(host):
    """A write on `host` that changes nothing but its CSN: the description of ou=people set to itself."""
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT_LDAPI, "-s", "base", "-b", PEOPLE, "description"])
    line = next(x for x in r.stdout.splitlines() if x.startswith("description"))
    change = f"dn: {PEOPLE}\nchangetype: modify\nreplace: description\n{line}\n"
    assert sh(host, ["ldapmodify", *ROOT_LDAPI], stdin=change).rc == 0


def test_art16_both_providers_hold_the_tree_after_converge():
    # A provider that joined empty may miss its own server id in its contextCSN until it writes again
    # (the refresh from the first provider replaced it; docs/cluster.md): a write on each provider, and
    # both must then hold the same contextCSN, for both ids, and the same tree.
    for host in (L1, L2):
        stamp(host)
    assert same_tree(timeout=120) >= 18
    assert f"cn=replicator,ou=system,{BASE}".lower() in dump(L2)
    # the server ids differ (each change is stamped by the provider that made it)
    ids = [sh(h, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-s", "base", "-b", "cn=config", "olcServerID"]).stdout
           for h in (L1, L2)]
    assert "olcServerID: 1" in ids[0] and "olcServerID: 2" in ids[1]


def test_art16_roster_applies_on_provider_2_while_provider_1_is_down(roster):
    docker("stop", "-t", "20", NAMES[0])
    try:
        run = apply_roster(roster)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        # applied on provider 2: the initial passwords are written where the reconcile ran
        assert L2.file(f"{PASSWORDS}/stttt.csv").exists
        people = sh(L2, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-b", PEOPLE, "(objectClass=congvuMailbox)", "1.1"])
        assert people.stdout.count("dn: ") == 625
        # a password reset on request (Art. 6) goes to provider 2 too, and its password works there
        dn = f"uid=TT0006,{PEOPLE}"
        address = next(line.split(": ", 1)[1] for line in sh(
            L2, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-s", "base", "-b", dn, "mail"]).stdout.splitlines()
            if line.startswith("mail: "))
        reset = playbook("password_reset.yml", "-e", f"address={address}",
                         "-e", "requested_by='Văn thư, phiếu 1/2026'")
        assert reset.returncode == 0, reset.stdout[-3000:] + reset.stderr[-2000:]
        assert f"on {NAMES[1]}" in reset.stdout
        given = initial_password(address)
        r = sh(L2, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", given, "-a", given,
                    "-s", "Mat-khau-dat-lai-6"])
        assert r.rc == 0, r.stderr
    finally:
        docker("start", NAMES[0])
    wait(lambda: slapd_answers(L1), what="slapd on provider 1 after its start")
    assert same_tree(timeout=180) > 650
    # and provider 2 reads provider 1 again: a write there arrives
    touch(L1, "TT0018")
    assert same_tree(timeout=60)


def initial_password(address):
    agency = address.split("@")[0].split(".")[-1]
    r = L2.run(f"grep -h '^{address},' {PASSWORDS}/{agency}.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), address
    return r.stdout.strip()


def test_art8_password_changed_on_one_provider_binds_on_the_other():
    dn, initial = f"uid=TT0018,{PEOPLE}", initial_password("annv.stttt@quangbinh.gov.vn")
    new = "Mat-khau-cum-8"
    r = sh(L1, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", initial, "-a", initial, "-s", new])
    assert r.rc == 0, r.stderr
    # the change is there (same entryCSN) before anyone tries it: a refused bind would be a write too
    wait(lambda: entry_csn(L2, dn) == entry_csn(L1, dn), timeout=30, what="the change on provider 2")
    assert bind(L2, dn, new)
    assert not bind(L2, dn, initial)


def test_art8_lockout_on_one_provider_is_honoured_on_the_other():
    dn, password = f"uid=TT0011,{PEOPLE}", initial_password("annv1.stttt@quangbinh.gov.vn")
    assert bind(L2, dn, password)
    policy = sh(L1, ["ldapsearch", "-LLL", *ROOT_LDAPI, "-s", "base", "-b", f"cn=users,ou=policies,{BASE}",
                     "pwdMaxFailure"]).stdout
    failures = int(next(line.split(": ")[1] for line in policy.splitlines() if line.startswith("pwdMaxFailure: ")))
    for _ in range(failures):
        assert not bind(L1, dn, "sai-mat-khau")
    assert not bind(L1, dn, password)      # locked where the failures happened
    wait(lambda: entry_csn(L2, dn) == entry_csn(L1, dn), timeout=30, what="the lockout on provider 2")
    assert not bind(L2, dn, password)
    # an administrator's unlock on provider 2 (root removes the lock) frees the account on both
    unlock = (f"dn: {dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n-\ndelete: pwdFailureTime\n-\n")
    assert sh(L2, ["ldapmodify", *ROOT_LDAPI, "-e", "relax"], stdin=unlock).rc == 0
    wait(lambda: entry_csn(L1, dn) == entry_csn(L2, dn), timeout=30, what="the unlock on provider 1")
    assert bind(L1, dn, password)


def metric(host, sid):
    """congvu_ldap_context_csn_timestamp_seconds{sid} from a fresh run of the textfile collector."""
    text = collector_metrics(host)
    for line in text.splitlines():
        if line.startswith(f'congvu_ldap_context_csn_timestamp_seconds{{sid="{sid}"}} '):
            return int(float(line.split()[-1]))
    raise AssertionError(f"no contextCSN metric of server {sid}:\n{text}")


def touch(host, uid):
    change = f"dn: uid={uid},{PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Chuyên viên {time.time()}\n"
    r = sh(host, ["ldapmodify", *ROOT_LDAPI], stdin=change)
    assert r.rc == 0, r.stderr


def test_art16_out_of_step_metric_shows_a_partition_and_returns_to_zero():
    touch(L2, "TT0018")
    wait(in_step, timeout=30, what="in step before the partition")
    assert metric(L1, "002") == metric(L2, "002")
    peer = L2.run("hostname -I").stdout.split()[0]
    rules = ("add table inet congvu_test\n"
             "add chain inet congvu_test input { type filter hook input priority -10; }\n"
             "add chain inet congvu_test output { type filter hook output priority -10; }\n"
             f"add rule inet congvu_test input ip saddr {peer} drop\n"
             f"add rule inet congvu_test output ip daddr {peer} drop\n")
    time.sleep(3)
    assert sh(L1, ["nft", "-f", "-"], stdin=rules).rc == 0
    try:
        touch(L2, "TT0018")
        time.sleep(2)
        lag = metric(L2, "002") - metric(L1, "002")
        # what CongvuDirectoryOutOfStep computes: max by (sid) - min by (sid)
        assert lag >= 3
    finally:
        assert L1.run("nft delete table inet congvu_test").rc == 0
    wait(lambda: metric(L1, "002") == metric(L2, "002"), timeout=120, what="the lag back to 0")
    same_tree()
