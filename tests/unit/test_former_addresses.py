"""Another system's addresses kept as aliases through the roster (`former_addresses:`, docs/import.md):
the people the import brings from the other province's system keep receiving at their old addresses in
that province's domain (a former domain here) until congvu__former_addresses_until (Art. 5, 11.3)."""

import dataclasses
import datetime as dt

import pytest
from congvu.plan import render_markdown
from congvu.roster import RosterInvalid
from congvu.settings import Settings
from congvu_planner_files import load_roster
from test_plan import Province, by_id, staff

TODAY = dt.date(2025, 7, 1)
DOMAIN, OTHER = "quangbinh.gov.vn", "quangtri.gov.vn"


@pytest.fixture
def province(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN, former_domains=(OTHER,)))
    p.agency("stttt", staff(("T1", "Nguyễn Văn An", {"leader": True})), head="T1")
    p.agency("qtstttt", staff(("QT-1001", "Lê Thị Hồng Nhung", {"former_addresses": [f"nhunglth@{OTHER}"]}),
                              ("QT-1002", "Phan Anh Hùng", {})))
    return p


def aliases(item):
    return item.after["aliases"]


def problems(province, language="en"):
    with pytest.raises(RosterInvalid) as caught:
        province.plan(TODAY)
    return [p.text(language) for p in caught.value.problems]


def test_an_imported_person_is_created_with_the_old_address_as_an_alias_for_a_year(province):
    plan = province.plan(TODAY)
    assert not plan.errors and not plan.blocked
    item = by_id(plan, "QT-1001")
    assert item.action == "create" and item.address == f"nhunglth.qtstttt@{DOMAIN}"
    assert aliases(item) == [{"address": f"nhunglth@{OTHER}", "expires": "2026-07-01"}]
    # in the history too: never given to anybody else, even once expired (Art. 5)
    assert f"nhunglth@{OTHER}" in item.after["history"]
    assert aliases(by_id(plan, "QT-1002")) == []


def test_the_operators_date_a_second_run_and_the_end_date(province):
    province.settings = dataclasses.replace(province.settings, former_addresses_until="2025-12-31")
    plan = province.apply(TODAY)
    assert aliases(by_id(plan, "QT-1001")) == [{"address": f"nhunglth@{OTHER}", "expires": "2025-12-31"}]
    again = province.plan(TODAY + dt.timedelta(days=1))
    assert not again.changed, [(i.id, i.action) for i in again.items if i.action != "keep"]
    # after the date the alias goes, and the roster still listing it does not bring it back
    after = province.apply(dt.date(2026, 1, 2))
    item = by_id(after, "QT-1001")
    assert item.action == "update" and aliases(item) == [] and f"nhunglth@{OTHER}" in item.after["history"]
    assert not province.plan(dt.date(2026, 1, 3)).changed


def test_an_existing_mailbox_gains_an_old_address_with_a_reason(province):
    province.apply(TODAY)
    province.person("QT-1002")["former_addresses"] = [f"hungpa@{OTHER}"]
    item = by_id(province.plan(TODAY), "QT-1002")
    assert item.action == "update"
    assert aliases(item) == [{"address": f"hungpa@{OTHER}", "expires": "2026-07-01"}]
    assert item.reason == f"keeps former addresses of another system until 2026-07-01: hungpa@{OTHER}"
    assert "giữ các địa chỉ cũ của hệ thống khác đến ngày" in render_markdown(province.plan(TODAY))


def test_an_address_once_someone_elses_is_refused_naming_the_owner(province):
    province.apply(TODAY)
    # QT-1001 leaves (her entry removed); a newcomer cannot take the address that delivered to her (Art. 5)
    province.agencies["qtstttt"]["staff"].remove(province.person("QT-1001"))
    province.apply(TODAY)
    province.agencies["qtstttt"]["staff"].append(
        {"id": "QT-1003", "name": "Lê Thị Nhung", "former_addresses": [f"NhungLTH@{OTHER}"]})
    plan = province.plan(TODAY)
    assert plan.items == [] and len(plan.errors) == 1
    assert plan.errors[0].render("en").startswith(f"'nhunglth@{OTHER}' belongs or belonged to id QT-1001 "
                                                  "(Lê Thị Hồng Nhung, terminated)")
    assert plan.errors[0].field == "former_addresses"


def test_an_agency_mailboxs_address_is_refused(province, tmp_path):
    province.apply(TODAY)
    # after a change of domain, the agency mailbox's old address in the former domain is its alias
    province.settings = dataclasses.replace(province.settings, domain="quangtri2.gov.vn",
                                            former_domains=(DOMAIN, OTHER), base_dn="dc=quangbinh,dc=gov,dc=vn")
    province.apply(TODAY)
    province.person("QT-1002")["former_addresses"] = [f"stttt@{DOMAIN}"]
    plan = province.plan(TODAY)
    assert [e.render("en") for e in plan.errors] == [
        f"'stttt@{DOMAIN}' is or was the address of the agency mailbox 'stttt'; an address once used is never "
        "given to a person (Art. 5)"]


def test_the_same_old_address_on_two_people_is_refused(province):
    province.person("QT-1002")["former_addresses"] = [f"nhunglth@{OTHER}"]
    found = problems(province)
    assert any(f"'nhunglth@{OTHER}' is already a former address of id QT-1001" in p for p in found), found


@pytest.mark.parametrize(("value", "expected"), [
    ([f"an@{DOMAIN}"], f"'an@{DOMAIN}' is in the domain {DOMAIN}, whose addresses are given by Art. 5"),
    (["an@gmail.com"], "'an@gmail.com' is not in a domain this system receives for: list 'gmail.com' in "
                       "congvu__former_domains"),
    (["not an address"], "'not an address' is not an e-mail address (name@domain)"),
    ([f"an@{OTHER}", f"AN@{OTHER}"], f"'AN@{OTHER}' is listed twice"),
    (f"an@{OTHER}", "must be a list of addresses, e.g. [annv@quangtri.gov.vn]"),
])
def test_a_wrong_old_address_is_named_by_file_line_and_field(province, value, expected):
    province.person("QT-1002")["former_addresses"] = value
    found = problems(province)
    assert any(expected in p and "qtstttt.yml" in p and "former_addresses" in p for p in found), found
    assert any(p for p in problems(province, "vi") if "former_addresses" in p)


def test_an_old_address_of_the_art5_form_keeps_its_local_part_and_nobody_else_gets_it(province):
    """The other system used <name>.<agency>@ too: the person keeps the local part in this domain; a
    namesake in the same plan gets a number."""
    province.agencies["qtstttt"]["staff"] = staff(
        ("QT-1001", "Lê Thị Hồng Nhung", {}),
        ("QT-1009", "Lê Thị Hồng Nhung", {"former_addresses": [f"nhunglth.qtstttt@{OTHER}"]}))
    plan = province.plan(TODAY)
    assert by_id(plan, "QT-1009").address == f"nhunglth.qtstttt@{DOMAIN}"
    assert by_id(plan, "QT-1001").address == f"nhunglth1.qtstttt@{DOMAIN}"
    province.apply(TODAY)
    assert not province.plan(TODAY).changed


def test_loaded_roster_carries_the_addresses_lower_cased(province, tmp_path):
    province.person("QT-1002")["former_addresses"] = [f" HungPA@{OTHER} "]
    province.plan(TODAY)
    roster = load_roster(str(province.root), province.settings)
    assert next(p for p in roster.persons if p.id == "QT-1002").former_addresses == [f"hungpa@{OTHER}"]
