#!/usr/bin/env python3
"""The capacity model of docs/capacity.md: how many mail nodes of which size serve a province of 10,000,
50,000 and 100,000 mailboxes at a stated peak, with one node lost, from the CPU the benchmarks measured.

    python3 bench/capacity.py [--mailboxes N ...] [--inputs] [--json FILE]
                              [--set NAME=VALUE ...]   # any input or assumption below, by name

Every number it uses is in INPUTS (measured, with the run it comes from) or ASSUMPTIONS (chosen, with
why); `--set` changes one for a what-if, and the output says which were changed. Standard library only,
no container: `make bench-smoke` runs it. It prints the peak load, the CPU and memory that load needs,
and for each node size the number of nodes so that the load still fits when any one is lost (N+1):
every mail node is MX, submission, IMAP/POP3 and filter for its own mailboxes and the live replica of
others' (Dovecot's dsync, each mailbox's replica on another node: docs/capacity.md, "Topology").
"""

from __future__ import annotations

import argparse
import json
import math
import sys

# Measured (docs/benchmarks.md). CPU is user + system time of every program in the benchmark's container
# (Postfix, rspamd, clamd, redis, Dovecot, slapd, journald), divided by the work done. Measured on the
# shared 2-vCPU VM while other work ran: a busy VM inflates CPU time (docs/benchmarks.md, directory
# reconcile, runs 4-5 against 6-7: up to 3x), so these are upper bounds.
INPUTS = {
    "message_cpu_ms": (
        42.7, "ms", "CPU per message of the full path, DNS stub (postscreen, smtpd, rspamd + ClamAV, "
        "cleanup, LMTP into Dovecot), the seeded mix: bench_mail.py (b'), mean of runs 7-8 (46.0, 39.4), on a busy "
        "machine; kept although runs 9-10 on a quiet one measured 36.5 ms (the difference is margin)"),
    "replication_cpu_ms": (
        19.9, "ms", "CPU per delivered message that Dovecot's replication adds on both nodes of the pair "
        "(the holder's dsync client and the replica's doveadm server), the same mix delivered by LMTP with "
        "the replica on against off: bench_replication.py, mean of runs 1-2 (17.0, 22.8)"),
    "login_cold_cpu_ms": (
        95.7, "ms", "CPU per IMAP login with Dovecot's auth cache empty (TLS, LOGIN with a bind to slapd "
        "as the person, its argon2 check 66.5 ms of it, SELECT, LOGOUT): (d), run 8"),
    "login_warm_cpu_ms": (
        18.2, "ms", "CPU per IMAP login answered by the auth cache: (d'), run 8"),
    "fetch_cpu_ms": (
        1.07, "ms", "CPU per IMAP FETCH of a whole message of the mix (mean 232 KB): (c), mean of runs 7-8 "
        "(1.24, 0.91)"),
    "session_mib": (
        2.6, "MiB", "memory (Pss) of one open IMAPS session: its imap process (1.2 MiB) and the "
        "imap-login that holds its TLS (1.4 MiB): (c), runs 7-8"),
    "reconcile_entry_cpu_ms": (
        1.92, "ms", "CPU per entry of a roster create (reconcile 0.27 + slapd 1.65 ms): Directory "
        "reconcile, run 7 (100,002 entries, quiet machine)"),
    "reconcile_noop_ms_per_entry": (
        0.043, "ms", "wall time per entry of a no-op plan (4.3 s for 100,002): Directory reconcile, run 7"),
}

