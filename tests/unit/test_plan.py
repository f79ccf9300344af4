"""The offline planner: lifecycle (Art. 4, 5, 7, 10, 11), stickiness, the guard, determinism."""

import datetime as dt
import json

import pytest
import yaml
from congvu.plan import make_plan, render_markdown
from congvu.settings import Settings
from congvu.state import State
from congvu_planner_files import load_roster, plan_roster_path

D = "quangbinh.gov.vn"
TODAY = dt.date(2026, 11, 28)


def addr(local):
    return f"{local}@{D}"


class Province:
    """A roster folder the test edits step by step, and the state that applying each plan leaves."""

    def __init__(self, tmp_path, settings=None):
        self.root = tmp_path / "roster"
        self.root.mkdir()
        self.settings = settings or Settings()
        self.state = State()
        self.agencies = {}

    def agency(self, code, staff, head=None, delegates=(), name=None, kind="department"):
        self.agencies[code] = {
            "agency": {"code": code, "name": name or f"Sở {code}", "kind": kind, "head": head,
                       "delegates": list(delegates)},
            "staff": staff,
        }
        return self

    def person(self, pid):
        for data in self.agencies.values():
            for person in data["staff"]:
                if person["id"] == pid:
                    return person
        raise KeyError(pid)

    def move(self, pid, to):
        for data in self.agencies.values():
            for person in list(data["staff"]):
                if person["id"] == pid:
                    data["staff"].remove(person)
                    # a delegate who leaves can no longer open the old agency's mailbox (Art. 10)
                    data["agency"]["delegates"] = [d for d in data["agency"]["delegates"] if d != pid]
                    self.agencies[to]["staff"].append(person)
                    return

    def plan(self, today=TODAY, override=False):
        for path in self.root.iterdir():
            path.unlink()
        for code, data in self.agencies.items():
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            (self.root / f"{code}.yml").write_text(text, encoding="utf-8")
        roster = load_roster(str(self.root), self.settings)
        return make_plan(roster, self.state, today, override)

    def apply(self, today=TODAY, override=False):
        plan = self.plan(today, override)
        assert not plan.blocked, plan.errors or plan.guard_message()
        self.state = plan.new_state(self.state)
        return plan


def by_id(plan, pid):
    return next(i for i in plan.items if i.id == pid)


def actions(plan):
    return {i.id: i.action for i in plan.items}


def staff(*people):
    return [dict(id=pid, name=name, **extra) for pid, name, extra in people]


@pytest.fixture
def province(tmp_path):
    p = Province(tmp_path)
    p.agency("stttt", staff(("T1", "Nguyễn Văn An", {}), ("T2", "Ngô Văn An", {}),
                            ("T3", "Đặng Thị Thu Hà", {"leader": True, "title": "Giám đốc"}),
                            ("T4", "Lê Văn Bình", {})),
             head="T3", delegates=["T4"], name="Sở Thông tin và Truyền thông")
    p.agency("snv", staff(("N1", "Trần Thị Lan", {"leader": True}), ("N2", "Phạm Văn Hùng", {})),
             head="N1", name="Sở Nội vụ")
    return p


# --- Art. 4: a new province ------------------------------------------------------------------------

def test_art4_new_province_creates_every_mailbox_and_agency_mailbox(province):
    plan = province.plan()
    assert plan.summary()["create"] == 8
    assert by_id(plan, "T1").address == addr("annv.stttt")
    assert by_id(plan, "T2").address == addr("annv1.stttt")
    assert by_id(plan, "stttt").address == addr("stttt")
    assert by_id(plan, "stttt").after["head"] == "T3"
    assert by_id(plan, "stttt").after["delegates"] == ["T4"]
    assert plan.changed and not plan.blocked


def test_noop_replan_keeps_everything_and_reports_no_change(province):
    province.apply()
    plan = province.plan()
    assert set(actions(plan).values()) == {"keep"}
    assert plan.changed is False


