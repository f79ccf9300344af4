"""The fast path of the usage parser (congvu.usage_events): the prefilter of lines that cannot be events,
the day read off a syslog stamp, and the batch reader of text logs, each against the plain parser.

What an operator relies on: reading faster never changes what is recorded. Every kind of line the
tests and the demo's generator know (Dovecot, Postfix, with both time stamp forms and other zones) must
give the same status, event, day and stored time as the parser without shortcuts.
"""

import dataclasses
import datetime as dt
import json
import os
import re
import sys

import pytest
from congvu import usage_events as ev
from congvu_usage import store

import scripts

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "make_demo_history.py")
OPTS = ev.Options(["127.0.0.1", "::1", "172.18.0.2"], "Virus found")
USER = "phuongpq.badon@quangbinh.gov.vn"
DOMAIN = "quangbinh.gov.vn"


def exported(name, **fields):
    event = {"event": name, "start_time": "2026-12-05T14:54:30.576531Z", "end_time": "2026-12-05T14:54:30.578095Z",
             "fields": fields}
    return "stats: " + json.dumps(event)


# Every journal entry of tests/unit/test_usage_events.py, and the lines a real log holds around them
# that no report counts (the generator's "every Postfix line", Dovecot's logouts and failed logins).
ENTRIES = [
    ("dovecot", f"imap-login: Login: user=<{USER}>, method=PLAIN, rip=172.18.0.1, lip=172.18.0.2, mpid=41590, "
                "TLS, session=<BOR/K+Rh0MusEgAB>"),
    ("dovecot", f"pop3-login: Login: user=<{USER.upper()}>, method=PLAIN, rip=172.18.0.1, lip=172.18.0.2, "
                "mpid=41592, TLS, session=<5kaBK+Rh+pmsEgAB>"),
    ("dovecot", f"imap-login: Info: Login: user=<{USER}>, method=PLAIN, rip=172.18.0.1, lip=172.18.0.2, mpid=1"),
    ("dovecot", f"imap-login: Login: user=<{USER}>, method=PLAIN, rip=172.18.0.2, lip=172.18.0.2, mpid=1, TLS, "
                "session=<x>"),
    ("dovecot", "imap-login: Login: user=<>, method=PLAIN, rip=1.2.3.4, lip=5.6.7.8, mpid=1"),
    ("dovecot", f"imap-login: Disconnected: auth failed, 1 attempts in 2 secs: user=<{USER}>, method=PLAIN, "
                "rip=10.1.1.2, lip=10.10.0.5, TLS, session=<abc>"),
    ("dovecot", "lmtp(daob.badon@quangbinh.gov.vn)<41623><mL2aM6YlFGuXogAAX6EwDA>: msgid=unspecified: "
                "saved mail to INBOX"),
    ("dovecot", "lmtp(dinhl.badon@quangbinh.gov.vn)<41623><mL2aM6YlFGuXogAAX6EwDA:R2>: sieve: msgid=<a@b>: "
                "stored mail into mailbox 'INBOX'"),
    ("dovecot", "lmtp(41623): Disconnect from local: Logged out (state=READY)"),
    ("dovecot", f"imap({USER})<41590><BOR/K+Rh0MusEgAB>: Disconnected: Logged out in=200 out=1000"),
    ("dovecot", f"pop3({USER})<41592><5kaBK+Rh+pmsEgAB>: Disconnected: Logged out top=0/0, retr=1/600, del=1/1"),
    ("dovecot", exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="OK",
                         cmd_args='"Shared/badon@quangbinh.gov.vn/INBOX"',
                         mailbox="Shared/badon@quangbinh.gov.vn/INBOX")),
    ("dovecot", exported("imap_command_finished", user=USER, cmd_name="EXAMINE", tagged_reply_state="OK",
                         cmd_args='"Shared/badon@quangbinh.gov.vn/Sent \\"old\\"" (CONDSTORE)')),
    ("dovecot", exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="NO",
                         cmd_args='"Shared/badon@quangbinh.gov.vn/INBOX"')),
    ("dovecot", exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="OK",
                         cmd_args="INBOX")),
    ("dovecot", exported("auth_request_finished", success="yes", service="smtp", user=USER, remote_ip="172.18.0.1")),
    ("dovecot", exported("auth_request_finished", success="yes", service="imap", user=USER)),
    ("dovecot", exported("auth_request_finished", success="yes", service="smtp", user=USER, remote_ip="172.18.0.2")),
    ("dovecot", 'stats: {"event": "imap_command_finished", "fields": '),
    ("dovecot", "stats: Info: no event here"),
    ("dovecot", "master: Info: Dovecot v2.3.19.1 starting up for imap, pop3, lmtp"),
    ("postfix/submission/smtpd", f"A6C5D1885FF: client=unknown[172.18.0.1], sasl_method=PLAIN, sasl_username={USER}"),
    ("postfix/submission/smtpd", "A6C5D1885FF: client=unknown[172.18.0.1], sasl_username="),
    ("postfix/submission/smtpd", "connect from unknown[172.18.0.1]"),
    ("postfix/submission/smtpd", "disconnect from unknown[172.18.0.1] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 "
                                 "data=1 quit=1 commands=8"),
    ("postfix/smtpd", "4F1: client=mail.chinhphu.vn[203.113.230.184]"),
    ("postfix/qmgr", f"A6C5D1885FF: from=<{USER}>, size=601, nrcpt=2 (queue active)"),
    ("postfix/qmgr", f"A6C5D1885FF: from=<{USER}>, size=601, nrcpt=x (queue active)"),
    ("postfix/qmgr", "A6C5D1885FF: removed"),
    ("postfix/cleanup", '4F1: milter-reject: END-OF-MESSAGE from unknown[172.18.0.1]: 5.7.1 Virus found: "Eicar"; '
                        "message refused (Art. 13); from=<x@example.org> to=<daob.badon@quangbinh.gov.vn> "
                        "proto=ESMTP helo=<client>"),
    ("postfix/cleanup", "4F2: milter-reject: END-OF-MESSAGE from unknown[172.18.0.1]: 5.7.1 Message rejected as "
                        "spam; from=<x@example.org> to=<DAOB.badon@quangbinh.gov.vn> proto=ESMTP helo=<client>"),
    ("postfix/cleanup", "4F3: milter-reject: END-OF-MESSAGE from nowhere"),
    ("postfix/cleanup", "4F1: message-id=<20261125.4F1@quangbinh.gov.vn>"),
    ("postfix/lmtp", "4F1: to=<a@quangbinh.gov.vn>, relay=mail[private/dovecot-lmtp], delay=0.1, "
                     "delays=0.06/0/0.01/0.05, dsn=2.0.0, status=sent (250 2.0.0 <a@quangbinh.gov.vn> x Saved)"),
    ("postfix/smtp", "4F1: to=<vanban1@chinhphu.vn>, relay=mx.chinhphu.vn[203.113.1.10]:25, status=sent (250 ok)"),
    ("postfix/postscreen", "CONNECT from [203.113.230.184]:39475 to [10.10.0.5]:25"),
    ("postfix/postscreen", "PASS OLD [203.113.230.184]:39475"),
    ("postfix/qmgr", "sasl_username= milter-reject: END-OF-MESSAGE (queue active) in the wrong program"),
    ("slapd", f"conn=1001 op=2 SRCH base=\"ou=people\" filter=\"(mail={USER})\" sasl_username=x"),
    ("rspamd", "lmtp( imap-login: stats: (queue active)"),
]

