#!/usr/bin/env python3
"""Write inventories/demo/state.json: the demo province as it was applied "last month".

The demo roster (tools/make_demo_roster.py) is this month's request. Planning it against last month's
state shows every kind of change a real run meets (inventories/demo/roster/README.md lists them):
a transfer (TC0042 from stc to snv), a spelling fix that renames (KC0011) and one that does not
(VH0009), a suspension (CT0014) and a termination (TP0012). Last month's state is made with the
planner itself, from the roster with those changes undone, so it is exactly what an apply would have
left.

    python tools/make_demo_state.py [--check]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))

from congvu import naming  # noqa: E402
from congvu.plan import make_plan  # noqa: E402
from congvu.state import State  # noqa: E402
from congvu_planner_files import load_roster  # noqa: E402

ROSTER = os.path.join(ROOT, "inventories", "demo", "roster")
OUTPUT = os.path.join(ROOT, "inventories", "demo", "state.json")
LAST_MONTH = dt.date(2026, 10, 28)

# What was different last month: id -> fields as they were then.
LAST_MONTH_CHANGES = {
    "TC0042": {"agency": "stc"},  # transferred to snv since
    "KC0011": {"name": "Trần Ngọc Quí"},  # spelling corrected since: base quitn -> quytn
    "VH0009": {"name": "Doàn Văn Hải"},  # spelling corrected since: same base haidv
    "CT0014": {"state": "active"},  # suspended since
    "TP0012": {"state": "active"},  # terminated since
}


def last_month_state() -> State:
    roster = copy.deepcopy(load_roster(ROSTER))
    for person in roster.persons:
        for name, value in LAST_MONTH_CHANGES.get(person.id, {}).items():
            setattr(person, name, value)
        person.base = naming.base_of(person.name, person.given_name)
    # Roster order decides numbers: a transferred person sits at the end of the old agency's list.
    roster.persons.sort(key=lambda p: p.id == "TC0042")
    plan = make_plan(roster, State(), LAST_MONTH)
    assert not plan.blocked, plan.errors
    return plan.new_state(State())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if state.json is not up to date")
    args = parser.parse_args()
    text = last_month_state().dumps()
    if args.check:
        with open(OUTPUT, encoding="utf-8") as handle:
            if handle.read() != text:
                print(f"{OUTPUT} is stale: run tools/make_demo_state.py", file=sys.stderr)
                return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