def test_plan_is_deterministic_byte_for_byte(province):
    province.apply()
    province.person("T1")["name"] = "Nguyễn Văn Ân"
    province.move("N2", "stttt")
    first = province.plan()
    second = province.plan()
    assert first.dumps() == second.dumps()
    assert render_markdown(first) == render_markdown(second)


def test_plan_json_has_one_object_per_mailbox_with_id_address_action(province):
    plan = province.plan()
    data = json.loads(plan.dumps())
    assert len(data["mailboxes"]) == 8
    for item in data["mailboxes"]:
        assert {"id", "address", "action"} <= set(item)
    assert data["errors"] == [] and data["guard"]["tripped"] is False


# --- Art. 5: identity follows the id, addresses are sticky ------------------------------------------

def test_art5_spelling_fix_with_same_base_updates_in_place(province):
    province.apply()
    province.person("T1")["name"] = "Nguyễn Văn Ân"
    item = by_id(province.plan(), "T1")
    assert item.action == "update"
    assert item.address == addr("annv.stttt")
    assert item.changes == ["name"]


def test_art5_spelling_fix_changing_base_renames_and_keeps_old_address_as_alias(province):
    province.apply()
    province.person("T4")["name"] = "Lê Văn Bính"  # same base: update only
    assert by_id(province.plan(), "T4").action == "update"
    province.person("T4")["name"] = "Lê Văn Bảo"
    plan = province.plan()
    item = by_id(plan, "T4")
    assert item.action == "rename"
    assert item.address == addr("baolv.stttt")
    assert item.after["aliases"] == [{"address": addr("binhlv.stttt"), "expires": "2027-02-26"}]
    assert addr("binhlv.stttt") in item.after["history"]
    assert "create" not in actions(plan).values()


def test_art5_promotion_to_leader_does_not_renumber(province):
    province.apply()
    province.person("T2")["leader"] = True
    plan = province.plan()
    assert by_id(plan, "T2").action == "update"
    assert by_id(plan, "T2").address == addr("annv1.stttt")
    assert by_id(plan, "T1").action == "keep"


def test_art5_newcomer_does_not_move_existing_mailboxes(province):
    province.apply()
    province.agencies["stttt"]["staff"].insert(0, {"id": "T9", "name": "Nông Viết An", "leader": True})
    plan = province.plan()
    assert by_id(plan, "T1").action == "keep"
    assert by_id(plan, "T9").address == addr("annv2.stttt")
    notices = [n for n in plan.notices if n.entry == "staff id T9"]
    assert len(notices) == 1 and "annv.stttt" in notices[0].message and notices[0].field == "leader"


def test_art5_same_run_leader_gets_plain_base(province):
    province.agencies["stttt"]["staff"].append({"id": "T9", "name": "Nông Viết An", "leader": True})
    plan = province.plan()
    assert by_id(plan, "T9").address == addr("annv.stttt")
    assert by_id(plan, "T1").address == addr("annv1.stttt")
    assert by_id(plan, "T2").address == addr("annv2.stttt")


def test_art5_readded_person_with_terminated_namesake_gets_new_number(province):
    province.apply()
    province.person("T1")["state"] = "terminated"
    province.apply()
    province.agencies["stttt"]["staff"].append({"id": "T10", "name": "Nguyễn Văn An"})
    plan = province.plan()
    assert by_id(plan, "T10").action == "create"
    assert by_id(plan, "T10").address == addr("annv2.stttt")  # annv (T1, retired) and annv1 (T2) stay


def test_art5_address_expired_alias_is_still_never_reused(province):
    province.apply()
    province.person("T4")["name"] = "Lê Văn Bảo"
    province.apply()
    later = TODAY + dt.timedelta(days=200)
    plan = province.apply(today=later)
    assert by_id(plan, "T4").after["aliases"] == []  # the alias expired: it stops routing
    province.agencies["stttt"]["staff"].append({"id": "T11", "name": "Lý Thị Bình"})
    assert by_id(province.plan(later), "T11").address == addr("binhlt.stttt")
    province.agencies["stttt"]["staff"].append({"id": "T12", "name": "Lê Văn Bình"})
    assert by_id(province.plan(later), "T12").address == addr("binhlv1.stttt")