# The plain parser's reading of a syslog line, as it was before the fast path: the reference.
_REFERENCE_LINE = re.compile(
    r"^(?:(?P<iso>\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d))|(?P<bsd>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d))"
    r" \S+ (?P<ident>[^\[:\s]+)(?:\[\d+\])?: (?P<msg>.*)$")


def reference(line, year):
    """(status, event, day, stored time) by the plain parser: one regex, a datetime for every line."""
    match = _REFERENCE_LINE.match(line.rstrip("\n"))
    if not match:
        return ev.MALFORMED, None, None, None
    try:
        if match.group("iso"):
            ts = dt.datetime.fromisoformat(match.group("iso").replace("Z", "+00:00"))
        else:
            ts = dt.datetime.strptime(f"{year} {match.group('bsd')}", "%Y %b %d %H:%M:%S").replace(tzinfo=ev.TZ)
    except ValueError:
        return ev.MALFORMED, None, None, None
    status, event = ev._parse_journal(ts, match.group("ident"), match.group("msg"), OPTS)
    return status, event, store.day_of(ts), store._stamp(event.ts)[0] if event is not None else None


def fast(line, year):
    """read_syslog_line, its stored time filled in as Batch.add does when it is not given."""
    status, event, day, second = ev.read_syslog_line(line, year, OPTS)
    if event is not None and second is None:
        second = store._stamp(event.ts)[0]
    return status, event, day, second


