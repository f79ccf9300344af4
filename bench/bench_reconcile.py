#!/usr/bin/env python3
"""Benchmark: the speed targets of the live roster reconcile, against slapd in a container.

    python bench/bench_reconcile.py [--people 10000 --people 100000] [--container bench-ldap]
                                    [--skip-create-100k] [--e2e-create] [--json FILE] [--remove]

Targets named by the issue: no-op plan 10k <= 5 s, 100k <= 30 s; full create from an empty directory
10k <= 40 s, 100k <= 5 min; side by side: `ldapadd` of the same entries as LDIF, and a loop of
`community.general.ldap_entry` tasks over a sample of 200 people, extrapolated per item. Prints the
figures (value, target, ratio value/target, PASS/OVER), the two ratios ours/ldapadd and ours/loop, and
the per-entry cost of a password in slapd (pre-hashed {SSHA512}, as the reconcile sends it, against
cleartext that slapd hashes with {ARGON2}); results are recorded in docs/benchmarks.md.

How it measures (docs/benchmarks.md, "Directory reconcile", says more)
- The test bed: a container of local/bookworm-systemd (`--container`, default bench-ldap; started if
  missing) with the role `directory` converged into it by ansible-playbook (skipped when the container
  already has /etc/ldap/congvu/reconcile.secret). The inventory and playbooks are written under
  bench/out/reconcile/ansible/ (group_vars linked to inventories/demo/group_vars).
- The measured code is the project's: plugins/module_utils (congvu + congvu_ldap) is copied into the
  container with bench/reconcile_child.py, which runs there with the host's python3, python3-ldap,
  python3-ldap3 and python3-yaml, where playbooks/roster.yml runs the roster module, in the module's
  order: `load_roster`, `read_state` (python-ldap, paged, ldapi://, bound as cn=reconcile with
  /etc/ldap/congvu/reconcile.secret, through congvu_ldap.connect_python_ldap) and `make_plan` inside
  `paused_gc()`, then `Applier.apply` over the same python-ldap connection with --window writes in
  flight (audit log and initial-password files where the playbook puts them); the same apply with one
  write in flight is run first, as the reference for the window. No Ansible in these figures; all
  times are taken inside the container.
- Full mode (a size whose create is estimated under --max-create-minutes): the directory is reset to
  the bare tree (slapadd of the role's tree, offline) before each method, so `ldapadd`, the
  ldap_entry loop and the reconcile each create into the same empty ou=people / ou=agencies.
- Tail mode (a size whose full create would take longer; --skip-create-100k forces it for 100k and
  more): every entry of the planned create is bulk-loaded with slapadd (offline, with the entries and
  pre-hashed passwords the reconcile would write) except a tail
  of 1 person in --tail-every (default 100); the three methods then create that tail into the
  nearly-full directory (the tail is deleted again between them), and the full create is extrapolated
  from the per-entry cost measured there, marked "extrapolated".
- No-op plan: with the directory equal to the roster (after the reconcile's own create), load_roster
  + read_state + make_plan, which must give `keep` for every item; run twice.
- End to end: `ansible-playbook playbooks/roster.yml` (no-op) from the controller, timed around the
  command (the operator's wall time, shipping the roster included); --e2e-create also times one full
  create that way (full mode only).
- The password's cost: `slappasswd` {ARGON2} (a process per hash) and, in slapd itself, ldapadd of the
  same 200 entries without userPassword, with the pre-hashed {SSHA512} the reconcile sends, and with
  cleartext that slapd hashes with {ARGON2} (the former way); also two ldapadd streams at once.

Exit status: 0 when every figure is within its target, 1 when one is over (measured or extrapolated),
2 when the run itself went wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from benchlib import (
    BenchError,
    Container,
    ansible_env,
    check_container_name,
    link_demo_group_vars,
    machine,
    run,
    stderr_log,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
WORK = os.path.join(HERE, "out", "reconcile")
PLAN_DATE = "2025-01-15"
IMAGE = "local/bookworm-systemd"
HOSTNAME = "mail.quangbinh.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
RECONCILE_DN = f"cn=reconcile,ou=system,{BASE}"
SECRET = "/etc/ldap/congvu/reconcile.secret"
PERSON_ATTRS = ("uid cn sn givenName displayName mail title departmentNumber congvuState congvuLeader "
                "congvuQuota congvuQuotaDecision congvuGivenName congvuAlias congvuAliasExpiry "
                "congvuAddressHistory congvuRevision")
IN = "/opt/bench"  # the benchmark's folder inside the container
ARGON2 = "argon2 m=19456 t=2 p=1"

# The targets, in seconds, per roster size.
TARGET_NOOP = {10_000: 5.0, 100_000: 30.0}
TARGET_CREATE = {10_000: 40.0, 100_000: 300.0}

RESET_SH = r"""set -e
# Back to the role's tree (+ the given LDIF files): offline, with slapadd, as root.
systemctl stop slapd
rm -f /var/lib/ldap/data.mdb /var/lib/ldap/lock.mdb
slapadd -q -n1 -l /opt/bench/tree.ldif
for f in "$@"; do slapadd -q -n1 -l "$f"; done
chown -R openldap:openldap /var/lib/ldap
# Several resets within seconds (the hash probe) would hit systemd's start limit on a quiet machine.
systemctl reset-failed slapd 2>/dev/null || true
systemctl start slapd
for i in $(seq 100); do ldapwhoami -Q -Y EXTERNAL -H ldapi:/// >/dev/null 2>&1 && exit 0; sleep 0.2; done
echo "slapd did not come back" >&2
exit 1
"""

LOOP_YML = """---
# community.general.ldap_entry, one task looping over the sample (bench_reconcile.py).
- name: Create the sample with one ldap_entry task per person
  hosts: directory[0]
  gather_facts: false
  become: true
  tasks:
    - name: Read the reconcile password on the directory host
      ansible.builtin.slurp:
        src: /etc/ldap/congvu/reconcile.secret
      register: bench_secret
      no_log: true

    - name: Start the clock
      ansible.builtin.set_fact:
        bench_t0: "{{ now(utc=true).timestamp() }}"

    - name: One ldap_entry per person
      community.general.ldap_entry:
        dn: "{{ item.dn }}"
        objectClass: "{{ item.objectClass }}"
        attributes: "{{ item.attributes }}"
        server_uri: ldapi:///
        bind_dn: "{{ reconcile_dn }}"
        bind_pw: "{{ bench_secret.content | b64decode }}"
      loop: "{{ people }}"
      loop_control:
        label: "{{ item.dn }}"

    - name: Stop the clock
      ansible.builtin.debug:
        msg: "LOOP_SECONDS {{ now(utc=true).timestamp() - (bench_t0 | float) }}"
