"""The policy core of congvu-mail: plain Python, no Ansible import, no I/O, the standard library alone
(docs/architecture.md, "Layers"; tests/unit/test_core_purity.py). The adapters beside it read and write.

naming.py   Article 5: normalise, transliterate, base, collisions
roster.py   validate the roster files (bytes and YAML nodes), locate every problem
settings.py province-wide settings, Article 9 quota units
state.py    the current mailboxes (from the directory or a JSON export)
directory.py      the directory's DNs and entries <-> records, the LDAP operations of a plan item
plan.py     roster + state -> Plan: lifecycle, stickiness, the guard, plan.json / plan.md
usage_events.py   the reports: a log line of the mail services -> a usage event
workdays.py       working days (Vietnamese public holidays, the operator's day swaps)
art12.py          Article 12: the four checking periods and the compliance of agency mailboxes
usage_report.py   Articles 12, 14.6, 16.9: summary.json -> report.json
published_directory.py  Articles 11.1, 14.4: the published directory (HTML, CSV, vCard)
"""