def test_art5_pin_renames_existing_mailbox_and_is_avoided_by_others(province):
    province.apply()
    province.person("T4")["address"] = "binhle.stttt"
    item = by_id(province.plan(), "T4")
    assert item.action == "rename" and item.address == addr("binhle.stttt")


def test_art5_pin_of_an_address_used_by_another_id_is_an_error(province):
    province.apply()
    province.person("T4")["address"] = "annv.stttt"
    plan = province.plan()
    assert plan.blocked and plan.items == []
    (error,) = plan.errors
    assert (error.entry, error.field) == ("staff id T4", "address")
    assert "T1" in error.message and error.file.endswith("stttt.yml") and error.line > 0


# --- Art. 11: transfer ---------------------------------------------------------------------------

def test_art11_transfer_keeps_mailbox_gives_new_address_and_old_alias(province):
    province.apply()
    province.move("T4", "snv")
    plan = province.plan()
    item = by_id(plan, "T4")
    assert item.action == "transfer"
    assert item.address == addr("binhlv.snv")
    assert item.before["agency"] == "stttt" and item.after["agency"] == "snv"
    assert item.after["aliases"] == [{"address": addr("binhlv.stttt"), "expires": "2027-02-26"}]
    assert plan.summary()["create"] == 0 and plan.summary()["terminate"] == 0


def test_art11_transfer_back_regains_own_old_address(province):
    province.apply()
    province.move("T4", "snv")
    province.apply()
    province.move("T4", "stttt")
    item = by_id(province.plan(), "T4")
    assert item.address == addr("binhlv.stttt")
    assert item.after["aliases"] == [{"address": addr("binhlv.snv"), "expires": "2027-02-26"}]


def test_art11_grace_period_is_a_setting(tmp_path):
    p = Province(tmp_path, Settings(transfer_alias_days=30))
    p.agency("a", staff(("A1", "Lê An", {})), head="A1")
    p.agency("b", staff(("B1", "Lê Bình", {})), head="B1")
    p.apply()
    p.move("A1", "b")
    p.agencies["a"]["agency"]["head"] = None
    assert by_id(p.plan(), "A1").after["aliases"][0]["expires"] == "2026-12-28"


# --- Art. 7: suspend, reactivate, terminate --------------------------------------------------------

def test_art7_suspend_keeps_address_and_aliases(province):
    province.apply()
    province.person("T1")["state"] = "suspended"
    item = by_id(province.plan(), "T1")
    assert item.action == "suspend"
    assert item.after["state"] == "suspended" and item.after["address"] == item.before["address"]


def test_art7_reactivate_after_suspension(province):
    province.apply()
    province.person("T1")["state"] = "suspended"
    province.apply()
    province.person("T1")["state"] = "active"
    assert by_id(province.plan(), "T1").action == "reactivate"


def test_art7_terminate_retires_address_and_keeps_the_record(province):
    province.apply()
    province.person("T4")["name"] = "Lê Văn Bảo"
    province.apply()
    province.agencies["stttt"]["agency"]["delegates"] = []
    province.person("T4")["state"] = "terminated"
    item = by_id(province.plan(), "T4")
    assert item.action == "terminate"
    assert item.after["state"] == "terminated" and item.after["address"] == addr("baolv.stttt")
    assert item.after["aliases"] == [] and addr("binhlv.stttt") in item.after["history"]


def test_art7_person_removed_from_roster_is_terminated_not_deleted(province):
    province.apply()
    province.agencies["snv"]["staff"] = [p for p in province.agencies["snv"]["staff"] if p["id"] != "N2"]
    plan = province.plan()
    item = by_id(plan, "N2")
    assert item.action == "terminate" and "not in the roster" in item.reason
    state = plan.new_state(province.state)
    assert state.mailboxes["N2"].state == "terminated"


def test_art7_terminated_in_roster_without_mailbox_is_nothing_to_do(province):
    province.agencies["snv"]["staff"].append({"id": "N3", "name": "Võ Văn Tú", "state": "terminated"})
    assert "N3" not in actions(province.plan())


