"""The directory records of docs/directory.md <-> the planner's records (no server: pure mapping)."""

from congvu.directory import (
    Tree,
    agency_attributes,
    agency_from_entry,
    base_dn,
    mailbox_from_entry,
    person_attributes,
)
from congvu.state import AgencyBox, Alias, Mailbox

TREE = Tree("quangbinh.gov.vn")


def test_base_dn_follows_the_domain():
    assert base_dn("quangbinh.gov.vn") == "dc=quangbinh,dc=gov,dc=vn"
    assert TREE.person("TT0001") == "uid=TT0001,ou=people,dc=quangbinh,dc=gov,dc=vn"
    assert TREE.pid_of(TREE.person("TT0001")) == "TT0001"


def test_person_round_trip_keeps_every_field():
    box = Mailbox("TT0002", "stttt", "anhtuyetnt.stttt@quangbinh.gov.vn", "suspended",
                  "Nguyễn Thị Ánh Tuyết", "Ánh Tuyết", "Chuyên viên", True, 5 * 1024**3, "123/QĐ-UBND",
                  [Alias("tuyetnta.snv@quangbinh.gov.vn", "2027-02-26")],
                  ["tuyetnta.snv@quangbinh.gov.vn", "anhtuyetnt.stttt@quangbinh.gov.vn"],
                  ["stttt@quangbinh.gov.vn"])
    attrs = person_attributes(box, "abc123")
    assert attrs["congvuDelegateOf"] == ["stttt@quangbinh.gov.vn"]  # Dovecot's ACL group (Art. 10)
    assert attrs["sn"] == ["Nguyễn"] and attrs["givenName"] == ["Ánh Tuyết"]
    assert attrs["congvuAliasExpiry"] == ["tuyetnta.snv@quangbinh.gov.vn 2027-02-26"]
    assert attrs["congvuRevision"] == ["abc123"]
    assert mailbox_from_entry(attrs) == box


def test_person_defaults_leave_attributes_empty():
    box = Mailbox("X1", "snv", "pa.snv@quangbinh.gov.vn", name="Pả", history=["pa.snv@quangbinh.gov.vn"])
    attrs = person_attributes(box)
    assert attrs["sn"] == ["Pả"] and attrs["givenName"] == ["Pả"]
    assert attrs["congvuQuota"] == [] and attrs["title"] == [] and "congvuRevision" not in attrs
    assert mailbox_from_entry(attrs) == box


def test_agency_round_trip_uses_dns_for_head_and_delegates():
    box = AgencyBox("stttt", "stttt@quangbinh.gov.vn", "Sở Thông tin và Truyền thông", "department",
                    "TT0001", ["TT0005", "TT0007"])
    attrs = agency_attributes(box, TREE)
    assert attrs["congvuHead"] == ["uid=TT0001,ou=people,dc=quangbinh,dc=gov,dc=vn"]
    assert agency_from_entry(attrs, TREE) == box
