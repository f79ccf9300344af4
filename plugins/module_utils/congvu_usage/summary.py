"""summary.json (docs/reports-data.md, section 1) from the usage database, for one period.

Runs on the reports host, next to the data: what leaves the host is one object per mailbox and the
Art. 12 openings already sorted into periods, never the raw events. Addresses are mapped to the
mailbox (staff id) through every snapshot ever taken: an address is never given to anybody else
(Art. 5), so a mailbox that moved agency or domain keeps its whole history.
"""

from __future__ import annotations

import collections
import datetime as dt
import sqlite3

from congvu import art12
from congvu import usage_events as ev

from congvu_usage import store

KINDS = ev.LOGIN_KINDS


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def _snapshot_days(conn, start: str, end: str) -> list[str]:
    days = [r[0] for r in conn.execute(
        "SELECT DISTINCT day FROM snapshot WHERE day BETWEEN ? AND ? ORDER BY day", (start, end))]
    if not days:  # no snapshot in the period: the last one before it tells who existed
        row = conn.execute("SELECT MAX(day) FROM snapshot WHERE day < ?", (start,)).fetchone()
        days = [row[0]] if row and row[0] else []
    return days


def build_summary(conn: sqlite3.Connection, start: dt.date, end: dt.date, periods, now=None) -> dict:
    first, last = start.isoformat(), end.isoformat()
    if start > end:
        raise ValueError(f"the period starts ({first}) after it ends ({last})")
    snap_days = _snapshot_days(conn, first, last)
    last_snap = snap_days[-1] if snap_days else None

    # who, as of the last snapshot of the period (state, quota, storage, agency)
    people: dict[str, dict] = {}
    if snap_days:
        for row in conn.execute(
                "SELECT s.uid, s.mail, s.name, s.agency, s.title, s.leader, s.state, s.quota, s.quota_decision, "
                "s.storage FROM snapshot s JOIN (SELECT uid, MAX(day) AS day FROM snapshot "
                "WHERE day BETWEEN ? AND ? GROUP BY uid) l ON s.uid = l.uid AND s.day = l.day",
                (snap_days[0], last_snap)):
            uid, mail, name, agency, title, leader, state, quota, decision, storage = row
            people[uid] = {
                "uid": uid, "mail": mail, "name": name, "agency": agency, "title": title, "leader": bool(leader),
                "state": state, "quota": quota, "quota_decision": decision, "storage": storage,
                "created": None, "closed": None, "logins": dict.fromkeys(KINDS, 0), "last_login": None,
                "sent": 0, "sent_recipients": 0, "received": 0, "virus_refused": 0, "spam_refused": 0,
                "suspended_inactivity": 0, "password_resets": 0}
    owner = dict(conn.execute("SELECT mail, uid FROM snapshot GROUP BY mail"))

    agencies = {}
    agency_of_mail = {}
    if snap_days:
        for code, name, kind, mail, state, head in conn.execute(
                "SELECT a.code, a.name, a.kind, a.mail, a.state, a.head FROM agency_snapshot a JOIN "
                "(SELECT code, MAX(day) AS day FROM agency_snapshot WHERE day BETWEEN ? AND ? GROUP BY code) l "
                "ON a.code = l.code AND a.day = l.day", (snap_days[0], last_snap)):
            agencies[code] = {"code": code, "name": name, "kind": kind, "mail": mail, "state": state, "head": head}
    for code, mail in conn.execute("SELECT code, mail FROM agency_snapshot GROUP BY code, mail"):
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

    # mailboxes per agency and month: those in a snapshot of that month and not terminated
    mailboxes_in = collections.Counter()
    for month, agency, count in conn.execute(
            "SELECT substr(s.day, 1, 7), s.agency, COUNT(DISTINCT s.uid) FROM snapshot s "
            "WHERE s.day BETWEEN ? AND ? AND s.state != 'terminated' GROUP BY 1, 2", (first, last)):
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

    months = set(_months(start, end))
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
