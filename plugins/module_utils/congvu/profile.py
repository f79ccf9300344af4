"""The regulation as a profile: every number and rule the roles and the planner take from it.

A province's regulation (Quảng Bình's QĐ 41/2015 by default, Ninh Bình's QĐ 162/2025, ...) is one YAML
file under profiles/ (docs/profiles.md). This module checks such a file and answers two questions:
what a rule is (`value`), and what switching from one profile to another changes, and when the change
reaches people (`changes`), so that a switch is reviewed like a plan and never locks anybody out at once.

Pure: the caller reads the file (the lookup plugin `congvu_profile`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .messages import N_

PROFILE_FORMAT = 1
_QUOTA = re.compile(r"^\d+(\.\d+)?[KMGT]$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _positive(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _classes(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _boolean(value) -> bool:
    return isinstance(value, bool)


def _quota(value) -> bool:
    return isinstance(value, str) and bool(_QUOTA.match(value))


def _forwarding(value) -> bool:
    return value in ("allowed", "forbidden")


def _periods(value) -> bool:
    if not isinstance(value, list) or not value:
        return False
    for period in value:
        if not isinstance(period, dict) or set(period) != {"key", "label", "start", "end"}:
            return False
        if not (_text(period["key"]) and _text(period["label"])
                and all(isinstance(period[k], str) and _TIME.match(period[k]) for k in ("start", "end"))
                and period["start"] < period["end"]):
            return False
    return len({p["key"] for p in value}) == len(value)


# Every rule: its dotted key, the check of its value, what the value must be, and when a change of it
# reaches people (the words of the switch plan).
RULES = {
    "passwords.user.min_length": (_positive, "a whole number of characters", "next_change"),
    "passwords.user.classes": (_classes, "1 to 4", "next_change"),
    "passwords.user.max_age_days": (_non_negative, "days, 0 for never", "clock_restarts"),
    "passwords.admin.min_length": (_positive, "a whole number of characters", "next_change"),
    "passwords.admin.classes": (_classes, "1 to 4", "next_change"),
    "passwords.admin.max_age_days": (_non_negative, "days, 0 for never", "clock_restarts"),
    "passwords.admin.unique_across_admins": (_boolean, "true or false", "next_change"),
    "lockout.max_failures": (_positive, "a whole number", "at_once"),
    "lockout.failure_window_minutes": (_positive, "minutes", "at_once"),
    "lockout.lock_minutes": (_non_negative, "minutes, 0 until an administrator resets", "at_once"),
    "mailbox.quota": (_quota, "a number and a unit, e.g. 2G", "next_plan"),
    "mailbox.attachment_mb": (_positive, "megabytes", "at_once"),
    "inactivity.suspend_after_days": (_positive, "days", "next_job"),
    "art12.periods": (_periods, "a list of {key, label, start, end} with HH:MM times, start before end",
                      "next_report"),
    "report.period_months": (_positive, "months", "next_report"),
    "forwarding.external": (_forwarding, "allowed or forbidden", "at_once"),
    "addresses.sub_units": (_boolean, "true or false", "next_plan"),
}
HEADER = ("format", "id", "name", "title")


class ProfileInvalid(ValueError):
    """The profile file cannot be used: every problem, each naming the file and the key."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def value(profile: dict, key: str):
    """The value of a dotted key (`passwords.user.min_length`)."""
    node = profile
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def _leaves(node, prefix=""):
    if isinstance(node, dict):
        for name, child in node.items():
            yield from _leaves(child, f"{prefix}.{name}" if prefix else str(name))
    else:
        yield prefix, node


