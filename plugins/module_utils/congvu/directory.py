"""The directory's records, without a server: DNs, planner records <-> LDAP attributes, the writes of a plan.

The tree and the schema are in docs/directory.md. Everything here is data in, data out: the entries
come as dicts of values (bytes or str, as python-ldap and ldap3 give them), and the writes go out as
python-ldap's modification lists. Reading slapd and sending the writes is the adapter's
(plugins/module_utils/congvu_directory.py: read_state, Applier, the audit log and the initial
passwords' files), so that this mapping is unit-tested without python-ldap and imports with the
standard library alone.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from . import inactivity, passwords
from .plan import Item
from .settings import base_dn_of as base_dn
from .state import AgencyBox, Alias, Mailbox, State

# RFC 4511's "replace" modification (ldap.MOD_REPLACE): an empty value list deletes the attribute.
MOD_REPLACE = 2

# slapd's "locked by an administrator" value (slapo-ppolicy): only an administrator unlocks it.
LOCKED_FOREVER = "000001010000Z"
PERSON_CLASSES = ["top", "inetOrgPerson", "congvuMailbox"]
AGENCY_CLASSES = ["top", "congvuAgencyMailbox"]
PERSON_ATTRS = ["uid", "cn", "sn", "givenName", "displayName", "mail", "title", "departmentNumber",
                "congvuState", "congvuLeader", "congvuQuota", "congvuQuotaDecision", "congvuGivenName",
                "congvuAlias", "congvuAliasExpiry", "congvuAddressHistory", "congvuRevision", "congvuDelegateOf",
                inactivity.MARKER_ATTRIBUTE]
AGENCY_ATTRS = ["cn", "mail", "description", "congvuKind", "congvuHead", "congvuDelegate", "congvuState",
                "congvuRevision", "congvuAlias", "congvuAliasExpiry", "congvuAddressHistory"]


class DirectoryError(Exception):
    """An LDAP failure, with the entry and the operation it happened on."""


class Tree:
    """The DNs of docs/directory.md: under `base`, or under the base derived from the domain. After a
    change of domain the directory stays where it is (Settings.base_dn)."""

    def __init__(self, domain: str, base: str = ""):
        self.base = base or base_dn(domain)
        self.people = f"ou=people,{self.base}"
        self.agencies = f"ou=agencies,{self.base}"
        self.admins = f"ou=admins,{self.base}"

    def person(self, pid: str) -> str:
        return f"uid={_escape_rdn(pid)},{self.people}"

    def agency(self, code: str) -> str:
        return f"cn={code},{self.agencies}"

    def pid_of(self, dn: str | None) -> str | None:
        if not dn:
            return None
        rdn = dn.split(",", 1)[0]
        return rdn.partition("=")[2].replace("\\", "") if rdn.lower().startswith("uid=") else None


def _escape_rdn(value: str) -> str:
    # Staff ids are [A-Za-z0-9._-] (roster.STAFF_ID), so nothing needs escaping; refuse anything else.
    if any(c in value for c in ',+"\\<>;=#') or value != value.strip():
        raise ValueError(f"staff id {value!r} cannot be used in a DN")
    return value


# --- records <-> LDAP attributes ----------------------------------------------------------------

def _name_parts(name: str, given_name: str | None) -> tuple[str, str]:
    """(sn, givenName): the surname is the first word; the given name what Art. 5 calls so."""
    words = name.split(" ")
    given = given_name or words[-1]
    return words[0], given


def person_attributes(box: Mailbox, revision: str | None = None) -> dict[str, list[str]]:
    sn, given = _name_parts(box.name, box.given_name)
    attrs = {
        "uid": [box.id], "cn": [box.name], "displayName": [box.name], "sn": [sn], "givenName": [given],
        "mail": [box.address], "title": [box.title] if box.title else [],
        "departmentNumber": [box.agency], "congvuState": [box.state],
        "congvuLeader": ["TRUE" if box.leader else "FALSE"],
        "congvuQuota": [str(box.quota)] if box.quota else [],
        "congvuQuotaDecision": [box.quota_decision] if box.quota_decision else [],
        "congvuGivenName": [box.given_name] if box.given_name else [],
        "congvuAlias": [a.address for a in box.aliases],
        "congvuAliasExpiry": [f"{a.address} {a.expires}" for a in box.aliases if a.expires],
        "congvuAddressHistory": list(box.history),
        "congvuDelegateOf": list(box.delegate_of),
    }
    if revision:
        attrs["congvuRevision"] = [revision]
    return attrs


def agency_attributes(box: AgencyBox, tree: Tree, revision: str | None = None) -> dict[str, list[str]]:
    attrs = {
        "cn": [box.code], "mail": [box.address], "description": [box.name] if box.name else [],
        "congvuKind": [box.kind], "congvuHead": [tree.person(box.head)] if box.head else [],
        "congvuDelegate": [tree.person(d) for d in box.delegates], "congvuState": [box.state],
        "congvuAlias": [a.address for a in box.aliases],
        "congvuAliasExpiry": [f"{a.address} {a.expires}" for a in box.aliases if a.expires],
        "congvuAddressHistory": list(box.history),
    }
    if revision:
        attrs["congvuRevision"] = [revision]
    return attrs


def _values(entry: dict, name: str) -> list[str]:
    value = entry.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value]
    return [value.decode() if isinstance(value, bytes) else str(value)]


def _one(entry: dict, name: str) -> str | None:
    values = _values(entry, name)
    return values[0] if values else None


def mailbox_from_entry(entry: dict) -> Mailbox:
    expiries = dict(v.split(" ", 1) for v in _values(entry, "congvuAliasExpiry") if " " in v)
    aliases = [Alias(a, expiries.get(a)) for a in _values(entry, "congvuAlias")]
    quota = _one(entry, "congvuQuota")
    return Mailbox(
        id=_one(entry, "uid") or "", agency=_one(entry, "departmentNumber") or "",
        address=_one(entry, "mail") or "", state=_one(entry, "congvuState") or "active",
        name=_one(entry, "cn") or "", given_name=_one(entry, "congvuGivenName"),
        title=_one(entry, "title"), leader=(_one(entry, "congvuLeader") or "").upper() == "TRUE",
        quota=int(quota) if quota else None, quota_decision=_one(entry, "congvuQuotaDecision"),
        aliases=aliases, history=_values(entry, "congvuAddressHistory"),
        delegate_of=sorted(_values(entry, "congvuDelegateOf")),
        held_since=_held_since(_values(entry, inactivity.MARKER_ATTRIBUTE)),
    )


def _held_since(marker: list[str]) -> str | None:
    if not inactivity.held_by_inactivity(marker):
        return None
    suspended, _ = inactivity.parse_marker(marker)
    return suspended.isoformat()


def agency_from_entry(entry: dict, tree: Tree) -> AgencyBox:
    expiries = dict(v.split(" ", 1) for v in _values(entry, "congvuAliasExpiry") if " " in v)
    return AgencyBox(
        code=_one(entry, "cn") or "", address=_one(entry, "mail") or "",
        name=_one(entry, "description") or "", kind=_one(entry, "congvuKind") or "other",
        head=tree.pid_of(_one(entry, "congvuHead")),
        delegates=[tree.pid_of(d) for d in _values(entry, "congvuDelegate")],
        state=_one(entry, "congvuState") or "active",
        aliases=[Alias(a, expiries.get(a)) for a in _values(entry, "congvuAlias")],
        history=_values(entry, "congvuAddressHistory"),
    )


def state_from_entries(people: Iterable[dict], agencies: Iterable[dict], tree: Tree) -> State:
    """The State of the entries read under ou=people and ou=agencies (congvu_directory.read_state)."""
    state = State()
    for entry in people:
        box = mailbox_from_entry(entry)
        state.mailboxes[box.id] = box
    for entry in agencies:
        agency = agency_from_entry(entry, tree)
        state.agencies[agency.code] = agency
    return state


# --- writing -----------------------------------------------------------------------------------

def modifications(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[tuple]:
    return [(MOD_REPLACE, name, [v.encode() for v in values]) for name, values in after.items()
            if sorted(before.get(name, [])) != sorted(values)]


def lock_values(before_state: str | None, after_state: str) -> list[str] | None:
    """The new pwdAccountLockedTime of a state change, or None when it stays: suspended and terminated
    accounts cannot bind at all, by slapd's own lock (Art. 7). [] removes the lock. Shared with the
    inactivity job (roles/inactivity), which writes with ldap3."""
    if after_state in ("suspended", "terminated") and before_state not in ("suspended", "terminated"):
        return [LOCKED_FOREVER]
    if after_state == "active" and before_state in ("suspended", "terminated"):
        return []
    return None


def lock_modification(before_state: str | None, after_state: str) -> list[tuple]:
    values = lock_values(before_state, after_state)
    return [] if values is None else [(MOD_REPLACE, "pwdAccountLockedTime", [v.encode() for v in values] or None)]


def add_list(classes: list[str], attrs: dict[str, list[str]]) -> list[tuple]:
    return [("objectClass", [c.encode() for c in classes])] + [
        (name, [v.encode() for v in values]) for name, values in attrs.items() if values]


def describe(exc: Exception) -> str:
    """python-ldap puts the result in a dict (desc, info); say it in one line."""
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else None
    if detail is None:
        return str(exc)
    return " ".join(str(detail[k]) for k in ("desc", "info") if detail.get(k))


def item_write(item: Item, tree: Tree, revision: str | None) -> tuple[str, str, list | dict] | None:
    """What one plan item sends to slapd: ("add", dn, add list) for a new agency mailbox, ("modify", dn,
    modifications) for a change, ("create", dn, attributes) for a new person (the caller draws the
    initial password and makes the add list: person_with_password), None when nothing differs after all."""
    if item.kind == "person":
        dn = tree.person(item.id)
        after = person_attributes(Mailbox.from_dict(item.after), revision)
        if item.before is None:
            return "create", dn, after
        before = person_attributes(Mailbox.from_dict(item.before))
        changes = modifications(before, after) + lock_modification(item.before["state"], item.after["state"])
    else:
        dn = tree.agency(item.id)
        after = agency_attributes(AgencyBox.from_dict(item.after), tree, revision)
        if item.before is None:
            return "add", dn, add_list(AGENCY_CLASSES, after)
        changes = modifications(agency_attributes(AgencyBox.from_dict(item.before), tree), after)
    return ("modify", dn, changes) if changes else None


def initial_password_problems(password: str) -> list[str]:
    """Why a generated initial password is refused ([] when it is fine). slapd takes a pre-hashed value on
    trust (cn=reconcile is a password administrator for new entries only): the Art. 8 check, and the length
    that makes a fast hash safe, happen here."""
    problems = passwords.problems(password)
    if len(password) < passwords.INITIAL_LENGTH:
        problems.append(f"an initial password needs at least {passwords.INITIAL_LENGTH} characters")
    return problems


def person_with_password(item: Item, after: dict[str, list[str]], password_hash: str) -> list[tuple]:
    """The add list of a new person: its attributes, the initial password's hash, the Art. 4.3 reset flag,
    and slapd's lock when the person starts suspended."""
    attrs = dict(after)
    attrs["userPassword"] = [password_hash]
    # Art. 4.3: the owner must change this password at the first login (pwdReset).
    attrs["pwdReset"] = ["TRUE"]
    if item.after["state"] != "active":
        attrs["pwdAccountLockedTime"] = [LOCKED_FOREVER]
    return add_list(PERSON_CLASSES, attrs)


def initial_password_hash(password: str, salt: bytes) -> str:
    """`{SSHA512}` (slapd's pw-sha2 module): SHA-512 of the password and a 16-byte random salt (the
    adapter draws it: congvu_directory.initial_password_hash).

    Only for the random one-time initial passwords (>= 16 characters from 66, about 95 bits): a
    memory-hard hash protects guessable human passwords, and no amount of hashing speed makes 2^95
    guesses feasible, while slapd's {ARGON2} cost 16-30 ms per new mailbox (docs/directory.md,
    "Initial passwords"). The owner's own password, set at the first login, is stored with {ARGON2}.
    """
    digest = hashlib.sha512(password.encode("utf-8") + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode("ascii")
