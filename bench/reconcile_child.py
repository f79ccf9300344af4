#!/usr/bin/env python3
"""The in-container half of bench/bench_reconcile.py: runs on the directory host, like the roster module.

    python3 reconcile_child.py --lib DIR ldif      --roster R --date D --out-dir O [--tail-every K] ...
    python3 reconcile_child.py --lib DIR reconcile --roster R --date D [--apply] [--expect-keep] ...
    python3 reconcile_child.py --lib DIR readref --bind-dn DN
    slapcat -n1 | python3 reconcile_child.py --lib DIR tree > tree.ldif

`--lib` is a copy of plugins/module_utils (the `congvu` package and `congvu_ldap.py`), so the code
measured is the project's own, run the way the roster module runs it: `congvu_planner_files.load_roster`,
`congvu_directory.read_state` (python-ldap, paged, over ldapi:// bound as cn=reconcile with the password from
/etc/ldap/congvu/reconcile.secret, through `congvu_ldap.connect_python_ldap`) and `plan.make_plan`
inside `congvu_directory.paused_gc()`, then `congvu_directory.Applier.apply` over the same connection, with
`--window` operations in flight (the module's `write_window`, default 8). No Ansible.

`ldif` writes what the reconcile would create, as LDIF, built with the same functions the Applier uses
(`person_attributes` / `agency_attributes`, userPassword pre-hashed with `initial_password_hash`
({SSHA512}) + pwdReset TRUE, pwdAccountLockedTime for a mailbox created suspended), people first, then
agencies, as the Applier orders them:
  base.ldif   entries to bulk-load with slapadd, everything but the tail;
  tail.ldif   the tail, as the reconcile sends it (pre-hashed passwords), for ldapadd;
  tail.clear.ldif  the same with cleartext passwords, which slapd hashes with {ARGON2} (hash probe only:
              the reconcile's way before the {SSHA512} decision);
  tail.nopw.ldif  the same without userPassword (hash probe only);
  tail.dns    the DNs of the tail, for deleting them again;
  sample.json the first `--sample` people of the tail, for the community.general.ldap_entry loop.
With `--tail-every 0` the tail is every create of the plan (a full create from an empty directory).

`readref` checks read_state (python-ldap) against the ldap3 paged read it replaced (kept here as the
reference): the same records, and both times.

Prints one line `RESULT <json>`.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gc
import json
import os
import sys
import time

SERVER_URI = "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"
SECRET = "/etc/ldap/congvu/reconcile.secret"


def _import(lib: str):
    sys.path.insert(0, lib)
    import congvu_directory  # noqa: F401  (the adapters beside the core, as the roster module imports them)
    import congvu_ldap  # noqa: F401  (Ansible-free: it imports only ssl; ldap3 / ldap inside the functions)
    import congvu_planner_files
    from congvu import directory, passwords, plan, settings, state

    return congvu_ldap, congvu_directory, directory, passwords, plan, congvu_planner_files, settings, state


class _Module:
    """What congvu_ldap.connect needs from an AnsibleModule: fail_json."""

    def fail_json(self, msg, **_):
        raise SystemExit(f"connect: {msg}")


def _safe(value: str) -> bool:
    if not value or not value.isascii() or value[0] in " :<" or value[-1] == " ":
        return False
    return not any(c in value for c in "\r\n\0")


def ldif_entry(dn: str, classes: list[str], attrs: dict[str, list[str]]) -> str:
    lines = [f"dn: {dn}" if _safe(dn) else f"dn:: {base64.b64encode(dn.encode()).decode()}"]
    lines += [f"objectClass: {c}" for c in classes]
    for name, values in attrs.items():
        for value in values:
            if _safe(value):
                lines.append(f"{name}: {value}")
            else:
                lines.append(f"{name}:: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n\n"


def cmd_ldif(args) -> dict:
    _, live, directory, passwords, plan_mod, roster_mod, settings_mod, state_mod = _import(args.lib)
    t0 = time.perf_counter()
    loaded = roster_mod.load_roster(args.roster, settings_mod.Settings())
    t1 = time.perf_counter()
    result = plan_mod.make_plan(loaded, state_mod.State(), dt.date.fromisoformat(args.date))
    t2 = time.perf_counter()
    if result.errors or result.blocked:
        raise SystemExit(f"the plan against an empty directory is not applicable: {result.errors[:3]}")
    tree = directory.Tree(loaded.settings.domain)
    creates = [i for i in result.items if i.kind == "person" and i.action == "create"]
    agencies = [i for i in result.items if i.kind == "agency" and i.action == "create"]
    os.makedirs(args.out_dir, exist_ok=True)
    out = {name: open(os.path.join(args.out_dir, name), "w", encoding="utf-8")
           for name in ("base.ldif", "tail.ldif", "tail.clear.ldif", "tail.nopw.ldif", "tail.dns")}
    sample = []
    n_base = n_tail = 0
    for index, item in enumerate(creates):
        dn = tree.person(item.id)
        attrs = {k: v for k, v in directory.person_attributes(
            state_mod.Mailbox.from_dict(item.after), args.revision).items() if v}
        lock = {"pwdAccountLockedTime": [directory.LOCKED_FOREVER]} if item.after["state"] != "active" else {}
        in_tail = args.tail_every == 0 or index % args.tail_every == args.tail_every - 1
        password = passwords.generate()
        full = {**attrs, "userPassword": [live.initial_password_hash(password)], "pwdReset": ["TRUE"], **lock}
        if not in_tail:
            out["base.ldif"].write(ldif_entry(dn, directory.PERSON_CLASSES, full))
            n_base += 1
            continue
        out["tail.ldif"].write(ldif_entry(dn, directory.PERSON_CLASSES, full))
        out["tail.clear.ldif"].write(ldif_entry(dn, directory.PERSON_CLASSES, {**full, "userPassword": [password]}))
        out["tail.nopw.ldif"].write(ldif_entry(dn, directory.PERSON_CLASSES, {**attrs, **lock}))
        out["tail.dns"].write(dn + "\n")
        n_tail += 1
        if len(sample) < args.sample:
            sample.append({"dn": dn, "objectClass": directory.PERSON_CLASSES, "attributes": full})
    for item in agencies:
        dn = tree.agency(item.id)
        attrs = {k: v for k, v in directory.agency_attributes(
            state_mod.AgencyBox.from_dict(item.after), tree, args.revision).items() if v}
        target = "tail" if args.tail_every == 0 else "base"
        if target == "base":
            out["base.ldif"].write(ldif_entry(dn, directory.AGENCY_CLASSES, attrs))
            n_base += 1
        else:
            for name in ("tail.ldif", "tail.clear.ldif", "tail.nopw.ldif"):
                out[name].write(ldif_entry(dn, directory.AGENCY_CLASSES, attrs))
            out["tail.dns"].write(dn + "\n")
            n_tail += 1
    for handle in out.values():
        handle.close()
    with open(os.path.join(args.out_dir, "sample.json"), "w", encoding="utf-8") as handle:
        json.dump({"people": sample, "reconcile_dn": f"cn=reconcile,ou=system,{tree.base}"}, handle,
                  ensure_ascii=False)
    return {"persons": len(loaded.persons), "agencies": len(loaded.agencies),
            "person_creates": len(creates), "agency_creates": len(agencies),
            "creates": len(creates) + len(agencies), "base_entries": n_base, "tail_entries": n_tail,
            "sample": len(sample), "load_s": t1 - t0, "make_plan_empty_s": t2 - t1,
            "summary": result.summary()}


def _slapd_cpu() -> float:
    """CPU seconds (user + system) slapd has used so far: with the machine shared, the wall time of a
    write depends on the other tenants, slapd's CPU per entry much less."""
    try:
        with open("/run/slapd/slapd.pid", encoding="ascii") as handle:
            pid = handle.read().strip()
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Timer:
    """Accumulates the wall time spent in a callable (conn.add, SecretSink.store, ...)."""

    def __init__(self, func):
        self.func, self.seconds, self.calls = func, 0.0, 0

    def __call__(self, *a, **k):
        start = time.perf_counter()
        try:
            return self.func(*a, **k)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def cmd_reconcile(args) -> dict:
    congvu_ldap, live, directory, passwords, plan_mod, roster_mod, settings_mod, _ = _import(args.lib)
    import ldap
    import ldap3

    gc.collect()
    load1 = os.getloadavg()[0]
    params = {"server_uri": SERVER_URI, "bind_dn": args.bind_dn, "bind_password": None,
              "bind_password_file": SECRET, "ca_file": None}
    # As plugins/modules/roster.py: load, read and plan without the cyclic GC.
    with live.paused_gc():
        t0 = time.perf_counter()
        loaded = roster_mod.load_roster(args.roster, settings_mod.Settings())
        t1 = time.perf_counter()
        conn = congvu_ldap.connect_python_ldap(_Module(), params)  # reads, then writes (--apply)
        t2 = time.perf_counter()
        tree = directory.Tree(loaded.settings.domain)
        current = live.read_state(conn, tree, args.page_size)
        t3 = time.perf_counter()
        result = plan_mod.make_plan(loaded, current, dt.date.fromisoformat(args.date))
        t4 = time.perf_counter()
    summary = result.summary()
    out = {"persons": len(loaded.persons), "agencies": len(loaded.agencies),
           "read_mailboxes": len(current.mailboxes), "read_agencies": len(current.agencies),
           "load_s": t1 - t0, "connect_s": t2 - t1, "read_s": t3 - t2, "make_plan_s": t4 - t3,
           "plan_total_s": t4 - t0, "summary": summary, "items": len(result.items),
           "errors": [str(p) for p in result.errors[:5]], "blocked": result.blocked,
           "all_keep": summary.get("keep", 0) == len(result.items) and not result.errors,
           "ldap3": ldap3.__version__, "python_ldap": ldap.__version__}
    if args.expect_keep and not out["all_keep"]:
        changed = [i.as_dict() for i in result.items if i.action != "keep"][:3]
        raise SystemExit(f"expected a no-op plan, got {summary}; first changes: {changed}")
    if args.apply:
        if result.errors or result.blocked:
            raise SystemExit(f"the plan cannot be applied: {out['errors']} blocked={result.blocked}")
        audit = live.AuditLog(args.audit, args.revision, "bench")
        sink = live.SecretSink(args.secrets)
        make_password = _Timer(passwords.generate)
        applier = live.Applier(conn, tree, audit, sink, make_password, window=args.window)
        # Thin wrappers (about a microsecond each) to split the apply time; the code path is unchanged.
        # Sending (add_ext / modify_ext) returns at once; the waiting for slapd is in result3.
        conn.add_ext = add_t = _Timer(conn.add_ext)
        conn.modify_ext = mod_t = _Timer(conn.modify_ext)
        conn.result3 = wait_t = _Timer(conn.result3)
        sink.store = store_t = _Timer(sink.store)
        audit.record = record_t = _Timer(audit.record)
        cpu5, slapd5 = time.process_time(), _slapd_cpu()
        t5 = time.perf_counter()
        done = applier.apply(result)
        t6 = time.perf_counter()
        cpu6, slapd6 = time.process_time(), _slapd_cpu()
        sink.close()
        out.update(apply_cpu_s=cpu6 - cpu5, apply_slapd_cpu_s=slapd6 - slapd5)
        other = (t6 - t5) - add_t.seconds - mod_t.seconds - wait_t.seconds - store_t.seconds \
            - record_t.seconds - make_password.seconds
        out.update(applied=len(done), apply_s=t6 - t5, total_s=t6 - t0,  # total includes the connect
                   window=args.window, ldap_add_s=add_t.seconds, ldap_add_calls=add_t.calls,
                   ldap_modify_s=mod_t.seconds, ldap_modify_calls=mod_t.calls, ldap_wait_s=wait_t.seconds,
                   secrets_s=store_t.seconds, audit_s=record_t.seconds,
                   password_gen_s=make_password.seconds, apply_other_s=other)
    conn.unbind_s()
    if args.plan_dir:  # what the roster module also does (plan.json + plan.md); not in the core figure
        os.makedirs(args.plan_dir, exist_ok=True)
        t7 = time.perf_counter()
        with open(os.path.join(args.plan_dir, "plan.json"), "w", encoding="utf-8") as handle:
            result.dump(handle)
        with open(os.path.join(args.plan_dir, "plan.md"), "w", encoding="utf-8") as handle:
            handle.write(plan_mod.render_markdown(result))
        out["plan_files_s"] = time.perf_counter() - t7
    out["loadavg"] = [load1, os.getloadavg()[0]]
    out["ansible_imported"] = any(m == "ansible" or m.startswith("ansible.") for m in sys.modules)
    return out