STAMPS = ["2026-11-25T08:00:29.873198+07:00", "2026-11-25T08:00:29+07:00", "2026-11-25T08:00:29.873+0700",
          "2026-11-25T00:30:00.5Z", "2026-11-24T20:00:00+00:00", "2026-11-24T18:29:59.999999+05:30",
          "2026-11-25T23:59:59.000001-05:00", "Nov 25 08:00:29", "Nov  5 23:59:59", "Feb 28 00:00:00"]


def syslog_lines():
    for stamp in STAMPS:
        for ident, message in ENTRIES:
            yield f"{stamp} mail {ident}[4242]: {message}\n"
            yield f"{stamp} mail {ident}: {message}"


@pytest.mark.parametrize(("ident", "message"), ENTRIES)
def test_the_prefilter_never_drops_a_line_the_parser_would_use(ident, message):
    ts = dt.datetime(2026, 12, 5, 14, 54, 30, tzinfo=dt.UTC)
    full = ev._parse_journal(ts, ident, message, OPTS)
    if not ev.may_be_event(ident, message):
        assert full == (ev.IGNORED, None)
    assert ev.parse_journal(ts, ident, message, OPTS) == full


def test_the_prefilter_stops_the_lines_no_report_counts():
    stopped = [(ident, message) for ident, message in ENTRIES if not ev.may_be_event(ident, message)]
    assert len(stopped) >= 12  # connections, logouts, delivery status, queue removals, other programs
    assert all(ev._parse_journal(None, ident, message, OPTS) == (ev.IGNORED, None) for ident, message in stopped)


def test_every_kind_of_line_reads_as_the_plain_parser_reads_it():
    lines = list(syslog_lines())
    events = 0
    for line in lines:
        expected = reference(line, 2026)
        assert fast(line, 2026) == expected, line
        events += expected[1] is not None
    assert events >= 10 * len(STAMPS)


def test_the_day_of_a_stamp_in_another_zone_is_the_vietnamese_day():
    assert ev.syslog_day("2026-11-24T17:00:00Z", 2026) == "2026-11-25"
    assert ev.syslog_day("2026-11-24T16:59:59.9+00:00", 2026) == "2026-11-24"
    assert ev.syslog_day("2026-11-24T22:30:00+05:30", 2026) == "2026-11-25"
    assert ev.syslog_day("2026-11-24T22:29:59+05:30", 2026) == "2026-11-24"
    assert ev.syslog_day("2026-11-25T08:00:00+07:00", 2026) == "2026-11-25"
    assert ev.syslog_day("Nov  5 08:00:00", 2027) == "2027-11-05"
    assert ev.syslog_day("Feb 29 08:00:00", 2026) is None
    assert ev.syslog_day("2026-02-30T08:00:00+07:00", 2026) is None
    # a stamp the memo has seen wrong does not make the next stamp of its minute wrong
    assert ev.syslog_day("2026-11-24T17:00:99Z", 2026) is None
    assert ev.syslog_day("2026-11-24T17:00:01Z", 2026) == "2026-11-25"


@pytest.mark.parametrize("line", [
    "not a log line\n",
    "2026-11-25T08:00:29+07:00 mail postfix/qmgr[1]:no space after the colon\n",
    "2026-11-25T08:00:29+07:00 mail postfix/qmgr[1]: A: from=<a@b>, size=1, nrcpt=1 (queue active)\nand more\n",
    "2026-02-30T08:00:29+07:00 mail postfix/qmgr[1]: A: removed\n",
    "2026-02-30T08:00:29+07:00 mail postfix/qmgr[1]: A: from=<a@b>, size=1, nrcpt=1 (queue active)\n",
    "2026-11-25T08:00:61+07:00 mail postfix/qmgr[1]: A: from=<a@b>, size=1, nrcpt=1 (queue active)\n",
    "Feb 30 08:00:29 mail postfix/qmgr[1]: A: removed\n",
    "Foo 25 08:00:29 mail dovecot: imap-login: Login: user=<a@b>, method=PLAIN, rip=1.2.3.4, lip=5.6.7.8\n",
    "Nov 25 24:00:29 mail dovecot: imap-login: Login: user=<a@b>, method=PLAIN, rip=1.2.3.4, lip=5.6.7.8\n",
])
def test_a_line_that_cannot_be_read_is_malformed_and_stops_nothing(line):
    status, event, day, _ = ev.read_syslog_line(line, 2026, OPTS)
    assert (status, event, day) == (ev.MALFORMED, None, None)


