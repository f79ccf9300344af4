"""The planner: roster (desired) + state (current) -> Plan. Pure, deterministic, no I/O.

Every change a run makes is an item of the plan, and nothing outside the plan is ever written. The same
roster, state, settings and date give byte-identical plan.json/plan.md, so a pull-request check and
the apply that follows its merge show the same thing.

Lifecycle rules (POLICY.md):
- identity follows the staff id: a spelling fix, a promotion or a transfer changes that mailbox,
  never a delete plus a create (Art. 5, 11);
- addresses are sticky, and an address once used is never given to anybody else (Art. 5);
- transfer or rename keeps the old address as an alias for the grace period (Art. 11.3);
- suspend keeps accepting mail; terminate retires the address and keeps the data (Art. 7);
- the guard stops a run that would suspend or terminate too many mailboxes (POLICY.md, safety).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from . import naming
from .messages import DEFAULT_LANGUAGE, N_, check_language, message, tr, translate_text
from .roster import Problem, Roster, RosterInvalid, entry_text
from .settings import Settings, format_quota
from .state import AgencyBox, Alias, Mailbox, State

PLAN_FORMAT = 1
# Most consequential first: the order of the plan.md sections and the order an item's action is chosen.
ACTIONS = ("create", "transfer", "rename", "terminate", "suspend", "reactivate", "handover", "update", "keep")
GUARDED_ACTIONS = ("suspend", "terminate")


@dataclass
class Item:
    """One mailbox's fate in this run: personal (`kind` person, `id` the staff id) or agency
    (`kind` agency, `id` the agency code)."""

    kind: str
    id: str
    agency: str
    address: str
    action: str
    before: dict | None = None
    after: dict | None = None
    reason: str = ""
    file: str = ""
    line: int = 0
    # A move a reorganisation asks for (docs/reorganisation.md): counted apart from the guard's count
    reorganisation: bool = False
    # The agency whose reorganisation section of plan.md shows this item (its new agency, or the one
    # that replaces it)
    successor: str = ""

    @property
    def changes(self) -> list[str]:
        if self.before is None or self.after is None:
            return []
        return sorted(k for k in self.after if self.before.get(k) != self.after[k])

    def as_dict(self) -> dict:
        data = {"kind": self.kind, "id": self.id, "agency": self.agency, "address": self.address,
                "action": self.action}
        if self.action != "keep":
            data.update(changes=self.changes, before=self.before, after=self.after, reason=self.reason,
                        file=self.file, line=self.line)
            if self.reorganisation:
                data["reorganisation"] = True
                data["successor"] = self.successor
        return data


@dataclass
class Plan:
    settings: Settings
    date: str
    items: list[Item] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    guard_count: int = 0
    guard_limit: int = 0
    override: bool = False
    source: str = ""
    # What the plan was made from (saved_plan.basis): the state's and the roster's fingerprints and the
    # roster's git revision. Set by the caller, which reads them; empty in a plan made in memory.
    basis: dict = field(default_factory=dict)

    @property
    def reorganised(self) -> int:
        """Mailboxes a reorganisation moves, merges or hands over: not counted by the guard."""
        return sum(1 for item in self.items if item.reorganisation)

    def guard_summary(self) -> dict:
        """plan.json's `guard`, without building the rest of plan.json (the modules return it)."""
        return {"count": self.guard_count, "limit": self.guard_limit, "tripped": self.guard_tripped,
                "override": self.override, **({"reorganisation": self.reorganised} if self.reorganised else {})}

    @property
    def guard_tripped(self) -> bool:
        return self.guard_count > self.guard_limit

    @property
    def blocked(self) -> bool:
        """True when this plan must not be applied: invalid input, or the guard without override."""
        return bool(self.errors) or (self.guard_tripped and not self.override)

    @property
    def changed(self) -> bool:
        return any(item.action != "keep" for item in self.items)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for item in self.items:
            counts[item.action] += 1
        return counts

    def as_dict(self) -> dict:
        return {
            "format": PLAN_FORMAT,
            "date": self.date,
            "domain": self.settings.domain,
            "profile": self.settings.profile,
            "roster": self.source,
            "changed": self.changed,
            "summary": self.summary(),
            "guard": self.guard_summary(),
            "blocked": self.blocked,
            "errors": [p.as_dict() for p in self.errors],
            "notices": [p.as_dict() for p in self.notices],
            "mailboxes": [item.as_dict() for item in self.items],
            **({"basis": self.basis} if self.basis else {}),
        }

    def dumps(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def dump(self, handle) -> None:
        """The same bytes as dumps(), streamed: a 100,000-person plan.json without 0.5 GB of text."""
        json.dump(self.as_dict(), handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.write("\n")

    def guard_message(self, language: str = DEFAULT_LANGUAGE) -> str:
        return tr(N_("the guard stops this run: it would suspend or terminate %(count)s mailboxes, more than the "
                     "limit of %(limit)s (POLICY.md: 50 or 5%% of the roster, whichever is smaller). Check the "
                     "roster; if this is intended, run again with the override (-e roster_override_guard=true)."),
                  language, count=self.guard_count, limit=self.guard_limit)

    def new_state(self, state: State) -> State:
        """The state once this plan is applied: what the directory will hold (used offline and in tests)."""
        result = State(dict(state.mailboxes), dict(state.agencies))
        for item in self.items:
            if item.after is None:
                continue
            if item.kind == "person":
                result.mailboxes[item.id] = Mailbox.from_dict(item.after)
            else:
                result.agencies[item.id] = AgencyBox.from_dict(item.after)
        return result


def invalid_plan(exc: RosterInvalid, state: State, settings: Settings, today: dt.date, source: str = "",
                 override: bool = False) -> Plan:
    """The plan of a roster that failed to load: its errors and notices only (every error in one round,
    also those that need the state). congvu_planner_files.plan_roster_path loads the folder and plans."""
    plan = Plan(settings, today.isoformat(), source=source, override=override)
    plan.errors = [p for p in exc.problems if p.severity == "error"]
    if exc.roster is not None:
        plan.errors += _pins_taken(exc.roster, state.address_owners(), state)
        plan.errors.sort(key=lambda p: (p.file, p.line))
    plan.notices = [p for p in exc.problems if p.severity == "warning"]
    return plan


def make_plan(roster: Roster, state: State, today: dt.date, override: bool = False) -> Plan:
    settings = roster.settings
    plan = Plan(settings, today.isoformat(), notices=list(roster.warnings), override=override,
                source=roster.source)
    owners = state.address_owners()
    plan.errors = _pins_taken(roster, owners, state) + _foreign_domains(state, settings)
    if plan.errors:
        return plan

    taken = set(owners)
    # A change of domain (docs/reorganisation.md): a local part once used in a former domain is not given
    # to anybody else in the new one either (Art. 5).
    taken.update(_in_domain(a, settings) for a in owners)
    taken.update(p.address for p in roster.persons if p.address)
    # an address another system gave (former_addresses, docs/import.md) is never an Art. 5 address either
    taken.update(_in_domain(a, settings) for p in roster.persons for a in p.former_addresses)
    # A sub-unit's mailbox `<unit>.<parent>@` has the shape of a personal address of its parent agency
    taken.update(f"{agency.code}@{settings.domain}" for agency in roster.agencies)
    targets = _addresses(roster, state, taken, plan, owners)
    alias_until = (today + dt.timedelta(days=settings.transfer_alias_days)).isoformat()
    # Art. 5, 11.3 in a reorganisation: an address it retires delivers until the operator's date
    former_until = settings.former_addresses_until or _former_until(today)
    replaced_by = {code: agency for agency in roster.agencies for code in agency.replaces}
    plan.errors = _retired_codes(roster, state, replaced_by, owners)
    if plan.errors:
        return plan
    opens = _agency_mailboxes_opened(roster, state, replaced_by)
    in_roster = set()
    for person in roster.persons:
        in_roster.add(person.id)
        box = state.mailboxes.get(person.id)
        moved_out = box is not None and box.agency != person.agency and box.agency in replaced_by
        new_domain = box is not None and _domain_of(box.address) in settings.former_domains
        item = _person_item(person, box, targets.get(person.id), today.isoformat(),
                            former_until if moved_out or new_domain else alias_until, opens.get(person.id, []),
                            former_until)
        if item is not None and moved_out and item.action == "transfer":
            item.reorganisation, item.successor = True, person.agency
            item.reason = N_("reorganisation: agency '%(old)s' is replaced by '%(new)s'") % {
                "old": box.agency, "new": replaced_by[box.agency].code}
        elif item is not None and new_domain and item.action == "rename" and box.state != "terminated":
            item.reorganisation, item.successor = True, person.agency
            item.reason = _DOMAIN_CHANGE % {"old": _domain_of(box.address), "new": settings.domain}
        if item is not None:
            plan.items.append(item)
            if _held_against_roster(box, person):
                plan.notices.append(Problem(
                    person.file, person.line, "%(address)s stays suspended: the inactivity job suspended it on "
                    "%(held_date)s (no login for the threshold, Art. 7.2) and `active` in the roster does not lift "
                    "that. To reactivate at the agency's request, on the directory host: congvu-inactivity "
                    "reactivate %(id)s --requested-by '...'", f"staff id {person.id}", "state", "notice",
                    {"address": box.address, "held_date": box.held_since, "id": person.id}))
    for pid in sorted(set(state.mailboxes) - in_roster):
        box = state.mailboxes[pid]
        if box.state == "terminated":
            plan.items.append(Item("person", pid, box.agency, box.address, "keep"))
        else:
            plan.items.append(_terminated(box, N_("not in the roster any more (Art. 7.1)"), "", 0))

    roster_codes = set()
    for agency in roster.agencies:
        roster_codes.add(agency.code)
        merged = [state.agencies[code].address for code, mode in agency.replaces.items()
                  if mode == "alias" and code in state.agencies and state.agencies[code].state != "terminated"]
        plan.items.append(_agency_item(agency, state.agencies.get(agency.code), settings, today.isoformat(),
                                       merged, former_until))
        for code in sorted(agency.replaces):
            if code not in state.agencies:
                plan.notices.append(Problem(
                    agency.file, agency.replaces_lines.get(code, agency.line), "'%(code)s' has no agency mailbox in "
                    "the directory: there is nothing of it to hand over", "agency", "replaces", "notice",
                    {"code": code}))
    for code in sorted(set(state.agencies) - roster_codes):
        box = state.agencies[code]
        if box.state == "terminated":
            plan.items.append(Item("agency", code, code, box.address, "keep"))
        elif code in replaced_by:
            plan.items.append(_replaced_item(box, replaced_by[code], former_until, settings))
        else:
            after = AgencyBox.from_dict(box.as_dict())
            after.state = "terminated"
            plan.items.append(Item("agency", code, code, box.address, "terminate", box.as_dict(),
                                   after.as_dict(), N_("the agency file was removed from the roster")))

    plan.guard_count = sum(1 for item in plan.items if item.action in GUARDED_ACTIONS and not item.reorganisation)
    plan.guard_limit = settings.guard_limit(len(roster.persons))
    return plan


def _former_until(today: dt.date) -> str:
    """By default an address a reorganisation retires delivers for a year."""
    return (today + dt.timedelta(days=365)).isoformat()


_DOMAIN_CHANGE = N_("change of domain: %(old)s becomes %(new)s")


def _domain_of(address: str) -> str:
    return address.partition("@")[2]


def _in_domain(address: str, settings: Settings) -> str:
    """An address of a former domain as it is in the province's domain now; any other unchanged."""
    local, _, domain = address.partition("@")
    return f"{local}@{settings.domain}" if domain in settings.former_domains else address


def _foreign_domains(state: State, settings: Settings) -> list[Problem]:
    """Mailboxes in service in a domain that is neither the domain nor a former one: the domain was
    changed without saying so. Planning would give each a second address and strand the first."""
    known = {settings.domain, *settings.former_domains}
    found: dict[str, int] = {}
    for box in [*state.mailboxes.values(), *state.agencies.values()]:
        domain = _domain_of(box.address)
        if box.state != "terminated" and domain not in known:
            found[domain] = found.get(domain, 0) + 1
    return [Problem("", 0, "the directory holds %(count)s mailbox(es) in the domain '%(other)s', which is neither "
                    "the domain '%(domain)s' nor one of the former domains: to move them to '%(domain)s', list "
                    "'%(other)s' in congvu__former_domains (docs/reorganisation.md)", "", "domain",
                    params={"count": count, "other": other, "domain": settings.domain})
            for other, count in sorted(found.items())]


def _retired_codes(roster: Roster, state: State, replaced_by: dict, owners: dict[str, str]) -> list[Problem]:
    """Art. 5 for agency mailboxes: a code a closed agency used, or an address a reorganisation keeps
    delivering elsewhere, is not given to a new agency without a decision in its file."""
    errors = []
    delivering = {a.address: (box, a.expires) for box in state.agencies.values() for a in box.aliases}
    for agency in roster.agencies:
        box = state.agencies.get(agency.code)
        line = agency.fields_line.get("code", agency.line)
        address = f"{agency.code}@{roster.settings.domain}"
        owner = owners.get(address)
        if owner is not None:  # a sub-unit named like a person's address in its parent agency
            errors.append(Problem(agency.file, line, "the address %(address)s belongs or belonged to the mailbox of "
                                  "id %(owner)s (%(name)s): an address once used is never given to another "
                                  "(Art. 5); choose another code", "agency", "code",
                                  params={"address": address, "owner": owner,
                                          "name": state.mailboxes[owner].name}))
        elif address in delivering and delivering[address][0].code != agency.code:
            other, until = delivering[address]
            errors.append(Problem(agency.file, line, "the address %(address)s delivers to the agency mailbox of "
                                  "'%(other)s' until %(until_date)s (a reorganisation): choose another code",
                                  "agency", "code", params={"address": address, "other": other.name or other.code,
                                                            "until_date": until or "-"}))
        elif (box is not None and box.state == "terminated" and agency.code not in replaced_by
              and box.name != agency.name and agency.retired_code != "reuse"):
            errors.append(Problem(agency.file, line, "the code '%(code)s' was used by '%(old_name)s', now closed: "
                                  "an address once used is not given to another agency without a decision (Art. 5). "
                                  "Choose another code, or write 'retired_code: reuse' if '%(name)s' takes over "
                                  "that mailbox and its mail", "agency", "code",
                                  params={"code": agency.code, "old_name": box.name, "name": agency.name}))
    return errors


def _replaced_item(box: AgencyBox, successor, former_until: str, settings: Settings) -> Item:
    """The agency mailbox of an agency another replaces: merged (its address delivers to the successor's
    mailbox, the data archived as Art. 7.1 says) or handed over to the successor's head (Art. 10); a
    mailbox handed over stays in service, so a change of domain moves it like any other."""
    after = AgencyBox.from_dict(box.as_dict())
    if successor.replaces[box.code] == "handover":
        after.head, after.delegates = successor.head, list(successor.delegates)
        after.state = "active"
        address = _in_domain(box.address, settings)
        if address != box.address:  # the old address delivers here until the operator's date
            after.address = address
            after.history += [a for a in (box.address, address) if a not in after.history]
            after.aliases.append(Alias(box.address, former_until))
        reason = N_("replaced by '%(new)s': the mailbox and its mail are handed to the head of '%(new)s'") % {
            "new": successor.code}
        action = "handover" if after.as_dict() != box.as_dict() else "keep"
        if address != box.address and (after.head, after.delegates, box.state) == (box.head, box.delegates,
                                                                                   "active"):
            action, reason = "rename", _DOMAIN_CHANGE % {"old": _domain_of(box.address), "new": settings.domain}
    else:
        after.state = "terminated"
        for alias in after.aliases:  # its own former addresses stop here; never reused (history)
            if alias.address not in after.history:
                after.history.append(alias.address)
        after.aliases = []
        reason = N_("merged into '%(new)s': its address delivers to the agency mailbox of '%(new)s' until "
                    "%(until_date)s") % {"new": successor.code, "until_date": former_until}
        action = "terminate"
    if action == "keep":
        return Item("agency", box.code, box.code, box.address, "keep")
    return Item("agency", box.code, box.code, after.address, action, box.as_dict(), after.as_dict(), reason,
                successor.file, successor.replaces_lines.get(box.code, successor.line), reorganisation=True,
                successor=successor.code)


def _agency_mailboxes_opened(roster: Roster, state: State | None = None,
                             replaced_by: dict | None = None) -> dict[str, list[str]]:
    """Staff id -> the agency mailboxes they open with their own login: the head's and the delegates'
    (Art. 10), and those of replaced agencies handed over to them. Sorted, so that the same roster always
    gives the same entry."""
    opens: dict[str, set[str]] = {}
    for agency in roster.agencies:
        addresses = [f"{agency.code}@{roster.settings.domain}"]
        for code, mode in agency.replaces.items():
            box = (state.agencies.get(code) if state is not None else None)
            if mode == "handover" and box is not None and replaced_by and replaced_by.get(code) is agency:
                addresses.append(box.address)
        for pid in ([agency.head] if agency.head else []) + list(agency.delegates):
            opens.setdefault(pid, set()).update(addresses)
    return {pid: sorted(addresses) for pid, addresses in opens.items()}


def _taken_by_another(person, field: str, address: str, owner: str, state: State) -> Problem:
    """Art. 5: `address` (the person's `field`) is, or was, mailbox `owner`'s."""
    other = state.mailboxes[owner]
    return Problem(person.file, person.line_of(field),
                   "'%(address)s' belongs or belonged to id %(owner)s (%(name)s, %(state)s); an "
                   "address once used is never given to another person (Art. 5)",
                   f"staff id {person.id}", field,
                   params={"address": address, "owner": owner, "name": other.name, "state": message(other.state)})


def _pins_taken(roster: Roster, owners: dict[str, str], state: State) -> list[Problem]:
    """Art. 5: a pinned address that another person ever used is refused, whatever its state; so is a
    former address (another system's, docs/import.md) that any mailbox of this province ever used."""
    errors = []
    agency_owners = {a: code for code, box in state.agencies.items() for a in box.addresses_ever()}
    for person in roster.persons:
        for address in person.former_addresses:
            owner = owners.get(address)
            if owner is not None and owner != person.id:
                errors.append(_taken_by_another(person, "former_addresses", address, owner, state))
            elif address in agency_owners:
                errors.append(Problem(person.file, person.line_of("former_addresses"),
                                      "'%(address)s' is or was the address of the agency mailbox '%(code)s'; an "
                                      "address once used is never given to a person (Art. 5)",
                                      f"staff id {person.id}", "former_addresses",
                                      params={"address": address, "code": agency_owners[address]}))
    for person in roster.persons:
        owner = owners.get(person.address) if person.address else None
        if owner is not None and owner != person.id:
            errors.append(_taken_by_another(person, "address", person.address, owner, state))
    return errors


def _base_of_address(address: str, agency: str) -> str | None:
    local = address.partition("@")[0]
    suffix = "." + agency
    if not local.endswith(suffix):
        return None
    return local[: -len(suffix)].rstrip("0123456789")


def _addresses(roster: Roster, state: State, taken: set[str], plan: Plan, owners: dict[str, str]) -> dict[str, str]:
    """Which address every serving person should have: pinned, kept (sticky) or newly assigned."""
    targets: dict[str, str] = {}
    wanted: dict[str, list[naming.Candidate]] = {}
    pins = {p.address: p.id for p in roster.persons if p.address}
    holders: dict[str, set[str]] = {}  # every address ever used, as it is in the domain now -> who used it
    if roster.settings.former_domains:
        for address, pid in owners.items():
            holders.setdefault(_in_domain(address, roster.settings), set()).add(pid)
        for person in roster.persons:
            for address in person.former_addresses:
                holders.setdefault(_in_domain(address, roster.settings), set()).add(person.id)
    for person in roster.persons:
        if person.state == "terminated":
            continue
        if person.address:
            targets[person.id] = person.address
            continue
        box = state.mailboxes.get(person.id)
        if box is not None:
            # Sticky: the current address if it still fits; else one this same person held before in
            # this agency (a transfer back, a spelling fix undone) rather than a new number.
            own = [box.address] if box.agency == person.agency else []
            own += [a for a in box.history if a != box.address]
        else:
            # a newcomer whose address on another system has this agency's Art. 5 form keeps its local part
            own = list(person.former_addresses)
        own = [a for a in own if _base_of_address(a, person.agency) == person.base]
        # after a change of domain, the same local part in the new domain, unless another holds it
        own = [_in_domain(a, roster.settings) for a in own]
        own = [a for a in own if _domain_of(a) == roster.settings.domain
               and holders.get(a, {person.id}) == {person.id} and pins.get(a, person.id) == person.id]
        if own:
            targets[person.id] = own[0]
            continue
        wanted.setdefault(person.agency, []).append(naming.Candidate(person.id, person.base, person.leader))
    by_id = {p.id: p for p in roster.persons}
    domain = roster.settings.domain
    for agency in roster.agencies:
        assigned, displaced = naming.assign_addresses(wanted.get(agency.code, ()), agency.code, domain,
                                                      taken)
        targets.update(assigned)
        for pid in displaced:
            person = by_id[pid]
            plain = naming.personal_address(person.base, 0, agency.code, domain)
            plan.notices.append(Problem(
                person.file, person.line, "leader %(name)s would get '%(plain)s' (Art. 5.2b) but it is held by "
                "another mailbox; given '%(given)s' instead. Pin an address with 'address:' to choose another.",
                f"staff id {pid}", "leader", "notice", {"name": person.name, "plain": plain, "given": assigned[pid]}))
    return targets


def _person_item(person, box: Mailbox | None, target: str | None, today: str, alias_until: str,
                 delegate_of: list[str], former_until: str = "") -> Item | None:
    where = (person.file, person.line)
    if person.state == "terminated":
        if box is None:
            return None  # listed for the record only: there is no mailbox to close
        if box.state == "terminated":
            return Item("person", person.id, person.agency, box.address, "keep")
        return _terminated(box, N_("state: terminated in the roster (Art. 7.1)"), *where)

    if target is None:  # _addresses() gives every serving person one (no `assert`: python -O drops it)
        raise AssertionError(f"no address assigned to {person.id}")
    after = Mailbox(person.id, person.agency, target, person.state, person.name, person.given_name,
                    person.title, person.leader, person.quota, person.quota_decision,
                    delegate_of=list(delegate_of))
    if box is not None and box.held_since and box.state == "suspended":
        after.held_since = box.held_since
        if _held_against_roster(box, person):
            after.state = "suspended"
    # Another system's addresses (docs/import.md): aliases until the reorganisation's date, and in the
    # history, so that once expired they are neither given again to this person nor to anybody else.
    kept = [a for a in person.former_addresses if box is None or a not in box.addresses_ever()]
    if box is None:
        after.history = [target, *kept]
        after.aliases = [Alias(a, former_until) for a in kept]
        return Item("person", person.id, person.agency, target, "create", None, after.as_dict(),
                    N_("new in the roster (Art. 4)"), *where)

    aliases = [a for a in box.aliases if (a.expires is None or a.expires >= today) and a.address != target]
    history = list(box.history)
    for address in (box.address, target):
        if address not in history:
            history.append(address)
    if target != box.address and box.state != "terminated":
        aliases.append(Alias(box.address, alias_until))
    aliases += [Alias(a, former_until) for a in kept]
    history += kept
    after.aliases, after.history = aliases, history
    before = box.as_dict()
    after_dict = after.as_dict()
    if before == after_dict:
        return Item("person", person.id, person.agency, target, "keep")
    if box.agency != person.agency:
        action, reason = "transfer", N_("moved from agency '%(agency)s' (Art. 11.3)") % {"agency": box.agency}
    elif target != box.address:
        action, reason = "rename", N_("the name or the pinned address changed (Art. 5)")
    elif box.state != after.state:
        action = "suspend" if after.state == "suspended" else "reactivate"
        reason = N_("state: %(state)s in the roster (Art. 7.2)") % {"state": after.state}
    elif {k for k in after_dict if before.get(k) != after_dict[k]} == {"delegate_of"}:
        action, reason = "update", N_("opens other agency mailboxes: head or delegate changed (Art. 10)")
    elif kept:
        action, reason = "update", N_("keeps former addresses of another system until %(until_date)s: "
                                      "%(addresses)s") % {"until_date": former_until, "addresses": ", ".join(kept)}
    else:
        action, reason = "update", ""
    if box.state == "terminated" and action != "suspend":
        action, reason = "reactivate", N_("back in service after termination (the archived mailbox returns)")
    return Item("person", person.id, person.agency, target, action, before, after_dict, reason, *where)


def _held_against_roster(box: Mailbox | None, person) -> bool:
    """The inactivity job's suspension holds against a roster that still says `active`: the roster did
    not ask for it, so the roster alone does not lift it (Art. 7.2, docs/inactivity.md)."""
    return (box is not None and bool(box.held_since) and box.state == "suspended"
            and person.state == "active")


def _terminated(box: Mailbox, reason: str, file: str, line: int) -> Item:
    after = Mailbox.from_dict(box.as_dict())
    after.state = "terminated"
    # Aliases stop routing; they stay in history so they are never reused.
    for alias in after.aliases:
        if alias.address not in after.history:
            after.history.append(alias.address)
    after.aliases = []
    after.delegate_of = []  # a closed account opens nothing (Art. 7.1, 13.6)
    return Item("person", box.id, box.agency, box.address, "terminate", box.as_dict(), after.as_dict(),
                reason, file, line)


def _agency_item(agency, box: AgencyBox | None, settings: Settings, today: str = "", merged: tuple = (),
                 former_until: str = "") -> Item:
    """The agency mailbox of a roster agency; `merged`: the addresses of agencies it replaces whose mail
    now comes here (aliases until `former_until`)."""
    address = f"{agency.code}@{settings.domain}"
    after = AgencyBox(agency.code, address, agency.name, agency.kind, agency.head, list(agency.delegates))
    moved = box is not None and box.address != address and _domain_of(box.address) in settings.former_domains
    if box is not None:  # its own former addresses and the aliases still running stay
        after.history = list(box.history)
        after.aliases = [a for a in box.aliases if a.expires is None or a.expires >= today]
    if moved:  # a change of domain: the old address delivers here until the operator's date
        after.history += [a for a in (box.address, address) if a not in after.history]
        if box.state != "terminated":
            after.aliases.append(Alias(box.address, former_until))
    kept = {a.address for a in after.aliases}
    after.aliases += [Alias(merged_address, former_until) for merged_address in merged if merged_address not in kept]
    where = (agency.file, agency.line)
    if box is None:
        return Item("agency", agency.code, agency.code, address, "create", None, after.as_dict(),
                    N_("new agency (Art. 5.1)"), *where, reorganisation=bool(merged),
                    successor=agency.code if merged else "")
    before = box.as_dict()
    if before == after.as_dict():
        return Item("agency", agency.code, agency.code, address, "keep")
    if box.head != agency.head:
        action, reason = "handover", N_("the head changes from %(old)s to %(new)s (Art. 10)") % {
            "old": box.head, "new": agency.head}
    elif box.state != "active":
        action, reason = "reactivate", N_("the agency is back in the roster")
    elif moved:
        action, reason = "rename", _DOMAIN_CHANGE % {"old": _domain_of(box.address), "new": settings.domain}
    else:
        action, reason = "update", ""
    fresh = any(a not in {x.address for x in box.aliases} for a in merged)
    if fresh and action == "update":
        reason = N_("the addresses of the agencies it replaces deliver here until %(until_date)s") % {
            "until_date": former_until}
    return Item("agency", agency.code, agency.code, address, action, before, after.as_dict(), reason, *where,
                reorganisation=fresh or moved, successor=agency.code if fresh or moved else "")


# The actions as a reader names them (plan.json keeps the codes).
ACTION_LABELS = {"create": N_("create"), "transfer": N_("transfer"), "rename": N_("rename"),
                 "terminate": N_("terminate"), "suspend": N_("suspend"), "reactivate": N_("reactivate"),
                 "handover": N_("handover"), "update": N_("update"), "keep": N_("keep")}


def render_markdown(plan: Plan, limit: int = 200, language: str = DEFAULT_LANGUAGE) -> str:
    """A human summary fit to paste into a pull request, in `language` (vi or en); long sections are cut at
    `limit` lines."""
    check_language(language)
    out = [tr(N_("# Roster plan for %(domain)s (%(plan_date)s)"), language, domain=plan.settings.domain,
              plan_date=plan.date), ""]
    if plan.settings.profile:
        out += [tr(N_("Regulation in force: %(profile)s"), language, profile=plan.settings.profile), ""]
    if plan.errors:
        out += ["**" + tr(N_("The roster is invalid: %(count)s error(s). Nothing will be changed."), language,
                          count=len(plan.errors)) + "**", ""]
        out += [f"- `{p.where(language)}` {_who(p, language)}{p.render(language)}" for p in plan.errors] + [""]
        return "\n".join(out)
    summary = plan.summary()
    action_head, count_head = tr(N_("action"), language), tr(N_("mailboxes"), language)
    out += [f"| {action_head} | {count_head} |", "|---|---:|"]
    out += [f"| {tr(ACTION_LABELS[action], language)} | {summary[action]} |" for action in ACTIONS]
    out.append("")
    guard = tr(N_("Guard: %(count)s suspension(s)/termination(s), limit %(limit)s:"), language,
               count=plan.guard_count, limit=plan.guard_limit) + " "
    if not plan.guard_tripped:
        guard += tr(N_("within the limit."), language)
    elif plan.override:
        guard += "**" + tr(N_("over the limit, overridden for this run."), language) + "**"
    else:
        guard += "**" + tr(N_("over the limit: this plan will not be applied without the override."), language) + "**"
    out += [guard, ""]
    if plan.reorganised:
        out += [tr(N_("Reorganisation: %(count)s mailbox(es) moved, merged or handed over (not counted by the "
                      "guard)."), language, count=plan.reorganised), ""]
        moved: dict[str, int] = {}
        for item in plan.items:
            old = _domain_of(item.before["address"]) if item.reorganisation and item.before else ""
            if old in plan.settings.former_domains:
                moved[old] = moved.get(old, 0) + 1
        until = plan.settings.former_addresses_until or _former_until(dt.date.fromisoformat(plan.date))
        for old, count in sorted(moved.items()):
            out += [tr(N_("Change of domain: %(count)s mailbox(es) move from %(old)s to %(new)s; their old addresses "
                          "deliver until %(until_date)s."), language, count=count, old=old,
                       new=plan.settings.domain, until_date=until), ""]
        by_successor: dict[str, list[Item]] = {}
        for item in plan.items:
            if item.reorganisation:
                by_successor.setdefault(item.successor, []).append(item)
        for code, items in sorted(by_successor.items()):
            out += ["## " + tr(N_("Reorganisation: %(code)s (%(count)s)"), language, code=code, count=len(items)), ""]
            out += [_line(item, language) for item in items[:limit]]
            if len(items) > limit:
                out.append("- " + tr(N_("... and %(count)s more (see plan.json)"), language, count=len(items) - limit))
            out.append("")
    if plan.notices:
        out += ["## " + tr(N_("Notices"), language), ""]
        out += [f"- `{p.where(language)}` {_who(p, language)}{p.render(language)}" for p in plan.notices] + [""]
    for action in ACTIONS[:-1]:
        items = [i for i in plan.items if i.action == action and not i.reorganisation]
        if not items:
            continue
        out += [f"## {tr(ACTION_LABELS[action], language)} ({len(items)})", ""]
        out += [_line(item, language) for item in items[:limit]]
        if len(items) > limit:
            out.append("- " + tr(N_("... and %(count)s more (see plan.json)"), language, count=len(items) - limit))
        out.append("")
    if not plan.changed and not plan.errors:
        out += [tr(N_("Nothing to change."), language), ""]
    return "\n".join(out)


def summary_text(plan: Plan, language: str = DEFAULT_LANGUAGE) -> str:
    """The summary in one line (`1 transfer, 648 keep`), as the playbooks print it."""
    parts = [tr(N_("%(count)s %(action)s"), language, count=count, action=message(ACTION_LABELS[action]))
             for action, count in plan.summary().items() if count]
    return ", ".join(parts) or tr(N_("nothing"), language)


def _who(problem: Problem, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [entry_text(problem.entry, language) if problem.entry else "",
             f"`{problem.field}`" if problem.field else ""]
    text = ", ".join(p for p in parts if p)
    return f"{text}: " if text else ""


def _shown(value, language: str) -> str:
    """A field's value in a plan line: None and booleans in words."""
    if value is None:
        return tr(N_("none"), language)
    if isinstance(value, bool):
        return tr(N_("yes") if value else N_("no"), language)
    return str(value)


def _line(item: Item, language: str = DEFAULT_LANGUAGE) -> str:
    after = item.after or {}
    before = item.before or {}
    label = f"`{item.address}`"
    if item.kind == "person":
        who = f"{after.get('name') or before.get('name')} ({item.id})"
    else:
        who = tr(N_("agency mailbox of %(name)s"), language, name=after.get("name") or before.get("name"))
    if item.action in ("transfer", "rename"):
        until = after["aliases"][-1]["expires"] if after.get("aliases") else None
        label = tr(N_("`%(old)s` -> `%(new)s` (old address kept until %(until_date)s)"), language,
                   old=before["address"], new=item.address,
                   until_date=until if until else message(N_("n/a")))
    detail = []
    for name in item.changes:
        if name in ("address", "aliases", "history", "agency", "state"):
            continue
        if name == "delegate_of":
            old, new = (", ".join(v or []) or tr(N_("none"), language) for v in (before.get(name), after.get(name)))
            detail.append(tr(N_("opens: %(old)s -> %(new)s"), language, old=old, new=new))
            continue
        old, new = before.get(name), after.get(name)
        if name == "quota":
            old, new = (format_quota(v) if v else tr(N_("default"), language) for v in (old, new))
        detail.append(f"{name}: {_shown(old, language)} -> {_shown(new, language)}")
    tail = f"; {'; '.join(detail)}" if detail and item.action != "create" else ""
    reason = f" — {translate_text(item.reason, language)}" if item.reason else ""
    return f"- {label} {who}{reason}{tail}"
