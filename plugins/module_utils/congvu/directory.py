"""The live side of the reconcile, without Ansible: read the state from slapd and apply a Plan (python-ldap).

The tree and the schema are in docs/directory.md. Every write is one LDAP operation on one entry, and
each operation leaves the entry in its planned final form; an apply interrupted at any point is
finished by the next run, which re-reads the state and plans only what is left (no duplicate: the DN is
the staff id; no lost entry: nothing is ever deleted).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterable

from . import inactivity, passwords
from .plan import Item, Plan
from .settings import base_dn_of as base_dn
from .state import AgencyBox, Alias, Mailbox, State

try:
    import ldap
    from ldap import LDAPError
except ImportError:  # pragma: no cover - reported by the module as a missing requirement
    ldap = None

    class LDAPError(Exception):
        """Stands in for python-ldap's, so that the policy core imports where python-ldap is absent."""

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


# --- reading -----------------------------------------------------------------------------------

def _paged(conn, base: str, search_filter: str, attributes: list[str], page_size: int) -> Iterable[dict]:
    """Every entry one level under `base` matching the filter, read in pages (RFC 2696) so that
    100,000 entries never meet the server's size limit. `conn` is a bound python-ldap connection
    (congvu_ldap.connect_python_ldap); values come as bytes, which mailbox_from_entry decodes."""
    from ldap.controls import SimplePagedResultsControl

    control = SimplePagedResultsControl(True, size=page_size, cookie=b"")
    while True:
        msgid = conn.search_ext(base, ldap.SCOPE_ONELEVEL, search_filter, attributes, serverctrls=[control])
        _, data, _, controls = conn.result3(msgid)
        for dn, entry in data:
            if dn is not None:  # search references carry no DN
                yield entry
        control.cookie = next((c.cookie for c in controls if c.controlType == control.controlType), b"")
        if not control.cookie:
            return


def read_state(conn, tree: Tree, page_size: int = 1000) -> State:
    """The mailboxes as the directory has them, for the planner (python-ldap: 100k entries in ~2-4 s,
    where ldap3 took 16-20 s; docs/benchmarks.md)."""
    state = State()
    for entry in _paged(conn, tree.people, "(objectClass=congvuMailbox)", PERSON_ATTRS, page_size):
        box = mailbox_from_entry(entry)
        state.mailboxes[box.id] = box
    for entry in _paged(conn, tree.agencies, "(objectClass=congvuAgencyMailbox)", AGENCY_ATTRS, page_size):
        agency = agency_from_entry(entry, tree)
        state.agencies[agency.code] = agency
    return state


@contextlib.contextmanager
def paused_gc():
    """No cyclic garbage collection while loading, reading and planning (100k: 23 s -> 4-5 s with the
    python-ldap read, docs/benchmarks.md): those steps build ~10^6 long-lived objects and almost no
    cycles, and each generation-2 pass would walk all of them again. On the way out the survivors are
    frozen (gc.freeze: later collections, during the apply, skip them, and they are never freed: meant
    for a short-lived process such as a module run) and collection resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


# --- writing -----------------------------------------------------------------------------------

class AuditLog:
    """Append-only JSON lines: one line per applied change, with the roster revision (POLICY.md)."""

    def __init__(self, path: str | None, revision: str, actor: str):
        self.path = path
        self.revision = revision
        self.actor = actor

    def record(self, item: Item, outcome: str = "applied", detail: str = "") -> None:
        fields = {"kind": item.kind, "id": item.id, "agency": item.agency, "address": item.address,
                  "action": item.action, "changes": item.changes, "outcome": outcome}
        if detail:
            fields["detail"] = detail
        self.write(fields)

    def write(self, fields: dict) -> None:
        """One line: time, revision and actor, then the event's own fields."""
        if not self.path:
            return
        line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "revision": self.revision,
                "actor": self.actor, **fields}
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


