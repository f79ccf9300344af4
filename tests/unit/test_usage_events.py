"""The log parser of the usage records (congvu.usage_events), on lines copied from a running system
(Dovecot 2.3.19, Postfix 3.7 and Roundcube 1.6 of Debian 12, as the roles configure them)."""

import datetime as dt
import json

from congvu import usage_events as ev

TS = dt.datetime(2026, 12, 5, 14, 54, 30, tzinfo=dt.UTC)
OPTS = ev.Options(["127.0.0.1", "::1", "172.18.0.2"], "Virus found")
USER = "phuongpq.badon@quangbinh.gov.vn"


def dovecot(message):
    return ev.parse_journal(TS, "dovecot", message, OPTS)


def exported(name, **fields):
    event = {"event": name, "start_time": "2026-12-05T14:54:30.576531Z", "end_time": "2026-12-05T14:54:30.578095Z",
             "fields": fields}
    return "stats: " + json.dumps(event)


def test_imap_and_pop3_logins_with_the_client_address():
    status, login = dovecot(f"imap-login: Login: user=<{USER}>, method=PLAIN, rip=172.18.0.1, lip=172.18.0.2, "
                            "mpid=41590, TLS, session=<BOR/K+Rh0MusEgAB>")
    assert status == ev.EVENT and login == ev.Login(TS, USER, "imap", "172.18.0.1")
    status, login = dovecot(f"pop3-login: Login: user=<{USER.upper()}>, method=PLAIN, rip=172.18.0.1, "
                            "lip=172.18.0.2, mpid=41592, TLS, session=<5kaBK+Rh+pmsEgAB>")
    assert login.kind == "pop3" and login.user == USER


def test_imap_logins_of_the_webmail_host_are_roundcubes_own_connections():
    status, login = dovecot(f"imap-login: Login: user=<{USER}>, method=PLAIN, rip=172.18.0.2, lip=172.18.0.2, "
                            "mpid=1, TLS, session=<x>")
    assert (status, login) == (ev.IGNORED, None)


def test_final_delivery_by_lmtp_counts_as_received_by_the_mailbox():
    status, delivered = dovecot("lmtp(daob.badon@quangbinh.gov.vn)<41623><mL2aM6YlFGuXogAAX6EwDA>: "
                                "msgid=unspecified: saved mail to INBOX")
    assert delivered == ev.Delivered(TS, "daob.badon@quangbinh.gov.vn")
    status, delivered = dovecot("lmtp(dinhl.badon@quangbinh.gov.vn)<41623><mL2aM6YlFGuXogAAX6EwDA:R2>: "
                                "sieve: msgid=<a@b>: stored mail into mailbox 'INBOX'")
    assert delivered.user == "dinhl.badon@quangbinh.gov.vn"
    assert dovecot("lmtp(41623): Disconnect from local: Logged out (state=READY)") == (ev.IGNORED, None)


def test_art12_opening_of_an_agency_mailbox_folder_names_who_opened_it():
    line = exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="OK",
                    cmd_args='"Shared/badon@quangbinh.gov.vn/INBOX"', mailbox="Shared/badon@quangbinh.gov.vn/INBOX")
    status, opened = dovecot(line)
    assert status == ev.EVENT
    assert opened.opener == USER and opened.agency_mail == "badon@quangbinh.gov.vn"
    assert opened.folder == "INBOX" and opened.command == "SELECT"
    assert opened.ts == dt.datetime(2026, 12, 5, 14, 54, 30, 578095, tzinfo=dt.UTC)  # the event's own time


def test_art12_opening_read_from_the_command_arguments_when_the_mailbox_field_is_absent():
    line = exported("imap_command_finished", user=USER, cmd_name="EXAMINE", tagged_reply_state="OK",
                    cmd_args='"Shared/badon@quangbinh.gov.vn/Sent \\"old\\"" (CONDSTORE)')
    status, opened = dovecot(line)
    assert opened.folder == 'Sent "old"' and opened.command == "EXAMINE"


def test_art12_failed_selects_and_own_folders_are_not_openings():
    refused = exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="NO",
                       cmd_args='"Shared/badon@quangbinh.gov.vn/INBOX"')
    own = exported("imap_command_finished", user=USER, cmd_name="SELECT", tagged_reply_state="OK", cmd_args="INBOX")
    assert dovecot(refused) == (ev.IGNORED, None)
    assert dovecot(own) == (ev.IGNORED, None)


def test_submission_login_comes_from_dovecots_auth_event_for_postfix():
    line = exported("auth_request_finished", success="yes", service="smtp", user=USER, remote_ip="172.18.0.1")
    assert dovecot(line) == (ev.EVENT, ev.Login(dt.datetime(2026, 12, 5, 14, 54, 30, 578095, tzinfo=dt.UTC),
                                                USER, "submission", "172.18.0.1"))
    imap = exported("auth_request_finished", success="yes", service="imap", user=USER)
    assert dovecot(imap) == (ev.IGNORED, None)  # IMAP logins are counted from their login line
    # Roundcube sending a webmail user's message logs in to submission from the webmail host
    webmail = exported("auth_request_finished", success="yes", service="smtp", user=USER, remote_ip="172.18.0.2")
    assert dovecot(webmail) == (ev.IGNORED, None)


