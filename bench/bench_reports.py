#!/usr/bin/env python3
"""Benchmark: the usage records behind the reports, at the size of a 100,000-mailbox province.

    .venv/bin/python bench/bench_reports.py [--mailboxes 100000] [--lines 3000000] [--months 6] [--seed 1]
        [--timestamps iso|bsd] [--no-render] [--profile] [--keep DIR] [--json FILE]

The requirement's figures and targets:
  (a) ingest of one working day's mail log of the province (about 3 million lines, Postfix and Dovecot
      mixed): lines per second of `congvu-reports ingest-file`, side by side in the same run with
      Debian's `pflogsumm` on the same file; target: ours at least as fast (ours / pflogsumm >= 1),
      while ours keeps a record per mailbox and pflogsumm only prints totals;
  (b) report generation for six months and 100,000 mailboxes: <= 60 s;
  (c) database size per mailbox-month (no target: the figure is for capacity planning).

How it measures
- The province: `--mailboxes` personal mailboxes in agencies of a few to a few thousand (one agency
  per ~400 mailboxes; a head and two deputies each; 0.5 % suspended, 0.25 % terminated), seeded.
- (a) The day's mail log is written by the demo's generator (tools/make_demo_history.py: the line
  formats of tests/unit/test_usage_events.py, copied from a running system) with a busier profile
  than the demo's and every Postfix line of each message (postscreen, cleanup, status=sent, removed,
  connect/disconnect), since pflogsumm reads those: its rates are scaled so that the file has about
  `--lines` lines. Time stamps are rsyslog's on Debian 12 (RFC 3339) unless `--timestamps bsd`.
  Then, each timed from outside as a child process (wall clock, and the children's CPU time):
    pflogsumm FILE > pflogsumm.txt              (all lines: no -d)
    python roles/reports/files/congvu-reports ingest-file --source bench --kind journal-text FILE
  the latter with CONGVU_REPORTS_CONFIG pointing at a temporary configuration (lib_dir = this
  repository's plugins/module_utils, a new database, the role's default batch of 5,000 lines per
  transaction): the same parser, Batch and store.commit as the collector, nothing bypassed. Afterwards
  the database must hold exactly what the generator wrote (logins by kind, messages sent and received,
  refusals, Art. 12 openings) and pflogsumm must report every message received: else exit 2. (The
  webmail logins are in Roundcube's own log, not in this file: (a) leaves them out.)
  `--profile` adds an untimed run of the same command under cProfile and prints where the time goes.
- (b) Six months of what the collector and the daily job leave in the database, written directly
  (this part bypasses the parser on purpose: it measures the report, not the ingest): a snapshot of
  every mailbox and agency for every calendar day (store.write_snapshot, as the daily job), a row of
  daily_usage per mailbox and working day it was used, the Art. 12 openings, audit events and line
  counts. Then, in a new process (its peak memory is its own):
    summary.build_summary (the reports host) -> json.dumps as `congvu-reports summary` writes it ->
    json.loads -> usage_report.build_report with congvu_holidays.work_calendar (the controller)
  timed together against the 60 s (the copy between the hosts is not counted). If the renderers can
  be imported (plugins/module_utils/congvu_render and its libraries), `render_all` of that report.json
  is timed too, separately, in another process.
- (c) The database of (b) after a checkpoint, divided by mailboxes x months, with each table's share
  (SQLite's dbstat). The raw events (each login and message, kept `raw_days` = 400 days by default, so
  all six months of them) are not in (b): their size per mailbox-month is estimated from the
  database of (a) (bytes of tables login and message per mailbox and working day, times the working
  days per month of the period) and added for the total.

Exit status: 0 when every figure is within its target, 1 when one is over, 2 when the run went wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
COLLECTOR = os.path.join(REPO, "roles", "reports", "files", "congvu-reports")
ASSETS = os.path.join(MODULE_UTILS, "congvu_render", "assets")
sys.path.insert(0, MODULE_UTILS)
sys.path.insert(0, os.path.join(REPO, "tools"))

import benchlib  # noqa: E402
import make_demo_history as history  # noqa: E402

TARGET_INGEST_RATIO = 1.0  # ours / pflogsumm, lines per second
TARGET_REPORT_S = 60.0
DAY = dt.date(2026, 11, 25)  # a Wednesday: the working day of (a)
PERIOD_END = dt.date(2026, 11, 30)
DOMAIN = "quangbinh.gov.vn"
BATCH = 5000  # roles/reports/defaults/main.yml reports__batch
# A province's busy day: IMAP clients that reconnect, POP3 clients that poll, more mail than the demo.
BUSY = history.Profile(extra_imap_logins=2.0, pop3_polls=6.0, sends=1.0, inbound=1.3, agency_inbound=20.0,
                       spam_refused=0.03, virus_refused=0.001, failed_logins=0.02, every_postfix_line=True)
GIVEN = ("an", "binh", "cuong", "dung", "giang", "ha", "hai", "hanh", "hoa", "hung", "huong", "lan", "linh",
         "long", "mai", "minh", "nam", "nga", "ngoc", "phuong", "quang", "son", "thanh", "thao", "thu", "trang",
         "tuan", "van", "viet", "yen")
INITIALS = ("nv", "nt", "tv", "tt", "lv", "lt", "pv", "pt", "hv", "ht", "ntt", "nvh", "ttm", "lth", "dv", "dt")


# ---------------------------------------------------------------------------------------------------
# The province
# ---------------------------------------------------------------------------------------------------


def province(mailboxes: int, seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    count = max(3, round(mailboxes / 400))
    weights = [math.exp(rng.gauss(0, 0.9)) for _ in range(count)]
    total = sum(weights)
    sizes = [max(3, int(mailboxes * w / total)) for w in weights]
    sizes[-1] = max(3, sizes[-1] + mailboxes - sum(sizes))
    people, agencies, number = [], [], 0
    for index, size in enumerate(sizes):
        code = f"dv{index:03d}"
        head = f"QB{number + 1:06d}"
        agencies.append({"code": code, "name": f"Đơn vị {index}", "kind": "department", "mail": f"{code}@{DOMAIN}",
                         "state": "active", "head": head})
        for rank in range(size):
            number += 1
            local = f"{rng.choice(GIVEN)}{rng.choice(INITIALS)}{number}"
            draw = rng.random()
            state = "suspended" if rank > 2 and draw < 0.005 else "terminated" if rank > 2 and draw < 0.0075 \
                else "active"
            decision = "123/QĐ-UBND" if rng.random() < 0.01 else None
            people.append({"uid": f"QB{number:06d}", "mail": f"{local}.{code}@{DOMAIN}", "name": f"Người {number}",
                           "agency": code, "title": "Chuyên viên" if rank > 2 else "Lãnh đạo", "leader": rank < 3,
                           "state": state, "quota": 5 * 1024**3 if decision else 2 * 1024**3,
                           "quota_decision": decision})
    return people, agencies


# ---------------------------------------------------------------------------------------------------
# (a) the day's mail log, our ingest and pflogsumm
# ---------------------------------------------------------------------------------------------------


def write_day(path: str, people, agencies, profile, seed: int) -> dict:
    started = time.perf_counter()
    gen = history.History(people, agencies, DAY, DAY, seed, profile=profile)
    lines, _ = gen.day(DAY)
    received = sum(1 for line in lines if ": client=" in line)  # what pflogsumm counts as received
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    result = {"lines": len(lines), "bytes": os.path.getsize(path), "pflogsumm_received": received,
              "expected": dict(gen.expected), "seconds": time.perf_counter() - started}
    del lines, gen
    gc.collect()
    return result


def lines_per_mailbox(people, agencies, profile, seed) -> float:
    """Lines per mailbox of a pilot day on whole agencies (every third, until ~3,000 mailboxes): the agency
    mailboxes' own mail does not shrink with a sample of people."""
    sizes: dict[str, int] = {}
    for p in people:
        sizes[p["agency"]] = sizes.get(p["agency"], 0) + 1
    chosen, count = set(), 0
    for agency in agencies[::3]:
        chosen.add(agency["code"])
        count += sizes.get(agency["code"], 0)
        if count >= 3000:
            break
    if count < 3000:
        chosen = set(sizes)
    sample = [p for p in people if p["agency"] in chosen]
    gen = history.History(sample, [a for a in agencies if a["code"] in chosen], DAY, DAY, seed, profile=profile)
    return len(gen.day(DAY)[0]) / len(sample)


