"""playbooks/roster_plan.yml and playbooks/demo.yml, run as an operator or CI would run them."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = shutil.which("ansible-playbook", path=os.path.dirname(sys.executable)) or "ansible-playbook"
DEMO = os.path.join(ROOT, "inventories", "demo")


def run(playbook, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = [PLAYBOOK, "-i", os.path.join(DEMO, "hosts.yml"), os.path.join(ROOT, "playbooks", playbook)]
    return subprocess.run([*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def flat(result):
    """What the run printed, with the YAML callback's line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


def plan_demo(out, *extra):
    return run("roster_plan.yml", "-e", f"roster_path={DEMO}/roster", "-e", f"plan_dir={out}",
               "-e", "plan_date=2026-11-28", *extra)


def test_demo_roster_plans_against_last_months_state(tmp_path):
    result = plan_demo(tmp_path, "-e", f"state_path={DEMO}/state.json")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    items = {m["id"]: m for m in plan["mailboxes"]}
    assert items["TC0042"]["action"] == "transfer"
    assert items["TC0042"]["address"] == "trangptt.snv@quangbinh.gov.vn"
    assert items["TC0042"]["after"]["aliases"][0]["address"] == "trangptt.stc@quangbinh.gov.vn"
    assert items["KC0011"]["action"] == "rename"
    assert items["CT0014"]["action"] == "suspend" and items["TP0012"]["action"] == "terminate"
    assert plan["errors"] == [] and plan["guard"]["tripped"] is False
    md = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert "## chuyển công tác (1)" in md and "Phan Thị Thu Trang (TC0042)" in md
    # what the playbook prints: Vietnamese by default
    assert "kế hoạch: chuyển công tác: 1, đổi tên: 1, chấm dứt: 1, tạm khóa: 1" in flat(result)
    assert "chốt an toàn: 2 trên giới hạn 31" in flat(result) and "1 lưu ý" in flat(result)
    assert f"đã ghi: {tmp_path}/plan.md và {tmp_path}/plan.json" in flat(result)


def test_english_on_request_and_plan_json_the_same_in_both_languages(tmp_path):
    """-e congvu__language=en: plan.md and what the playbook prints in English; plan.json the same, so a
    plan reviewed in one language is applied by a run in the other."""
    vi, en = tmp_path / "vi", tmp_path / "en"
    assert plan_demo(vi, "-e", f"state_path={DEMO}/state.json").returncode == 0
    result = plan_demo(en, "-e", f"state_path={DEMO}/state.json", "-e", "congvu__language=en")
    assert result.returncode == 0, result.stdout + result.stderr
    plans = [json.loads((folder / "plan.json").read_text(encoding="utf-8")) for folder in (vi, en)]
    for plan in plans:  # the git revision of this repository, which other commits may move between the runs
        plan["basis"].pop("revision")
    assert plans[0] == plans[1]
    md = (en / "plan.md").read_text(encoding="utf-8")
    assert md.startswith("# Roster plan for quangbinh.gov.vn (2026-11-28)")
    assert "## transfer (1)" in md and "moved from agency 'stc' (Art. 11.3)" in md
    assert "plan: 1 transfer, 1 rename, 1 terminate, 1 suspend" in flat(result)
    assert "guard: 2 of limit 31" in flat(result) and "1 notice(s)" in flat(result)
    assert f"written: {en}/plan.md and {en}/plan.json" in flat(result)
    result = plan_demo(tmp_path / "fr", "-e", "congvu__language=fr")
    assert result.returncode != 0 and "value of language must be one of: vi, en, got: fr" in flat(result)