def _held_by_inactivity(province, pid, since="2026-11-01"):
    """What the inactivity job leaves: suspended, with its marker (read into held_since)."""
    box = province.state.mailboxes[pid]
    box.state, box.held_since = "suspended", since


def test_art7_inactivity_suspension_holds_against_active_in_the_roster(province):
    province.apply()
    _held_by_inactivity(province, "T1")
    plan = province.plan()
    assert by_id(plan, "T1").action == "keep"
    assert plan.summary()["reactivate"] == 0
    notice = next(p for p in plan.notices if p.entry == "staff id T1")
    assert "congvu-inactivity reactivate T1" in notice.message and "Art. 7.2" in notice.message


def test_art7_held_mailbox_still_follows_other_roster_changes(province):
    province.apply()
    _held_by_inactivity(province, "T1")
    province.person("T1")["title"] = "Chuyên viên chính"
    item = by_id(province.plan(), "T1")
    assert item.action == "update" and item.after["state"] == "suspended"
    assert item.after["title"] == "Chuyên viên chính" and item.after["held_since"] == "2026-11-01"


def test_art7_roster_can_still_terminate_a_held_mailbox(province):
    province.apply()
    _held_by_inactivity(province, "T1")
    province.person("T1")["state"] = "terminated"
    assert by_id(province.plan(), "T1").action == "terminate"


def test_art7_new_person_listed_as_suspended_is_created_suspended(province):
    province.agencies["snv"]["staff"].append({"id": "N3", "name": "Võ Văn Tú", "state": "suspended"})
    item = by_id(province.plan(), "N3")
    assert item.action == "create" and item.after["state"] == "suspended"


# --- Art. 9 and updates ------------------------------------------------------------------------------

def test_art9_quota_change_is_an_update(province):
    province.apply()
    province.person("T1").update(quota="5G", quota_decision="123/QĐ-UBND")
    item = by_id(province.plan(), "T1")
    assert item.action == "update" and item.after["quota"] == 5 * 1024**3
    assert item.changes == ["quota", "quota_decision"]


# --- Art. 10: agency mailbox, head and delegates ---------------------------------------------------

def test_art10_change_of_head_is_a_handover(province):
    province.apply()
    province.agencies["stttt"]["agency"]["head"] = "T1"
    item = by_id(province.plan(), "stttt")
    assert item.action == "handover"
    assert (item.before["head"], item.after["head"]) == ("T3", "T1")


def test_art10_delegates_are_recorded_on_the_agency_mailbox(province):
    province.apply()
    province.agencies["stttt"]["agency"]["delegates"] = ["T4", "T2"]
    item = by_id(province.plan(), "stttt")
    assert item.action == "update" and item.after["delegates"] == ["T4", "T2"]


def test_art10_head_and_delegates_carry_the_agency_mailboxes_they_open(province):
    plan = province.plan()
    assert by_id(plan, "T3").after["delegate_of"] == [addr("stttt")]   # head
    assert by_id(plan, "T4").after["delegate_of"] == [addr("stttt")]   # delegate
    assert by_id(plan, "N1").after["delegate_of"] == [addr("snv")]
    assert by_id(plan, "T1").after["delegate_of"] == []


def test_art10_handover_moves_the_right_to_open_from_old_head_to_new(province):
    province.apply()
    province.agencies["stttt"]["agency"]["head"] = "T1"
    plan = province.plan()
    assert by_id(plan, "T3").action == "update" and by_id(plan, "T3").after["delegate_of"] == []
    assert by_id(plan, "T1").after["delegate_of"] == [addr("stttt")]
    assert "(Art. 10)" in by_id(plan, "T1").reason
    assert f"mở hộp thư cơ quan: không có -> {addr('stttt')}" in render_markdown(plan)
    assert f"opens: none -> {addr('stttt')}" in render_markdown(plan, language="en")