def scaled_profile(people, agencies, wanted_lines: int, seed: int, timestamps: str) -> history.Profile:
    """The busy profile, its rates scaled so that the day has about `wanted_lines` lines: two small pilot
    runs give lines per mailbox as a + b x scale."""
    base = dataclasses.replace(BUSY, timestamps=timestamps)
    one = lines_per_mailbox(people, agencies, base, seed)
    two = lines_per_mailbox(people, agencies, base.scaled(2.0), seed)
    slope = max(1e-9, two - one)
    scale = max(0.05, 1 + (wanted_lines / len(people) - one) / slope)
    return base.scaled(scale)


def loadavg() -> str:
    """The 1-minute load average: the machines are shared, and it explains most of the spread."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return handle.read().split()[0]
    except OSError:
        return "?"


def timed(command: list[str], env=None, stdout=None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = loadavg()
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"bench_reports: {' '.join(command)[:200]} failed ({proc.returncode}):\n"
                         f"{(proc.stdout or '')[-2000:]}\n{proc.stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "user_s": after.ru_utime - before.ru_utime, "sys_s": after.ru_stime - before.ru_stime,
            "peak_mib": after.ru_maxrss / 1024, "load_before": load, "load_after": loadavg(),
            "stdout": proc.stdout}


def collector_config(work: str, database: str) -> str:
    path = os.path.join(work, "reports.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"lib_dir": MODULE_UTILS, "database": database, "raw_days": 400, "keep_days": 1827,
                   "journal_units": [], "files": [], "webmail_addresses": ["127.0.0.1", "::1"],
                   "virus_marker": "Virus found", "batch": BATCH, "ldap": {}, "domain": DOMAIN,
                   "default_quota": 2 * 1024**3, "doveadm": False, "host": "bench", "database_host": "bench"},
                  handle)
    return path


def ingest_command(log: str, timestamps: str) -> list[str]:
    command = [sys.executable, COLLECTOR, "ingest-file", "--source", "bench", "--kind", "journal-text", log]
    return command + (["--year", str(DAY.year)] if timestamps == "bsd" else [])


def check_ingest(database: str, expected: dict) -> list[str]:
    from congvu_usage import store

    conn = store.connect(database)
    got = {f"login_{kind}": n for kind, n in conn.execute("SELECT kind, COUNT(*) FROM login GROUP BY kind")}
    row = conn.execute("SELECT SUM(sent), SUM(sent_recipients), SUM(received), SUM(virus_refused), "
                       "SUM(spam_refused) FROM daily_usage").fetchone()
    got.update(zip(("sent", "sent_recipients", "received", "virus_refused", "spam_refused"), row, strict=True))
    got["agency_opens"] = conn.execute("SELECT COUNT(*) FROM agency_open").fetchone()[0]
    got["malformed"] = conn.execute("SELECT COALESCE(SUM(malformed), 0) FROM line_quality").fetchone()[0]
    conn.close()
    problems = [f"{key}: the database has {got.get(key, 0)}, the log has {value}"
                for key, value in expected.items() if key in got and got.get(key, 0) != value]
    if got["malformed"]:
        problems.append(f"{got['malformed']} malformed lines")
    return problems


def table_sizes(database: str) -> dict[str, int]:
    """Bytes per table, its indexes included (dbstat)."""
    import sqlite3

    conn = sqlite3.connect(database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    owner = {name: table for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master")}
    sizes: dict[str, int] = {}
    try:
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + size
    except sqlite3.OperationalError:  # an SQLite built without dbstat
        pass
    conn.close()
    return sizes


def profile_ingest(work: str, log: str, env: dict, timestamps: str, top: int = 18) -> str:
    import io
    import pstats

    database = os.path.join(work, "profile.sqlite")
    env = {**env, "CONGVU_REPORTS_CONFIG": collector_config(work, database)}
    out = os.path.join(work, "ingest.prof")
    command = ingest_command(log, timestamps)
    timed([command[0], "-m", "cProfile", "-o", out, *command[1:]], env=env)
    text = io.StringIO()
    pstats.Stats(out, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


# ---------------------------------------------------------------------------------------------------
# (b) six months of aggregates, then the report
# ---------------------------------------------------------------------------------------------------


def fill_aggregates(database: str, people, agencies, start: dt.date, end: dt.date, seed: int, lines_per_day: int,
                    log) -> dict:
    """What six months of collecting and daily snapshots leave in the database (the parser is bypassed)."""
    from congvu import art12
    from congvu_holidays import work_calendar
    from congvu_usage import store

    rng = random.Random(seed)
    rnd = rng.random
    started = time.perf_counter()
    conn = store.connect(database)
    # setting up is not measured: no fsync per day, a large page cache for the snapshot index
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")
    calendar = work_calendar()
    working = set(calendar.working_days(start, end))
    periods = art12.DEFAULT_PERIODS
    heads = {a["head"] for a in agencies}
    by_uid = {p["uid"]: p for p in people}

    # each mailbox: how it is used (a few variants of a day's counts, chosen at random each day)
    usage = []
    for p in people:
        if p["state"] == "terminated" and rnd() < 0.5:
            continue  # closed before the period
        draw = rnd()
        mode = "imap" if draw < 0.55 else "webmail" if draw < 0.85 else "pop3" if draw < 0.95 else "submission"
        p_active = 0.97 if p["uid"] in heads else 0.55 + 0.42 * rnd()
        variants = []
        for _ in range(8):
            sends = int(rnd() * 3.0)
            logins = {"imap": (1 + int(rnd() * 4), 0, sends, 0), "webmail": (0, 0, sends, 1 + int(rnd() * 1.3)),
                      "pop3": (0, 2 + int(rnd() * 10), sends, 0), "submission": (0, 0, max(1, sends), 0)}[mode]
            recipients = sends + int(rnd() * 2 * sends)
            received = int(rnd() * 7)
            spam = 1 if rnd() < 0.03 else 0
            virus = 1 if rnd() < 0.001 else 0
            clock = f"T{7 + int(rnd() * 10):02d}:{int(rnd() * 60):02d}:{int(rnd() * 60):02d}+07:00"
            variants.append((*logins, logins[2], recipients, received, virus, spam, clock))
        usage.append((p["mail"], p_active, variants))
    storage = {p["mail"]: int(2 * 1024**3 * rnd() * 0.4) for p in people}
    counts = {"snapshot_rows": 0, "daily_rows": 0, "open_rows": 0, "audit_rows": 0}
    day, number = start, 0
    insert_daily = "INSERT INTO daily_usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    while day <= end:
        store.write_snapshot(conn, day.isoformat(), people, agencies, storage)
        counts["snapshot_rows"] += len(people)
        text = day.isoformat()
        is_working = day in working
        share = 1.0 if is_working else 0.04
        rows = []
        for mail, p_active, variants in usage:
            if rnd() < p_active * share:
                v = variants[int(rnd() * 8)]
                rows.append((text, mail, *v[:9], text + v[9]))
        for agency in agencies:  # mail into the agency mailboxes: stored, not anybody's personal mail
            rows.append((text, agency["mail"], 0, 0, 0, 0, 0, 0, int(20 * share * (0.5 + rnd())), 0, 0, None))
        rows.sort(key=lambda r: r[1])
        opens = []
        if is_working:
            for agency in agencies:
                head = by_uid.get(agency["head"])
                for period in periods:
                    if head is not None and rnd() < 0.9:
                        minute = int(rnd() * 60)
                        opens.append((f"{text}T{period.start[:2]}:{minute:02d}:00+07:00", text, agency["mail"],
                                      head["mail"], "INBOX", "SELECT"))
        audits = []
        for _ in range(int(len(people) * 0.0005 * share) + (1 if rnd() < 0.5 else 0)):
            p = people[int(rnd() * len(people))]
            action = rng.choice(("password_reset", "password_reset", "create", "suspend", "terminate"))
            audits.append((f"{text}T09:00:00+07:00", text, action, p["uid"], p["agency"],
                           "inactivity" if action == "suspend" else "roster"))
        conn.execute("BEGIN")
        conn.executemany(insert_daily, rows)
        conn.executemany("INSERT INTO agency_open VALUES (?, ?, ?, ?, ?, ?)", opens)
        conn.executemany("INSERT INTO audit_event VALUES (?, ?, ?, ?, ?, ?)", audits)
        lines = int(lines_per_day * share)
        conn.execute("INSERT INTO line_quality VALUES (?, 'bench', 'journal', ?, ?, ?, 0)",
                     (text, lines, lines * 45 // 100, lines - lines * 45 // 100))
        conn.execute("COMMIT")
        counts["daily_rows"] += len(rows)
        counts["open_rows"] += len(opens)
        counts["audit_rows"] += len(audits)
        number += 1
        if number % 30 == 0:
            log(f"(b) {number} days written ({day}), {counts['daily_rows']:,} daily rows")
        day += dt.timedelta(days=1)
    conn.close()
    counts["working_days"] = len(working)
    counts["seconds"] = time.perf_counter() - started
    return counts


def peak_rss_mib() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_report(args) -> dict:
    """(b) in its own process: summary on the reports host, report on the controller."""
    from congvu import art12, usage_report
    from congvu_holidays import work_calendar
    from congvu_usage import store, summary

    periods = art12.DEFAULT_PERIODS
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    t0 = time.perf_counter()
    conn = store.connect(args.database)
    result = summary.build_summary(conn, start, end, periods)
    t1 = time.perf_counter()
    text = json.dumps(result, ensure_ascii=False, sort_keys=True)
    t2 = time.perf_counter()
    del result
    loaded = json.loads(text)
    t3 = time.perf_counter()
    report = usage_report.build_report(loaded, work_calendar(), periods, art12.DEFAULT_THRESHOLD_PCT,
                                       "Quảng Bình", DOMAIN, today=end)
    t4 = time.perf_counter()
    raw = json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    with open(args.report_json, "wb") as handle:
        handle.write(raw)
    return {"summary_s": t1 - t0, "dumps_s": t2 - t1, "loads_s": t3 - t2, "report_s": t4 - t3, "total_s": t4 - t0,
            "summary_bytes": len(text.encode("utf-8")), "report_bytes": len(raw),
            "mailboxes": len(report["mailboxes"]), "agencies": len(report["agencies"]),
            "working_days": report["period"]["working_days"], "below_threshold": len(report["below_threshold"]),
            "peak_mib": peak_rss_mib()}


def child_render(args) -> dict:
    import congvu_render

    with open(args.report_json, "rb") as handle:
        raw = handle.read()
    t0 = time.perf_counter()
    files = congvu_render.render_all(raw, ASSETS)
    seconds = time.perf_counter() - t0
    return {"render_s": seconds, "sizes": {name: len(data) for name, data in files.items()},
            "peak_mib": peak_rss_mib()}


CHILDREN = {"report": child_report, "render": child_render}


def run_child(kind: str, args, extra: list[str], timeout: float | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", kind, *extra]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT ") and proc.returncode == 0:
            return json.loads(line[len("RESULT "):])
    return {"error": f"exit {proc.returncode}: {(proc.stdout + proc.stderr)[-1500:]}"}


def renderer_available() -> str | None:
    """None when congvu_render and its libraries import, else why not."""
    proc = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {MODULE_UTILS!r}); "
                           "import congvu_render, weasyprint, openpyxl, matplotlib"],
                          capture_output=True, text=True, check=False)
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]


# ---------------------------------------------------------------------------------------------------
# The parent
# ---------------------------------------------------------------------------------------------------


def months_back(end: dt.date, months: int) -> dt.date:
    index = end.year * 12 + end.month - 1 - months + 1
    return dt.date(index // 12, index % 12 + 1, 1)


def machine() -> dict:
    import sqlite3  # noqa: PLC0415

    return {**benchlib.machine(), "sqlite": sqlite3.sqlite_version}


def pflogsumm_version(path: str) -> str:
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr) else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=100_000, help="personal mailboxes (default 100000)")
    parser.add_argument("--lines", type=int, help="lines of the day's log in (a) (default 30 per mailbox)")
    parser.add_argument("--months", type=int, default=6, help="months of aggregates in (b) (default 6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timestamps", choices=("iso", "bsd"), default="iso",
                        help="time stamps of the log: rsyslog's on Debian 12 (iso, default) or the old BSD form")
    parser.add_argument("--no-render", action="store_true", help="do not time the renderers")
    parser.add_argument("--render-timeout", type=float, default=1800)
    parser.add_argument("--profile", action="store_true", help="also profile the ingest (cProfile, not timed)")
    parser.add_argument("--keep", metavar="DIR", help="keep the log, the databases and report.json in DIR")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--start", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    parser.add_argument("--report-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print("RESULT " + json.dumps(CHILDREN[args.child](args)))
        return 0

    pflogsumm = shutil.which("pflogsumm") or ("/usr/sbin/pflogsumm" if os.path.exists("/usr/sbin/pflogsumm") else None)
    if pflogsumm is None:
        print("bench_reports: pflogsumm is not installed (Debian: apt-get install -y pflogsumm)", file=sys.stderr)
        return 2
    wanted_lines = args.lines or 30 * args.mailboxes
    work = benchlib.scratch_folder(args.keep, "congvu-bench-reports-", parser.error)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    results: dict = {"mailboxes": args.mailboxes, "months": args.months, "seed": args.seed,
                     "timestamps": args.timestamps, "machine": machine(), "pflogsumm": pflogsumm_version(pflogsumm)}
    problems: list[str] = []
    try:
        people, agencies = province(args.mailboxes, args.seed)
        results["agencies"] = len(agencies)

        # (a)
        log(f"(a) writing one working day ({DAY}) of the mail log of {args.mailboxes:,} mailboxes")
        profile = scaled_profile(people, agencies, wanted_lines, args.seed, args.timestamps)
        mail_log = os.path.join(work, "mail.log")
        gen = write_day(mail_log, people, agencies, profile, args.seed)
        results["log"] = gen
        log(f"(a) {gen['lines']:,} lines, {gen['bytes'] / 2**20:.0f} MiB in {gen['seconds']:.1f} s; pflogsumm")
        pfl = timed([pflogsumm, mail_log])
        match = re.search(r"^\s*(\d+)([km]?)\s+received\s*$", pfl["stdout"], re.MULTILINE)
        pfl_received = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)] if match else None
        with open(os.path.join(work, "pflogsumm.txt"), "w", encoding="utf-8") as handle:
            handle.write(pfl.pop("stdout"))
        pfl["received"] = pfl_received
        results["pflogsumm_run"] = pfl
        if pfl_received is None or abs(pfl_received - gen["pflogsumm_received"]) >= (1024 if match.group(2) else 1):
            problems.append(f"pflogsumm reported {pfl_received} messages received, the log has "
                            f"{gen['pflogsumm_received']}: it did not read the whole file")
        log(f"(a) pflogsumm {pfl['wall_s']:.1f} s; congvu-reports ingest-file")
        ingest_db = os.path.join(work, "ingest.sqlite")
        env = {**os.environ, "CONGVU_REPORTS_CONFIG": collector_config(work, ingest_db)}
        ours = timed(ingest_command(mail_log, args.timestamps), env=env)
        ours.pop("stdout")
        results["ingest_run"] = ours
        problems += [f"ingest: {p}" for p in check_ingest(ingest_db, gen["expected"])]
        ingest_sizes = table_sizes(ingest_db)
        results["ingest_db"] = {"bytes": os.path.getsize(ingest_db), "tables": ingest_sizes}
        log(f"(a) ingest {ours['wall_s']:.1f} s")
        if args.profile:
            log("(a) profiling the ingest (cProfile, not timed)")
            results["ingest_profile"] = profile_ingest(work, mail_log, env, args.timestamps)
        if not args.keep:
            os.remove(mail_log)

        # (b)
        start = months_back(PERIOD_END, args.months)
        aggregates = os.path.join(work, "aggregates.sqlite")
        log(f"(b) writing {start} .. {PERIOD_END} of aggregates for {args.mailboxes:,} mailboxes")
        fill = fill_aggregates(aggregates, people, agencies, start, PERIOD_END, args.seed, gen["lines"], log)
        results["aggregates"] = fill
        log(f"(b) written in {fill['seconds']:.0f} s; the report (summary + report.json)")
        report_json = os.path.join(work, "report.json")
        load = loadavg()
        report = run_child("report", args, ["--database", aggregates, "--start", start.isoformat(),
                                            "--end", PERIOD_END.isoformat(), "--report-json", report_json])
        report["load_before"], report["load_after"] = load, loadavg()
        results["report"] = report
        if "error" in report:
            problems.append(f"report: {report['error']}")
        elif report["mailboxes"] != len(people):
            problems.append(f"report: {report['mailboxes']} mailboxes, expected {len(people)}")
        why_not = None if args.no_render else renderer_available()
        if not args.no_render and why_not is None and "error" not in report:
            log("(b) rendering report.json (render_all)")
            load = loadavg()
            render = run_child("render", args, ["--report-json", report_json], timeout=args.render_timeout)
            render["load_before"], render["load_after"] = load, loadavg()
            results["render"] = render
        else:
            results["render"] = {"skipped": "--no-render" if args.no_render else why_not}

        # (c)
        sizes = table_sizes(aggregates)
        size = os.path.getsize(aggregates)
        mailbox_months = args.mailboxes * args.months
        raw_tables = ("login", "message")
        raw_per_mailbox_day = sum(ingest_sizes.get(t, 0) for t in raw_tables) / args.mailboxes
        working_per_month = fill["working_days"] / args.months
        results["size"] = {"bytes": size, "tables": sizes, "per_mailbox_month": size / mailbox_months,
                           "raw_per_mailbox_month": raw_per_mailbox_day * working_per_month}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    results["ingest_rate"] = results["log"]["lines"] / results["ingest_run"]["wall_s"]
    results["pflogsumm_rate"] = results["log"]["lines"] / results["pflogsumm_run"]["wall_s"]
    print_results(args, results, problems)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1, ensure_ascii=False)
    for problem in problems:
        print(f"bench_reports: {problem}", file=sys.stderr)
    ratio_a = results["pflogsumm_rate"] / results["ingest_rate"]
    ratio_b = results["report"].get("total_s", math.inf) / TARGET_REPORT_S
    return 2 if problems else 1 if ratio_a > 1 or ratio_b > 1 else 0


def print_results(args, results: dict, problems: list[str]) -> None:
    info, gen, pfl, ours = results["machine"], results["log"], results["pflogsumm_run"], results["ingest_run"]
    report, render, size, fill = results["report"], results["render"], results["size"], results["aggregates"]
    lines = gen["lines"]
    speed = results["ingest_rate"] / results["pflogsumm_rate"]
    kib, mib = 1024, 1024 * 1024
    print(f"congvu-mail bench_reports: {args.mailboxes:,} mailboxes in {results['agencies']} agencies, "
          f"seed {args.seed}")
    print(f"python      {info['python']} ({sys.executable}), SQLite {info['sqlite']}")
    print(f"machine     {info['cpu']}, {info['cpu_count']} CPUs, {info['platform']}")
    print(f"pflogsumm   {results['pflogsumm']}")
    print(f"(a) log     {DAY}: {lines:,} lines ({lines / args.mailboxes:.1f} per mailbox), "
          f"{gen['bytes'] / mib:.0f} MiB, {args.timestamps} time stamps; generated in {gen['seconds']:.1f} s "
          "(not counted)")
    e = gen["expected"]
    print(f"            logins imap/pop3/webmail/submission {e['login_imap']:,}/{e['login_pop3']:,}/"
          f"{e['login_webmail']:,}/{e['login_submission']:,}, sent {e['sent']:,}, delivered {e['received']:,}, "
          f"refused {e['spam_refused'] + e['virus_refused']:,}, Art. 12 openings {e['agency_opens']:,}")
    print(f"(b) data    {fill['working_days']} working days; {fill['snapshot_rows']:,} snapshot rows, "
          f"{fill['daily_rows']:,} daily_usage rows, {fill['open_rows']:,} Art. 12 openings, "
          f"{fill['audit_rows']:,} audit events; written in {fill['seconds']:.0f} s (not counted)")
    print()
    rows = [
        ("(a) ingest, ours / pflogsumm (lines per second)", f"{speed:.2f}x", f">= {TARGET_INGEST_RATIO:g}",
         1 / speed if speed else math.inf),
        ("      congvu-reports ingest-file", f"{results['ingest_rate']:,.0f} lines/s", "", None),
        ("        wall / CPU (user + sys)", f"{ours['wall_s']:.1f} s / {ours['cpu_s']:.1f} s", "", None),
        ("        load average before / after", f"{ours['load_before']} / {ours['load_after']}", "", None),
        ("      pflogsumm", f"{results['pflogsumm_rate']:,.0f} lines/s", "", None),
        ("        wall / CPU (user + sys)", f"{pfl['wall_s']:.1f} s / {pfl['cpu_s']:.1f} s", "", None),
        ("        load average before / after", f"{pfl['load_before']} / {pfl['load_after']}", "", None),
        ("      database after the day", f"{results['ingest_db']['bytes'] / mib:.0f} MiB", "", None),
    ]
    if "error" in report:
        rows.append(("(b) report, 6 months", report["error"][:60], f"{TARGET_REPORT_S:g} s", None))
    else:
        rows += [
            (f"(b) report: summary + report.json ({args.months} months)", f"{report['total_s']:.1f} s",
             f"{TARGET_REPORT_S:g} s", report["total_s"] / TARGET_REPORT_S),
            ("      summary.build_summary (reports host)", f"{report['summary_s']:.1f} s", "", None),
            ("      summary.json dumps / loads", f"{report['dumps_s']:.1f} s / {report['loads_s']:.1f} s", "", None),
            ("      usage_report.build_report (controller)", f"{report['report_s']:.1f} s", "", None),
            ("      summary.json / report.json", f"{report['summary_bytes'] / mib:.0f} MiB / "
                                                 f"{report['report_bytes'] / mib:.0f} MiB", "", None),
            ("      peak RSS", f"{report['peak_mib']:.0f} MiB", "", None),
            ("      load average before / after", f"{report['load_before']} / {report['load_after']}", "", None),
        ]
    if "render_s" in render:
        rows += [("      rendering: render_all (separate)", f"{render['render_s']:.1f} s", "", None),
                 ("        pdf / html / xlsx / mailboxes.csv", " / ".join(
                     f"{render['sizes'].get(n, 0) / mib:.1f}" for n in ("bao-cao.pdf", "index.html", "bao-cao.xlsx",
                                                                       "mailboxes.csv")) + " MiB", "", None),
                 ("        peak RSS", f"{render['peak_mib']:.0f} MiB", "", None)]
    else:
        rows.append(("      rendering", str(render.get("skipped") or render.get("error"))[:70], "", None))
    rows += [
        ("(c) database per mailbox-month (aggregates)", f"{size['per_mailbox_month'] / kib:.1f} KiB", "-", None),
        ("      whole file", f"{size['bytes'] / mib:,.0f} MiB", "", None),
    ]
    for table, nbytes in sorted(size["tables"].items(), key=lambda item: -item[1])[:5]:
        rows.append((f"        {table}", f"{nbytes / mib:,.0f} MiB ({nbytes / size['bytes'] * 100:.0f} %)", "", None))
    total = size["per_mailbox_month"] + size["raw_per_mailbox_month"]
    rows += [
        ("      + raw login/message (est. from (a))", f"{size['raw_per_mailbox_month'] / kib:.1f} KiB", "", None),
        ("      total per mailbox-month", f"{total / kib:.1f} KiB", "", None),
    ]
    print(f"{'figure':52} {'value':>26} {'target':>8} {'ratio':>7}  verdict")
    for label, value, target, ratio in rows:
        ratio_s = f"{ratio:.3f}" if ratio is not None else ("-" if target else "")
        verdict = "" if ratio is None else "PASS" if ratio <= 1 else "OVER"
        print(f"{label:52} {value:>26} {target:>8} {ratio_s:>7}  {verdict}".rstrip())
    if results.get("ingest_profile"):
        print()
        print("where the ingest's time goes (cProfile, an untimed run of the same command):")
        print(results["ingest_profile"])
    if problems:
        print()
        print("PROBLEMS: " + "; ".join(problems))


if __name__ == "__main__":
    sys.exit(main())
