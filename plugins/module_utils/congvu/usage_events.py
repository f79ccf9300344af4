"""Usage records from the services' own logs (Art. 12, 14.6): one log line in, at most one event out.

Pure: no I/O, no Ansible. The collector (role `reports`, `congvu-reports collect`) feeds it the lines of
the systemd journal (Postfix, Dovecot), of Roundcube's login log and of the province's audit log, and
stores the events with the read position in one transaction (docs/reports.md).

What counts as what (docs/reports.md, "What is recorded"):
- a login: Dovecot's `imap-login: Login:` / `pop3-login: Login:` (IMAP, POP3), Dovecot's auth event for
  Postfix's SASL (submission), Roundcube's "Successful login" (webmail). IMAP and submission logins
  that come from the webmail hosts are Roundcube's own connections behind a webmail login (reading,
  sending), not logins of their own;
- an agency mailbox opened: Dovecot's `imap_command_finished` event of a SELECT or EXAMINE of a folder
  under `Shared/<agency address>/` that succeeded, with the login of whoever ran it (Art. 10, 12);
- a message sent: Postfix accepted it on submission from an authenticated user (`sasl_username=`),
  with its recipient count from the queue manager's `nrcpt=`;
- a message received: Dovecot's LMTP saved it into the mailbox (final delivery);
- a message refused as a virus or as spam: the milter (rspamd, with ClamAV) rejected it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass

from .art12 import TZ, local  # noqa: F401  (the reports' clock has one owner; callers use ev.TZ)

LOGIN_KINDS = ("imap", "pop3", "submission", "webmail")

# What a line of a source can be, for the counts the report shows under "data quality".
EVENT, IGNORED, MALFORMED = "event", "ignored", "malformed"
STATUSES = (EVENT, IGNORED, MALFORMED)  # the order of the counts in a tally (read_syslog_lines)
_STATUS_INDEX = {status: index for index, status in enumerate(STATUSES)}

# Events are plain slotted records: a busy day has about a million of them, and a frozen dataclass
# costs twice as much to build (each field goes through object.__setattr__). Nothing changes them.


@dataclass(slots=True)
class Login:
    ts: dt.datetime
    user: str
    kind: str
    rip: str


@dataclass(slots=True)
class AgencyOpen:
    ts: dt.datetime
    opener: str
    agency_mail: str
    folder: str
    command: str


@dataclass(slots=True)
class Submitted:
    """Postfix took a message from an authenticated user; its recipients come with `Queued`."""

    ts: dt.datetime
    queue_id: str
    user: str


@dataclass(slots=True)
class Queued:
    ts: dt.datetime
    queue_id: str
    nrcpt: int


@dataclass(slots=True)
class Delivered:
    ts: dt.datetime
    user: str


@dataclass(slots=True)
class Refused:
    ts: dt.datetime
    recipient: str
    kind: str  # virus | spam


@dataclass(slots=True)
class Audited:
    """A line of the province's audit log that a report counts (create, terminate, suspend, reset)."""

    ts: dt.datetime
    action: str
    uid: str
    agency: str
    source: str


class Options:
    """What the parser needs to know of the province: who the webmail hosts are, and how the milter
    words a virus refusal (role antispam, `antispam__antivirus_fail_message`)."""

    def __init__(self, webmail_addresses=("127.0.0.1", "::1"), virus_marker: str = "virus"):
        self.webmail_networks = [ipaddress.ip_network(a, strict=False) for a in webmail_addresses]
        self.virus_marker = virus_marker.lower()
        self._seen: dict[str, bool] = {}  # many logins come from the same address
        # Every person's computer has its own address: parsing each costs more than reading its line.
        # When the webmail hosts are single addresses, an IPv4 address in dotted digits (the only form
        # ipaddress accepts, and the one Dovecot writes) is one of them exactly when its text is.
        self._hosts = None
        if all(net.num_addresses == 1 for net in self.webmail_networks):
            self._hosts = {str(net.network_address) for net in self.webmail_networks}

    def from_webmail(self, rip: str) -> bool:
        if self._hosts is not None and rip.replace(".", "").isdigit():
            return rip in self._hosts
        if rip not in self._seen:
            try:
                address = ipaddress.ip_address(rip)
            except ValueError:
                self._seen[rip] = False
            else:
                self._seen[rip] = any(address in net for net in self.webmail_networks
                                      if net.version == address.version)
        return self._seen[rip]


