#!/usr/bin/env python3
"""Benchmark: naming and offline planning of a generated 100,000-person roster.

    python bench/bench_plan.py [--people 100000] [--seed 1] [--keep DIR] [--json FILE]

Targets named by the issue: naming <= 1 s; a full offline plan from the YAML files <= 20 s (with
libyaml's C loader). The script prints every figure, its target, the ratio value/target (< 1 is within
the target) and PASS/OVER; results are recorded in docs/benchmarks.md.

How it measures
- The roster is generated first (bench/gen_roster.py, seeded, deterministic) into a temporary folder,
  or into DIR with --keep; the generation time is printed but counted in nothing.
- Each measured part runs in a fresh Python process (this script with --child), so that its peak
  memory is its own: peak RSS is the kernel's high-water mark of that process (VmHWM in
  /proc/self/status, cross-checked with getrusage ru_maxrss), read right after the timed part.
  Wall time is time.perf_counter around the part only; no tracemalloc, no profiler, the garbage
  collector on, as in production.
  (a) naming: `naming.base_of` + `naming.assign_addresses` for every person, agency by agency in roster
      order, from names already normalised (the input is rebuilt from the same seed, outside the timing);
  (b) full offline plan from the YAML files: `load_roster` + `make_plan` against an empty State (a new
      province); then, in the same process, (d) writing plan.json (`Plan.dump`, streamed) and plan.md
      (`render_markdown`), which is what the roster_plan module does after planning;
  (c) a no-op re-plan in a new process: the state the first plan produces (`plan.new_state(State())`,
      written as a JSON state export) is read with `load_state`, the roster is loaded again and planned;
      every item must be `keep`;
  (e) a change of domain in a new process (docs/reorganisation.md): the same state, the roster loaded
      with the domain quangtri.gov.vn and quangbinh.gov.vn as the former one, planned, plan.json and
      plan.md written: every mailbox in service must move (a `rename` or, for a person in an agency that
      changed, a `transfer`), nothing else; the target is the plan's, 20 s.
- The policy core is imported from plugins/module_utils (never Ansible; the children check that).

Exit status: 0 when every figure is within its target, 1 when one is over, 2 when something is wrong
(invalid generated roster, a re-plan that is not all `keep`, a child that failed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
PLAN_DATE = dt.date(2025, 1, 15)  # fixed: the same input gives byte-identical plan files
OLD_DOMAIN, NEW_DOMAIN = "quangbinh.gov.vn", "quangtri.gov.vn"  # (e): the 2025 merger's change of domain

# The targets, in seconds.
TARGET_NAMING = 1.0
TARGET_PLAN = 20.0


# ---------------------------------------------------------------------------------------------------
# Measuring helpers (used in the children)
# ---------------------------------------------------------------------------------------------------


def peak_rss_mib() -> dict:
    """High-water RSS of this process: VmHWM (Linux) and ru_maxrss, in MiB."""
    result = {"ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if sys.platform == "darwin":  # ru_maxrss is in bytes there
        result["ru_maxrss_mib"] /= 1024
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key = "hwm_mib" if line.startswith("VmHWM") else "rss_mib"
                    result[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    result["peak_mib"] = result.get("hwm_mib", result["ru_maxrss_mib"])
    return result


def _import_core():
    sys.path.insert(0, MODULE_UTILS)
    import congvu_planner_files as files  # the roster folder and the state export, read as the modules read them
    import yaml
    from congvu import naming, plan, state

    return yaml, naming, plan, files, state


def _no_ansible() -> None:
    loaded = sorted(m for m in sys.modules if m == "ansible" or m.startswith("ansible."))
    if loaded:
        raise SystemExit(f"the benchmark imported Ansible ({loaded[0]}); it must measure the core alone")


def child_naming(args) -> dict:
    """(a) base_of + assign_addresses for everybody, grouped by agency, names already normalised."""
    sys.path.insert(0, HERE)
    import gen_roster

    _, naming, _, _, _ = _import_core()
    agencies = sorted(gen_roster.build(args.people, args.seed), key=lambda a: a.code)  # file-name order
    groups = []
    for agency in agencies:
        people = []
        for p in agency.staff:
            given = naming.normalize_name(p.given_name) if p.given_name else None
            people.append((p.id, naming.normalize_name(p.name), given, p.leader))
        groups.append((agency.code, people))
    del agencies
    domain = "quangbinh.gov.vn"
    Candidate, base_of, assign = naming.Candidate, naming.base_of, naming.assign_addresses
    gc.collect()
    before = peak_rss_mib()

    t0 = time.perf_counter()
    wanted = [(code, [Candidate(pid, base_of(name, given), leader) for pid, name, given, leader in people])
              for code, people in groups]
    t1 = time.perf_counter()
    taken: set[str] = set()
    assigned: dict[str, str] = {}
    displaced = 0
    for code, candidates in wanted:
        got, leaders = assign(candidates, code, domain, taken)
        assigned.update(got)
        displaced += len(leaders)
    t2 = time.perf_counter()
    after = peak_rss_mib()

    # Not timed: evidence that the roster has the collisions the benchmark is meant to stress.
    persons = sum(len(c) for _, c in wanted)
    shared = largest = numbered = 0
    for code, candidates in wanted:
        counts: dict[str, int] = {}
        for cand in candidates:
            counts[cand.base] = counts.get(cand.base, 0) + 1
        shared += sum(n for n in counts.values() if n > 1)
        largest = max(largest, max(counts.values(), default=0))
        suffix = "." + code + "@"
        numbered += sum(1 for c in candidates if assigned[c.key].split(suffix)[0] != c.base)
    if len(assigned) != persons or len(set(assigned.values())) != persons:
        raise SystemExit("naming gave two people the same address or skipped somebody")
    return {
        "persons": persons, "base_of_s": t1 - t0, "assign_s": t2 - t1, "naming_s": t2 - t0,
        "persons_sharing_base": shared, "largest_same_base_group": largest,
        "numbered_addresses": numbered, "displaced_leaders": displaced,
        "rss_before_mib": before["rss_mib"] if "rss_mib" in before else None,
        **after,
    }


def child_plan(args) -> dict:
    """(b) load_roster + make_plan against a new province, then (d) plan.json + plan.md."""
    yaml, _, plan, files, state = _import_core()
    libyaml = getattr(yaml, "CSafeLoader", None) is not None  # what congvu_planner_files.compose uses
    gc.collect()
    before = peak_rss_mib()

    t0 = time.perf_counter()
    loaded = files.load_roster(args.roster)
    t1 = time.perf_counter()
    result = plan.make_plan(loaded, state.State(), PLAN_DATE)
    t2 = time.perf_counter()
    peak_b = peak_rss_mib()

    # As the roster_plan module does it: plan.json streamed to the file, then plan.md.
    os.makedirs(args.plan_dir, exist_ok=True)
    json_path = os.path.join(args.plan_dir, "plan.json")
    md_path = os.path.join(args.plan_dir, "plan.md")
    t3 = time.perf_counter()
    with open(json_path, "w", encoding="utf-8") as handle:
        result.dump(handle)
    t4 = time.perf_counter()
    plan_md = plan.render_markdown(result)
    t5 = time.perf_counter()
    with open(md_path, "w", encoding="utf-8") as handle:
        handle.write(plan_md)
    t6 = time.perf_counter()
    peak_d = peak_rss_mib()

    # Not timed: the state this plan produces, as the JSON export the re-plan reads.
    new_state = result.new_state(state.State())
    with open(args.state, "w", encoding="utf-8") as handle:
        handle.write(new_state.dumps())
    _no_ansible()
    return {
        "libyaml": libyaml, "yaml_version": yaml.__version__,
        "persons": len(loaded.persons), "agencies": len(loaded.agencies), "warnings": len(loaded.warnings),
        "errors": len(result.errors), "notices": len(result.notices), "summary": result.summary(),
        "items": len(result.items),
        "load_s": t1 - t0, "make_plan_s": t2 - t1, "plan_s": t2 - t0,
        "dumps_s": t4 - t3, "render_s": t5 - t4, "write_s": t6 - t5, "output_s": t6 - t3,
        "plan_json_bytes": os.path.getsize(json_path), "plan_md_bytes": os.path.getsize(md_path),
        "state_json_bytes": os.path.getsize(args.state),
        "rss_before_mib": before.get("rss_mib"), "peak_b": peak_b, "peak_d": peak_d,
    }


def child_replan(args) -> dict:
    """(c) load_state(export of the first plan's result) + load_roster + make_plan: all `keep`."""
    _, _, plan, files, state = _import_core()
    gc.collect()
    t0 = time.perf_counter()
    current = files.load_state(args.state)
    t1 = time.perf_counter()
    loaded = files.load_roster(args.roster)
    t2 = time.perf_counter()
    result = plan.make_plan(loaded, current, PLAN_DATE)
    t3 = time.perf_counter()
    peak = peak_rss_mib()
    t4 = time.perf_counter()
    text = result.dumps() + plan.render_markdown(result)
    t5 = time.perf_counter()
    _no_ansible()
    summary = result.summary()
    return {
        "state_load_s": t1 - t0, "load_s": t2 - t1, "make_plan_s": t3 - t2, "replan_s": t3 - t0,
        "output_s": t5 - t4, "output_bytes": len(text.encode("utf-8")),
        "summary": summary, "items": len(result.items), "changed": result.changed,
        "errors": len(result.errors), "notices": len(result.notices),
        "all_keep": summary["keep"] == len(result.items) and not result.errors, **peak,
    }


def child_domain(args) -> dict:
    """(e) load_state + load_roster with a new domain + make_plan + plan.json and plan.md."""
    _, _, plan, files, state = _import_core()
    from congvu.settings import Settings

    settings = Settings(domain=NEW_DOMAIN, former_domains=(OLD_DOMAIN,), base_dn="dc=quangbinh,dc=gov,dc=vn")
    gc.collect()
    t0 = time.perf_counter()
    current = files.load_state(args.state)
    t1 = time.perf_counter()
    loaded = files.load_roster(args.roster, settings)
    t2 = time.perf_counter()
    result = plan.make_plan(loaded, current, PLAN_DATE)
    t3 = time.perf_counter()
    json_path = os.path.join(args.plan_dir, "plan-domain.json")
    with open(json_path, "w", encoding="utf-8") as handle:
        result.dump(handle)
    markdown = plan.render_markdown(result)
    t4 = time.perf_counter()
    peak = peak_rss_mib()
    _no_ansible()
    serving = [b for b in [*current.mailboxes.values(), *current.agencies.values()] if b.state != "terminated"]
    moved = [i for i in result.items if i.action in ("rename", "transfer") and i.address.endswith("@" + NEW_DOMAIN)]
    return {
        "state_load_s": t1 - t0, "load_s": t2 - t1, "make_plan_s": t3 - t2, "output_s": t4 - t3,
        "domain_s": t4 - t0, "summary": result.summary(), "errors": len(result.errors),
        "serving": len(serving), "moved": len(moved), "reorganised": result.reorganised,
        "guard_count": result.guard_count, "headline": next(
            (line for line in markdown.splitlines() if line.startswith("Đổi tên miền")), ""), **peak,
    }


CHILDREN = {"naming": child_naming, "plan": child_plan, "replan": child_replan, "domain": child_domain}


# ---------------------------------------------------------------------------------------------------
# The parent: generate, run the children, print the table
# ---------------------------------------------------------------------------------------------------


def run_child(kind: str, args, paths: dict) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", kind, "--people", str(args.people),
               "--seed", str(args.seed), "--roster", paths["roster"], "--plan-dir", paths["plan"],
               "--state", paths["state"]]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            if proc.returncode == 0:
                return json.loads(line[len("RESULT "):])
    sys.stderr.write(proc.stdout + proc.stderr)
    raise SystemExit(f"bench_plan: the '{kind}' measurement failed (exit {proc.returncode})")


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    memory = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
            cpu = models[0] if models else cpu
        with open("/proc/meminfo", encoding="ascii") as handle:
            memory = int(handle.readline().split()[1]) / 1024 / 1024
    except (OSError, IndexError, ValueError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"python": f"{platform.python_implementation()} {platform.python_version()}",
            "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(), "cpu_usable": usable,
            "memory_gib": round(memory, 1) if memory else None}