def check(profile, source: str, expected_id: str | None = None) -> dict:
    """The profile if every rule is there with a valid value and nothing else is; ProfileInvalid otherwise."""
    if not isinstance(profile, dict):
        raise ProfileInvalid(source, ["not a profile: the file must be a mapping of rules"])
    problems = []
    if profile.get("format") != PROFILE_FORMAT:
        problems.append(f"format: {profile.get('format')!r} is not {PROFILE_FORMAT}")
    for key in HEADER[1:]:
        if not _text(profile.get(key)):
            problems.append(f"{key}: missing (a text)")
    if expected_id and profile.get("id") != expected_id:
        problems.append(f"id: {profile.get('id')!r} differs from the file's name {expected_id!r}")
    for key, (valid, what, _when) in RULES.items():
        try:
            found = value(profile, key)
        except KeyError:
            problems.append(f"{key}: missing ({what})")
            continue
        if not valid(found):
            problems.append(f"{key}: {found!r} is not {what}")
    known = set(RULES) | set(HEADER)
    for key, _found in _leaves({k: v for k, v in profile.items() if k not in HEADER}):
        if key not in known and not any(key.startswith(rule + ".") for rule in RULES):
            problems.append(f"{key}: not a rule of a profile (a typing error?)")
    if problems:
        raise ProfileInvalid(source, problems)
    return profile


@dataclass(frozen=True)
class Change:
    """One rule that a switch of profile changes, and when the change reaches people."""

    key: str
    old: object
    new: object
    when: str  # next_change | clock_restarts | at_once | next_plan | next_job | next_report

    @property
    def stricter(self) -> bool:
        """True when the new value asks more of people (the users concerned get a notice)."""
        if self.key.endswith(("min_length", "classes")):
            return self.new > self.old
        if self.key.endswith("max_age_days"):
            return self.new != 0 and (self.old == 0 or self.new < self.old)
        if self.key == "lockout.max_failures" or self.key == "mailbox.attachment_mb":
            return self.new < self.old
        if self.key == "forwarding.external":
            return self.new == "forbidden"
        if self.key == "passwords.admin.unique_across_admins":
            return bool(self.new) and not self.old
        return False


def changes(old: dict, new: dict) -> list[Change]:
    """Every rule whose value differs between two checked profiles, in the order of RULES."""
    return [Change(key, value(old, key), value(new, key), when)
            for key, (_valid, _what, when) in RULES.items() if value(old, key) != value(new, key)]


# What a switch asks of the directory to count, per rule: the LDAP filter of the mailboxes concerned,
# given the cut-off time it needs (generalized time), or None when the rule concerns every account.
# The planner's adapter runs them; the core only says which.
def concerned_filter(change: Change, now_epoch: int, notice_days: int) -> tuple[str, int | None] | None:
    """(filter template, cut-off epoch) of the personal mailboxes a change concerns; None: all of them."""
    if change.key == "passwords.user.max_age_days" and change.stricter:
        # the passwords whose clock the switch restarts (docs/profiles.md): older than new age - notice
        return ("(&(objectClass=congvuMailbox)(userPassword=*)(pwdChangedTime<={cutoff}))",
                now_epoch - change.new * 86400 + notice_days * 86400)
    if change.key == "inactivity.suspend_after_days" and change.new < change.old:
        # the active mailboxes the next run of the inactivity job would suspend (Art. 7.2)
        return ("(&(objectClass=congvuMailbox)(congvuState=active)(!(pwdLastSuccess>={cutoff}))"
                "(!(pwdChangedTime>={cutoff}))(!(createTimestamp>={cutoff})))",
                now_epoch - change.new * 86400)
    if change.key == "mailbox.quota":
        return "(&(objectClass=congvuMailbox)(!(congvuQuota=*)))", None
    return None


# When a change reaches people, in the words of the switch plan (msgids of the roster catalogs).
WHEN_TEXT = {
    "next_change": N_("at each person's next change of password: the passwords in use stay valid"),
    "clock_restarts": N_("passwords older than the new age get %(notice)s days from the switch, then expire"),
    "at_once": N_("at once, for every account"),
    "next_plan": N_("at the next roster plan"),
    "next_job": N_("at the next run of the inactivity job"),
    "next_report": N_("from the next report"),
}