_DOVECOT_LOGIN = re.compile(
    r"^(imap|pop3)-login: (?:Info: )?Login: user=<([^>]*)>, method=[^,]+, rip=([^,]+), lip=[^,]+")
_DOVECOT_LMTP = re.compile(r"^lmtp\(([^)]+)\)(?:<[^>]*>)*: (?:Info: )?(?:sieve: )?msgid=.*?: "
                           r"(?:saved mail to |stored mail into mailbox )")
# The event exporter's `log` transport logs from Dovecot's stats process: "stats: {json}" (the format
# `json`; "Info: " where Dovecot logs to a file instead of syslog).
_DOVECOT_EVENT = re.compile(r"^stats: (?:Info: )?(\{.*\})\s*$")
_POSTFIX_SUBMIT = re.compile(r"^([0-9A-Za-z]+): client=[^,]*, sasl_method=[^,]+, sasl_username=(\S+)")
_POSTFIX_QMGR = re.compile(r"^([0-9A-Za-z]+): from=<[^>]*>, size=\d+, nrcpt=(\d+) \(queue active\)")
_POSTFIX_MILTER = re.compile(r"^([0-9A-Za-z]+): milter-reject: END-OF-MESSAGE from [^:]*: (.*?); "
                             r"from=<[^>]*> to=<([^>]*)>")
_ROUNDCUBE_LOGIN = re.compile(r"Successful login for (\S+) \(ID: \d+\) from (\S+) in session")


# The only beginnings of a Dovecot line that `_dovecot` reads (its patterns are anchored there).
_DOVECOT_HEADS = ("imap-login: ", "pop3-login: ", "lmtp(", "stats: ")


def may_be_event(ident: str, message: str) -> bool:
    """False when `parse_journal` would surely answer (IGNORED, None): a test of fixed substrings, no
    regex, no object built.

    Two thirds of a mail log are lines no report counts (connections, cleanup, delivery status, queue
    removals, logouts). This mirrors the first test of each branch of `_dovecot` and `_postfix`, so a
    line it lets through may still be ignored, but a line it stops can never be an event or malformed;
    keep the two in step (tests/unit/test_usage_prefilter.py checks every kind of line).
    """
    if ident == "dovecot":
        return message.startswith(_DOVECOT_HEADS)
    if ident.startswith("postfix/"):
        program = ident[ident.rfind("/") + 1:]
        if program == "smtpd":
            return "sasl_username=" in message
        if program == "qmgr":
            return "(queue active)" in message
        if program == "cleanup":
            return "milter-reject: END-OF-MESSAGE" in message
    return False


def parse_journal(ts: dt.datetime, ident: str, message: str, options: Options):
    """One journal entry of Postfix or Dovecot -> (status, event or None)."""
    if not may_be_event(ident, message):
        return IGNORED, None
    return _parse_journal(ts, ident, message, options)


def _parse_journal(ts, ident, message, options):
    """`parse_journal` without the prefilter (the tests compare the two)."""
    if ident == "dovecot":
        return _dovecot(ts, message, options)
    if ident.startswith("postfix/"):
        return _postfix(ts, ident, message, options)
    return IGNORED, None


def _dovecot(ts, message, options):
    # the patterns are anchored on different beginnings: try only the one that can match
    if message.startswith("lmtp("):
        match = _DOVECOT_LMTP.match(message)
        return (EVENT, Delivered(ts, match.group(1).lower())) if match else (IGNORED, None)
    if message.startswith("stats: "):
        if "{" not in message:
            return IGNORED, None
        match = _DOVECOT_EVENT.match(message)
        if not match:
            return MALFORMED, None
        try:
            exported = json.loads(match.group(1))
        except ValueError:
            return MALFORMED, None
        return _exported(ts, exported, options)
    match = _DOVECOT_LOGIN.match(message)
    if match:
        kind, user, rip = match.groups()
        if not user:
            return MALFORMED, None
        if kind == "imap" and options.from_webmail(rip):
            return IGNORED, None  # Roundcube's own connection; its login line counts the webmail login
        return EVENT, Login(ts, user.lower(), kind, rip)
    return IGNORED, None


