"""summary.json (docs/reports-data.md, section 1) from the usage database, for one period.

Runs on the reports host, next to the data: what leaves the host is one object per mailbox and the
Art. 12 openings already sorted into periods, never the raw events. Addresses are mapped to the
mailbox (staff id) through every snapshot ever taken: an address is never given to anybody else
(Art. 5), so a mailbox that moved agency or domain keeps its whole history.

The queries are the same on SQLite and PostgreSQL (`store.connect` gives either; congvu_usage.postgresql
rewrites them), and so is the result: tests/unit/test_usage_store_postgresql.py compares the two.
"""

from __future__ import annotations

import collections
import datetime as dt
import sqlite3

from congvu import art12
from congvu import usage_events as ev

from congvu_usage import store

KINDS = ev.LOGIN_KINDS


def _snapshot_days(conn, start: str, end: str) -> list[str]:
    """Days with a snapshot in the period (from the markers: the snapshot table is large)."""
    days = [r[0][9:] for r in conn.execute(
        "SELECT name FROM marker WHERE name BETWEEN ? AND ? ORDER BY name",
        (f"snapshot:{start}", f"snapshot:{end}"))]
    if not days:  # no snapshot in the period: the last one before it tells who existed
        row = conn.execute("SELECT MAX(name) FROM marker WHERE name LIKE 'snapshot:%' AND name < ?",
                           (f"snapshot:{start}",)).fetchone()
        days = [row[0][9:]] if row and row[0] else []
    return days