class SecretSink:
    """Initial passwords, written before the entry that uses them exists (so a crash between the two
    loses nothing): one CSV file per agency, mode 0600 in a 0700 folder, for delivery to the agency."""

    def __init__(self, folder: str | None):
        self.folder = folder
        self.written: dict[str, int] = {}
        self._files: dict[str, int] = {}  # agency -> open descriptor: one open per agency and run

    def _file(self, agency: str) -> int:
        if agency not in self._files:
            if not self.folder:
                raise DirectoryError("no folder for initial passwords was given (initial_passwords_dir)")
            if not self._files:
                os.makedirs(self.folder, mode=0o700, exist_ok=True)
                os.chmod(self.folder, 0o700)
            path = os.path.join(self.folder, f"{agency}.csv")
            new = not os.path.exists(path)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if new:
                os.write(fd, b"address,initial_password,created\n")
            self._files[agency] = fd
        return self._files[agency]

    def store(self, agency: str, address: str, password: str, when: str) -> None:
        fd = self._file(agency)
        os.write(fd, f"{address},{password},{when}\n".encode())
        os.fsync(fd)  # on disk before the entry exists, each time: a crash may follow the add
        self.written[agency] = self.written.get(agency, 0) + 1

    def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()


def _changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[tuple]:
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


def _lock_change(before_state: str | None, after_state: str) -> list[tuple]:
    values = lock_values(before_state, after_state)
    return [] if values is None else [(MOD_REPLACE, "pwdAccountLockedTime", [v.encode() for v in values] or None)]


def _add_list(classes: list[str], attrs: dict[str, list[str]]) -> list[tuple]:
    return [("objectClass", [c.encode() for c in classes])] + [
        (name, [v.encode() for v in values]) for name, values in attrs.items() if values]


def describe(exc: Exception) -> str:
    """python-ldap puts the result in a dict (desc, info); say it in one line."""
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else None
    if detail is None:
        return str(exc)
    return " ".join(str(detail[k]) for k in ("desc", "info") if detail.get(k))


