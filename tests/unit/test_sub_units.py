"""Sub-units of an agency, where the regulation in force has them (Art. 5 as Ninh Bình's QĐ 162/2025 writes
it; the profile's `addresses.sub_units`, docs/profiles.md): the code `<unit>.<parent>`, the mailbox
`<unit>.<parent>@domain`, the staff `<name>.<unit>.<parent>@domain`."""

import datetime as dt

import pytest
from congvu.roster import RosterInvalid
from congvu.settings import Settings
from test_plan import Province, by_id, staff

TODAY = dt.date(2026, 1, 5)
DOMAIN = "ninhbinh.gov.vn"


@pytest.fixture
def province(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN, sub_units=True))
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {"leader": True}), ("K2", "Nguyễn Văn An", {})), head="K1")
    p.agency("vanphong.skhcn", staff(("V1", "Nguyễn Văn An", {"leader": True}), ("V2", "Lê Thị Hoa", {})),
             head="V1", name="Văn phòng Sở Khoa học và Công nghệ")
    return p


def test_a_sub_unit_has_its_mailbox_and_its_staff_their_addresses_under_the_parent(province):
    plan = province.apply(TODAY)
    assert by_id(plan, "vanphong.skhcn").address == f"vanphong.skhcn@{DOMAIN}"
    assert by_id(plan, "V1").address == f"annv.vanphong.skhcn@{DOMAIN}"
    assert by_id(plan, "V2").address == f"hoalt.vanphong.skhcn@{DOMAIN}"
    # a namesake in the parent agency is in another namespace: both keep the plain name
    assert by_id(plan, "K2").address == f"annv.skhcn@{DOMAIN}"
    assert by_id(plan, "skhcn").address == f"skhcn@{DOMAIN}"
    assert not province.plan(TODAY).changed


def test_without_sub_units_in_the_profile_a_dotted_code_is_refused_naming_the_file_and_the_rule(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN))
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {})))
    p.agency("vanphong.skhcn", staff(("V1", "Lê Thị Hoa", {})))
    with pytest.raises(RosterInvalid) as caught:
        p.plan(TODAY)
    (problem,) = [e for e in caught.value.problems if e.severity == "error"]
    assert (problem.file, problem.entry, problem.field) == ("vanphong.skhcn.yml", "agency", "code")
    assert "addresses.sub_units" in problem.render("en")
    assert problem.render("vi").startswith("'vanphong.skhcn' là mã của một đơn vị trực thuộc")


def test_a_sub_unit_of_an_agency_not_in_the_roster_is_refused(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN, sub_units=True))
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {})))
    p.agency("vanphong.stttt", staff(("V1", "Lê Thị Hoa", {})))
    with pytest.raises(RosterInvalid) as caught:
        p.plan(TODAY)
    (problem,) = [e for e in caught.value.problems if e.severity == "error"]
    assert problem.file == "vanphong.stttt.yml" and problem.field == "code"
    assert problem.render("en") == ("the sub-unit 'vanphong.stttt' belongs to 'stttt', which is not an agency of "
                                    "the roster: add stttt.yml, or correct the code")


def test_only_one_level_and_only_lowercase_letters_and_digits(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN, sub_units=True))
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {})))
    p.agency("a.vanphong.skhcn", staff(("V1", "Lê Thị Hoa", {})))
    with pytest.raises(RosterInvalid) as caught:
        p.plan(TODAY)
    (problem,) = [e for e in caught.value.problems if e.severity == "error"]
    assert "'<unit>.<parent>' for a sub-unit" in problem.render("en")


def test_a_sub_unit_mailbox_is_not_handed_to_a_person_of_the_parent_with_that_name(tmp_path):
    """Art. 5: `annv.skhcn@` is both the shape of the parent's personal address for Nguyễn Văn An and of a
    sub-unit `annv`. Created in one run, the sub-unit keeps it and the person gets a number; once a
    person has it, a sub-unit with that code is refused."""
    p = Province(tmp_path, Settings(domain=DOMAIN, sub_units=True))
    p.agency("skhcn", staff(("K1", "Nguyễn Văn An", {})))
    p.agency("annv.skhcn", staff(("A1", "Lê Thị Hoa", {})))
    plan = p.apply(TODAY)
    assert by_id(plan, "annv.skhcn").address == f"annv.skhcn@{DOMAIN}"
    assert by_id(plan, "K1").address == f"annv1.skhcn@{DOMAIN}"


def test_a_sub_unit_named_like_a_persons_address_is_refused_once_the_person_has_it(tmp_path):
    p = Province(tmp_path, Settings(domain=DOMAIN, sub_units=True))
    p.agency("skhcn", staff(("K1", "Nguyễn Văn An", {})))
    p.apply(TODAY)
    p.agency("annv.skhcn", staff(("A1", "Lê Thị Hoa", {})))
    plan = p.plan(TODAY)
    assert plan.items == [] and len(plan.errors) == 1
    assert plan.errors[0].file == "annv.skhcn.yml"
    assert plan.errors[0].render("en").startswith(
        f"the address annv.skhcn@{DOMAIN} belongs or belonged to the mailbox of id K1 (Nguyễn Văn An)")


def test_a_pin_in_the_parent_among_the_sub_units_addresses_is_refused(province):
    province.person("K2")["address"] = "an.vanphong.skhcn"
    with pytest.raises(RosterInvalid) as caught:
        province.plan(TODAY)
    (problem,) = [e for e in caught.value.problems if e.severity == "error"]
    assert (problem.file, problem.field) == ("skhcn.yml", "address")
    assert "sub-unit 'vanphong.skhcn' (vanphong.skhcn.yml)" in problem.render("en")


def test_a_sub_unit_renamed_with_its_parent_is_a_reorganisation_not_a_new_mailbox(province):
    """The parent merged into another (replaces:), the sub-unit follows with `replaces` of its old code."""
    province.apply(TODAY)
    skhcn = province.agencies.pop("skhcn")
    unit = province.agencies.pop("vanphong.skhcn")
    province.agency("sxd", skhcn["staff"], head="K1", name="Sở Xây dựng")
    province.agencies["sxd"]["agency"]["replaces"] = ["skhcn"]
    province.agency("vanphong.sxd", unit["staff"], head="V1", name="Văn phòng Sở Xây dựng")
    province.agencies["vanphong.sxd"]["agency"]["replaces"] = ["vanphong.skhcn"]
    plan = province.plan(TODAY)
    assert not plan.errors, [e.render("en") for e in plan.errors]
    v1 = by_id(plan, "V1")
    assert v1.action == "transfer" and v1.address == f"annv.vanphong.sxd@{DOMAIN}"
    assert {"address": f"annv.vanphong.skhcn@{DOMAIN}", "expires": "2027-01-05"} in v1.after["aliases"]
    assert {i.id for i in plan.items if i.action == "create"} == {"sxd", "vanphong.sxd"}  # agency mailboxes
