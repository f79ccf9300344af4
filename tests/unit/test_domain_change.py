"""A change of the province's domain in the planner (docs/reorganisation.md): Quảng Bình's mailboxes move
to quangtri.gov.vn in one plan, every old address delivering until the operator's date (Art. 5, 11.3)."""

import dataclasses
import datetime as dt

import pytest
from congvu.directory import Tree
from congvu.plan import render_markdown
from congvu.settings import Settings
from test_plan import Province, by_id, staff

TODAY = dt.date(2025, 7, 1)
OLD, NEW = "quangbinh.gov.vn", "quangtri.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"


@pytest.fixture
def province(tmp_path):
    p = Province(tmp_path, Settings(domain=OLD))
    p.agency("stttt", staff(("T1", "Nguyễn Văn An", {"leader": True}), ("T2", "Đặng Thị Thu Hà", {}),
                            ("T3", "Võ Văn Tùng", {})), head="T1", delegates=["T2"])
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {"leader": True})), head="K1")
    p.apply(TODAY)
    # a person who left before the change: their address stays retired, in the old domain
    p.person("T3")["state"] = "terminated"
    p.apply(TODAY)
    return p


def change_domain(p, **more):
    p.settings = dataclasses.replace(p.settings, domain=NEW, former_domains=(OLD,), base_dn=BASE, **more)


def test_every_mailbox_moves_to_the_new_domain_in_one_plan_and_the_old_address_delivers_a_year(province):
    change_domain(province)
    plan = province.plan(TODAY)
    assert not plan.errors and not plan.blocked
    for pid, local in (("T1", "annv.stttt"), ("T2", "hadtt.stttt"), ("K1", "binhtv.skhcn")):
        item = by_id(plan, pid)
        assert item.action == "rename" and item.reorganisation, (pid, item.action)
        assert item.address == f"{local}@{NEW}"            # the same name (Art. 5), the new domain
        assert {"address": f"{local}@{OLD}", "expires": "2026-07-01"} in item.after["aliases"]
        assert item.reason == f"change of domain: {OLD} becomes {NEW}"
    agency = by_id(plan, "stttt")
    assert agency.action == "rename" and agency.address == f"stttt@{NEW}"
    assert agency.after["aliases"] == [{"address": f"stttt@{OLD}", "expires": "2026-07-01"}]
    assert by_id(plan, "T3").action == "keep"               # a closed mailbox stays closed, not moved
    assert plan.summary()["rename"] == 5 and plan.guard_count == 0 and plan.reorganised == 5
    text = render_markdown(plan, language="en")
    assert f"Change of domain: 5 mailbox(es) move from {OLD} to {NEW}; their old addresses deliver until " \
           "2026-07-01." in text
    assert "Đổi tên miền: 5 hộp thư chuyển từ quangbinh.gov.vn sang quangtri.gov.vn" in render_markdown(plan)


def test_the_operators_date_and_a_second_run_changes_nothing(province):
    change_domain(province, former_addresses_until="2026-12-31")
    plan = province.apply(TODAY)
    assert by_id(plan, "T1").after["aliases"] == [{"address": f"annv.stttt@{OLD}", "expires": "2026-12-31"}]
    again = province.plan(TODAY + dt.timedelta(days=1))
    assert not again.changed, [(i.id, i.action) for i in again.items if i.action != "keep"]


def test_a_domain_changed_without_naming_the_former_one_changes_nothing_and_says_what_to_do(province):
    province.settings = dataclasses.replace(province.settings, domain=NEW)
    plan = province.plan(TODAY)
    assert plan.items == [] and len(plan.errors) == 1
    assert plan.errors[0].render("en").startswith(
        f"the directory holds 5 mailbox(es) in the domain '{OLD}', which is neither the domain '{NEW}'")
    assert "congvu__former_domains" in plan.errors[0].render("vi")


def test_a_retired_name_is_not_given_again_in_the_new_domain(province):
    """Art. 5: T3's annv-like address is retired; a namesake hired after the change gets a number, not the
    old local part in the new domain."""
    change_domain(province)
    province.agencies["stttt"]["staff"].append({"id": "T9", "name": "Võ Văn Tùng"})
    plan = province.plan(TODAY)
    assert by_id(plan, "T9").address == f"tungvv1.stttt@{NEW}"


def test_a_transfer_during_the_change_gets_the_new_agency_in_the_new_domain(province):
    change_domain(province)
    province.move("T2", "skhcn")
    item = by_id(province.plan(TODAY), "T2")
    assert item.action == "transfer" and item.address == f"hadtt.skhcn@{NEW}"
    assert {"address": f"hadtt.stttt@{OLD}", "expires": "2026-07-01"} in item.after["aliases"]


def test_a_pin_written_in_the_former_domain_moves_with_everybody(province):
    province.person("K1")["address"] = f"binhtv.skhcn@{OLD}"
    change_domain(province)
    item = by_id(province.plan(TODAY), "K1")
    assert item.address == f"binhtv.skhcn@{NEW}" and item.action == "rename"


def test_a_former_domain_needs_the_directorys_base():
    with pytest.raises(ValueError, match="'base_dn' is required with 'former_domains'.*dc=quangbinh,dc=gov,dc=vn"):
        Settings.from_vars({"congvu__domain": NEW, "congvu__former_domains": [OLD]})
    settings = Settings.from_vars({"domain": NEW, "former_domains": [OLD], "base_dn": BASE})
    # the directory's tree: under base_dn, else under the base derived from the domain (directory.Tree)
    assert Tree(settings.domain, settings.base_dn).base == BASE
    assert Tree(NEW, Settings(domain=NEW).base_dn).base == "dc=quangtri,dc=gov,dc=vn"
    with pytest.raises(ValueError, match="former_domains"):
        Settings.from_vars({"domain": NEW, "former_domains": [NEW], "base_dn": BASE})


def test_an_agency_mailbox_handed_over_in_the_same_plan_moves_too(province):
    """An abolished agency's mailbox handed to its successor stays in service: its address moves with
    everybody's, the old one delivering until the date; a later plan moves nothing more."""
    old = province.agencies.pop("skhcn")
    province.agency("khcn", staff(("K9", "Lê Văn Hải", {"leader": True})) + old["staff"], head="K9",
                    name="Sở Khoa học và Công nghệ mới")
    province.agencies["khcn"]["agency"]["replaces"] = [{"code": "skhcn", "mailbox": "handover"}]
    change_domain(province)
    plan = province.plan(TODAY)
    assert not plan.errors and not plan.blocked
    box = by_id(plan, "skhcn")
    assert box.action == "handover" and box.reorganisation and box.address == f"skhcn@{NEW}"
    assert box.after["state"] == "active" and box.after["head"] == "K9" and box.after["address"] == f"skhcn@{NEW}"
    assert {"address": f"skhcn@{OLD}", "expires": "2026-07-01"} in box.after["aliases"]
    province.apply(TODAY)
    assert by_id(province.plan(TODAY), "skhcn").action == "keep"


def test_an_agency_mailbox_handed_over_earlier_moves_as_a_change_of_domain(province):
    old = province.agencies.pop("skhcn")
    province.agency("khcn", old["staff"], head="K1", name="Sở Khoa học và Công nghệ mới")
    province.agencies["khcn"]["agency"]["replaces"] = [{"code": "skhcn", "mailbox": "handover"}]
    province.apply(TODAY)
    change_domain(province)
    box = by_id(province.plan(TODAY), "skhcn")
    assert box.action == "rename" and box.address == f"skhcn@{NEW}"
    assert box.reason == f"change of domain: {OLD} becomes {NEW}"
