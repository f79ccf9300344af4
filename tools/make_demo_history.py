#!/usr/bin/env python3
"""The demo's usage history: months of generated mail logs, so that the report's charts show something.

Runs on the demo host (Debian 12, python3, standard library only) after the first daily snapshot. It
reads who exists from the usage database (read only: its latest `snapshot` and `agency_snapshot` on
or before --to, else its latest) and writes, for every day from --from to --to, the lines the
services would have logged:

  mail.log         Postfix and Dovecot, as rsyslog writes them on Debian 12 (RFC 3339 time stamps,
                   which carry the year: one file for any span of dates);
  userlogins.log   Roundcube's login log (`log_logins`);
  audit.jsonl      the province's audit log (reconcile, inactivity job, password resets).

The demo then loads them through the same parser and transactions as real logs, never around them, and
marks the database as holding demo data (the report says so):

    python3 make_demo_history.py --db /var/lib/congvu/reports/usage.sqlite \\
        --from 2026-06-01 --to 2026-11-30 --out /var/lib/congvu/reports/demo-history
    congvu-reports ingest-file --demo --source demo-mail --kind journal-text DIR/mail.log
    congvu-reports ingest-file --demo --source demo-webmail --kind roundcube DIR/userlogins.log
    congvu-reports ingest-file --demo --source demo-audit --kind audit DIR/audit.jsonl

(Source names of their own: the collector keeps a read position per source, and the real Roundcube and
audit logs have theirs.)

What the lines say, in the formats of tests/unit/test_usage_events.py (copied from a running system):
- people log in on working days, each with the client they use: IMAP 55 %, webmail 30 %, POP3 10 %,
  only authenticated SMTP 5 % (a scanner, an application); webmail logins are Roundcube's line plus
  Roundcube's own IMAP connection from the loopback, which the parser leaves out;
- they send (submission smtpd `client=..., sasl_username=`, Dovecot's auth event for it, the queue
  manager's `nrcpt=`), mostly to colleagues (Dovecot LMTP `saved mail to INBOX`), and receive mail from
  outside, as do the agency mailboxes;
- the head of each agency (sometimes a deputy) opens the agency mailbox in most Art. 12 periods
  (Dovecot's exported `imap_command_finished` of a SELECT of `Shared/<agency>/INBOX`), some agencies
  much less often than others, so that the report's "below threshold" list is not empty;
- a few viruses and spam refused by the milter, creations, terminations and suspensions on the monthly
  roster runs, inactivity suspensions, password resets;
- a gentle upward trend over the months; a few people who log in rarely and a few new ones who never
  did; some lines the parser ignores (connections, logouts, failed logins), as a real log has.

Working days here are Monday to Friday: public holidays are not left out (the `holidays` library is
not on the demo host, and demo data needs no more); the report's calendar still counts them as days
off, so Art. 12 openings on a holiday simply do not count.

Deterministic: the same database content, dates, periods and seed give the same files byte for byte.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import datetime as dt
import json
import math
import os
import random
import sqlite3
import sys
import time
import urllib.parse
from dataclasses import dataclass, replace

DEFAULT_SEED = 2026
# Art. 12's four periods as the demo sets them (inventories/demo group_vars, docs/reports.md);
# --periods reads the same JSON file the summary reads.
DEFAULT_PERIODS = (("sang_dau", "07:00", "09:00"), ("sang_cuoi", "10:30", "12:00"),
                   ("chieu_dau", "13:00", "14:30"), ("chieu_cuoi", "16:00", "17:30"))
# How people reach their mailbox (the client they use every day).
MODES = (("imap", 55), ("webmail", 30), ("pop3", 10), ("submission", 5))
MAIL_HOST_IP = "10.10.0.5"  # the mail host's address (Dovecot's `lip`)
LOOPBACK = "127.0.0.1"      # Roundcube runs on the mail host: its IMAP and SMTP come from here
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
US = 1_000_000
DAY_US = 86_400 * US
UTC_OFFSET_US = 7 * 3600 * US  # Asia/Ho_Chi_Minh, no daylight saving
# Office hours 07:00-17:30, busier in the morning and early afternoon, quiet at lunch (hour -> weight).
HOUR_WEIGHTS = {7: 0.7, 8: 1.4, 9: 1.4, 10: 1.2, 11: 0.9, 12: 0.2, 13: 0.7, 14: 1.2, 15: 1.2, 16: 1.0, 17: 0.3}
EXTERNAL = ("gmail.com", "yahoo.com", "vnpt.vn", "chinhphu.vn", "mic.gov.vn", "hatinh.gov.vn",
            "quangtri.gov.vn", "thuathienhue.gov.vn", "evn.com.vn", "viettel.com.vn")
RELAYS = {"gmail.com": ("mail-sor-f41.google.com", "209.85.220.41"),
          "yahoo.com": ("sonic305-20.consmr.mail.sg3.yahoo.com", "106.10.242.139")}
VIRUSES = ("Win.Trojan.Agent-1234567", "Doc.Dropper.Agent-7654321", "Eicar-Signature",
           "Xls.Downloader.Generic-9876543", "Html.Phishing.Bank-2233445")


@dataclass(frozen=True)
class Profile:
    """How busy the province is: means per mailbox and working day (weekends: `weekend` of it)."""

    extra_imap_logins: float = 0.25   # an IMAP client reconnects during the day
    pop3_polls: float = 0.6           # a POP3 client collects now and then
    sends: float = 0.18               # messages a person sends (times the person's own rate, ~1)
    inbound: float = 0.22             # messages from outside, per personal mailbox
    agency_inbound: float = 3.0       # messages from outside, per agency mailbox
    spam_refused: float = 0.01
    virus_refused: float = 0.0008
    failed_logins: float = 0.01       # a mistyped password: a line the parser ignores
    weekend: float = 0.05
    # Also every Postfix line of a message that the parser ignores but pflogsumm reads (postscreen,
    # cleanup's message-id, each delivery's status=sent, the queue's removed). The demo leaves them out
    # to stay small; the benchmark keeps them, since pflogsumm is measured on the same file.
    every_postfix_line: bool = False
    timestamps: str = "iso"           # iso (rsyslog on Debian 12) | bsd ("Jul  1 08:00:00", no year)

    def scaled(self, factor: float) -> Profile:
        return replace(self, extra_imap_logins=self.extra_imap_logins * factor, pop3_polls=self.pop3_polls * factor,
                       sends=self.sends * factor, inbound=self.inbound * factor,
                       agency_inbound=self.agency_inbound * factor)


DEMO = Profile()


class Person:
    __slots__ = ("uid", "mail", "agency", "state", "leader", "number", "mode", "ip", "p_active", "send_rate",
                 "weight", "login_first", "login_last", "mail_first", "mail_last")


@dataclass(frozen=True)
class Period:
    key: str
    start_us: int
    end_us: int


def _hhmm_us(text: str) -> int:
    hours, minutes = (int(x) for x in text.split(":"))
    return (hours * 3600 + minutes * 60) * US


def read_periods(path: str | None) -> tuple[Period, ...]:
    items = DEFAULT_PERIODS
    if path:
        with open(path, encoding="utf-8") as handle:
            items = [(item["key"], item["start"], item["end"]) for item in json.load(handle)]
    return tuple(Period(key, _hhmm_us(start), _hhmm_us(end)) for key, start, end in items)


def read_directory(path: str, until: dt.date | None = None) -> tuple[str, list[dict], list[dict]]:
    """A snapshot of the usage database, read only: (day, people, agencies). The latest one on or before
    `until` when there is one (the report of the period will use it too), else the latest."""
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        day = None
        if until is not None:
            day = conn.execute("SELECT MAX(day) FROM snapshot WHERE day <= ?", (until.isoformat(),)).fetchone()[0]
        day = day or conn.execute("SELECT MAX(day) FROM snapshot").fetchone()[0]
        aday = conn.execute("SELECT MAX(day) FROM agency_snapshot WHERE day <= ?", (day or "",)).fetchone()[0]
        if day is None or aday is None:
            raise SystemExit(f"{path}: no directory snapshot yet (run `congvu-reports snapshot` first)")
        people = [{"uid": uid, "mail": mail, "agency": agency, "state": state, "leader": bool(leader)}
                  for uid, mail, agency, state, leader in conn.execute(
                      "SELECT uid, mail, agency, state, leader FROM snapshot WHERE day = ? ORDER BY uid", (day,))]
        agencies = [{"code": code, "mail": mail, "state": state, "head": head}
                    for code, mail, state, head in conn.execute(
                        "SELECT code, mail, state, head FROM agency_snapshot WHERE day = ? ORDER BY code", (aday,))]
    finally:
        conn.close()
    return day, people, agencies


class History:
    """The generator: people's habits and life events are drawn once, then each day's lines in order."""

    def __init__(self, people: list[dict], agencies: list[dict], start: dt.date, end: dt.date,
                 seed: int = DEFAULT_SEED, profile: Profile = DEMO, periods: tuple[Period, ...] | None = None,
                 host: str = "mail"):
        if end < start:
            raise ValueError(f"--to {end} is before --from {start}")
        self.start, self.end, self.profile, self.host = start, end, profile, host
        self.periods = periods or read_periods(None)
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.expected: dict[str, int] = dict.fromkeys(
            ("login_imap", "login_pop3", "login_webmail", "login_submission", "sent", "sent_recipients",
             "received", "received_agency", "virus_refused", "spam_refused", "agency_opens", "audit_events"), 0)
        self.domain = (agencies[0]["mail"] if agencies else people[0]["mail"]).split("@", 1)[1]
        self._queue_number = 0
        self._seq = 0
        self._buf: list[tuple[int, int, str]] = []
        self._web: list[tuple[int, int, str]] = []
        self._pids = {"smtpd": [21000 + 7 * i for i in range(12)], "cleanup": [21500, 21503, 21511],
                      "lmtp": [21600, 21607], "smtp": [21700, 21702, 21709], "postscreen": [20990]}
        self._hours, self._hour_cum = zip(*_cumulative(HOUR_WEIGHTS.items()), strict=True)
        self._people(people, agencies)
        self._agencies(agencies)
        self._audit = self._life_events()

    # --- who, once -------------------------------------------------------------------------------

    def _people(self, people, agencies):
        rng, rnd = self.rng, self.rnd
        heads = {a["head"] for a in agencies if a.get("head")}
        agency_index = {a["code"]: n for n, a in enumerate(agencies)}
        first, last = self.start.toordinal(), self.end.toordinal()
        self.people: list[Person] = []
        for number, row in enumerate(people):
            p = Person()
            p.uid, p.mail, p.agency, p.state = row["uid"], row["mail"].lower(), row["agency"], row["state"]
            p.leader, p.number = bool(row.get("leader")), number
            net = 16 + agency_index.get(p.agency, len(agency_index)) % 200
            p.ip = f"10.{net}.{1 + (number // 250) % 254}.{2 + number % 250}"
            # not everybody opens their mail every working day
            p.p_active = 0.97 if p.uid in heads else 0.55 + 0.42 * rnd()
            p.weight = 3.0 if p.leader else 0.3 + 1.4 * rnd()
            p.login_first, p.login_last = first, last
            p.mail_first, p.mail_last = first, last
            self.people.append(p)
        # The clients in the proportions of MODES exactly, in a random order: even a small province
        # has every kind of login. A head opens the agency mailbox, so uses IMAP or the webmail.
        others = [p for p in self.people if p.uid not in heads]
        rng.shuffle(others)
        modes, mode_cum = zip(*_cumulative(MODES), strict=True)
        for rank, p in enumerate(others):
            p.mode = modes[bisect.bisect(mode_cum, (rank + 0.5) / len(others) * mode_cum[-1])]
        for p in self.people:
            if p.uid in heads:
                p.mode = "imap" if rnd() < 0.7 else "webmail"
            p.send_rate = (1.8 if p.leader else 0.4 + 1.2 * rnd()) * (2.5 if p.mode == "submission" else 1.0)
        self.by_uid = {p.uid: p for p in self.people}
        self.by_agency: dict[str, list[Person]] = {}
        for p in self.people:
            self.by_agency.setdefault(p.agency, []).append(p)

    def _agencies(self, agencies):
        """Art. 12 diligence: most agencies open their mailbox in nearly every period, a few clearly not."""
        rng = self.rng
        self.agencies = [dict(a) for a in agencies if a["state"] != "terminated"]
        order = list(range(len(self.agencies)))
        rng.shuffle(order)
        poor = max(1, round(len(order) * 0.12))
        middling = max(1, round(len(order) * 0.2)) if len(order) > 2 else 0
        for rank, index in enumerate(order):
            agency = self.agencies[index]
            if rank < poor:
                agency["base"], agency["gain"] = 0.45 + 0.17 * rng.random(), 0.12
            elif rank < poor + middling:
                agency["base"], agency["gain"] = 0.74 + 0.12 * rng.random(), 0.06
            else:
                agency["base"], agency["gain"] = 0.91 + 0.07 * rng.random(), 0.02
            agency["head_person"] = self.by_uid.get(agency.get("head") or "")
            agency["deputies"] = [p for p in self.by_agency.get(agency["code"], [])
                                  if p.leader and p.uid != agency.get("head")]

    def _roster_days(self) -> list[dt.date]:
        """The monthly roster runs: the first working day from the 3rd of each month of the span."""
        days, cursor = [], self.start.replace(day=1)
        while cursor <= self.end:
            day = cursor.replace(day=3)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            if self.start <= day <= self.end:
                days.append(day)
            cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
        return days or [_next_working_day(self.start)]

    def _life_events(self) -> list[tuple[int, str]]:
        """Creations, terminations, suspensions and resets, and the windows they put on each mailbox."""
        rng, rnd = self.rng, self.rnd
        runs = self._roster_days()
        first, last = self.start.toordinal(), self.end.toordinal()
        heads = {a.get("head") for a in self.agencies}
        audit: list[tuple[int, str]] = []

        def at(day: dt.date, hh: int, mm: int) -> int:
            return _epoch_us(day, (hh * 3600 + mm * 60 + rng.randrange(60)) * US)

        def roster_run(day: dt.date) -> int:
            return at(day, 9 + rng.randrange(2), rng.randrange(60))

        for p in self.people:
            if p.state == "terminated":
                if rnd() < 0.3:  # closed before the span: no trace in it
                    p.login_last = p.mail_last = first - 1
                    continue
                day = rng.choice(runs)
                p.login_last = p.mail_last = day.toordinal() - 1
                audit.append(self._audit_line(roster_run(day), p, "terminate", ["state"]))
            elif p.state == "suspended":
                if rnd() < 0.6 and last - first > 20:
                    day = dt.date.fromordinal(first + 20 + rng.randrange(last - first - 19))
                    p.login_last = day.toordinal() - 91 - rng.randrange(25)
                    audit.append(self._audit_line(at(day, 2, 15), p, "suspend", ["state"], source="inactivity",
                                                  reason="no login for 90 days (Art. 7.2)"))
                else:
                    day = rng.choice(runs)
                    p.login_last = day.toordinal() - 1
                    audit.append(self._audit_line(roster_run(day), p, "suspend", ["state"]))
            elif p.state == "active" and p.uid not in heads:
                draw = rnd()
                if draw < 0.03:  # new this span; the newest may not have logged in yet
                    day = rng.choice(runs)
                    p.login_first = p.mail_first = day.toordinal() + 1
                    if last - day.toordinal() < 60 and rnd() < 0.4:
                        p.login_first = last + 1
                    audit.append(self._audit_line(roster_run(day), p, "create", []))
                elif draw < 0.06:  # logs in rarely, and not lately (but within the 90 days of Art. 7.2)
                    p.login_last = last - 31 - rng.randrange(45)
                    p.p_active = 0.35
            if p.state != "terminated" and rnd() < 0.05:
                for _ in range(1 + (rnd() < 0.15)):
                    low, high = max(first, p.login_first), min(last, p.login_last)
                    if low > high:
                        break
                    day = _next_working_day(dt.date.fromordinal(low + rng.randrange(high - low + 1)))
                    if day > self.end:
                        break
                    head = self.by_uid.get(next((a.get("head") for a in self.agencies if a["code"] == p.agency), ""))
                    audit.append(self._audit_line(
                        _epoch_us(day, self._work_time()), p, "password_reset", [],
                        requested_by=head.mail if head else p.mail,
                        reason=rng.choice(("Quên mật khẩu", "Tài khoản bị khoá do nhập sai mật khẩu"))))
            if rnd() < 0.02:  # a title or spelling change: in the audit log, not counted by the report
                audit.append(self._audit_line(roster_run(rng.choice(runs)), p, "update", ["title"]))
        # the inactivity job's own line, every night (a line the parser ignores)
        suspended_on = {}
        for stamp, line in audit:
            if '"source": "inactivity"' in line:
                suspended_on[stamp // DAY_US] = suspended_on.get(stamp // DAY_US, 0) + 1
        for ordinal in range(first, last + 1):
            day = dt.date.fromordinal(ordinal)
            stamp = _epoch_us(day, (2 * 3600 + 15 * 60 + 30) * US)
            line = {"time": _utc_seconds(stamp), "revision": "demo", "actor": "demo", "source": "inactivity",
                    "kind": "run", "action": "inactivity-run", "outcome": "applied",
                    "suspended": suspended_on.get(stamp // DAY_US, 0), "failed": 0}
            audit.append((stamp, json.dumps(line, ensure_ascii=False, sort_keys=True)))
        audit.sort()
        return audit

    def _audit_line(self, stamp: int, p: Person, action: str, changes: list, **extra) -> tuple[int, str]:
        line = {"time": _utc_seconds(stamp), "revision": "demo", "actor": "demo", "kind": "person", "id": p.uid,
                "agency": p.agency, "address": p.mail, "action": action, "changes": changes,
                "outcome": "applied", **extra}
        if action in ("create", "terminate", "suspend", "password_reset"):
            self.expected["audit_events"] += 1
        return stamp, json.dumps(line, ensure_ascii=False, sort_keys=True)

    # --- one day -------------------------------------------------------------------------------------

    def _emit(self, us: int, text: str) -> None:
        # a line just before midnight or just after is kept in its day: the file stays in order
        self._buf.append((min(max(us, 0), DAY_US - 1), self._seq, text))
        self._seq += 1

    def _work_time(self, after: int = 0) -> int:
        """A moment of office hours (microseconds from local midnight), weighted by HOUR_WEIGHTS."""
        for _ in range(4):
            hour = self._hours[bisect.bisect(self._hour_cum, self.rnd() * self._hour_cum[-1])]
            us = hour * 3600 * US + int(self.rnd() * (1800 if hour == 17 else 3600) * US)
            if us > after:
                return us
        return min(after + int(self.rnd() * 1800 * US), DAY_US - 1)

    def _any_time(self) -> int:
        return self._work_time() if self.rnd() < 0.8 else int(self.rnd() * DAY_US)

    def _poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        limit, k, prod = math.exp(-lam), 0, self.rnd()
        while prod > limit:
            k += 1
            prod *= self.rnd()
        return k

    def _token(self, nbytes: int) -> str:
        return base64.b64encode(self.rng.getrandbits(8 * nbytes).to_bytes(nbytes, "big")).decode("ascii")

    def _qid(self) -> str:
        # Postfix's short queue ids: 11 hex digits. An odd multiplier modulo 2**44 is a bijection, so
        # every message of the file gets its own id (the store pairs submission and queue lines by it).
        self._queue_number += 1
        return f"{(self._queue_number * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFF:011X}"

    def _pid(self, program: str) -> int:
        return self.rng.choice(self._pids[program])

    def _exported(self, us: int, event: str, fields: dict) -> str:
        """Dovecot's event exporter (role imap: format json, time-rfc3339, transport log)."""
        start = us - 900 - int(self.rnd() * 2500)
        return "dovecot: stats: " + json.dumps({"event": event, "start_time": self._utc(start),
                                                "end_time": self._utc(us), "fields": fields})

    def _utc(self, us: int) -> str:
        moment = self._midnight + dt.timedelta(microseconds=us - UTC_OFFSET_US)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _login(self, p: Person, us: int, kind: str) -> None:
        session = self._token(12)
        mpid = 30000 + self.rng.randrange(30000)
        if kind == "webmail":
            web_session = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
            stamp = self._roundcube_stamp(us)
            self._web.append((us, self._seq, f"[{stamp} +0700]: <{web_session}> Successful login for {p.mail} "
                                             f"(ID: {p.number + 1}) from {p.ip} in session {web_session} (error: 0)"))
            self._seq += 1
            self.expected["login_webmail"] += 1
            # Roundcube's own IMAP connection: the parser leaves it out (it comes from the webmail host)
            self._emit(us + 180_000, f"dovecot: imap-login: Login: user=<{p.mail}>, method=PLAIN, rip={LOOPBACK}, "
                                     f"lip={LOOPBACK}, mpid={mpid}, TLS, session=<{session}>")
            return
        self._emit(us, f"dovecot: {kind}-login: Login: user=<{p.mail}>, method=PLAIN, rip={p.ip}, "
                       f"lip={MAIL_HOST_IP}, mpid={mpid}, TLS, session=<{session}>")
        self.expected[f"login_{kind}"] += 1
        end = min(us + int((20 + self.rnd() * 3600) * US), DAY_US - 1)
        if kind == "pop3":
            size = 3000 + self.rng.randrange(400_000)
            self._emit(end, f"dovecot: pop3({p.mail})<{mpid}><{session}>: Disconnected: Logged out top=0/0, "
                            f"retr=1/{size}, del=1/1, size={size}")
        else:
            self._emit(end, f"dovecot: imap({p.mail})<{mpid}><{session}>: Disconnected: Logged out "
                            f"in={200 + self.rng.randrange(5000)} out={1000 + self.rng.randrange(900_000)} "
                            "deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0")

    def _roundcube_stamp(self, us: int) -> str:
        seconds = us // US
        return (f"{self._day.day:02d}-{MONTH_ABBR[self._day.month - 1]}-{self._day.year} "
                f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")

    def _size(self) -> int:
        # most official letters are a few KB with a signed PDF attached; some carry large scans
        return int(2500 * math.exp(self.rng.gauss(3.0, 1.4))) if self.rnd() < 0.7 else 1500 + self.rng.randrange(9000)

    def _send(self, p: Person, us: int) -> None:
        rng, rnd, full = self.rng, self.rnd, self.profile.every_postfix_line
        qid, pid = self._qid(), self._pid("smtpd")
        webmail = p.mode == "webmail"
        ip = LOOPBACK if webmail else p.ip
        client = f"localhost[{LOOPBACK}]" if webmail else f"unknown[{ip}]"
        draw = rnd()
        count = 1 if draw < 0.6 else 2 if draw < 0.8 else 3 + rng.randrange(3) if draw < 0.95 else 6 + rng.randrange(15)
        local, external = [], 0
        colleagues = self._receivers_of.get(p.agency) or self._receivers
        for _ in range(count):
            if rnd() < 0.75:
                pool = colleagues if rnd() < 0.6 else self._receivers
                local.append(pool[rng.randrange(len(pool))].mail)
            else:
                external += 1
        service = "postfix/submission/smtpd"
        self._emit(us, f"{service}[{pid}]: connect from {client}")
        self._emit(us + 25_000, self._exported(us + 25_000, "auth_request_finished",
                                               {"success": "yes", "service": "smtp", "user": p.mail,
                                                "remote_ip": ip}))
        if not webmail:  # Roundcube's own login to send for a webmail user is part of the webmail login
            self.expected["login_submission"] += 1
        self._emit(us + 60_000, f"{service}[{pid}]: {qid}: client={client}, sasl_method=PLAIN, sasl_username={p.mail}")
        msgid = f"<{self._day.strftime('%Y%m%d')}{us // US:05d}.{qid}@{self.domain}>"
        if full:
            self._emit(us + 70_000, f"postfix/cleanup[{self._pid('cleanup')}]: {qid}: message-id={msgid}")
        self._emit(us + 90_000, f"postfix/qmgr[20877]: {qid}: from=<{p.mail}>, size={self._size()}, "
                                f"nrcpt={count} (queue active)")
        self.expected["sent"] += 1
        self.expected["sent_recipients"] += count
        at = us + 120_000
        lmtp_pid = self._pid("lmtp") if full else 0
        for rcpt in local:
            session = self._token(16).rstrip("=")
            self._emit(at, f"dovecot: lmtp({rcpt})<{21800 + rng.randrange(200)}><{session}>: msgid={msgid}: "
                           "saved mail to INBOX")
            self.expected["received"] += 1
            if full:
                self._emit(at + 2_000, f"postfix/lmtp[{lmtp_pid}]: {qid}: to=<{rcpt}>, "
                                       "relay=mail.quangbinh.gov.vn[private/dovecot-lmtp], delay=0.12, "
                                       f"delays=0.06/0/0.01/0.05, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> "
                                       f"{session} Saved)")
            at += 9_000
        if full:
            smtp_pid = self._pid("smtp")
            for n in range(external):
                domain = EXTERNAL[rng.randrange(len(EXTERNAL))]
                relay = RELAYS.get(domain, (f"mx.{domain}", f"203.113.{n + 1}.{10 + rng.randrange(200)}"))
                self._emit(at + 400_000, f"postfix/smtp[{smtp_pid}]: {qid}: to=<vanban{n}@{domain}>, "
                                         f"relay={relay[0]}[{relay[1]}]:25, delay=0.9, delays=0.06/0.01/0.4/0.43, "
                                         "dsn=2.0.0, status=sent (250 2.0.0 OK)")
                at += 50_000
            self._emit(at + 450_000, f"postfix/qmgr[20877]: {qid}: removed")
        self._emit(us + 150_000, f"{service}[{pid}]: disconnect from {client} ehlo=2 starttls=1 auth=1 mail=1 "
                                 f"rcpt={count} data=1 quit=1 commands={7 + count}")

    def _inbound(self, rcpt: str, us: int, refused: str | None = None) -> None:
        rng, full = self.rng, self.profile.every_postfix_line
        qid, pid = self._qid(), self._pid("smtpd")
        domain = EXTERNAL[rng.randrange(len(EXTERNAL))]
        host, ip = RELAYS.get(domain, (f"mail.{domain}", f"203.113.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"))
        sender = f"{rng.choice(('vanthu', 'info', 'hanhchinh', 'thongbao', 'lienhe'))}@{domain}"
        if refused:
            sender = f"{rng.choice(('invoice', 'noreply', 'support', 'admin'))}@{rng.choice(('mail.ru', 'xyz.top'))}"
            host, ip = "unknown", f"185.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
        client = f"{host}[{ip}]"
        if full:
            port = 30000 + rng.randrange(30000)
            self._emit(us - 3_000_000, f"postfix/postscreen[20990]: CONNECT from [{ip}]:{port} to [{MAIL_HOST_IP}]:25")
            self._emit(us - 2_990_000, f"postfix/postscreen[20990]: PASS OLD [{ip}]:{port}")
            self._emit(us - 2_900_000, f"postfix/smtpd[{pid}]: connect from {client}")
        self._emit(us, f"postfix/smtpd[{pid}]: {qid}: client={client}")
        if refused:
            text = (f'5.7.1 Virus found: "{rng.choice(VIRUSES)}"; message refused by the mail system of '
                    f"{self.domain} (Art. 13)" if refused == "virus" else "5.7.1 Message rejected as spam")
            self._emit(us + 900_000, f"postfix/cleanup[{self._pid('cleanup')}]: {qid}: milter-reject: END-OF-MESSAGE "
                                     f"from {client}: {text}; from=<{sender}> to=<{rcpt}> proto=ESMTP helo=<{host}>")
            self.expected[f"{refused}_refused"] += 1
            if full:
                self._emit(us + 950_000, f"postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 "
                                         "data=0/1 quit=1 commands=4/5")
            return
        msgid = f"<{self._token(12)}@{host}>"
        if full:
            self._emit(us + 50_000, f"postfix/cleanup[{self._pid('cleanup')}]: {qid}: message-id={msgid}")
        self._emit(us + 700_000, f"postfix/qmgr[20877]: {qid}: from=<{sender}>, size={self._size()}, "
                                 "nrcpt=1 (queue active)")
        self.expected["received"] += 1
        session = self._token(16).rstrip("=")
        self._emit(us + 760_000, f"dovecot: lmtp({rcpt})<{21800 + rng.randrange(200)}><{session}>: msgid={msgid}: "
                                 "saved mail to INBOX")
        if full:
            self._emit(us + 762_000, f"postfix/lmtp[{self._pid('lmtp')}]: {qid}: to=<{rcpt}>, "
                                     "relay=mail.quangbinh.gov.vn[private/dovecot-lmtp], delay=0.8, "
                                     f"delays=0.7/0/0.01/0.06, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> "
                                     f"{session} Saved)")
            self._emit(us + 763_000, f"postfix/qmgr[20877]: {qid}: removed")
            self._emit(us + 780_000, f"postfix/smtpd[{pid}]: disconnect from {client} ehlo=2 starttls=1 mail=1 "
                                     "rcpt=1 data=1 quit=1 commands=7")

    def _art12(self, working: bool, progress: float) -> None:
        rng, rnd = self.rng, self.rnd
        ordinal = self._day.toordinal()
        for agency in self.agencies:
            head = agency["head_person"]
            head_here = head is not None and head.login_first <= ordinal <= head.login_last and rnd() > 0.04
            deputies = [d for d in agency["deputies"] if d.login_first <= ordinal <= d.login_last]
            if not head_here and not deputies:
                continue
            chance = min(0.995, agency["base"] + agency["gain"] * progress)
            if not head_here:
                chance *= 0.5  # the head is away: a deputy looks in, less regularly
            if not working:
                chance = 0.08
            for period in self.periods:
                if rnd() >= chance:
                    if working and rnd() < 0.3:  # looked in, but between periods: it does not count
                        self._open(agency, head if head_here else rng.choice(deputies), period.end_us + int(
                            rnd() * 15 * 60 * US))
                    continue
                opener = head if head_here and (not deputies or rnd() < 0.85) else rng.choice(deputies)
                span = max(1, period.end_us - period.start_us - 120 * US)
                self._open(agency, opener, period.start_us + int(rnd() * span))
                if rnd() < 0.2:
                    self._open(agency, opener, period.start_us + int(rnd() * span))

    def _open(self, agency: dict, opener: Person, us: int) -> None:
        folder = f"Shared/{agency['mail']}/INBOX"
        self._emit(us + 400, self._exported(us, "imap_command_finished", {
            "user": opener.mail, "cmd_name": "SELECT", "tagged_reply_state": "OK",
            "cmd_args": f'"{folder}"', "mailbox": folder}))
        self.expected["agency_opens"] += 1

    def day(self, day: dt.date) -> tuple[list[str], list[str]]:
        """The day's mail.log and userlogins.log lines, in time order."""
        rng, rnd, profile = self.rng, self.rnd, self.profile
        self._day, self._buf, self._web = day, [], []
        self._midnight = dt.datetime(day.year, day.month, day.day)
        ordinal = day.toordinal()
        working = day.weekday() < 5
        span = max(1, (self.end - self.start).days)
        progress = (day - self.start).days / span
        trend = 0.94 + 0.10 * progress  # a gentle rise over the months, as people take to the system
        busy = trend if working else profile.weekend

        self._receivers = [p for p in self.people if p.mail_first <= ordinal <= p.mail_last]
        self._receivers_of = {}
        for p in self._receivers:
            self._receivers_of.setdefault(p.agency, []).append(p)
        for p in self.people:
            if not p.login_first <= ordinal <= p.login_last:
                continue
            if rnd() >= (p.p_active * trend if working else profile.weekend):
                continue
            start = 7 * 3600 * US + int(rnd() * 5400 * US) if working else self._work_time()
            if p.mode == "submission":
                sends = max(1, self._poisson(p.send_rate * profile.sends * busy))
            else:
                self._login(p, start, p.mode)
                if rnd() < profile.failed_logins:
                    self._emit(start - 20 * US, f"dovecot: imap-login: Disconnected: auth failed, 1 attempts in "
                                                f"2 secs: user=<{p.mail}>, method=PLAIN, rip={p.ip}, "
                                                f"lip={MAIL_HOST_IP}, TLS, session=<{self._token(12)}>")
                extra = {"imap": profile.extra_imap_logins, "pop3": profile.pop3_polls}.get(p.mode, 0.15)
                for _ in range(self._poisson(extra * busy)):
                    self._login(p, self._work_time(start), p.mode)
                sends = self._poisson(p.send_rate * profile.sends * busy)
            for _ in range(sends):
                self._send(p, self._work_time(start + 60 * US))

        if self._receivers:
            cum, total = [], 0.0
            for p in self._receivers:
                total += p.weight
                cum.append(total)
            count = self._poisson(profile.inbound * len(self._receivers) * (trend if working else 0.3))
            for p in rng.choices(self._receivers, cum_weights=cum, k=count):
                self._inbound(p.mail, self._any_time())
            for kind, rate in (("spam", profile.spam_refused), ("virus", profile.virus_refused)):
                for _ in range(self._poisson(rate * len(self._receivers))):
                    self._inbound(self._receivers[rng.randrange(len(self._receivers))].mail, self._any_time(), kind)
        for agency in self.agencies:
            for _ in range(self._poisson(profile.agency_inbound * (trend if working else 0.1))):
                self._inbound(agency["mail"], self._any_time())
                self.expected["received_agency"] += 1
        self._art12(working, progress)
        self._buf.sort()
        self._web.sort()
        return self._format(day, self._buf), [f"{text}\n" for _, _, text in self._web]

    def _format(self, day: dt.date, items: list[tuple[int, int, str]]) -> list[str]:
        host, out = self.host, []
        bsd = self.profile.timestamps == "bsd"
        prefix = f"{MONTH_ABBR[day.month - 1]} {day.day:2d} " if bsd else day.isoformat() + "T"
        for us, _, text in items:
            seconds, fraction = divmod(us, US)
            clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            if bsd:
                out.append(f"{prefix}{clock} {host} {text}\n")
            else:
                out.append(f"{prefix}{clock}.{fraction:06d}+07:00 {host} {text}\n")
        return out

    def audit_lines(self) -> list[str]:
        return [line + "\n" for _, line in self._audit]

    def write(self, out_dir: str) -> dict:
        """All three files into out_dir (each written aside and renamed: a half-written file is never
        taken for the history)."""
        os.makedirs(out_dir, exist_ok=True)
        names = {"mail": "mail.log", "webmail": "userlogins.log", "audit": "audit.jsonl"}
        counts = dict.fromkeys(names, 0)
        handles = {key: open(os.path.join(out_dir, name + ".tmp"), "w", encoding="utf-8", newline="\n")  # noqa: SIM115
                   for key, name in names.items()}
        try:
            day = self.start
            while day <= self.end:
                mail, web = self.day(day)
                handles["mail"].writelines(mail)
                handles["webmail"].writelines(web)
                counts["mail"] += len(mail)
                counts["webmail"] += len(web)
                day += dt.timedelta(days=1)
            audit = self.audit_lines()
            handles["audit"].writelines(audit)
            counts["audit"] = len(audit)
        finally:
            for handle in handles.values():
                handle.close()
        for name in names.values():
            os.replace(os.path.join(out_dir, name + ".tmp"), os.path.join(out_dir, name))
        return counts


def _cumulative(pairs):
    total = 0.0
    for key, weight in pairs:
        total += weight
        yield key, total


def _next_working_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months
    year, month = divmod(month, 12)
    last_day = (dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last_day))