def _verdict(value: float, target: float | None) -> tuple[str, str, str]:
    if target is None:
        return "-", "-", ""
    ratio = value / target
    return f"{target:g} s", f"{ratio:.3f}", "PASS" if ratio <= 1 else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000, help="roster size (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--keep", metavar="DIR", help="write roster/, plan/ and state.json into DIR "
                        "(new or empty) and keep them; default: a temporary folder, removed")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--roster", help=argparse.SUPPRESS)
    parser.add_argument("--plan-dir", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = CHILDREN[args.child](args)
        _no_ansible()
        print("RESULT " + json.dumps(result))
        return 0

    work = benchlib.scratch_folder(args.keep, "congvu-bench-", parser.error)
    paths = {"roster": os.path.join(work, "roster"), "plan": os.path.join(work, "plan"),
             "state": os.path.join(work, "state.json")}
    try:
        sys.path.insert(0, HERE)
        import gen_roster

        gen = gen_roster.generate(args.people, paths["roster"], args.seed)
        naming_r = run_child("naming", args, paths)
        plan_r = run_child("plan", args, paths)
        replan_r = run_child("replan", args, paths)
        domain_r = run_child("domain", args, paths)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    info = machine()
    mib = 1024 * 1024
    print(f"congvu-mail bench_plan: {args.people:,} people, seed {args.seed}, plan date {PLAN_DATE}")
    print(f"python      {info['python']} ({sys.executable})")
    print(f"yaml        PyYAML {plan_r['yaml_version']}, libyaml CSafeLoader used: "
          f"{'yes' if plan_r['libyaml'] else 'NO (pure-Python loader)'}")
    print(f"machine     {info['cpu']}, {info['cpu_count']} CPUs ({info['cpu_usable']} usable), "
          f"{info['memory_gib']} GiB RAM, {info['platform']}")
    print(f"roster      {gen['files']} agency files, {gen['bytes'] / mib:.1f} MiB, agencies of "
          f"{gen['agency_size_min']}-{gen['agency_size_max']} people (median {gen['agency_size_median']}); "
          f"{gen['four_word_names']} four-word names, {gen['given_name_overrides']} given_name, "
          f"{gen['leaders']} leaders, {gen['nfd_names']} NFD, {gen['suspended']} suspended, "
          f"{gen['terminated']} terminated, {gen['pinned']} pinned")
    print(f"collisions  {naming_r['persons_sharing_base']:,} people share their base with someone in "
          f"their agency; largest group {naming_r['largest_same_base_group']}; "
          f"{naming_r['numbered_addresses']:,} numbered addresses")
    if args.keep:
        print(f"kept        {work}")
    print()

    summary_b = plan_r["summary"]
    rows = [
        ("generation (not counted)", f"{gen['seconds']:.2f} s", None, None),
        ("(a) naming: base_of + assign_addresses", naming_r["naming_s"], TARGET_NAMING, "s"),
        ("      base_of", naming_r["base_of_s"], None, "s"),
        ("      assign_addresses", naming_r["assign_s"], None, "s"),
        ("      peak RSS (incl. input)", f"{naming_r['peak_mib']:.0f} MiB", None, None),
        ("(b) offline plan: load_roster + make_plan", plan_r["plan_s"], TARGET_PLAN, "s"),
        ("      load_roster (YAML)", plan_r["load_s"], None, "s"),
        ("      make_plan (new province)", plan_r["make_plan_s"], None, "s"),
        ("      peak RSS", f"{plan_r['peak_b']['peak_mib']:.0f} MiB", None, None),
        ("      plan items", f"{summary_b['create']:,} create", None, None),
        ("(c) no-op re-plan: load_state + load + plan", replan_r["replan_s"], TARGET_PLAN, "s"),
        ("      load_state (JSON export)", replan_r["state_load_s"], None, "s"),
        ("      load_roster (YAML)", replan_r["load_s"], None, "s"),
        ("      make_plan (against that state)", replan_r["make_plan_s"], None, "s"),
        ("      peak RSS", f"{replan_r['peak_mib']:.0f} MiB", None, None),
        ("      all keep", f"{'yes' if replan_r['all_keep'] else 'NO'} "
                           f"({replan_r['summary']['keep']:,}/{replan_r['items']:,})", None, None),
        ("(d) write plan.json + plan.md", plan_r["output_s"], None, "s"),
        ("      Plan.dump (streamed to plan.json)", plan_r["dumps_s"], None, "s"),
        ("      render_markdown", plan_r["render_s"], None, "s"),
        ("      write plan.md", plan_r["write_s"], None, "s"),
        ("      plan.json / plan.md", f"{plan_r['plan_json_bytes'] / mib:.1f} MiB / "
                                      f"{plan_r['plan_md_bytes'] / 1024:.0f} KiB", None, None),
        ("      peak RSS (after b + d)", f"{plan_r['peak_d']['peak_mib']:.0f} MiB", None, None),
        ("(b)+(d) as roster_plan runs it", plan_r["plan_s"] + plan_r["output_s"], TARGET_PLAN, "s"),
        ("(e) change of domain: load + plan + output", domain_r["domain_s"], TARGET_PLAN, "s"),
        ("      load_state (JSON export)", domain_r["state_load_s"], None, "s"),
        ("      load_roster (YAML)", domain_r["load_s"], None, "s"),
        ("      make_plan", domain_r["make_plan_s"], None, "s"),
        ("      plan.json + plan.md", domain_r["output_s"], None, "s"),
        ("      peak RSS", f"{domain_r['peak_mib']:.0f} MiB", None, None),
        ("      mailboxes moved / in service", f"{domain_r['moved']:,} / {domain_r['serving']:,}", None, None),
    ]
    print(f"{'figure':46} {'value':>22} {'target':>8} {'ratio':>7}  verdict")
    over = False
    for label, value, target, unit in rows:
        shown = f"{value:.3f} {unit}" if unit else value
        target_s, ratio_s, verdict = _verdict(value, target) if unit else ("-", "-", "")
        over = over or verdict == "OVER"
        print(f"{label:46} {shown:>22} {target_s:>8} {ratio_s:>7}  {verdict}".rstrip())

    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"people": args.people, "seed": args.seed, "machine": info, "generation": gen,
                       "naming": naming_r, "plan": plan_r, "replan": replan_r, "domain": domain_r}, handle,
                      indent=1)
    problems = []
    if plan_r["errors"] or plan_r["warnings"]:
        problems.append(f"the generated roster gave {plan_r['errors']} error(s) and {plan_r['warnings']} "
                        "warning(s)")
    if not replan_r["all_keep"]:
        problems.append(f"the re-plan is not a no-op: {replan_r['summary']}")
    if domain_r["errors"] or domain_r["moved"] != domain_r["serving"] or domain_r["guard_count"]:
        problems.append(f"the change of domain did not move every mailbox in service and nothing else: "
                        f"{domain_r['summary']}, {domain_r['moved']} of {domain_r['serving']} moved")
    for problem in problems:
        print(f"bench_plan: {problem}", file=sys.stderr)
    return 2 if problems else 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