def _exported(ts, exported, options):
    """An event of Dovecot's event exporter (role imap, `imap__usage_events`)."""
    fields = exported.get("fields") or {}
    name = exported.get("event")
    when = _event_time(exported) or ts
    if name == "imap_command_finished":
        command = str(fields.get("cmd_name", "")).upper()
        user = str(fields.get("user", "")).lower()
        if command not in ("SELECT", "EXAMINE") or fields.get("tagged_reply_state") != "OK" or not user:
            return IGNORED, None
        folder = fields.get("mailbox") or _first_astring(str(fields.get("cmd_args", "")))
        if folder is None:
            return MALFORMED, None
        parts = folder.split("/")
        if len(parts) < 3 or parts[0] != "Shared" or "@" not in parts[1]:
            return IGNORED, None  # the user's own folders
        return EVENT, AgencyOpen(when, user, parts[1].lower(), "/".join(parts[2:]), command)
    if name == "auth_request_finished":
        if fields.get("success") not in ("yes", True, 1) or fields.get("service") != "smtp":
            return IGNORED, None  # IMAP and POP3 logins come from the login lines
        user = str(fields.get("user", "")).lower()
        if not user:
            return MALFORMED, None
        rip = str(fields.get("remote_ip", ""))
        if options.from_webmail(rip):
            return IGNORED, None  # Roundcube sending for a webmail user: part of the webmail login
        return EVENT, Login(when, user, "submission", rip)
    return IGNORED, None


def _event_time(exported):
    stamp = exported.get("end_time") or exported.get("start_time")
    if isinstance(stamp, (int, float)):
        return dt.datetime.fromtimestamp(stamp, dt.UTC)
    if isinstance(stamp, str):
        try:
            return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _first_astring(args: str) -> str | None:
    """The first IMAP astring of a command's arguments: `"Shared/x@y/INBOX" (CONDSTORE)` -> the folder.

    Folder names are modified UTF-7 on the wire; agency addresses are ASCII, so the part the report
    needs reads as is, and the rest of the name is kept as sent.
    """
    args = args.strip()
    if not args:
        return None
    if args[0] == '"':
        out, escaped = [], False
        for char in args[1:]:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                return "".join(out)
            else:
                out.append(char)
        return None
    return args.split(" ", 1)[0]


def _postfix(ts, ident, message, options):
    program = ident.rsplit("/", 1)[-1]
    if program == "smtpd" and "sasl_username=" in message:
        match = _POSTFIX_SUBMIT.match(message)
        if not match:
            return MALFORMED, None
        return EVENT, Submitted(ts, match.group(1), match.group(2).lower())
    if program == "qmgr" and "(queue active)" in message:
        match = _POSTFIX_QMGR.match(message)
        if not match:
            return MALFORMED, None
        return EVENT, Queued(ts, match.group(1), int(match.group(2)))
    if program == "cleanup" and "milter-reject: END-OF-MESSAGE" in message:
        match = _POSTFIX_MILTER.match(message)
        if not match:
            return MALFORMED, None
        kind = "virus" if options.virus_marker in match.group(2).lower() else "spam"
        return EVENT, Refused(ts, match.group(3).lower(), kind)
    return IGNORED, None


def parse_roundcube(line: str, options: Options):
    """One line of Roundcube's userlogins log (`log_logins`): `[05-Dec-2026 14:43:32 +0700]: <id> ...`."""
    if "Successful login" not in line:
        return IGNORED, None
    ts = _roundcube_time(line)
    match = _ROUNDCUBE_LOGIN.search(line)
    if ts is None or not match:
        return MALFORMED, None
    return EVENT, Login(ts, match.group(1).lower(), "webmail", match.group(2))