"""

CONVERGE_YML = """---
- name: Converge the role directory into the benchmark container
  hosts: directory
  become: true
  roles: [directory]
"""




# ---------------------------------------------------------------------------------------------------
# Running things
# ---------------------------------------------------------------------------------------------------




class Box(Container):
    """The container, reconcile_child.py in it, and timed shell commands."""

    def timed(self, script: str, timeout: float | None = None) -> float:
        """Wall time of `script`, taken inside the container (docker exec overhead excluded)."""
        out = self.sh(f"s=$(date +%s.%N); {script}\ne=$(date +%s.%N); echo BENCH_TIME $s $e", timeout)
        match = re.search(r"BENCH_TIME (\S+) (\S+)", out)
        return float(match.group(2)) - float(match.group(1))

    def child(self, *args: str, timeout: float | None = None) -> dict:
        return self.result_of(f"cd {IN} && python3 reconcile_child.py --lib lib "
                              + " ".join(shlex.quote(a) for a in args), timeout)

    def reset(self, *ldif: str) -> float:
        return self.timed(f"bash {IN}/reset.sh {' '.join(ldif)}", timeout=3600)

    def loadavg(self) -> float:
        return os.getloadavg()[0]




def playbook(args: list[str], timeout: float = 7200) -> tuple[float, str]:
    start = time.perf_counter()
    proc = run(["ansible-playbook", "-i", os.path.join(WORK, "ansible", "hosts.yml"), *args],
               timeout=timeout, env=ansible_env(), cwd=os.path.join(WORK, "ansible"))
    return time.perf_counter() - start, proc.stdout


def recap_changed(output: str) -> int:
    match = re.search(r"changed=(\d+)", output.split("PLAY RECAP")[-1])
    return int(match.group(1)) if match else -1


# ---------------------------------------------------------------------------------------------------
# Setting up
# ---------------------------------------------------------------------------------------------------


def write_ansible_files(container: str) -> None:
    folder = os.path.join(WORK, "ansible")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write(f"""mail:
  children:
    directory:
      hosts:
        {HOSTNAME}:
  vars:
    ansible_connection: community.docker.docker
    ansible_host: {container}
    ansible_python_interpreter: /usr/bin/python3
