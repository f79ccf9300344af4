"""The project's playbooks run from a scenario's tests as an operator runs them (ansible-playbook on the
controller, the scenario's inventory), and the demo roster in a git folder of the test's own."""

import os
import shutil
import subprocess

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def playbook(name, *extra, **env):
    """`env`: more of Ansible's settings for this run (ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    argv = ["ansible-playbook", "-i", inventory, os.path.join(ROOT, "playbooks", name), *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", **env))


def apply_roster(folder):
    # one plan date for every run: the plan's dates do not depend on the day the tests run
    return playbook("roster.yml", "-e", f"roster_path={folder}", "-e", "roster_plan_date=2026-11-28")


def commit(folder, message):
    git = ["git", "-C", folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)


def demo_roster(folder):
    """A git copy of the demo roster (inventories/demo/roster) in `folder`, as an agency's repository."""
    shutil.copytree(os.path.join(ROOT, "inventories", "demo", "roster"), folder)
    subprocess.run(["git", "init", "-q", folder], check=True)
    commit(folder, "demo roster")
    return folder
