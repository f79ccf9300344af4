"""Apply what was reviewed: a saved plan is refused when the roster, the directory or the settings moved."""

import datetime as dt
import json
import os
import shutil

import pytest
from congvu import saved_plan
from congvu.settings import Settings
from congvu.state import State
from congvu_planner_files import load_state, plan_roster_path, roster_files

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEMO = os.path.join(ROOT, "inventories", "demo")
DAY = dt.date(2026, 11, 28)


def digest_of(folder):
    def read():
        for name in roster_files(folder):
            with open(os.path.join(folder, name), "rb") as handle:
                yield name, handle.read()
    return saved_plan.files_digest(read())


def plan_of(folder, state, settings=None, revision="abc123", day=DAY):
    """plan.json as the modules write it: the plan with its basis."""
    result = plan_roster_path(folder, state, settings or Settings(), day)
    result.basis = saved_plan.basis(state.digest(), digest_of(folder), revision)
    return json.loads(result.dumps())


@pytest.fixture
def demo(tmp_path):
    """A copy of the demo roster, last month's state, and the plan a pull request would show."""
    folder = str(tmp_path / "roster")
    shutil.copytree(os.path.join(DEMO, "roster"), folder)
    state = load_state(os.path.join(DEMO, "state.json"))
    return folder, state, plan_of(folder, state)


def test_the_same_roster_and_directory_give_the_reviewed_plan(demo, tmp_path):
    folder, state, saved = demo
    saved_plan.check_saved(saved)
    # the apply reads the roster from a copy elsewhere (the directory host) and the state from the
    # directory, not from the export: the same records give the same fingerprint
    copy = str(tmp_path / "elsewhere" / "roster")
    shutil.copytree(folder, copy)
    live = State.from_dict(json.loads(state.dumps()))
    fresh = plan_of(copy, live, revision="def456")  # a merge commit: another id, the same files
    assert saved["summary"]["transfer"] == 1 and saved["summary"]["terminate"] == 1
    assert saved_plan.stale_reasons(saved, fresh) == []


def test_a_directory_changed_since_the_plan_is_refused(demo):
    folder, state, saved = demo
    live = State.from_dict(json.loads(state.dumps()))
    live.mailboxes[sorted(live.mailboxes)[0]].title = "Phó Giám đốc"  # a change by hand
    reasons = saved_plan.stale_reasons(saved, plan_of(folder, live))
    assert len(reasons) == 1 and reasons[0].startswith("the directory changed since the plan was made")


def test_a_roster_changed_since_the_plan_is_refused_naming_both_revisions(demo):
    folder, state, saved = demo
    with open(os.path.join(folder, "snv.yml"), "a", encoding="utf-8") as handle:
        handle.write("# a comment is a change of the files too\n")
    reasons = saved_plan.stale_reasons(saved, plan_of(folder, state, revision="f00d"))
    assert reasons == ["the roster is not the one the plan was made from (plan: revision abc123; now: "
                       "revision f00d)"]


def test_other_settings_give_another_plan_and_it_is_refused(demo):
    folder, state, saved = demo
    fresh = plan_of(folder, state, Settings(transfer_alias_days=30))
    reasons = saved_plan.stale_reasons(saved, fresh)
    assert len(reasons) == 1 and "different in: mailboxes" in reasons[0]


def test_the_override_given_at_apply_time_is_not_a_difference(demo):
    folder, state, saved = demo
    fresh = dict(plan_of(folder, state), guard={**saved["guard"], "override": True}, blocked=False)
    assert saved_plan.stale_reasons(saved, fresh) == []


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("basis"), "made by an older version"),
    (lambda p: p.update(format=99), "plan format 99 is not 1"),
    (lambda p: p.update(errors=[{"message": "x"}]), r"the plan has 1 error\(s\)"),
    (lambda p: p.pop("mailboxes"), "not a plan.json"),
])
def test_a_file_that_is_not_an_applicable_plan_is_refused(demo, change, message):
    saved = demo[2]
    change(saved)
    with pytest.raises(saved_plan.SavedPlanInvalid, match=message):
        saved_plan.check_saved(saved)


def test_the_roster_fingerprint_sees_names_contents_and_boundaries():
    base = saved_plan.files_digest([("a.yml", b"xy"), ("b.yml", b"z")])
    assert base == saved_plan.files_digest([("a.yml", b"xy"), ("b.yml", b"z")])
    assert base != saved_plan.files_digest([("a.yml", b"x"), ("b.yml", b"yz")])
    assert base != saved_plan.files_digest([("a.yml", b"xy"), ("c.yml", b"z")])
    assert base != saved_plan.files_digest([("a.yml", b"xy")])


def test_the_state_fingerprint_survives_the_export_and_sees_every_change():
    state = load_state(os.path.join(DEMO, "state.json"))
    again = State.from_dict(json.loads(state.dumps()))
    assert again.digest() == state.digest()
    box = next(iter(again.mailboxes.values()))
    box.held_since = "2026-11-01"  # the inactivity job's hold is a change the plan depends on
    assert again.digest() != state.digest()
    assert State().digest() == State.from_dict({"format": 1}).digest()  # a new province


def test_the_reasons_read_in_vietnamese_by_default_and_english_on_request(demo):
    from congvu.messages import translate_text

    folder, state, saved = demo
    with open(os.path.join(folder, "snv.yml"), "a", encoding="utf-8") as handle:
        handle.write("# later\n")
    live = State.from_dict(json.loads(state.dumps()))
    live.mailboxes[sorted(live.mailboxes)[0]].title = "Phó Giám đốc"
    reasons = saved_plan.stale_reasons(saved, plan_of(folder, live, revision="f00d"))
    assert [translate_text(r, "vi") for r in reasons] == [
        "danh sách cán bộ không còn là danh sách đã dùng để lập kế hoạch (kế hoạch: phiên bản abc123; hiện nay: "
        "phiên bản f00d)",
        "thư mục (LDAP) đã thay đổi kể từ khi lập kế hoạch (một lần chạy sau đó, tác vụ tạm khóa hộp thư không "
        "sử dụng, hoặc sửa trực tiếp)"]
    assert [translate_text(r, "en") for r in reasons] == reasons