def _epoch_us(day: dt.date, us: int) -> int:
    """Microseconds since 0001-01-01 00:00 local: sortable across days (the audit log's order)."""
    return (day.toordinal() * DAY_US) + us


def _utc_seconds(stamp: int) -> str:
    ordinal, us = divmod(stamp - UTC_OFFSET_US, DAY_US)
    moment = dt.datetime.fromordinal(ordinal) + dt.timedelta(microseconds=us)
    return moment.replace(microsecond=0, tzinfo=dt.UTC).isoformat()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--db", required=True,
                        help="the usage database (read only: its latest snapshot up to --to, else its latest)")
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat,
                        help="first day (default: six months before --to)")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat,
                        help="last day (default: the day of the latest snapshot)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--periods", help="Art. 12 periods, JSON [{key, label, start, end}] (default: the demo's)")
    parser.add_argument("--host", default="mail", help="host name in the mail log (default: mail)")
    parser.add_argument("--out", required=True, help="folder for mail.log, userlogins.log, audit.jsonl")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    snapshot_day, people, agencies = read_directory(args.db, args.end)
    if not people:
        parser.error(f"{args.db}: the snapshot of {snapshot_day} has no mailbox")
    args.end = args.end or dt.date.fromisoformat(snapshot_day)
    args.start = args.start or _months_before(args.end, 6) + dt.timedelta(days=1)
    if dt.date.fromisoformat(snapshot_day) > args.end:
        # the summary of a period takes its mailboxes from the snapshots in it or before it
        print(f"make_demo_history: the snapshot ({snapshot_day}) is after --to ({args.end}): a report of "
              "these days will list no mailbox; end the history, or the report's period, on the snapshot's day",
              file=sys.stderr)
    history = History(people, agencies, args.start, args.end, args.seed, periods=read_periods(args.periods),
                      host=args.host)
    lines = history.write(args.out)
    print(json.dumps({"snapshot": snapshot_day, "mailboxes": len(people), "agencies": len(agencies),
                      "from": args.start.isoformat(), "to": args.end.isoformat(), "seed": args.seed,
                      "lines": lines, "expected": history.expected,
                      "seconds": round(time.perf_counter() - started, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