def test_demo_roster_on_a_new_province_creates_everyone(tmp_path):
    result = plan_demo(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["summary"]["create"] == len(plan["mailboxes"]) > 600
    addresses = {m["id"]: m["address"] for m in plan["mailboxes"]}
    # Art. 5.2b story of the demo: the leader of three "Nguyễn Văn An" gets the plain address.
    assert addresses["TT0018"] == "annv.stttt@quangbinh.gov.vn"
    assert addresses["TT0011"] == "annv1.stttt@quangbinh.gov.vn"
    assert addresses["TT0026"] == "annv2.stttt@quangbinh.gov.vn"


def test_plan_is_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert plan_demo(out, "-e", f"state_path={DEMO}/state.json").returncode == 0
    for name in ("plan.json", "plan.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


@pytest.fixture
def broken_roster(tmp_path):
    roster = tmp_path / "roster"
    shutil.copytree(os.path.join(DEMO, "roster"), roster)
    path = roster / "stttt.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    name: Nguyễn Quốc Huy\n", "    name: Nguyễn Quốc Huу\n", 1)  # Cyrillic у
    text = text.replace("    title: Giám đốc\n", "    titel: Giám đốc\n", 1)
    path.write_text(text, encoding="utf-8")
    return roster


def test_invalid_roster_fails_with_every_located_error_and_plans_nothing(tmp_path, broken_roster):
    out = tmp_path / "out"
    result = run("roster_plan.yml", "-e", f"roster_path={broken_roster}", "-e", f"plan_dir={out}")
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "danh sách không hợp lệ: 2 lỗi; sẽ không có gì được thay đổi:" in text
    assert ("stttt.yml:21: lỗi: mã cán bộ TT0001, trường 'name': 'Nguyễn Quốc Huу' có ký tự không thuộc bảng "
            "chữ cái tiếng Việt: 'у' (CYRILLIC SMALL LETTER U, trông giống chữ 'y'); hãy gõ lại họ tên bằng bộ "
            "gõ tiếng Việt") in text
    assert ("stttt.yml:23: lỗi: mã cán bộ TT0001, trường 'titel': tên trường không hợp lệ (có phải là 'title'?); "
            "các trường được dùng: id, name, given_name, leader, title, quota, quota_decision, address, state, "
            "former_addresses") in text
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["mailboxes"] == [] and plan["blocked"] is True and len(plan["errors"]) == 2
    # plan.json: the message id, its values and the English, the file relative to the roster folder
    first = plan["errors"][0]
    assert (first["file"], first["line"], first["entry"], first["field"]) == ("stttt.yml", 21, "staff id TT0001",
                                                                              "name")
    assert first["code"].startswith("'%(name)s' has characters outside the Vietnamese alphabet")
    assert first["params"]["name"] == "Nguyễn Quốc Huу" and "CYRILLIC SMALL LETTER U" in first["message"]
    md = (out / "plan.md").read_text(encoding="utf-8")
    assert "**Danh sách không hợp lệ: 2 lỗi. Không có gì được thay đổi.**" in md
    assert "- `stttt.yml:23` mã cán bộ TT0001, `titel`: tên trường không hợp lệ (có phải là 'title'?)" in md


def test_guard_fails_the_plan_unless_overridden(tmp_path):
    roster = tmp_path / "roster"
    shutil.copytree(os.path.join(DEMO, "roster"), roster)
    for name in ("sgddt.yml", "syt.yml"):  # two agency files removed: ~70 terminations
        (roster / name).unlink()
    result = run("roster_plan.yml", "-e", f"roster_path={roster}", "-e", f"plan_dir={tmp_path}/out",
                 "-e", f"state_path={DEMO}/state.json")
    assert result.returncode != 0
    assert "chốt an toàn dừng lần chạy này" in result.stdout + result.stderr
    result = run("roster_plan.yml", "-e", f"roster_path={roster}", "-e", f"plan_dir={tmp_path}/out",
                 "-e", f"state_path={DEMO}/state.json", "-e", "roster_override_guard=true")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert plan["guard"]["tripped"] and plan["guard"]["override"] and plan["summary"]["terminate"] > 50


def test_demo_playbook_plan_part_says_what_it_did():
    result = run("demo.yml", "--tags", "plan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Planned the demo province" in flat(result) and "chuyển công tác: 1, đổi tên: 1" in flat(result)
    assert os.path.exists(os.path.join(ROOT, ".demo", "plan", "plan.md"))


def test_a_sub_unit_is_planned_under_a_profile_that_has_them_and_refused_under_one_that_has_not(tmp_path):
    """Art. 5 by the profile in force (docs/profiles.md): the playbook hands the profile's
    addresses.sub_units to the planner; Ninh Bình's has sub-units, Quảng Bình's has not."""
    roster = tmp_path / "roster"
    shutil.copytree(os.path.join(DEMO, "roster"), roster)
    (roster / "vanphong.snv.yml").write_text(
        "agency:\n  code: vanphong.snv\n  name: Văn phòng Sở Nội vụ\n  kind: other\n  head: VPX001\n"
        "staff:\n  - {id: VPX001, name: Nguyễn Văn An, leader: true}\n", encoding="utf-8")
    common = ("-e", f"roster_path={roster}", "-e", f"state_path={DEMO}/state.json", "-e", "plan_date=2026-11-28")
    result = run("roster_plan.yml", *common, "-e", f"plan_dir={tmp_path}/nb", "-e", "congvu__profile=ninhbinh-2025")
    assert result.returncode == 0, result.stdout + result.stderr
    items = {m["id"]: m for m in json.loads((tmp_path / "nb" / "plan.json").read_text(encoding="utf-8"))["mailboxes"]}
    assert items["vanphong.snv"]["action"] == "create"
    assert items["vanphong.snv"]["address"] == "vanphong.snv@quangbinh.gov.vn"
    assert items["VPX001"]["address"] == "annv.vanphong.snv@quangbinh.gov.vn"
    result = run("roster_plan.yml", *common, "-e", f"plan_dir={tmp_path}/qb")
    assert result.returncode != 0
    assert ("vanphong.snv.yml:2: lỗi: phần agency, trường 'code': 'vanphong.snv' là mã của một đơn vị trực thuộc"
            in flat(result))


def test_imported_old_addresses_become_aliases_through_the_roster_flow(tmp_path):
    """docs/import.md: the import of the other province's accounts with --former-domain writes their old
    addresses as former_addresses; the operator's plan (congvu__former_domains set as in the inventory)
    creates each mailbox with them as aliases until the date; without the domain, the plan is refused."""
    roster = tmp_path / "roster"
    shutil.copytree(os.path.join(DEMO, "roster"), roster)
    (tmp_path / "quangtri.csv").write_text(
        "id,name,mail,department\n1001,Lê Thị Hồng Nhung,nhunglth@quangtri.gov.vn,Sở TT&TT Quảng Trị\n",
        encoding="utf-8")
    (tmp_path / "map.yml").write_text(
        "agencies:\n  qtstttt: {name: Sở TT&TT Quảng Trị (cũ), kind: department}\n"
        "departments:\n  Sở TT&TT Quảng Trị: qtstttt\n", encoding="utf-8")
    imported = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "import_accounts.py"), "--export", str(tmp_path / "quangtri.csv"),
         "--agency-map", str(tmp_path / "map.yml"), "--roster", str(roster), "--no-state", "--id-prefix", "QT-",
         "--former-domain", "quangtri.gov.vn", "--migration", str(tmp_path / "migrate.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    former = ["-e", '{"congvu__former_domains": ["quangtri.gov.vn"], "congvu__former_addresses_until": "2026-12-31"}']
    result = run("roster_plan.yml", "-e", f"roster_path={roster}", "-e", f"plan_dir={tmp_path / 'out'}",
                 "-e", "plan_date=2026-11-28", *former)
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    item = next(m for m in plan["mailboxes"] if m["id"] == "QT-1001")
    assert item["action"] == "create" and item["address"] == "nhunglth.qtstttt@quangbinh.gov.vn"
    assert item["after"]["aliases"] == [{"address": "nhunglth@quangtri.gov.vn", "expires": "2026-12-31"}]
    refused = run("roster_plan.yml", "-e", f"roster_path={roster}", "-e", f"plan_dir={tmp_path / 'no'}",
                  "-e", "plan_date=2026-11-28")
    assert refused.returncode != 0
    assert "hãy thêm 'quangtri.gov.vn' vào congvu__former_domains" in flat(refused)
