"""The current state of the province's mailboxes, as the planner sees it.

The live reconcile reads it from the directory; an offline plan (a pull-request check) reads a JSON
export of it (docs/roster-format.md, "The state export"). Both give the same records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

STATE_FORMAT = 1
MAILBOX_STATES = ("active", "suspended", "terminated")


@dataclass
class Alias:
    address: str
    expires: str | None  # ISO date; None keeps the alias until an operator removes it

    def as_dict(self) -> dict:
        return {"address": self.address, "expires": self.expires}


@dataclass
class Mailbox:
    """A personal mailbox. `history` is every address it ever held (Art. 5: never handed to another)."""

    id: str
    agency: str
    address: str
    state: str = "active"
    name: str = ""
    given_name: str | None = None
    title: str | None = None
    leader: bool = False
    quota: int | None = None
    quota_decision: str | None = None
    aliases: list[Alias] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    # Agency mailboxes (addresses) this person opens with their own login, as head or delegate
    # (Art. 10). Kept on the person so that Dovecot's ACL groups need one lookup, not a reverse search.
    delegate_of: list[str] = field(default_factory=list)
    # Date the inactivity job suspended this mailbox, while that suspension holds (Art. 7.2,
    # docs/inactivity.md). Read from the job's marker; the reconcile never writes it.
    held_since: str | None = None

    def addresses_ever(self) -> set[str]:
        return {self.address, *self.history, *(a.address for a in self.aliases)}

    def as_dict(self) -> dict:
        return {
            "id": self.id, "agency": self.agency, "address": self.address, "state": self.state,
            "name": self.name, "given_name": self.given_name, "title": self.title, "leader": self.leader,
            "quota": self.quota, "quota_decision": self.quota_decision,
            "aliases": [a.as_dict() for a in self.aliases], "history": list(self.history),
            "delegate_of": list(self.delegate_of), "held_since": self.held_since,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Mailbox:
        aliases = [Alias(a["address"], a.get("expires")) for a in data.get("aliases") or []]
        return cls(
            id=str(data["id"]), agency=data["agency"], address=data["address"],
            state=data.get("state", "active"), name=data.get("name") or "",
            given_name=data.get("given_name"), title=data.get("title"),
            leader=bool(data.get("leader", False)), quota=data.get("quota"),
            quota_decision=data.get("quota_decision"), aliases=aliases,
            history=list(data.get("history") or []), delegate_of=list(data.get("delegate_of") or []),
            held_since=data.get("held_since"),
        )


@dataclass
class AgencyBox:
    """An agency mailbox `<code>@domain` (Art. 10): owned by the head, opened by delegates."""

    code: str
    address: str
    name: str = ""
    kind: str = "other"
    head: str | None = None
    delegates: list[str] = field(default_factory=list)
    state: str = "active"
    # The addresses of agencies this one replaced (a merger, a rename), delivering here until their
    # date, and every address the mailbox ever had: never given to anybody else (Art. 5).
    aliases: list[Alias] = field(default_factory=list)
    history: list[str] = field(default_factory=list)

    def addresses_ever(self) -> set[str]:
        return {self.address, *self.history, *(a.address for a in self.aliases)}

    def as_dict(self) -> dict:
        data = {"code": self.code, "address": self.address, "name": self.name, "kind": self.kind,
                "head": self.head, "delegates": list(self.delegates), "state": self.state}
        # only when there are some: the export of a province that never reorganised stays as it was
        if self.aliases:
            data["aliases"] = [a.as_dict() for a in self.aliases]
        if self.history:
            data["history"] = list(self.history)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> AgencyBox:
        aliases = [Alias(a["address"], a.get("expires")) for a in data.get("aliases") or []]
        return cls(code=data["code"], address=data["address"], name=data.get("name") or "",
                   kind=data.get("kind") or "other", head=data.get("head"),
                   delegates=list(data.get("delegates") or []), state=data.get("state", "active"),
                   aliases=aliases, history=list(data.get("history") or []))


@dataclass
class State:
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    agencies: dict[str, AgencyBox] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> State:
        if data.get("format", STATE_FORMAT) != STATE_FORMAT:
            raise ValueError(f"state export format {data.get('format')!r} is not {STATE_FORMAT}")
        state = cls()
        for item in data.get("mailboxes") or []:
            box = Mailbox.from_dict(item)
            if box.id in state.mailboxes:
                raise ValueError(f"state export lists mailbox id {box.id!r} twice")
            if box.state not in MAILBOX_STATES:
                raise ValueError(f"state export: mailbox {box.id!r} has unknown state {box.state!r}")
            state.mailboxes[box.id] = box
        for item in data.get("agencies") or []:
            agency = AgencyBox.from_dict(item)
            state.agencies[agency.code] = agency
        return state

    @classmethod
    def loads(cls, text: str, name: str) -> State:
        """A JSON export's text (the file `name`, for the messages; congvu_planner_files.load_state reads it)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: not a JSON state export: {exc}") from None
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None

    def as_dict(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "mailboxes": [self.mailboxes[k].as_dict() for k in sorted(self.mailboxes)],
            "agencies": [self.agencies[k].as_dict() for k in sorted(self.agencies)],
        }

    def dumps(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def digest(self) -> str:
        """A fingerprint of the whole state: equal for the live directory and its export when they hold
        the same records, so that a saved plan can tell whether the directory changed since."""
        return "sha256:" + hashlib.sha256(self.dumps().encode("utf-8")).hexdigest()

    def address_owners(self) -> dict[str, str]:
        """Every address ever used by a personal mailbox -> the id that used it."""
        owners: dict[str, str] = {}
        for box in self.mailboxes.values():
            for address in box.addresses_ever():
                owners.setdefault(address, box.id)
        return owners
