"""The directory adapter: read the state from slapd and apply a Plan (python-ldap), the audit log, the
initial passwords' files.

The policy core says what the entries mean and what to write (congvu/directory.py); this file talks to
slapd and to the disk. Every write is one LDAP operation on one entry, and each operation leaves the
entry in its planned final form; an apply interrupted at any point is finished by the next run, which
re-reads the state and plans only what is left (no duplicate: the DN is the staff id; no lost entry:
nothing is ever deleted).

Imported by the modules (as part of the collection) and by the host scripts (beside the core on their
sys.path), hence the two ways of reaching the core below.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import gc
import json
import os
from collections.abc import Callable, Iterable

if __package__:  # the collection's module_utils (a module run)
    from .congvu import directory as core
    from .congvu import passwords
    from .congvu.plan import Item, Plan
    from .congvu.state import State
else:  # a host script or a test: the core on sys.path as the package congvu
    from congvu import directory as core
    from congvu import passwords
    from congvu.plan import Item, Plan
    from congvu.state import State

try:
    import ldap
    from ldap import LDAPError
except ImportError:  # pragma: no cover - reported by the module as a missing requirement
    ldap = None

    class LDAPError(Exception):
        """Stands in for python-ldap's, so that this adapter imports where python-ldap is absent."""


# --- reading -----------------------------------------------------------------------------------

def paged(conn, base: str, search_filter: str, attributes: list[str], page_size: int) -> Iterable[dict]:
    """Every entry one level under `base` matching the filter, read in pages (RFC 2696) so that
    100,000 entries never meet the server's size limit. `conn` is a bound python-ldap connection
    (congvu_ldap.connect_python_ldap); values come as bytes, which the core's mapping decodes."""
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


def read_state(conn, tree: core.Tree, page_size: int = 1000) -> State:
    """The mailboxes as the directory has them, for the planner (python-ldap: 100k entries in ~2-4 s,
    where ldap3 took 16-20 s; docs/benchmarks.md)."""
    return core.state_from_entries(
        paged(conn, tree.people, "(objectClass=congvuMailbox)", core.PERSON_ATTRS, page_size),
        paged(conn, tree.agencies, "(objectClass=congvuAgencyMailbox)", core.AGENCY_ATTRS, page_size),
        tree)


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
                raise core.DirectoryError("no folder for initial passwords was given (initial_passwords_dir)")
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


def initial_password_hash(password: str) -> str:
    """The core's `{SSHA512}` of `password` with a fresh 16-byte salt from the system's random source."""
    return core.initial_password_hash(password, os.urandom(16))


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

    def __init__(self, conn, tree: core.Tree, audit: AuditLog, secrets: SecretSink,
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
            raise core.DirectoryError("the plan is blocked (invalid roster or guard); nothing was written")
        for kind in ("person", "agency"):
            self._apply_all([i for i in plan.items if i.kind == kind and i.action != "keep"])
        return self.done

    def _apply_all(self, items: list[Item]) -> None:
        pending: collections.deque = collections.deque()  # (msgid, item), oldest first
        failure: core.DirectoryError | None = None
        for item in items:
            try:
                msgid = self._send(item)
            except core.DirectoryError as exc:
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

    def _settle(self, msgid: int, item: Item) -> core.DirectoryError | None:
        try:
            self.conn.result3(msgid, all=1, timeout=self.timeout)
        except LDAPError as exc:
            return self._failed(item, exc)
        self._applied(item)
        return None

    def _applied(self, item: Item) -> None:
        self.audit.record(item)
        self.done.append(item)

    def _failed(self, item: Item, exc: Exception) -> core.DirectoryError:
        # After a lost connection the outcome of an operation in flight is unknown; the next run's
        # read of the directory settles it.
        self.audit.record(item, "failed", core.describe(exc))
        return core.DirectoryError(f"{item.action} of {item.kind} {item.id} ({item.address}) failed: "
                                   f"{core.describe(exc)}; entries before it were applied, run again to finish")

    def _send(self, item: Item) -> int | None:
        write = core.item_write(item, self.tree, self.audit.revision)
        if write is None:
            return None
        what, dn, data = write
        if what == "create":
            return self._create_person(dn, item, data)
        if what == "add":
            return self.conn.add_ext(dn, data)
        return self.conn.modify_ext(dn, data)

    def _create_person(self, dn: str, item: Item, after: dict[str, list[str]]) -> int:
        password = self.make_password()
        problems = core.initial_password_problems(password)
        if problems:
            raise core.DirectoryError(f"refusing the generated initial password for {item.id}: {'; '.join(problems)}")
        add = core.person_with_password(item, after, initial_password_hash(password))
        # On disk before the add is sent: a crash after the add must not lose the only copy.
        self.secrets.store(item.agency, item.address, password,
                           dt.datetime.now(dt.UTC).date().isoformat())
        return self.conn.add_ext(dn, add)