def build_summary(conn: sqlite3.Connection, start: dt.date, end: dt.date, periods, now=None) -> dict:
    first, last = start.isoformat(), end.isoformat()
    if start > end:
        raise ValueError(f"the period starts ({first}) after it ends ({last})")
    snap_days = _snapshot_days(conn, first, last)
    last_snap = snap_days[-1] if snap_days else None

    # who, as of the last snapshot of the period (state, quota, storage, agency). The directory never
    # deletes a mailbox (a closed one stays, terminated: Art. 7.1), so that snapshot holds everybody
    # who had a mailbox at any time of the period.
    people: dict[str, dict] = {}
    if snap_days:
        for row in conn.execute(
                "SELECT uid, mail, name, agency, title, leader, state, quota, quota_decision, storage "
                "FROM snapshot WHERE day = ?", (last_snap,)):
            uid, mail, name, agency, title, leader, state, quota, decision, storage = row
            people[uid] = {
                "uid": uid, "mail": mail, "name": name, "agency": agency, "title": title, "leader": bool(leader),
                "state": state, "quota": quota, "quota_decision": decision, "storage": storage,
                "created": None, "closed": None, "logins": dict.fromkeys(KINDS, 0), "last_login": None,
                "sent": 0, "sent_recipients": 0, "received": 0, "virus_refused": 0, "spam_refused": 0,
                "suspended_inactivity": 0, "password_resets": 0}
    owner = dict(conn.execute("SELECT mail, owner FROM address WHERE kind = 'person'"))

    agencies = {}
    agency_of_mail = {}
    if snap_days:
        for code, name, kind, mail, state, head in conn.execute(
                "SELECT code, name, kind, mail, state, head FROM agency_snapshot WHERE day = ?", (last_snap,)):
            agencies[code] = {"code": code, "name": name, "kind": kind, "mail": mail, "state": state, "head": head}
    for mail, code in conn.execute("SELECT mail, owner FROM address WHERE kind = 'agency'"):
        agency_of_mail[mail] = code

    # usage in the period, per mailbox and per month
    monthly = collections.defaultdict(lambda: {"logins": dict.fromkeys(KINDS, 0), "users": set(), "sent": 0,
                                               "received": 0, "virus_refused": 0, "spam_refused": 0})
    for row in conn.execute(
            "SELECT substr(day, 1, 7), mailbox, SUM(imap), SUM(pop3), SUM(submission), SUM(webmail), SUM(sent), "
            "SUM(sent_recipients), SUM(received), SUM(virus_refused), SUM(spam_refused) FROM daily_usage "
            "WHERE day BETWEEN ? AND ? GROUP BY 1, 2", (first, last)):
        month, mailbox, imap, pop3, submission, webmail, sent, rcpts, received, virus, spam = row
        person = people.get(owner.get(mailbox, ""))
        if person is None:
            continue  # an agency mailbox, an alias or a mailbox unknown to every snapshot
        counts = dict(zip(KINDS, (imap, pop3, submission, webmail), strict=True))
        for kind, value in counts.items():
            person["logins"][kind] += value
        person["sent"] += sent
        person["sent_recipients"] += rcpts
        person["received"] += received
        person["virus_refused"] += virus
        person["spam_refused"] += spam
        bucket = monthly[(month, person["agency"])]
        for kind, value in counts.items():
            bucket["logins"][kind] += value
        if any(counts.values()):
            bucket["users"].add(person["uid"])
        bucket["sent"] += sent
        bucket["received"] += received
        bucket["virus_refused"] += virus
        bucket["spam_refused"] += spam
    for mailbox, stamp in conn.execute(
            "SELECT mailbox, MAX(last_login) FROM daily_usage WHERE day <= ? AND last_login IS NOT NULL "
            "GROUP BY mailbox", (last,)):
        person = people.get(owner.get(mailbox, ""))
        if person is not None and (person["last_login"] is None or stamp > person["last_login"]):
            person["last_login"] = stamp

    # mailboxes per agency and month: not terminated at the month's last snapshot in the period
    mailboxes_in = collections.Counter()
    month_ends = {}
    for day in snap_days:
        month_ends[day[:7]] = day
    for month, day in month_ends.items():
        for agency, count in conn.execute(
                "SELECT agency, COUNT(*) FROM snapshot WHERE day = ? AND state != 'terminated' GROUP BY agency",
                (day,)):
            mailboxes_in[(month, agency)] = count

    for action, uid, source in conn.execute(
            "SELECT action, uid, source FROM audit_event WHERE day BETWEEN ? AND ?", (first, last)):
        person = people.get(uid)
        if person is None:
            continue
        if action == "password_reset":
            person["password_resets"] += 1
        elif action == "suspend" and source == "inactivity":
            person["suspended_inactivity"] += 1
    for action, uid, day in conn.execute(
            "SELECT action, uid, MIN(day) FROM audit_event WHERE day BETWEEN ? AND ? "
            "AND action IN ('create', 'terminate') GROUP BY action, uid", (first, last)):
        if uid in people:
            people[uid]["created" if action == "create" else "closed"] = day

    checks = collections.defaultdict(set)
    for stamp, agency_mail, opener in conn.execute(
            "SELECT ts, agency_mail, opener FROM agency_open WHERE day BETWEEN ? AND ?", (first, last)):
        code = agency_of_mail.get(agency_mail)
        when = dt.datetime.fromisoformat(stamp)
        key = art12.period_of(when.astimezone(ev.TZ), periods)
        if code is None or key is None:
            continue
        checks[(code, when.astimezone(ev.TZ).date().isoformat(), key)].add(opener)

    quality = collections.Counter()
    by_source = collections.defaultdict(collections.Counter)
    for source, lines, malformed, ignored in conn.execute(
            "SELECT source, SUM(lines), SUM(malformed), SUM(ignored) FROM line_quality "
            "WHERE day BETWEEN ? AND ? GROUP BY source", (first, last)):
        by_source[source].update({"lines": lines, "malformed": malformed, "unknown": ignored})
        quality.update({"lines": lines, "malformed": malformed, "unknown": ignored})

    months = set(art12.months_between(start, end))
    monthly_rows = []
    for (month, agency) in sorted(set(monthly) | set(mailboxes_in)):
        if month not in months:
            continue
        bucket = monthly.get((month, agency)) or {"logins": dict.fromkeys(KINDS, 0), "users": set(), "sent": 0,
                                                  "received": 0, "virus_refused": 0, "spam_refused": 0}
        monthly_rows.append({"month": month, "agency": agency, "logins": bucket["logins"],
                             "users_logged_in": len(bucket["users"]), "mailboxes": mailboxes_in[(month, agency)],
                             "sent": bucket["sent"], "received": bucket["received"],
                             "virus_refused": bucket["virus_refused"], "spam_refused": bucket["spam_refused"]})

    now = now or dt.datetime.now(ev.TZ)
    return {
        "schema": 1,
        "period": {"from": first, "to": last},
        "generated_at": now.astimezone(ev.TZ).isoformat(timespec="seconds"),
        "demo_data": store.marker(conn, "demo_data") == "true",
        "agencies": [agencies[c] for c in sorted(agencies)],
        "mailboxes": sorted(people.values(), key=lambda p: (p["agency"], p["mail"])),
        "monthly": monthly_rows,
        "agency_checks": [{"agency": c, "day": d, "period": p, "openers": sorted(o)}
                          for (c, d, p), o in sorted(checks.items())],
        "quality": {**{k: quality.get(k, 0) for k in ("lines", "malformed", "unknown")},
                    "by_source": {s: dict(c) for s, c in sorted(by_source.items())}},
    }