# Chosen. Per mailbox and working day unless said otherwise.
ASSUMPTIONS = {
    "received_per_day": (
        25.0, "messages", "deliveries into a mailbox: about 8 times the demo's usage history "
        "(tools/make_demo_history.py: about 3), for the heavy days (a notice to every commune, "
        "end-of-period reports) and growth; the full path's CPU is paid per delivery"),
    "sent_per_day": (
        8.0, "messages", "messages a person sends (demo history: about 0.9); each is scanned as an "
        "inbound message is (rspamd + ClamAV on submission, DKIM) and taken at the full path's CPU"),
    "logins_per_day": (
        30.0, "logins", "IMAP/POP3 logins: a phone reconnecting, a desktop client's extra sessions, "
        "Roundcube opening one per page it shows"),
    "cold_login_share": (
        0.33, "", "logins not answered by the auth cache (imap__auth_cache_ttl 10 min): the first of "
        "a session after a pause"),
    "fetches_per_day": (
        60.0, "FETCH", "whole-message fetches: every delivered message read on two devices, and some"),
    "peak_hour_share": (
        0.14, "", "the busiest hour's share of a day: 1.4 of 10.2 in tools/make_demo_history.py's "
        "HOUR_WEIGHTS (08:00-10:00)"),
    "burst": (
        2.0, "x", "the busiest minutes against the peak hour's mean (a broadcast, the start of the day)"),
    "sessions_per_1000": (
        250.0, "sessions", "IMAP sessions open at once per 1,000 mailboxes at the peak (a quarter of the "
        "people with a mail program or phone connected; webmail holds none between pages)"),
    "cpu_target": (
        0.6, "", "share of a node's vCPUs the peak may use with one node lost: room for the busy-VM "
        "spread, backups, signature reloads and the replica catching up"),
    "base_ram_gib": (
        6.0, "GiB", "per node before sessions: clamd with the full signature set twice during a "
        "reload (about 3 GiB), rspamd and redis, slapd's consumer, Postfix, the OS"),
    "cache_per_session_mib": (
        2.0, "MiB", "page cache to keep an open mailbox's Dovecot index and cache files in memory"),
    "ram_target": (0.8, "", "share of a node's RAM planned for use"),
    "growth_gib_per_year": (
        0.5, "GiB", "what a mailbox grows a year (about 10 messages of the mix kept a working day)"),
    "years": (3.0, "years", "the storage horizon before adding disk"),
    "quota_gib": (2.0, "GiB", "the quota (Art. 9): no mailbox grows beyond it"),
    "disk_headroom": (1.25, "x", "file system headroom over the data (ext4's reserve, maildir, indexes)"),
    "roster_changes_per_day": (
        0.01, "", "share of the mailboxes created, moved or closed by a day's roster reconcile"),
}

NODE_SIZES = ((4, 16), (8, 32), (16, 64))  # vCPU, GiB RAM
PROVINCES = (10_000, 50_000, 100_000)
WORKDAY_S = 3600.0


def value(table: dict, name: str) -> float:
    return table[name][0]


def model(mailboxes: int, i: dict, a: dict) -> dict:
    """The peak load of `mailboxes`, what it needs, and per node size the nodes for N+1."""
    per_s = mailboxes * value(a, "peak_hour_share") * value(a, "burst") / WORKDAY_S
    load = {
        "deliveries_per_s": per_s * value(a, "received_per_day"),
        "submissions_per_s": per_s * value(a, "sent_per_day"),
        "logins_per_s": per_s * value(a, "logins_per_day"),
        "fetches_per_s": per_s * value(a, "fetches_per_day"),
        "sessions": mailboxes / 1000 * value(a, "sessions_per_1000"),
    }
    cold = value(a, "cold_login_share")
    login_ms = cold * value(i, "login_cold_cpu_ms") + (1 - cold) * value(i, "login_warm_cpu_ms")
    cpu = {  # vCPUs busy at the peak, by kind of work
        "deliveries": load["deliveries_per_s"] * value(i, "message_cpu_ms") / 1000,
        "replica writes": load["deliveries_per_s"] * value(i, "replication_cpu_ms") / 1000,
        "submissions": load["submissions_per_s"] * value(i, "message_cpu_ms") / 1000,
        "logins": load["logins_per_s"] * login_ms / 1000,
        "fetches": load["fetches_per_s"] * value(i, "fetch_cpu_ms") / 1000,
    }
    vcpu = sum(cpu.values())
    session_gib = load["sessions"] * (value(i, "session_mib") + value(a, "cache_per_session_mib")) / 1024
    use_gib = min(value(a, "growth_gib_per_year") * value(a, "years"), value(a, "quota_gib"))
    data_tib = mailboxes * use_gib * 2 / 1024  # every mailbox and its replica
    options = []
    for cores, ram in NODE_SIZES:
        n = 2
        while True:
            survivors = n - 1
            cpu_ok = vcpu / survivors <= cores * value(a, "cpu_target")
            ram_ok = value(a, "base_ram_gib") + session_gib / survivors <= ram * value(a, "ram_target")
            if cpu_ok and ram_ok:
                break
            n += 1
        disk_tib = data_tib / n * value(a, "disk_headroom")
        # what one node fewer would run out of ("-" when two nodes, the fewest, already carry it)
        fewer = n - 2
        limits = [] if fewer < 1 else [
            name for name, short in (("CPU", vcpu / fewer > cores * value(a, "cpu_target")),
                                     ("RAM", value(a, "base_ram_gib") + session_gib / fewer
                                      > ram * value(a, "ram_target"))) if short]
        options.append({"vcpu": cores, "ram_gib": ram, "nodes": n, "total_vcpu": n * cores,
                        "limit": " + ".join(limits) or "-",
                        "disk_tib_per_node": disk_tib,
                        "peak_cpu_share_one_lost": vcpu / (n - 1) / cores,
                        "peak_cpu_share_all_up": vcpu / n / cores})
    best = min(options, key=lambda o: (o["total_vcpu"], o["nodes"]))
    changes = mailboxes * value(a, "roster_changes_per_day")
    directory = {"daily_reconcile_cpu_s": changes * value(i, "reconcile_entry_cpu_ms") / 1000
                 + mailboxes * value(i, "reconcile_noop_ms_per_entry") / 1000,
                 "create_all_cpu_s": mailboxes * value(i, "reconcile_entry_cpu_ms") / 1000}
    return {"mailboxes": mailboxes, "load": load, "cpu_vcpu": cpu, "vcpu_at_peak": vcpu,
            "login_cpu_ms_mean": login_ms, "session_ram_gib": session_gib, "use_gib_per_mailbox": use_gib,
            "data_tib": data_tib, "options": options, "recommended": best, "directory": directory}