""")
    link_demo_group_vars(folder)
    for name, text in (("converge.yml", CONVERGE_YML), ("ldap_entry_loop.yml", LOOP_YML)):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)


def setup(box: Box, log) -> dict:
    info: dict = {}
    write_ansible_files(box.name)
    if box.start(IMAGE, HOSTNAME, [], log):
        info["container_started"] = True
    if box.sh(f"test -s {SECRET} && echo yes || echo no").strip() != "yes":
        log("converging the role directory (ansible-playbook converge.yml)")
        seconds, _ = playbook(["converge.yml"], timeout=3600)
        info["converge_s"] = seconds
    box.sh(f"rm -rf {IN}/lib && mkdir -p {IN}/lib")
    box.put(os.path.join(MODULE_UTILS, "congvu"), f"{IN}/lib/")
    for adapter in ("congvu_ldap.py", "congvu_directory.py", "congvu_planner_files.py"):
        box.put(os.path.join(MODULE_UTILS, adapter), f"{IN}/lib/")
    box.put(os.path.join(HERE, "reconcile_child.py"), f"{IN}/")
    reset_path = os.path.join(WORK, "reset.sh")
    with open(reset_path, "w", encoding="utf-8") as handle:
        handle.write(RESET_SH)
    box.put(reset_path, f"{IN}/reset.sh")
    box.sh(f"find {IN}/lib -name __pycache__ -prune -exec rm -rf {{}} +")
    # The role's tree without any mailbox: what every reset goes back to.
    box.sh(f"cd {IN} && slapcat -n1 | python3 reconcile_child.py --lib lib tree > tree.ldif")
    versions = box.sh("dpkg-query -W -f '${Package} ${Version}\\n' slapd python3-ldap python3-ldap3 python3-yaml "
                      "python3; "
                      "python3 -c 'import yaml; print(\"libyaml\", yaml.__with_libyaml__)'; nproc")
    info["container_versions"] = versions.strip().splitlines()
    return info


# ---------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------


def ldap_bind() -> str:
    return f"-x -H ldapi:/// -D {RECONCILE_DN} -y {SECRET}"


def hash_probe(box: Box, ldif_dir: str, log) -> dict:
    """The cost of a password: {ARGON2} per process (slappasswd) and, inside slapd, ldapadd of the same
    entries without userPassword, pre-hashed ({SSHA512}, the reconcile's way) and cleartext ({ARGON2})."""
    log("hash probe: slappasswd x30 {SSHA} vs {ARGON2}; ldapadd of 200 entries without / pre-hashed / "
        "cleartext userPassword")
    n = 30
    loop = "for i in $(seq {n}); do slappasswd -h '{h}' -o module-load='{m}' -s 'Abc-12345-xyz' >/dev/null; done"
    ssha = box.timed(loop.format(n=n, h="{SSHA}", m=ARGON2))
    argon = box.timed(loop.format(n=n, h="{ARGON2}", m=ARGON2))
    # The first 200 entries of the tail (people), split in two halves for the two-stream test.
    box.sh(f"cd {ldif_dir} && "
           "awk 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} NR<=200' tail.ldif > probe.ldif && "
           "awk 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} NR<=200' tail.nopw.ldif > probe.nopw.ldif && "
           "awk 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} NR<=200' tail.clear.ldif > probe.clear.ldif && "
           "awk 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} NR<=200 && NR%2==1' tail.ldif > probe.a.ldif && "
           "awk 'BEGIN{RS=\"\";ORS=\"\\n\\n\"} NR<=200 && NR%2==0' tail.ldif > probe.b.ldif")
    count = int(box.sh(f"grep -c '^dn' {ldif_dir}/probe.ldif").strip())
    box.reset()
    nopw = box.timed(f"ldapadd {ldap_bind()} -f {ldif_dir}/probe.nopw.ldif >/dev/null")
    box.reset()
    withpw = box.timed(f"ldapadd {ldap_bind()} -f {ldif_dir}/probe.ldif >/dev/null")
    box.reset()
    clear = box.timed(f"ldapadd {ldap_bind()} -f {ldif_dir}/probe.clear.ldif >/dev/null")
    box.reset()
    two = box.timed(f"ldapadd {ldap_bind()} -f {ldif_dir}/probe.a.ldif >/dev/null & "
                    f"ldapadd {ldap_bind()} -f {ldif_dir}/probe.b.ldif >/dev/null & wait")
    box.reset()
    return {"slappasswd_n": n, "slappasswd_ssha_s": ssha, "slappasswd_argon2_s": argon,
            "slappasswd_per_hash_s": (argon - ssha) / n, "probe_entries": count,
            "ldapadd_nopw_s": nopw, "ldapadd_pw_s": withpw, "ldapadd_clear_s": clear,
            "ldapadd_pw_two_streams_s": two, "inserver_per_hash_s": (clear - nopw) / count,
            "inserver_per_prehashed_s": (withpw - nopw) / count, "per_entry_nopw_s": nopw / count,
            "per_entry_pw_s": withpw / count, "per_entry_clear_s": clear / count,
            "two_stream_speedup": withpw / two}


def measure_size(box: Box, people: int, args, probe_holder: dict, log) -> dict:
    r: dict = {"people": people, "loadavg": {}}
    host_roster = os.path.join(WORK, f"roster-{people}")
    shutil.rmtree(host_roster, ignore_errors=True)
    sys.path.insert(0, HERE)
    import gen_roster

    gen = gen_roster.generate(people, host_roster, args.seed)
    r["generation"] = {k: gen[k] for k in ("files", "bytes", "seconds", "suspended", "terminated")}
    roster_in = f"{IN}/roster-{people}"
    ldif_dir = f"{IN}/ldif-{people}"
    box.sh(f"rm -rf {roster_in} {ldif_dir}")
    box.put(host_roster, roster_in)

    # Full or tail mode: estimated from the in-server per-entry cost (probe) when there is one.
    first = not probe_holder
    tail_every = 0
    if not first:
        estimate = people * probe_holder["per_entry_pw_s"] * 1.2
        forced = args.skip_create_100k and people >= 100_000
        if forced or estimate > args.max_create_minutes * 60:
            tail_every = args.tail_every
        r["create_estimate_s"] = estimate
    elif args.skip_create_100k and people >= 100_000:
        tail_every = args.tail_every
    mode = "tail" if tail_every else "full"
    r["mode"] = mode
    log(f"[{people}] LDIF of the planned create ({mode} mode)")
    ldif = box.child("ldif", "--roster", roster_in, "--date", PLAN_DATE, "--out-dir", ldif_dir,
                     "--tail-every", str(tail_every), "--sample", str(args.sample), timeout=3600)
    r["ldif"] = ldif
    if first:
        probe_holder.update(hash_probe(box, ldif_dir, log))
        estimate = people * probe_holder["per_entry_pw_s"] * 1.2
        r["create_estimate_s"] = estimate
        if mode == "full" and estimate > args.max_create_minutes * 60:
            raise BenchError(f"{people} people: a full create would take about {estimate / 60:.0f} min; "
                             "put a smaller size first, or use --skip-create-100k")

    base = [f"{ldif_dir}/base.ldif"] if mode == "tail" else []
    tail_n = ldif["tail_entries"]
    r["tail_entries"] = tail_n
    if mode == "tail":
        log(f"[{people}] bulk load of {ldif['base_entries']:,} entries with slapadd (not measured code)")
        r["bulk_load_s"] = box.reset(*base)
        r["db_size"] = box.sh("du -sh /var/lib/ldap/data.mdb | cut -f1").strip()

    def back_to_start() -> float:
        if mode == "full":
            return box.reset()
        return box.timed(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// -c -f {ldif_dir}/tail.dns >/dev/null 2>&1 "
                         "|| true")

    def clean_outputs() -> None:
        box.sh("rm -rf /var/lib/congvu/initial-passwords /var/log/congvu/roster-audit.jsonl "
               "/var/lib/congvu/last-plan")

    # 1. ldapadd of the same entries (pre-hashed initial passwords, pwdReset), as cn=reconcile.
    log(f"[{people}] ldapadd of {tail_n:,} entries")
    if mode == "full":
        back_to_start()
    r["loadavg"]["ldapadd"] = [box.loadavg()]
    r["ldapadd_s"] = box.timed(f"ldapadd {ldap_bind()} -f {ldif_dir}/tail.ldif >/dev/null", timeout=7200)
    r["loadavg"]["ldapadd"].append(box.loadavg())
    r["ldapadd_count"] = int(box.sh(
        f"ldapsearch -Q -LLL -Y EXTERNAL -H ldapi:/// -b ou=people,{BASE} -s one '(objectClass=*)' 1.1 "
        "| grep -c '^dn:' || true").strip())
    if mode == "full" and r["ldapadd_count"] != r["ldif"]["person_creates"]:  # stop now, not after the run
        raise BenchError(f"ldapadd left {r['ldapadd_count']} people, expected {r['ldif']['person_creates']}")

    # 2. The community.general.ldap_entry loop over the sample, then the same again (all present).
    back_to_start()
    sample_host = os.path.join(WORK, f"sample-{people}.json")
    box.get(f"{ldif_dir}/sample.json", sample_host)
    with open(sample_host, encoding="utf-8") as handle:
        sample_n = len(json.load(handle)["people"])
    log(f"[{people}] ldap_entry loop over {sample_n} people (create, then again: no-op)")
    r["loadavg"]["loop"] = [box.loadavg()]
    wall, out = playbook(["ldap_entry_loop.yml", "-e", f"@{sample_host}"])
    loop_s = float(re.search(r"LOOP_SECONDS ([0-9.]+)", out).group(1))
    wall2, out2 = playbook(["ldap_entry_loop.yml", "-e", f"@{sample_host}"])
    loop2_s = float(re.search(r"LOOP_SECONDS ([0-9.]+)", out2).group(1))
    r["loadavg"]["loop"].append(box.loadavg())
    r["loop"] = {"sample": sample_n, "create_s": loop_s, "create_wall_s": wall, "create_changed": recap_changed(out),
                 "noop_s": loop2_s, "noop_wall_s": wall2, "noop_changed": recap_changed(out2)}

    # 3. The reconcile's create: the project's code, in the container. First with one write in flight
    # (the Applier before run 6, for the side-by-side), then as the module runs it (window 8).
    r["create_by_window"] = {}
    for window in ((args.window,) if args.skip_window_reference else (1, args.window)):
        back_to_start()
        clean_outputs()
        log(f"[{people}] reconcile create ({tail_n:,} entries, {window} write(s) in flight)")
        create = box.child("reconcile", "--roster", roster_in, "--date", PLAN_DATE, "--bind-dn", RECONCILE_DN,
                           "--apply", "--window", str(window), timeout=4 * 3600)
        if create["applied"] != tail_n:
            raise BenchError(f"the reconcile created {create['applied']} entries, expected {tail_n}")
        r["create_by_window"][str(window)] = create
    r["create"] = create

    # 4. No-op plans against the directory the reconcile left (twice).
    r["noop"] = []
    for i in range(args.noop_runs):
        log(f"[{people}] no-op plan, run {i + 1}")
        r["noop"].append(box.child("reconcile", "--roster", roster_in, "--date", PLAN_DATE, "--bind-dn",
                                   RECONCILE_DN, "--expect-keep", timeout=3600))
    # Reference: the same paged read with ldapsearch (C, output thrown away).
    r["ldapsearch_s"] = box.timed(
        f"ldapsearch {ldap_bind()} -LLL -E pr=1000/noprompt -b ou=people,{BASE} -s one "
        f"'(objectClass=congvuMailbox)' {PERSON_ATTRS} >/dev/null", timeout=3600)

    log(f"[{people}] reference read: read_state (python-ldap) vs the former ldap3 read")
    r["readref"] = box.child("readref", "--bind-dn", RECONCILE_DN, timeout=3600)

    # 5. End to end: ansible-playbook playbooks/roster.yml from the controller (no-op).
    log(f"[{people}] ansible-playbook playbooks/roster.yml (no-op)")
    pb = os.path.join(REPO, "playbooks", "roster.yml")
    extra = ["-e", f"roster_path={host_roster}", "-e", f"roster_plan_date={PLAN_DATE}"]
    r["loadavg"]["e2e"] = [box.loadavg()]
    wall, out = playbook([pb, *extra])
    r["loadavg"]["e2e"].append(box.loadavg())
    written = re.search(r"(\d+) entries written", out)
    r["e2e_noop"] = {"wall_s": wall, "written": int(written.group(1)) if written else None,
                     "files": gen["files"]}
    if args.e2e_create and mode == "full":
        back_to_start()
        clean_outputs()
        log(f"[{people}] ansible-playbook playbooks/roster.yml (create from empty)")
        wall, out = playbook([pb, *extra])
        written = re.search(r"(\d+) entries written", out)
        r["e2e_create"] = {"wall_s": wall, "written": int(written.group(1)) if written else None}
    r["db_size_end"] = box.sh("du -sh /var/lib/ldap/data.mdb | cut -f1").strip()
    return r


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------




def derive(r: dict, probe: dict) -> dict:
    """The figures of one size: measured, or extrapolated from the tail (marked)."""
    c = r["create"]
    full = r["mode"] == "full"
    creates = r["ldif"]["creates"]
    per_entry_apply = c["apply_s"] / c["applied"]
    if full:
        create_s = c["total_s"]
        ldapadd_s = r["ldapadd_s"]
    else:
        noop_load = min(n["load_s"] for n in r["noop"])
        # load the roster + connect + read an empty directory + plan a new province + apply every create
        create_s = noop_load + c["connect_s"] + r["ldif"]["make_plan_empty_s"] + per_entry_apply * creates
        ldapadd_s = r["ldapadd_s"] / r["tail_entries"] * creates
    loop_item = r["loop"]["create_s"] / r["loop"]["sample"]
    loop_noop_item = r["loop"]["noop_s"] / r["loop"]["sample"]
    loop_s = loop_item * creates
    loop_noop_s = loop_noop_item * r["people"]
    noop = [n["plan_total_s"] for n in r["noop"]]
    return {"full": full, "creates": creates, "create_s": create_s, "ldapadd_s": ldapadd_s,
            "per_entry_apply": per_entry_apply, "per_entry_ldapadd": r["ldapadd_s"] / r["tail_entries"],
            "loop_item": loop_item, "loop_s": loop_s, "loop_noop_item": loop_noop_item,
            "loop_noop_s": loop_noop_s, "noop": noop,
            "ratio_ldapadd": create_s / ldapadd_s, "ratio_loop": create_s / loop_s,
            "ratio_noop_loop": max(noop) / loop_noop_s,
            "hash_bound_s": creates * probe["inserver_per_hash_s"]}


def report(results: list[dict], probe: dict, info: dict, args) -> bool:
    over = False

    def row(label, value, target=None, unit="s", note=""):
        nonlocal over
        shown = f"{value:,.3f} {unit}" if isinstance(value, float) else str(value)
        if target is None:
            print(f"{label:58} {shown:>16} {'-':>8} {'-':>7}  {note}".rstrip())
            return
        ratio = value / target
        verdict = "PASS" if ratio <= 1 else "OVER"
        over = over or ratio > 1
        print(f"{label:58} {shown:>16} {target:>7g}s {ratio:>7.3f}  {verdict}{(' ' + note) if note else ''}")

    m = info["machine"]
    print(f"congvu-mail bench_reconcile: plan date {PLAN_DATE}, seed {args.seed}")
    print(f"host        {m['cpu']}, {m['cpu_count']} CPUs, {m['platform']}, {m['python']}")
    print(f"container   {args.container}: " + "; ".join(info["setup"].get("container_versions", [])))
    print(f"others      running containers: {', '.join(m['containers_running'])}")
    print()
    print(f"{'figure':58} {'value':>16} {'target':>8} {'ratio':>7}  verdict")
    ph = probe
    row("argon2 per hash, slappasswd (a process per hash)", ph["slappasswd_per_hash_s"] * 1000, unit="ms")
    row("argon2 per hash in slapd (ldapadd 200 cleartext - without pw)", ph["inserver_per_hash_s"] * 1000,
        unit="ms")
    row("pre-hashed {SSHA512} in slapd (ldapadd 200 with - without)", ph["inserver_per_prehashed_s"] * 1000,
        unit="ms")
    row("   ldapadd per entry: no pw / pre-hashed / cleartext (argon2)",
        f"{ph['per_entry_nopw_s'] * 1000:.1f} / {ph['per_entry_pw_s'] * 1000:.1f} / "
        f"{ph['per_entry_clear_s'] * 1000:.1f} ms")
    row("   two ldapadd streams at once: speedup", f"x{ph['two_stream_speedup']:.2f}")
    for r in results:
        d = derive(r, probe)
        n = r["people"]
        tag = f"{n // 1000}k" if n % 1000 == 0 else str(n)
        ex = "" if d["full"] else "(extrapolated)"
        print()
        c = r["create"]
        for i, noop in enumerate(r["noop"]):
            row(f"[{tag}] no-op plan: load + read_state + make_plan (run {i + 1})", noop["plan_total_s"],
                TARGET_NOOP.get(n))
            row("      load_roster / connect / read_state / make_plan",
                f"{noop['load_s']:.2f} / {noop['connect_s']:.2f} / {noop['read_s']:.2f} / {noop['make_plan_s']:.2f} s")
            keep = f"{noop['summary']['keep']:,}/{noop['items']:,}"
            row("      all keep", f"{'yes' if noop['all_keep'] else 'NO'} ({keep})")
        row("      reference: ldapsearch of the same (paged, to /dev/null)", r["ldapsearch_s"])
        ref = r["readref"]
        row("      reference, gc on: read_state (python-ldap) / former ldap3 read",
            f"{ref['pyldap_read_s']:.2f} / {ref['ldap3_read_s']:.2f} s",
            note=f"(same records: {'yes' if ref['same_records'] else 'NO'})")
        label = f"[{tag}] full create from empty ({d['creates']:,} entries)"
        row(label, d["create_s"], TARGET_CREATE.get(n), note=ex)
        if d["full"]:
            row("      load / read / plan / apply",
                f"{c['load_s']:.2f} / {c['read_s']:.2f} / {c['make_plan_s']:.2f} / {c['apply_s']:.1f} s")
        else:
            row(f"      measured: tail of {c['applied']:,} creates into {r['ldif']['base_entries']:,} entries",
                c["total_s"])
            row("      load / read / plan / apply (tail)",
                f"{c['load_s']:.2f} / {c['read_s']:.2f} / {c['make_plan_s']:.2f} / {c['apply_s']:.1f} s")
        row("      apply per entry: total", d["per_entry_apply"] * 1000, unit="ms")
        if "apply_slapd_cpu_s" in c:
            row("      apply CPU per entry: reconcile process / slapd",
                f"{c['apply_cpu_s'] / c['applied'] * 1000:.2f} / {c['apply_slapd_cpu_s'] / c['applied'] * 1000:.2f} ms")
        row("      of which send (add_ext) / wait (result3) / SecretSink.store / AuditLog.record",
            f"{c['ldap_add_s'] / c['applied'] * 1000:.2f} / {c.get('ldap_wait_s', 0) / c['applied'] * 1000:.2f} / "
            f"{c['secrets_s'] / c['applied'] * 1000:.2f} / {c['audit_s'] / c['applied'] * 1000:.2f} ms")
        one = r.get("create_by_window", {}).get("1")
        if one and c.get("window", 1) != 1:
            row(f"      the same apply with 1 write in flight (window {c['window']} above)",
                f"{one['apply_s']:.1f} s, {one['apply_s'] / one['applied'] * 1000:.2f} ms/entry, "
                f"CPU {one['apply_cpu_s'] / one['applied'] * 1000:.2f} / "
                f"{one['apply_slapd_cpu_s'] / one['applied'] * 1000:.2f} ms",
                note=f"(window {c['window']}: x{one['apply_s'] / c['apply_s']:.2f})")
        row("      entries x argon2 per hash (probe): what cleartext would add", d["hash_bound_s"],
            note="(estimate)")
        row(f"[{tag}] ldapadd of the same LDIF", d["ldapadd_s"], note=ex)
        row("      per entry", d["per_entry_ldapadd"] * 1000, unit="ms")
        row(f"[{tag}] ldap_entry loop, {r['loop']['sample']} people, per item", d["loop_item"], note="(measured)")
        row(f"[{tag}] ldap_entry loop extrapolated to {d['creates']:,} creates", d["loop_s"], note="(extrapolated)")
        row(f"[{tag}] ldap_entry loop again (all present), per item", d["loop_noop_item"], note="(measured)")
        row(f"[{tag}] ... extrapolated to {n:,} people (no-op)", d["loop_noop_s"], note="(extrapolated)")
        row(f"[{tag}] ratio create: ours / ldapadd", f"{d['ratio_ldapadd']:.2f}", note=ex)
        row(f"[{tag}] ratio create: ours / ldap_entry loop", f"{d['ratio_loop']:.3f}", note="(loop extrapolated)")
        row(f"[{tag}] ratio no-op: ours (slowest run) / ldap_entry loop", f"{d['ratio_noop_loop']:.4f}",
            note="(loop extrapolated)")
        e2e = r["e2e_noop"]
        row(f"[{tag}] ansible-playbook playbooks/roster.yml, no-op (wall)", e2e["wall_s"],
            note=f"({e2e['written']} entries written, {e2e['files']} agency files shipped)")
        row("      Ansible's share (e2e - slowest core no-op)", e2e["wall_s"] - max(d["noop"]))
        if "e2e_create" in r:
            row(f"[{tag}] ansible-playbook playbooks/roster.yml, create (wall)", r["e2e_create"]["wall_s"],
                TARGET_CREATE.get(n), note=f"({r['e2e_create']['written']:,} entries written)")
        loads = ", ".join(f"{k} {v[0]:.1f}-{v[1]:.1f}" for k, v in r["loadavg"].items())
        row("      host load average (1 min) around the phases", loads)
    return over


def sanity(results: list[dict]) -> list[str]:
    """What must hold for the figures to mean anything."""
    out = []
    for r in results:
        n = r["people"]
        if any(not x["all_keep"] for x in r["noop"]):
            out.append(f"{n}: a no-op plan was not all keep")
        if any(x.get("ansible_imported") for x in [r["create"], *r["noop"]]):
            out.append(f"{n}: the core measurement imported Ansible")
        if r["loop"]["create_changed"] != 1 or r["loop"]["noop_changed"] != 0:
            out.append(f"{n}: ldap_entry loop changed={r['loop']['create_changed']} then "
                       f"{r['loop']['noop_changed']}, expected 1 then 0")
        if not r["readref"]["same_records"]:
            out.append(f"{n}: read_state (python-ldap) and the former ldap3 read give different records")
        if r["e2e_noop"]["written"] != 0:
            out.append(f"{n}: the end-to-end no-op wrote {r['e2e_noop']['written']} entries")
        if "e2e_create" in r and r["e2e_create"]["written"] != r["ldif"]["creates"]:
            out.append(f"{n}: the end-to-end create wrote {r['e2e_create']['written']} entries")
        if r["mode"] == "full" and r["ldapadd_count"] != r["ldif"]["person_creates"]:
            out.append(f"{n}: ldapadd left {r['ldapadd_count']} people, expected {r['ldif']['person_creates']}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, action="append",
                        help="roster size; repeat for several (default: 10000 and 100000)")
    parser.add_argument("--container", default="bench-ldap", help="container name (default bench-ldap)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-create-100k", action="store_true",
                        help="never create 100k+ entries for real: tail mode + extrapolation")
    parser.add_argument("--max-create-minutes", type=float, default=15.0,
                        help="a size whose full create is estimated above this runs in tail mode (default 15)")
    parser.add_argument("--tail-every", type=int, default=100, help="tail mode: 1 person in N (default 100)")
    parser.add_argument("--sample", type=int, default=200, help="people in the ldap_entry loop (default 200)")
    parser.add_argument("--noop-runs", type=int, default=2)
    parser.add_argument("--skip-window-reference", action="store_true",
                        help="do not run the reconcile's create with 1 write in flight first")
    parser.add_argument("--window", type=int, default=8,
                        help="writes in flight for the reconcile's create (the module's write_window, default 8)")
    parser.add_argument("--e2e-create", action="store_true",
                        help="also time one full create through ansible-playbook playbooks/roster.yml")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--remove", action="store_true", help="docker rm -f the container at the end")
    args = parser.parse_args(argv)
    sizes = args.people or [10_000, 100_000]
    check_container_name(parser, args.container, ("dev-roster",))

    started = time.perf_counter()
    log = stderr_log()

    box = Box(args.container)
    os.makedirs(WORK, exist_ok=True)
    info = {"machine": machine(), "started": dt.datetime.now().isoformat(timespec="seconds")}
    probe: dict = {}
    results = []
    try:
        info["setup"] = setup(box, log)
        for people in sizes:
            results.append(measure_size(box, people, args, probe, log))
    except (BenchError, subprocess.TimeoutExpired, KeyError, ValueError, AttributeError) as exc:
        print(f"bench_reconcile: {exc}", file=sys.stderr)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"error": str(exc), "info": info, "probe": probe, "results": results}, handle, indent=1)
        return 2
    finally:
        if args.remove:
            run(["docker", "rm", "-f", args.container], check=False)
    info["seconds"] = time.perf_counter() - started
    over = report(results, probe, info, args)
    problems = sanity(results)
    for problem in problems:
        print(f"bench_reconcile: {problem}", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"info": info, "probe": probe, "results": results,
                       "derived": [derive(r, probe) for r in results], "args": vars(args)}, handle, indent=1)
    return 2 if problems else 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