class Applier:
    """Apply a plan's items to the directory: one LDAP operation per entry, several in flight.

    `conn` is a bound python-ldap connection (congvu_ldap.connect_python_ldap). Up to `window`
    operations are sent before the oldest answer is read, so slapd works on one entry while this
    process builds the next; one at a time, each side sat idle while the other worked, 10,003 times
    for a 10k create (x1.48 with 8 in flight, docs/benchmarks.md, run 6). People's operations are independent of each
    other (the DN is the staff id, and no person entry refers to another), so their order among
    themselves does not matter to slapd. Agency mailboxes are sent only when every person operation
    has been answered: congvuHead and congvuDelegate point at person entries.

    Answers are read in plan order, and each gets its audit line. After a failure nothing new is sent,
    but the answers of what was already sent are still read and audited, so the log says exactly what
    was applied; the next run re-reads the directory and finishes the rest.
    """

    def __init__(self, conn, tree: Tree, audit: AuditLog, secrets: SecretSink,
                 make_password: Callable[[], str] = passwords.generate, window: int = 8,
                 timeout: int = 120):
        self.conn = conn
        self.tree = tree
        self.audit = audit
        self.secrets = secrets
        self.make_password = make_password
        self.window = max(1, window)
        self.timeout = timeout
        self.done: list[Item] = []

    def apply(self, plan: Plan) -> list[Item]:
        if plan.blocked:
            raise DirectoryError("the plan is blocked (invalid roster or guard); nothing was written")
        for kind in ("person", "agency"):
            self._apply_all([i for i in plan.items if i.kind == kind and i.action != "keep"])
        return self.done

    def _apply_all(self, items: list[Item]) -> None:
        pending: collections.deque = collections.deque()  # (msgid, item), oldest first
        failure: DirectoryError | None = None
        for item in items:
            try:
                msgid = self._send(item)
            except DirectoryError as exc:
                failure = exc
                break
            except LDAPError as exc:
                failure = self._failed(item, exc)
                break
            if msgid is None:  # nothing differs after all: audit it like an applied change
                self._applied(item)
                continue
            pending.append((msgid, item))
            if len(pending) >= self.window:
                failure = self._settle(*pending.popleft())
                if failure:
                    break
        while pending:
            failure = self._settle(*pending.popleft()) or failure
        if failure:
            raise failure

    def _settle(self, msgid: int, item: Item) -> DirectoryError | None:
        try:
            self.conn.result3(msgid, all=1, timeout=self.timeout)
        except LDAPError as exc:
            return self._failed(item, exc)
        self._applied(item)
        return None

    def _applied(self, item: Item) -> None:
        self.audit.record(item)
        self.done.append(item)

    def _failed(self, item: Item, exc: Exception) -> DirectoryError:
        # After a lost connection the outcome of an operation in flight is unknown; the next run's
        # read of the directory settles it.
        self.audit.record(item, "failed", describe(exc))
        return DirectoryError(f"{item.action} of {item.kind} {item.id} ({item.address}) failed: "
                              f"{describe(exc)}; entries before it were applied, run again to finish")

    def _send(self, item: Item) -> int | None:
        revision = self.audit.revision
        if item.kind == "person":
            dn = self.tree.person(item.id)
            after = person_attributes(Mailbox.from_dict(item.after), revision)
            if item.before is None:
                return self._create_person(dn, item, after)
            before = person_attributes(Mailbox.from_dict(item.before))
            changes = _changes(before, after) + _lock_change(item.before["state"], item.after["state"])
        else:
            dn = self.tree.agency(item.id)
            after = agency_attributes(AgencyBox.from_dict(item.after), self.tree, revision)
            if item.before is None:
                return self.conn.add_ext(dn, _add_list(AGENCY_CLASSES, after))
            changes = _changes(agency_attributes(AgencyBox.from_dict(item.before), self.tree), after)
        return self.conn.modify_ext(dn, changes) if changes else None

    def _create_person(self, dn: str, item: Item, after: dict[str, list[str]]) -> int:
        attrs = dict(after)
        password = self.make_password()
        # slapd takes a pre-hashed value on trust (cn=reconcile is a password administrator for new
        # entries only): the Art. 8 check, and the length that makes a fast hash safe, happen here.
        problems = passwords.problems(password)
        if len(password) < passwords.INITIAL_LENGTH:
            problems.append(f"an initial password needs at least {passwords.INITIAL_LENGTH} characters")
        if problems:
            raise DirectoryError(f"refusing the generated initial password for {item.id}: {'; '.join(problems)}")
        attrs["userPassword"] = [initial_password_hash(password)]
        # Art. 4.3: the owner must change this password at the first login (pwdReset).
        attrs["pwdReset"] = ["TRUE"]
        if item.after["state"] != "active":
            attrs["pwdAccountLockedTime"] = [LOCKED_FOREVER]
        # On disk before the add is sent: a crash after the add must not lose the only copy.
        self.secrets.store(item.agency, item.address, password,
                           dt.datetime.now(dt.UTC).date().isoformat())
        return self.conn.add_ext(dn, _add_list(PERSON_CLASSES, attrs))


def initial_password_hash(password: str) -> str:
    """`{SSHA512}` (slapd's pw-sha2 module): SHA-512 of the password and a 16-byte random salt.

    Only for the random one-time initial passwords (>= 16 characters from 66, about 95 bits): a
    memory-hard hash protects guessable human passwords, and no amount of hashing speed makes 2^95
    guesses feasible, while slapd's {ARGON2} cost 16-30 ms per new mailbox (docs/directory.md,
    "Initial passwords"). The owner's own password, set at the first login, is stored with {ARGON2}.
    """
    salt = os.urandom(16)
    digest = hashlib.sha512(password.encode("utf-8") + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode("ascii")