def apply_sets(sets: list[str], parser) -> list[str]:
    changed = []
    for item in sets:
        name, _, raw = item.partition("=")
        table = INPUTS if name in INPUTS else ASSUMPTIONS if name in ASSUMPTIONS else None
        if table is None or not raw:
            parser.error(f"--set {item}: NAME=VALUE with NAME one of {', '.join([*INPUTS, *ASSUMPTIONS])}")
        try:
            number = float(raw)
        except ValueError:
            parser.error(f"--set {item}: not a number")
        table[name] = (number, *table[name][1:])
        changed.append(f"{name}={number:g}")
    return changed


def show(results: list[dict]) -> None:
    """The tables in Markdown, as docs/capacity.md shows them."""

    def line(cells):
        print("| " + " | ".join(cells) + " |")

    line(["mailboxes", "deliveries/s", "submissions/s", "logins/s", "FETCH/s", "sessions", "vCPU busy",
          "session RAM", "data + replica"])
    line(["---:"] * 9)
    for r in results:
        ld = r["load"]
        line([f"{r['mailboxes']:,}", f"{ld['deliveries_per_s']:.0f}", f"{ld['submissions_per_s']:.0f}",
              f"{ld['logins_per_s']:.0f}", f"{ld['fetches_per_s']:.0f}", f"{ld['sessions']:,.0f}",
              f"{r['vcpu_at_peak']:.1f}", f"{r['session_ram_gib']:.0f} GiB", f"{r['data_tib']:.1f} TiB"])
    print()
    line(["mailboxes", *[f"{c} vCPU / {m} GiB" for c, m in NODE_SIZES], "recommended"])
    line(["---:"] * (len(NODE_SIZES) + 2))
    for r in results:
        cells = [f"{r['mailboxes']:,}"]
        for o in r["options"]:
            cells.append(f"{o['nodes']} nodes, {o['disk_tib_per_node']:.1f} TiB each "
                         f"({o['peak_cpu_share_one_lost'] * 100:.0f} % CPU one lost; bound by {o['limit']})")
        b = r["recommended"]
        cells.append(f"{b['nodes']} x {b['vcpu']} vCPU / {b['ram_gib']} GiB / {b['disk_tib_per_node']:.1f} TiB")
        line(cells)
    print()
    for r in results:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in r["cpu_vcpu"].items())
        d = r["directory"]
        print(f"- {r['mailboxes']:,}: vCPU at the peak by kind: {parts}; directory: a day's reconcile "
              f"{d['daily_reconcile_cpu_s']:.0f} s of CPU, a create of every mailbox "
              f"{d['create_all_cpu_s'] / 60:.1f} min")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, action="append",
                        help="province size; repeat (default 10,000, 50,000 and 100,000)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change one input or assumption (a what-if); repeat")
    parser.add_argument("--inputs", action="store_true", help="list every input and assumption, and exit")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)
    changed = apply_sets(args.set, parser)
    if args.inputs:
        for title, table in (("measured", INPUTS), ("assumed", ASSUMPTIONS)):
            print(f"| {title} | value | where from, why |\n| --- | ---: | --- |")
            for name, (number, unit, why) in table.items():
                print(f"| `{name}` | {number:g} {unit} | {why} |")
            print()
        return 0
    sizes = args.mailboxes or list(PROVINCES)
    if min(sizes) < 1:
        parser.error("--mailboxes: at least 1")
    results = [model(m, INPUTS, ASSUMPTIONS) for m in sizes]
    print("congvu-mail capacity model (docs/capacity.md); inputs from docs/benchmarks.md"
          + (f"; changed: {', '.join(changed)}" if changed else ""))
    print()
    show(results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"inputs": INPUTS, "assumptions": ASSUMPTIONS, "changed": changed, "results": results},
                      handle, indent=1)
    return 0 if all(math.isfinite(r["vcpu_at_peak"]) for r in results) else 2


if __name__ == "__main__":
    sys.exit(main())