def _ldap3_paged(conn, base: str, search_filter: str, attributes: list[str], page_size: int):
    """The paged read read_state did with ldap3 until python-ldap replaced it (reference only)."""
    from ldap3 import LEVEL

    for item in conn.extend.standard.paged_search(base, search_filter, search_scope=LEVEL,
                                                  attributes=attributes, paged_size=page_size, generator=True):
        if item.get("type") == "searchResEntry":
            yield item["attributes"]


def cmd_readref(args) -> dict:
    """read_state (python-ldap) against the former ldap3 read, turned into records by the same
    mailbox_from_entry / agency_from_entry: both times (gc on, as measured before), same records?"""
    congvu_ldap, live, directory, _, _, _, _, state_mod = _import(args.lib)
    import ldap

    tree = directory.Tree("quangbinh.gov.vn")
    params = {"server_uri": SERVER_URI, "bind_dn": args.bind_dn, "bind_password": None,
              "bind_password_file": SECRET, "ca_file": None}
    gc.collect()
    t0 = time.perf_counter()
    ours = live.read_state(congvu_ldap.connect_python_ldap(_Module(), params), tree, args.page_size)
    t1 = time.perf_counter()
    gc.collect()
    t2 = time.perf_counter()
    conn = congvu_ldap.connect(_Module(), params)
    other = state_mod.State()
    for entry in _ldap3_paged(conn, tree.people, "(objectClass=congvuMailbox)", directory.PERSON_ATTRS,
                              args.page_size):
        box = directory.mailbox_from_entry(entry)
        other.mailboxes[box.id] = box
    for entry in _ldap3_paged(conn, tree.agencies, "(objectClass=congvuAgencyMailbox)", directory.AGENCY_ATTRS,
                              args.page_size):
        agency = directory.agency_from_entry(entry, tree)
        other.agencies[agency.code] = agency
    t3 = time.perf_counter()
    return {"pyldap_read_s": t1 - t0, "ldap3_read_s": t3 - t2, "mailboxes": len(ours.mailboxes),
            "same_records": ours.as_dict() == other.as_dict(), "python_ldap": ldap.__version__}