def test_a_broken_exported_event_is_counted_as_malformed_not_fatal():
    assert dovecot('stats: {"event": "imap_command_finished", "fields": ') == (ev.MALFORMED, None)
    assert dovecot("imap-login: Login: user=<>, method=PLAIN, rip=1.2.3.4, lip=5.6.7.8, mpid=1")[0] == ev.MALFORMED


def test_a_message_sent_is_its_submission_then_the_queue_managers_recipient_count():
    status, submitted = ev.parse_journal(
        TS, "postfix/submission/smtpd",
        f"A6C5D1885FF: client=unknown[172.18.0.1], sasl_method=PLAIN, sasl_username={USER}", OPTS)
    assert submitted == ev.Submitted(TS, "A6C5D1885FF", USER)
    status, queued = ev.parse_journal(
        TS, "postfix/qmgr", f"A6C5D1885FF: from=<{USER}>, size=601, nrcpt=2 (queue active)", OPTS)
    assert queued == ev.Queued(TS, "A6C5D1885FF", 2)
    assert ev.parse_journal(TS, "postfix/qmgr", "A6C5D1885FF: removed", OPTS) == (ev.IGNORED, None)


def test_art13_milter_refusals_are_virus_or_spam_by_the_refusal_text():
    virus = ('4F1: milter-reject: END-OF-MESSAGE from unknown[172.18.0.1]: 5.7.1 Virus found: "Eicar-Signature"; '
             "message refused by the mail system of quangbinh.gov.vn (Art. 13); from=<x@example.org> "
             "to=<daob.badon@quangbinh.gov.vn> proto=ESMTP helo=<client>")
    spam = ("4F2: milter-reject: END-OF-MESSAGE from unknown[172.18.0.1]: 5.7.1 Message rejected as spam; "
            "from=<x@example.org> to=<DAOB.badon@quangbinh.gov.vn> proto=ESMTP helo=<client>")
    assert ev.parse_journal(TS, "postfix/cleanup", virus, OPTS)[1] == ev.Refused(
        TS, "daob.badon@quangbinh.gov.vn", "virus")
    assert ev.parse_journal(TS, "postfix/cleanup", spam, OPTS)[1].kind == "spam"


def test_webmail_login_is_roundcubes_successful_login_line_in_local_time():
    line = (f"[05-Dec-2026 21:54:30 +0700]: <k1d3b7l2> Successful login for {USER} (ID: 3) "
            "from 172.18.0.1 in session k1d3b7l2 (error: 0)")
    status, login = ev.parse_roundcube(line, OPTS)
    assert login == ev.Login(TS, USER, "webmail", "172.18.0.1")
    assert ev.parse_roundcube("[05-Dec-2026 21:54:30 +0700]: something else", OPTS) == (ev.IGNORED, None)
    assert ev.parse_roundcube("garbage Successful login for", OPTS) == (ev.MALFORMED, None)


def test_audit_lines_that_count_are_applied_changes_of_mailboxes():
    create = {"time": "2026-07-01T01:00:00+00:00", "action": "create", "kind": "person", "id": "TT0001",
              "agency": "stttt", "outcome": "applied"}
    status, audited = ev.parse_audit(json.dumps(create))
    assert audited.action == "create" and audited.uid == "TT0001" and audited.source == "roster"
    suspend = {**create, "action": "suspend", "source": "inactivity"}
    assert ev.parse_audit(json.dumps(suspend))[1].source == "inactivity"
    assert ev.parse_audit(json.dumps({**create, "outcome": "failed"})) == (ev.IGNORED, None)
    assert ev.parse_audit(json.dumps({**create, "kind": "run", "action": "inactivity-run"})) == (ev.IGNORED, None)
    assert ev.parse_audit("{not json") == (ev.MALFORMED, None)


def test_text_mail_logs_give_the_same_records_as_the_journal():
    ts, ident, message = ev.parse_syslog_line(
        "Dec  5 21:54:30 mail postfix/qmgr[37210]: A6C5D1885FF: from=<a@b>, size=601, nrcpt=2 (queue active)\n",
        2026)
    assert ts == TS and ident == "postfix/qmgr" and message.endswith("(queue active)")
    ts, ident, _ = ev.parse_syslog_line("2026-12-05T21:54:30.123+07:00 mail dovecot: imap-login: Login: x", 2026)
    assert ident == "dovecot" and ts.utcoffset() == dt.timedelta(hours=7)
    assert ev.parse_syslog_line("not a log line", 2026) is None
