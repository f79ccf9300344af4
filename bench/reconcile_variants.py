#!/usr/bin/env python3
"""By hand, in the benchmark container: the no-op plan as measured, and with two changes to the read.

    docker cp bench/reconcile_variants.py bench-ldap:/opt/bench/
    docker exec bench-ldap python3 /opt/bench/reconcile_variants.py [--roster /opt/bench/roster-100000]

Needs what bench_reconcile.py leaves in the container (/opt/bench/lib, reconcile_child.py, the roster)
and a directory equal to that roster (after a bench_reconcile.py run). Not part of the benchmark's
figures: the variants support the proposals in docs/benchmarks.md ("Directory reconcile").
Each variant: load_roster + read + make_plan, which must be all `keep`:
  ldap3, gc on         the paged read with ldap3, as read_state did it in runs 1-3;
  ldap3, gc off        the same with the garbage collector disabled for the run;
  python-ldap, gc on   directory.read_state as it is since run 4 (libldap, C; Debian python3-ldap);
  python-ldap, gc off  both: what the roster module runs (paused_gc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time

sys.path.insert(0, "/opt/bench/lib")
sys.path.insert(0, "/opt/bench")

import congvu_directory  # noqa: E402
import congvu_ldap  # noqa: E402
import reconcile_child as rc  # noqa: E402
from congvu import directory, plan, settings, state  # noqa: E402
from congvu_planner_files import load_roster  # noqa: E402

BIND_DN = "cn=reconcile,ou=system,dc=quangbinh,dc=gov,dc=vn"
TREE = directory.Tree("quangbinh.gov.vn")


PARAMS = {"server_uri": rc.SERVER_URI, "bind_dn": BIND_DN, "bind_password": None,
          "bind_password_file": rc.SECRET, "ca_file": None}


def read_ldap3() -> state.State:
    """The read as read_state did it before run 4 (ldap3's paged search, rc._ldap3_paged)."""
    conn = congvu_ldap.connect(rc._Module(), PARAMS)
    current = state.State()
    for entry in rc._ldap3_paged(conn, TREE.people, "(objectClass=congvuMailbox)", directory.PERSON_ATTRS, 1000):
        box = directory.mailbox_from_entry(entry)
        current.mailboxes[box.id] = box
    for entry in rc._ldap3_paged(conn, TREE.agencies, "(objectClass=congvuAgencyMailbox)",
                                 directory.AGENCY_ATTRS, 1000):
        agency = directory.agency_from_entry(entry, TREE)
        current.agencies[agency.code] = agency
    return current


def read_pyldap() -> state.State:
    """congvu_directory.read_state as it is now (python-ldap)."""
    return congvu_directory.read_state(congvu_ldap.connect_python_ldap(rc._Module(), PARAMS), TREE, 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roster", default="/opt/bench/roster-100000")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    variants = [("ldap3, gc on (runs 1-3)", read_ldap3, False), ("ldap3, gc off", read_ldap3, True),
                ("python-ldap, gc on", read_pyldap, False), ("python-ldap, gc off", read_pyldap, True)]
    for _ in range(args.rounds):
        for label, reader, gc_off in variants:
            gc.collect()
            if gc_off:
                gc.disable()
            try:
                t0 = time.perf_counter()
                loaded = load_roster(args.roster, settings.Settings())
                t1 = time.perf_counter()
                current = reader()
                t2 = time.perf_counter()
                result = plan.make_plan(loaded, current, dt.date(2025, 1, 15))
                t3 = time.perf_counter()
            finally:
                gc.enable()
            keep = result.summary()["keep"] == len(result.items) and not result.errors
            print(f"{label:24} total {t3 - t0:6.2f} s = load_roster {t1 - t0:5.2f} + read {t2 - t1:5.2f} "
                  f"+ make_plan {t3 - t2:5.2f}; {len(current.mailboxes):,} mailboxes; all keep: {keep}",
                  flush=True)
            del loaded, current, result
    return 0


if __name__ == "__main__":
    sys.exit(main())