def _roundcube_time(line: str):
    if not line.startswith("["):
        return None
    stamp = line[1:line.find("]")]
    for fmt in ("%d-%b-%Y %H:%M:%S %z", "%d-%b-%Y %H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(stamp, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=TZ)
    return None


AUDITED_ACTIONS = {"create", "terminate", "suspend", "password_reset"}


def parse_audit(line: str):
    """One JSON line of /var/log/congvu/roster-audit.jsonl (role directory's reconcile, the inactivity
    job, the password reset). Only applied changes to mailboxes count."""
    try:
        record = json.loads(line)
        action = record.get("action")
        if action not in AUDITED_ACTIONS or record.get("outcome") != "applied":
            return IGNORED, None
        ts = dt.datetime.fromisoformat(record["time"])
        uid = str(record["id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return MALFORMED, None
    if record.get("kind") not in ("person", "agency"):
        return IGNORED, None
    return EVENT, Audited(ts, action if record.get("kind") == "person" else f"agency_{action}", uid,
                          str(record.get("agency") or ""), str(record.get("source") or "roster"))


# The head of a classic syslog line: time stamp, host, program[pid]. The message is the rest of the line.
# (RFC 3339 as rsyslog writes it on Debian 12, or the old BSD form without a year.)
_SYSLOG_HEAD = re.compile(
    r"(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) \S+ ([^\[:\s]+)(?:\[\d+\])?: ")
_LOCAL_OFFSETS = ("+07:00", "+0700")
_fromisoformat = dt.datetime.fromisoformat
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def split_syslog_line(line: str):
    """A line of a classic mail log file -> (time stamp text, ident, message) or None; no time is read.

    For hosts that keep text logs (rsyslog's, or `maillog_file`), and for the benchmark, which reads the
    same file as pflogsumm. A line is taken whole: one that holds a newline before its end is not one.
    """
    match = _SYSLOG_HEAD.match(line)
    if match is None:
        return None
    message = line[match.end():].rstrip("\n")
    if "\n" in message:
        return None
    stamp, ident = match.groups()
    return stamp, ident, message


def syslog_time(stamp: str, year: int) -> dt.datetime:
    """The time of a syslog stamp; a BSD stamp has no year and no zone: `year`, Vietnamese time.
    Raises ValueError for a date or time that does not exist."""
    if stamp[0].isdigit():
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    month, day = _bsd_date(stamp, year)
    return dt.datetime(year, month, day, int(stamp[7:9]), int(stamp[10:12]), int(stamp[13:15]), tzinfo=TZ)


def _bsd_date(stamp: str, year: int) -> tuple[int, int]:
    month = _MONTHS.get(stamp[:3])
    if month is None:
        raise ValueError(f"no month {stamp[:3]!r}")
    day = int(stamp[4:6])
    dt.date(year, month, day)  # a day that does not exist raises, as strptime did
    return month, day


_DAYS: dict[tuple, str | None] = {}
_LOCAL_DAYS: dict[str, str] = {}  # the date part of a stamp at +07:00 -> its day, once checked


def syslog_day(stamp: str, year: int) -> str | None:
    """The Vietnamese day (YYYY-MM-DD) of a syslog stamp, or None when its date cannot be read.

    Every line is counted on its day, and most are only counted: the day is read off the text and
    remembered per date (per minute for a stamp in another zone), without building a datetime for
    each line. The time of day of such a line is not checked.
    """
    if not stamp[0].isdigit():
        key = (stamp[:6], year)  # BSD: no zone, Vietnamese time
    elif stamp.endswith(_LOCAL_OFFSETS):
        key = (stamp[:10], "")
    elif stamp[13:14] == ":":
        # another zone: the local day follows from the date, hour, minute and offset
        key = (stamp[:16], stamp[-6:])
    else:
        key = None
    day = _DAYS.get(key, False) if key else False
    if day is not False:
        return day
    try:
        if not stamp[0].isdigit():
            month, number = _bsd_date(stamp, year)
            day = f"{year:04d}-{month:02d}-{number:02d}"
        elif key and not key[1]:
            day = dt.date.fromisoformat(stamp[:10]).isoformat()
            if day == stamp[:10] and len(_LOCAL_DAYS) < 4096:
                _LOCAL_DAYS[day] = day
        else:
            day = local(syslog_time(stamp, year)).date().isoformat()
    except ValueError:
        if key is None or key[1] not in ("", year):
            return None  # the rest of the stamp may be what is wrong, not the minute
        day = None
    if key:
        if len(_DAYS) > 4096:  # a reader of many days in another zone: keep the memo small
            _DAYS.clear()
        _DAYS[key] = day
    return day


def local_second(stamp: str, year: int) -> str | None:
    """The text `local(syslog_time(stamp)).isoformat(timespec="seconds")` gives, read off the stamp when
    it is in Vietnam's zone or has none; None when it must be computed from the time."""
    if stamp[0].isdigit():
        if stamp.endswith(_LOCAL_OFFSETS) and len(stamp) >= 24 and stamp[13] == ":" and stamp[16] == ":" \
                and stamp[19] in ".+":
            return stamp[:19] + "+07:00"
        return None
    day = syslog_day(stamp, year)
    return None if day is None else f"{day}T{stamp[7:15]}+07:00"


def read_syslog_line(line: str, year: int, options: Options):
    """A line of a classic mail log file -> (status, event or None, day, second).

    `day` is the Vietnamese day the line counts on (None for a malformed line: the caller counts it on
    today's); `second` is the event's time as the store writes it when the event carries the line's own
    time, else None. The same answers as `parse_syslog_line` then `parse_journal`, without a datetime
    for a line that cannot be an event.
    """
    parts = split_syslog_line(line)
    if parts is None:
        return MALFORMED, None, None, None
    stamp, ident, message = parts
    if not may_be_event(ident, message):
        day = syslog_day(stamp, year)
        return (IGNORED if day else MALFORMED), None, day, None
    return _read_event(stamp, ident, message, year, options)


def _read_event(stamp, ident, message, year, options):
    try:
        if stamp.endswith(_LOCAL_OFFSETS):  # most lines: as local_second reads them
            ts = _fromisoformat(stamp)
            second = stamp[:19] + "+07:00" if len(stamp) >= 24 and stamp[13] == ":" and stamp[16] == ":" \
                and stamp[19] in ".+" else None
        else:
            ts = syslog_time(stamp, year)
            second = local_second(stamp, year)
    except ValueError:
        return MALFORMED, None, None, None
    if ident == "dovecot":
        status, event = _dovecot(ts, message, options)
    else:
        status, event = _parse_journal(ts, ident, message, options)
    day = second[:10] if second else local(ts).date().isoformat()
    if event is None or event.ts is not ts:
        second = None  # none, or an exported Dovecot event, which carries its own time
    return status, event, day, second


def read_syslog_lines(lines, year: int, options: Options, tally: dict) -> list:
    """Many lines of a classic mail log (a batch of the collector) -> [(event, second)], each line
    counted in `tally`: day -> [events, ignored, malformed] (the order of STATUSES), day None for a
    line without a readable day.

    Line by line the same answers as `read_syslog_line`, in one loop: at three million lines a day a
    Python call per line and step costs as much as the step itself.
    """
    events = []
    head, may, day_of, read_event = _SYSLOG_HEAD.match, may_be_event, syslog_day, _read_event
    local_days, local_offsets = _LOCAL_DAYS, _LOCAL_OFFSETS
    fromisoformat, dovecot, parse, index = _fromisoformat, _dovecot, _parse_journal, _STATUS_INDEX
    current_day, counts = False, None
    for line in lines:
        match = head(line)
        if match is not None:
            stamp, ident = match.groups()
            message = line[match.end():].rstrip("\n")
            if "\n" in message:
                match = None
        if match is None:
            status, day = 2, None
        elif not may(ident, message):
            day = None
            if stamp.endswith(local_offsets):  # most lines: the day as syslog_day reads it, by date
                day = local_days.get(stamp[:10])
            if day is None:
                day = day_of(stamp, year)
            status = 1 if day else 2
        elif stamp.endswith(local_offsets) and len(stamp) >= 24 and stamp[13] == ":" and stamp[16] == ":" \
                and stamp[19] in ".+":
            # most event lines: `_read_event` for a stamp at +07:00, without a call per line
            try:
                ts = fromisoformat(stamp)
            except ValueError:
                status, day = 2, None
            else:
                found, event = dovecot(ts, message, options) if ident == "dovecot" else \
                    parse(ts, ident, message, options)
                day = stamp[:10]
                if event is not None:
                    events.append((event, f"{stamp[:19]}+07:00" if event.ts is ts else None))
                status = index[found]
        else:
            found, event, day, second = read_event(stamp, ident, message, year, options)
            if event is not None:
                events.append((event, second))
            status = index[found]
        if day != current_day:
            current_day, counts = day, tally.get(day)
            if counts is None:
                counts = tally[day] = [0, 0, 0]
        counts[status] += 1
    return events


def parse_syslog_line(line: str, year: int):
    """A line of a classic mail log file -> (ts, ident, message) or None. Raises ValueError for a time
    stamp whose date or time does not exist."""
    parts = split_syslog_line(line)
    if parts is None:
        return None
    stamp, ident, message = parts
    return syslog_time(stamp, year), ident, message
