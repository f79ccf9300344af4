"""The collection congvu.mail as someone who is not in this repository gets it: `ansible-galaxy collection
build`, installed into a fresh project with no network (the fixture `project`, conftest.py), and its offline
plan playbook run from there (docs/collection.md). The whole demo from the installed collection runs in
test_demo.py, on the host `make demo` made."""

import json
import subprocess
import tarfile

import pytest


def test_the_artifact_holds_the_collection_and_nothing_of_the_checkout(project):
    _, _, tarball, _ = project
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "plugins/modules/roster.py",
            "plugins/doc_fragments/congvu_connection.py", "roles/directory/tasks/main.yml",
            "playbooks/roster_plan.yml", "profiles/quangbinh-2015.yml", "inventories/demo/roster"} <= set(names)
    top = {name.split("/")[0] for name in names}
    # the link back to the repository (.cache/collections) would put the checkout in the tarball again
    assert not top & {".cache", ".venv", ".git", "molecule", "bench", ".demo"}, top & {".cache", ".venv", ".git"}
    manifest = json.load(tarfile.open(tarball).extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "congvu" and manifest["collection_info"]["name"] == "mail"


def test_installed_collection_plans_the_demo_roster(project):
    """`ansible-playbook congvu.mail.roster_plan` from the fresh project: the plan of the demo roster
    against last month's state, made by the installed copy of the module (not this checkout's)."""
    folder, installed, _, env = project
    where = subprocess.run(["ansible-doc", "congvu.mail.roster_plan"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    assert f"({installed}/plugins/modules/roster_plan.py)" in where.stdout.splitlines()[0]
    demo = installed / "inventories" / "demo"
    result = subprocess.run(
        ["ansible-playbook", "congvu.mail.roster_plan", "-i", str(demo / "hosts.yml"),
         "-e", f"roster_path={demo}/roster", "-e", f"state_path={demo}/state.json",
         "-e", "plan_dir=plan", "-e", "plan_date=2026-11-28"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((folder / "plan" / "plan.json").read_text(encoding="utf-8"))
    items = {m["id"]: m for m in plan["mailboxes"]}
    assert items["TC0042"]["action"] == "transfer" and items["CT0014"]["action"] == "suspend"
    assert plan["errors"] == [] and plan["basis"]["revision"] == "unknown"  # an installed copy has no git
    md = (folder / "plan" / "plan.md").read_text(encoding="utf-8")
    assert md.startswith("# Kế hoạch thay đổi hộp thư quangbinh.gov.vn (ngày 28/11/2026)")
    assert "## chuyển công tác (1)" in md and "Phan Thị Thu Trang (TC0042)" in md
    assert "chốt an toàn: 2 trên giới hạn 31" in " ".join(result.stdout.split())


@pytest.mark.parametrize("playbook", ["site", "demo", "roster", "reports"])
def test_installed_playbooks_find_every_role_and_module(project, playbook):
    """Every role (short names in the collection's playbooks) and every module of the whole platform and the
    demo resolves in the installed copy: Ansible parses each task's action and each role when it loads."""
    folder, installed, _, env = project
    result = subprocess.run(
        ["ansible-playbook", f"congvu.mail.{playbook}", "--list-tasks",
         "-i", str(installed / "inventories" / "demo" / "hosts.yml")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"playbook: {installed}/playbooks/{playbook}.yml" in result.stdout
    assert "[WARNING]" not in result.stderr, result.stderr
