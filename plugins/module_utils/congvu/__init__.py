"""The policy core of congvu-mail: plain Python, no Ansible import (see docs/architecture.md).

naming.py   Article 5: normalise, transliterate, base, collisions
roster.py   load the roster files, validate them, locate every problem
settings.py province-wide settings, Article 9 quota units
state.py    the current mailboxes (from the directory or a JSON export)
plan.py     roster + state -> Plan: lifecycle, stickiness, the guard, plan.json / plan.md
"""
