"""The 2025 reorganisation in the planner: merged, renamed and abolished agencies, retired codes (Art. 5,
7.1, 10, 11.3; docs/reorganisation.md). Sở TT&TT merged into Sở KH&CN; huyện Quảng Ninh abolished, its
agency mailbox handed to xã Quảng Ninh's head."""

import datetime as dt

import pytest
from congvu.plan import render_markdown
from congvu.roster import RosterInvalid
from congvu.settings import Settings
from test_plan import Province, addr, by_id, staff

TODAY = dt.date(2025, 7, 1)
ONE_YEAR = "2026-07-01"


@pytest.fixture
def province(tmp_path):
    p = Province(tmp_path)
    p.agency("stttt", staff(("T1", "Nguyễn Văn An", {"leader": True}), ("T2", "Đặng Thị Thu Hà", {})),
             head="T1", delegates=["T2"], name="Sở Thông tin và Truyền thông")
    p.agency("skhcn", staff(("K1", "Trần Văn Bình", {"leader": True}), ("K2", "Lê Thị Lan", {})),
             head="K1", name="Sở Khoa học và Công nghệ")
    p.agency("huyenqn", staff(("H1", "Phạm Văn Hùng", {"leader": True})), head="H1",
             name="UBND huyện Quảng Ninh", kind="district")
    p.apply(TODAY)
    return p


def problems_of(p):
    """The roster's validation problems (the whole roster is refused)."""
    with pytest.raises(RosterInvalid) as caught:
        p.plan(TODAY)
    return [x for x in caught.value.problems if x.severity == "error"]


def merge_stttt_into_skhcn(p, mailbox=None):
    old = p.agencies.pop("stttt")
    p.agencies["skhcn"]["staff"] += old["staff"]
    p.agencies["skhcn"]["agency"]["replaces"] = [{"code": "stttt", "mailbox": mailbox} if mailbox else "stttt"]


def test_a_merger_moves_the_staff_as_transfers_and_keeps_every_old_address_for_a_year(province):
    uuid_like = {pid: province.state.mailboxes[pid].history[0] for pid in ("T1", "T2")}
    merge_stttt_into_skhcn(province)
    plan = province.plan(TODAY)
    assert not plan.blocked, plan.errors
    t1 = by_id(plan, "T1")
    assert t1.action == "transfer" and t1.reorganisation and t1.successor == "skhcn"
    assert t1.address == addr("annv.skhcn")
    assert {"address": addr("annv.stttt"), "expires": ONE_YEAR} in t1.after["aliases"]
    assert t1.reason == "reorganisation: agency 'stttt' is replaced by 'skhcn'"
    # never terminate plus create: the same entries, the old addresses in their history
    assert plan.summary()["create"] == 0 and by_id(plan, "T2").before["history"][0] == uuid_like["T2"]
    # the agency mailbox of the merged agency: closed, its address delivering to skhcn@ for a year
    old = by_id(plan, "stttt")
    assert old.action == "terminate" and old.reorganisation and old.after["state"] == "terminated"
    new = by_id(plan, "skhcn")
    assert new.after["aliases"] == [{"address": addr("stttt"), "expires": ONE_YEAR}]
    # the guard counts the reorganisation apart: nothing here is a suspension or a termination to stop
    assert plan.guard_count == 0 and plan.reorganised == 4
    assert plan.as_dict()["guard"]["reorganisation"] == 4


def test_the_operator_sets_until_when_former_addresses_deliver(province):
    province.settings = Settings(former_addresses_until="2027-12-31")
    merge_stttt_into_skhcn(province)
    plan = province.plan(TODAY)
    assert {"address": addr("annv.stttt"), "expires": "2027-12-31"} in by_id(plan, "T1").after["aliases"]
    assert by_id(plan, "skhcn").after["aliases"] == [{"address": addr("stttt"), "expires": "2027-12-31"}]


def test_the_merged_address_keeps_delivering_after_the_apply_and_is_never_given_again(province):
    merge_stttt_into_skhcn(province)
    province.apply(TODAY)
    assert province.state.agencies["stttt"].state == "terminated"
    assert [a.address for a in province.state.agencies["skhcn"].aliases] == [addr("stttt")]
    # a re-plan changes nothing more
    again = province.plan(TODAY)
    assert not again.changed and again.reorganised == 0
    # a new agency may not take the code whose address delivers to skhcn, even once the merger is no
    # longer written in skhcn's file
    del province.agencies["skhcn"]["agency"]["replaces"]
    province.agency("stttt", staff(("X1", "Võ Văn Tâm", {})), name="Trung tâm Tin học")
    refused = province.plan(TODAY)
    (error,) = refused.errors
    assert error.field == "code" and error.file == "stttt.yml"
    assert "delivers to the agency mailbox of 'Sở Khoa học và Công nghệ' until 2026-07-01" in error.text("en")
    assert "đang chuyển thư đến hộp thư cơ quan của 'Sở Khoa học và Công nghệ' đến ngày 01/07/2026" in str(error)


