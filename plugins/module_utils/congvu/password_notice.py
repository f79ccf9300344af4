"""The notice to a person whose password clock a switch of profile restarted (docs/profiles.md).

A regulation that brings in a maximum password age (or shortens it) would expire at once every password
older than it; the role `directory` gives those passwords a notice period instead, and each person
concerned gets this message: the regulation now in force, its rules (Art. 8 as it writes them), and the
last day the current password works. The words come from the catalogs (docs/translations.md), Vietnamese
by default. Plain Python, no I/O: the role writes the message into its spool and hands it to sendmail.
"""

from __future__ import annotations

import datetime as dt
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from .messages import N_, tr

SUBJECT = N_("The password of %(address)s must be changed by %(expiry_date)s")
BODY = N_("""Dear %(name)s,

From %(switch_date)s the official mail system %(domain)s follows %(profile)s. Under it a password is \
changed at least every %(max_age_days)s days and has at least %(min_length)s characters, of at least \
%(classes)s of the four kinds (lowercase, uppercase, digits, special characters).

The current password of %(address)s works until the end of %(expiry_date)s. Change it before then (in the \
webmail: Settings > Password). After that day it has expired, and only a reset that your agency asks for \
opens the mailbox again (Art. 6).

This is an automatic message of the official mail system %(domain)s; please do not reply to it.
""")
SENDER_NAME = N_("Official mail system %(domain)s")
# Headers are not folded below RFC 5322's 998: a folded plain-ASCII subject reads back with a leading space
# in some clients. The body is quoted-printable, its lines short.
POLICY = email_policy.default.clone(max_line_length=998)


def switch_notice(address: str, name: str, expiry: dt.date, switched: dt.datetime, profile: str, rules: dict,
                  domain: str, sender: str, language: str = "vi") -> EmailMessage:
    """The message to `address`, whose password now expires at the end of `expiry`; `switched`: when the
    switch restarted the clock (the message's date).

    `rules`: the profile's `passwords.user` (min_length, classes, max_age_days)."""
    values = {"address": address, "name": name or address, "expiry_date": expiry.isoformat(),
              "switch_date": switched.date().isoformat(), "domain": domain, "profile": profile,
              "max_age_days": rules["max_age_days"], "min_length": rules["min_length"],
              "classes": rules["classes"]}
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((tr(SENDER_NAME, language, domain=domain), sender))
    msg["To"] = formataddr((name, address)) if name else address
    msg["Subject"] = tr(SUBJECT, language, **values)
    msg["Date"] = format_datetime(switched)
    msg["Message-ID"] = make_msgid("password-switch", domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    msg["X-Congvu-Notice"] = "password-switch"
    msg.set_content(tr(BODY, language, **values), charset="utf-8", cte="quoted-printable")
    return msg
