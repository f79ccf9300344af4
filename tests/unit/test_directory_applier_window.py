"""The Applier's writes in flight (congvu.directory.Applier, `window`): order, audit and failures.

The connection here is a recording stand-in for python-ldap's (add_ext / modify_ext return a message
id, result3 answers or raises for one id): what is pinned down is the Applier's own bookkeeping. That the
writes reach slapd and an interrupted apply converges is tested against the real server in
molecule/roster (test_reconcile.py).
"""

import json

import congvu_directory
import pytest
from congvu import directory
from congvu.directory import DirectoryError, Tree
from congvu.plan import Item, Plan
from congvu.settings import Settings
from congvu.state import AgencyBox, Mailbox
from congvu_directory import Applier, AuditLog, SecretSink

STRONG = "Kh0i-tao-Ngay-01"


class FakeConnection:
    def __init__(self, fail_on=(), down_after=None):
        self.sent: list[tuple[int, str, str]] = []  # (msgid, operation, dn)
        self.answered: list[int] = []
        self.fail_on = set(fail_on)
        self.down_after = down_after  # answers before the "server" goes away
        self.in_flight_max = 0

    def _send(self, operation, dn):
        msgid = len(self.sent) + 1
        self.sent.append((msgid, operation, dn))
        self.in_flight_max = max(self.in_flight_max, len(self.sent) - len(self.answered))
        return msgid

    def add_ext(self, dn, modlist):
        assert all(isinstance(v, bytes) for _, values in modlist for v in values)
        return self._send("add", dn)

    def modify_ext(self, dn, modlist):
        return self._send("modify", dn)

    def result3(self, msgid, all=1, timeout=-1):  # noqa: A002 - python-ldap's own argument name
        self.answered.append(msgid)
        if self.down_after is not None and len(self.answered) > self.down_after:
            raise congvu_directory.LDAPError({"desc": "Can't contact LDAP server"})
        dn = self.sent[msgid - 1][2]
        if dn in self.fail_on:
            raise congvu_directory.LDAPError({"desc": "Constraint violation", "info": "refused for the test"})
        return (105, [], msgid, [])


def _plan(people: int, agencies: int = 0) -> Plan:
    items = []
    for n in range(people):
        box = Mailbox(f"TT{n:04d}", "stttt", f"nguoi{n}.stttt@quangbinh.gov.vn", name="Nguyễn Văn An")
        items.append(Item("person", box.id, box.agency, box.address, "create", None, box.as_dict()))
    for n in range(agencies):
        agency = AgencyBox(f"ag{n}", f"ag{n}@quangbinh.gov.vn", name="Sở", head="TT0000")
        items.append(Item("agency", agency.code, agency.code, agency.address, "create", None, agency.as_dict()))
    keep = Mailbox("TT9999", "stttt", "giu.stttt@quangbinh.gov.vn", name="Lê Giữ")
    items.insert(1, Item("person", keep.id, keep.agency, keep.address, "keep", keep.as_dict(), keep.as_dict()))
    # Agencies first in the plan on purpose: the Applier must still send them after every person.
    return Plan(Settings(), "2026-11-28", items=items[people + 1:] + items[:people + 1])


def _applier(tmp_path, conn, window):
    audit = AuditLog(str(tmp_path / "audit.jsonl"), "rev1", "test")
    return Applier(conn, Tree("quangbinh.gov.vn"), audit, SecretSink(str(tmp_path / "pw")),
                   lambda: STRONG, window=window)


def _audit(tmp_path):
    with open(tmp_path / "audit.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.parametrize("window", [1, 3, 8])
def test_window_bounds_the_writes_in_flight_and_answers_are_audited_in_plan_order(tmp_path, window):
    conn = FakeConnection()
    done = _applier(tmp_path, conn, window).apply(_plan(10, agencies=2))
    assert conn.in_flight_max == min(window, 10)
    assert [i.id for i in done] == [f"TT{n:04d}" for n in range(10)] + ["ag0", "ag1"]
    assert [line["id"] for line in _audit(tmp_path)] == [i.id for i in done]
    assert {line["outcome"] for line in _audit(tmp_path)} == {"applied"}
    assert conn.answered == sorted(conn.answered)


def test_agency_mailboxes_are_sent_only_after_every_person_is_answered(tmp_path):
    conn = FakeConnection()
    _applier(tmp_path, conn, 8).apply(_plan(5, agencies=1))
    first_agency = next(msgid for msgid, _, dn in conn.sent if dn.startswith("cn=ag0,"))
    # every person's answer was read before the agency's add was sent
    assert conn.answered.index(first_agency) == 5 and set(conn.answered[:5]) == set(range(1, 6))


def test_a_refused_write_stops_sending_but_what_was_in_flight_is_still_read_and_audited(tmp_path):
    refused = Tree("quangbinh.gov.vn").person("TT0002")
    conn = FakeConnection(fail_on={refused})
    applier = _applier(tmp_path, conn, 4)
    with pytest.raises(DirectoryError, match=r"create of person TT0002 .* Constraint violation refused for the test"):
        applier.apply(_plan(10, agencies=1))
    # The window refills as each answer is read: TT0002's answer is read once TT0005 is sent
    # (TT0002-TT0005 in flight). Nothing is sent after the refusal, no agency.
    assert [dn.split(",")[0] for _, _, dn in conn.sent] == [f"uid=TT{n:04d}" for n in range(6)]
    assert len(conn.answered) == 6
    lines = _audit(tmp_path)
    assert [(line["id"], line["outcome"]) for line in lines] == [
        ("TT0000", "applied"), ("TT0001", "applied"), ("TT0002", "failed"), ("TT0003", "applied"),
        ("TT0004", "applied"), ("TT0005", "applied")]
    assert [i.id for i in applier.done] == ["TT0000", "TT0001", "TT0003", "TT0004", "TT0005"]


def test_a_lost_server_marks_every_write_in_flight_failed_and_raises(tmp_path):
    conn = FakeConnection(down_after=2)
    applier = _applier(tmp_path, conn, 4)
    with pytest.raises(DirectoryError, match="Can't contact LDAP server.*run again to finish"):
        applier.apply(_plan(10))
    outcomes = [(line["id"], line["outcome"]) for line in _audit(tmp_path)]
    assert outcomes[:2] == [("TT0000", "applied"), ("TT0001", "applied")]
    assert {o for _, o in outcomes[2:]} == {"failed"} and len(outcomes) == len(conn.sent)
    assert len(applier.done) == 2


def test_initial_passwords_are_on_disk_before_their_add_is_sent(tmp_path):
    conn = FakeConnection()
    applier = _applier(tmp_path, conn, 8)
    stored_before_send = []
    original = conn.add_ext

    def add_ext(dn, modlist):
        with open(tmp_path / "pw" / "stttt.csv", encoding="utf-8") as handle:
            stored_before_send.append(handle.read().count("\n") - 1)
        return original(dn, modlist)

    conn.add_ext = add_ext
    applier.apply(_plan(3))
    assert stored_before_send == [1, 2, 3]


@pytest.mark.parametrize("before, after, values", [
    ("active", "suspended", [directory.LOCKED_FOREVER]), ("active", "terminated", [directory.LOCKED_FOREVER]),
    ("suspended", "active", []), ("terminated", "active", []),
    ("suspended", "terminated", None), ("active", "active", None), (None, "active", None)])
def test_art7_lock_follows_the_state_for_the_reconcile_and_the_inactivity_job(before, after, values):
    assert directory.lock_values(before, after) == values