def test_an_abolished_district_hands_its_agency_mailbox_to_the_successors_head(province):
    old = province.agencies.pop("huyenqn")
    province.agency("quangninh", staff(("Q1", "Hoàng Văn Minh", {"leader": True})) + old["staff"], head="Q1",
                    name="UBND xã Quảng Ninh", kind="other")
    province.agencies["quangninh"]["agency"]["replaces"] = [{"code": "huyenqn", "mailbox": "handover"}]
    plan = province.plan(TODAY)
    assert not plan.blocked, plan.errors
    box = by_id(plan, "huyenqn")
    assert box.action == "handover" and box.reorganisation and box.successor == "quangninh"
    assert box.after["state"] == "active" and box.after["head"] == "Q1" and box.after["address"] == addr("huyenqn")
    # the commune's head opens both agency mailboxes with their own login (Art. 10); the district's
    # former head, now commune staff, none
    assert by_id(plan, "Q1").after["delegate_of"] == [addr("huyenqn"), addr("quangninh")]
    h1 = by_id(plan, "H1")
    assert h1.action == "transfer" and h1.address == addr("hungpv.quangninh") and h1.after["delegate_of"] == []
    assert {"address": addr("hungpv.huyenqn"), "expires": ONE_YEAR} in h1.after["aliases"]
    assert plan.guard_count == 0


def test_a_new_agency_on_a_retired_code_needs_a_decision_naming_both(province):
    # huyện Quảng Ninh closed the old way (its file removed); a commune now wants the same code
    province.agencies.pop("huyenqn")
    province.apply(TODAY, override=True)
    province.agency("huyenqn", staff(("Q1", "Hoàng Văn Minh", {"leader": True})), head="Q1",
                    name="UBND xã Quảng Ninh", kind="other")
    plan = province.plan(TODAY)
    (error,) = plan.errors
    assert error.field == "code"
    text = str(error)
    assert "UBND huyện Quảng Ninh" in text and "UBND xã Quảng Ninh" in text and "retired_code: reuse" in text
    # the decision: the commune takes that mailbox over
    province.agencies["huyenqn"]["agency"]["retired_code"] = "reuse"
    decided = province.plan(TODAY)
    assert not decided.errors
    taken = by_id(decided, "huyenqn")
    assert taken.after["state"] == "active" and taken.after["head"] == "Q1" and taken.address == addr("huyenqn")


def test_the_same_agency_back_under_its_name_needs_no_decision(province):
    kept = province.agencies.pop("huyenqn")
    province.apply(TODAY, override=True)
    province.agencies["huyenqn"] = kept
    plan = province.plan(TODAY)
    assert not plan.errors and by_id(plan, "huyenqn").action == "reactivate"


@pytest.mark.parametrize("replaces, message", [
    ("stttt", "must be a list of agency codes"),
    (["Sở TT"], "is not an agency code"),
    (["skhcn"], "an agency cannot replace itself"),
    ([{"code": "stttt", "mailbox": "keep"}], "'keep' is not a choice; use one of: alias, handover"),
    (["stttt", "stttt"], "'stttt' is listed twice"),
])
def test_a_wrong_replaces_is_named_by_file_line_and_field(province, replaces, message):
    merge_stttt_into_skhcn(province)
    province.agencies["skhcn"]["agency"]["replaces"] = replaces
    errors = problems_of(province)
    assert any(message in p.message and p.field.startswith("replaces") and p.file == "skhcn.yml" and p.line > 0
               for p in errors), [p.message for p in errors]


def test_an_agency_still_in_the_roster_cannot_be_replaced_nor_replaced_twice(province):
    province.agencies["skhcn"]["agency"]["replaces"] = ["stttt"]
    assert any("is still an agency of the roster (stttt.yml)" in p.message for p in problems_of(province))
    merge_stttt_into_skhcn(province)
    province.agencies["huyenqn"]["agency"]["replaces"] = ["stttt"]
    assert any("'stttt' is already replaced by 'huyenqn' (huyenqn.yml)" in p.message and p.file == "skhcn.yml"
               for p in problems_of(province))


def test_plan_md_shows_the_reorganisation_as_one_section_per_agency_in_both_languages(province):
    merge_stttt_into_skhcn(province)
    plan = province.plan(TODAY)
    vi, en = render_markdown(plan), render_markdown(plan, language="en")
    assert "## Reorganisation: skhcn (4)" in en
    assert "Reorganisation: 4 mailbox(es) moved, merged or handed over (not counted by the guard)." in en
    assert "## Tổ chức lại: skhcn (4)" in vi
    assert f"`{addr('annv.stttt')}` -> `{addr('annv.skhcn')}`" in vi
    # the moves are in their section, not again under transfer
    assert "## transfer" not in en