def test_an_ignored_line_is_counted_on_its_day_without_its_time_being_read():
    # the plain parser stopped on this line (a time that does not exist); the fast path counts it as ignored
    line = "2026-11-25T25:61:00+07:00 mail postfix/qmgr[1]: A: removed\n"
    assert ev.read_syslog_line(line, 2026, OPTS) == (ev.IGNORED, None, "2026-11-25", None)


def test_the_batch_reader_gives_what_each_line_gives():
    lines = [*syslog_lines(), "garbage\n", "2026-02-30T08:00:29+07:00 mail postfix/qmgr[1]: A: removed\n"]
    tally = {}
    events = ev.read_syslog_lines(lines, 2026, OPTS, tally)
    expected_events, expected_tally = [], {}
    for line in lines:
        status, event, day, second = ev.read_syslog_line(line, 2026, OPTS)
        expected_tally.setdefault(day, [0, 0, 0])[ev.STATUSES.index(status)] += 1
        if event is not None:
            expected_events.append((event, second))
    assert events == expected_events
    assert tally == expected_tally
    assert sum(sum(counts) for counts in tally.values()) == len(lines)


@pytest.fixture(scope="module")
def tool():
    yield scripts.load("make_demo_history_prefilter", TOOL)
    sys.modules.pop("make_demo_history_prefilter", None)


@pytest.mark.parametrize("timestamps", ["iso", "bsd"])
def test_a_generated_busy_day_reads_as_the_plain_parser_reads_it(tool, timestamps):
    """The benchmark's kind of log: every Postfix line of each message, both time stamp forms."""
    agencies = [{"code": code, "name": code, "kind": "department", "mail": f"{code}@{DOMAIN}", "state": "active",
                 "head": f"{code.upper()}0001"} for code in ("stttt", "sxd")]
    people = [{"uid": f"{code.upper()}{n:04d}", "mail": f"nguoi{n}.{code}@{DOMAIN}", "name": f"Người {n}",
               "agency": code, "title": None, "leader": n <= 3, "quota": 2 * 1024**3, "quota_decision": None,
               "state": "active"} for code in ("stttt", "sxd") for n in range(1, 41)]
    profile = dataclasses.replace(tool.DEMO, every_postfix_line=True, failed_logins=0.2, spam_refused=0.2,
                                  virus_refused=0.05, timestamps=timestamps)
    day = dt.date(2026, 11, 25)
    lines, _ = tool.History(people, agencies, day, day, 3, profile=profile).day(day)
    assert len(lines) > 500
    kinds = set()
    for line in lines:
        expected = reference(line, 2026)
        assert fast(line, 2026) == expected, line
        kinds.add((expected[0], type(expected[1]).__name__))
    assert {("event", "Login"), ("event", "Delivered"), ("event", "Submitted"), ("event", "Queued"),
            ("event", "Refused"), ("ignored", "NoneType")} <= kinds


@pytest.mark.parametrize("webmail", [["127.0.0.1", "::1", "172.18.0.2"], ["127.0.0.0/8", "::1", "172.18.0.2/32"]])
def test_webmail_addresses_are_recognised_whatever_their_form(webmail):
    options = ev.Options(webmail, "Virus found")
    assert options.from_webmail("127.0.0.1") and options.from_webmail("172.18.0.2")
    assert options.from_webmail("::1") and options.from_webmail("0:0:0:0:0:0:0:1")
    assert not options.from_webmail("172.18.0.20") and not options.from_webmail("10.0.0.1")
    assert not options.from_webmail("172.018.0.2") and not options.from_webmail("unknown")
    assert not options.from_webmail("") and not options.from_webmail("::2")
    assert options.from_webmail("127.0.0.2") == (webmail[0] == "127.0.0.0/8")