def cmd_tree(args) -> dict:
    """slapcat output on stdin -> the same without the entries under ou=people and ou=agencies."""
    kept = dropped = 0
    suffixes = (",ou=people,", ",ou=agencies,")
    for block in sys.stdin.read().split("\n\n"):
        if not block.strip():
            continue
        unfolded = block.replace("\n ", "")
        first = unfolded.split("\n", 1)[0]
        dn = first[4:] if first.startswith("dn: ") else base64.b64decode(first[5:]).decode()
        if any(s in dn.lower() for s in suffixes):
            dropped += 1
            continue
        sys.stdout.write(block.strip("\n") + "\n\n")
        kept += 1
    return {"kept": kept, "dropped": dropped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", required=True)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ldif")
    p.add_argument("--roster", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--tail-every", type=int, default=0)
    p.add_argument("--sample", type=int, default=200)
    p.add_argument("--revision", default="bench")
    p = sub.add_parser("reconcile")
    p.add_argument("--roster", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--bind-dn", required=True)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--apply", action="store_true")
    p.add_argument("--window", type=int, default=8, help="write operations in flight (Applier window)")
    p.add_argument("--expect-keep", action="store_true")
    p.add_argument("--audit", default="/var/log/congvu/roster-audit.jsonl")
    p.add_argument("--secrets", default="/var/lib/congvu/initial-passwords")
    p.add_argument("--plan-dir")
    p.add_argument("--revision", default="bench")
    sub.add_parser("tree")
    p = sub.add_parser("readref")
    p.add_argument("--bind-dn", required=True)
    p.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    if args.cmd == "tree":
        print(f"RESULT {json.dumps(cmd_tree(args))}", file=sys.stderr)
        return 0
    result = {"ldif": cmd_ldif, "reconcile": cmd_reconcile, "readref": cmd_readref}[args.cmd](args)
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