def test_art13_terminated_delegate_opens_nothing(province):
    province.apply()
    province.person("T4")["state"] = "terminated"
    province.agencies["stttt"]["agency"]["delegates"] = []
    item = by_id(province.plan(), "T4")
    assert item.action == "terminate" and item.after["delegate_of"] == []


def test_agency_file_removed_terminates_agency_mailbox_and_its_staff(province):
    province.apply()
    del province.agencies["snv"]
    plan = province.plan()
    assert by_id(plan, "snv").action == "terminate"
    assert by_id(plan, "N1").action == "terminate"


# --- the guard (POLICY.md, safety of a reconcile) -------------------------------------------------

def test_guard_limit_is_50_or_5_percent_whichever_is_smaller():
    s = Settings()
    assert s.guard_limit(100_000) == 50
    assert s.guard_limit(600) == 30
    assert s.guard_limit(10) == 1


def big_province(tmp_path, n=60):
    p = Province(tmp_path)
    people = [(f"P{i:03d}", "Nguyễn Văn An", {}) for i in range(n)]
    p.agency("stc", staff(*people), head="P000")
    p.apply()
    return p


def test_guard_stops_a_mass_suspension(tmp_path):
    p = big_province(tmp_path)  # 60 people: limit 3
    for i in range(1, 5):
        p.person(f"P{i:03d}")["state"] = "suspended"
    plan = p.plan()
    assert (plan.guard_count, plan.guard_limit) == (4, 3)
    assert plan.guard_tripped and plan.blocked and not plan.errors
    assert plan.guard_message().startswith("chốt an toàn dừng lần chạy này: kế hoạch sẽ tạm khóa hoặc chấm dứt 4 "
                                           "hộp thư, vượt giới hạn 3 (POLICY.md: 50 hộp thư hoặc 5% danh sách")
    assert "-e roster_override_guard=true" in plan.guard_message()
    assert plan.guard_message("en").startswith("the guard stops this run: it would suspend or terminate 4 mailboxes")
    assert "kế hoạch này sẽ không được áp dụng nếu không có lệnh vượt chốt" in render_markdown(plan)
    assert "will not be applied without the override" in render_markdown(plan, language="en")


def test_guard_override_lets_the_plan_through(tmp_path):
    p = big_province(tmp_path)
    for i in range(1, 5):
        p.person(f"P{i:03d}")["state"] = "suspended"
    plan = p.plan(override=True)
    assert plan.guard_tripped and not plan.blocked


def test_guard_within_limit_passes(tmp_path):
    p = big_province(tmp_path)
    for i in range(1, 4):
        p.person(f"P{i:03d}")["state"] = "terminated"
    assert not p.plan().blocked


# --- plan.md --------------------------------------------------------------------------------------

def test_plan_markdown_shows_lines_a_reviewer_reads(province):
    province.apply()
    province.move("T4", "snv")
    province.person("T1")["title"] = "Phó Giám đốc"
    md = render_markdown(province.plan())
    assert "## chuyển công tác (1)" in md
    assert f"`{addr('binhlv.stttt')}` -> `{addr('binhlv.snv')}` (địa chỉ cũ vẫn nhận thư đến hết ngày 26/02/2027)" in md
    assert "chuyển công tác từ cơ quan 'stttt' (khoản 3 Điều 11)" in md
    assert "title: không có -> Phó Giám đốc" in md
    md = render_markdown(province.plan(), language="en")
    assert "## transfer (1)" in md
    assert f"`{addr('binhlv.stttt')}` -> `{addr('binhlv.snv')}` (old address kept until 2027-02-26)" in md
    assert "moved from agency 'stttt' (Art. 11.3)" in md
    assert "title: none -> Phó Giám đốc" in md


def test_invalid_roster_gives_plan_of_errors_only(write_roster):
    root = write_roster({"stttt": "agency: {code: stttt, name: X, kind: department}\nstaff:\n  - id: A\n"})
    plan = plan_roster_path(root, State(), Settings(), TODAY)
    assert plan.errors and plan.items == [] and plan.blocked
    assert "Không có gì được thay đổi" in render_markdown(plan)
    assert "Nothing will be changed" in render_markdown(plan, language="en")
