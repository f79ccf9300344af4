"""The fixture the playbook tests share: the collection built from this checkout and installed into a new
project, as someone who is not in this repository gets it (docs/collection.md)."""

import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)


def tool(name):
    return shutil.which(name, path=BIN) or name


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A new project folder whose ansible.cfg knows only its own collections folder, the collection built
    from this checkout installed there: (project, installed collection, the tarball, the environment to run
    ansible in: that ansible.cfg, and this virtualenv's programs first on PATH)."""
    base = tmp_path_factory.mktemp("collection")
    version = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8"))["version"]
    build = subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(base), ROOT],
                           cwd=base, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = base / f"congvu-mail-{version}.tar.gz"
    project = base / "project"
    project.mkdir()
    (project / "ansible.cfg").write_text("[defaults]\ncollections_path = ../collections\n", encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(project / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    # --no-deps: community.general & co. come with the ansible package, and there is no Galaxy here
    install = subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps",
                              "-p", str(base / "collections"), str(tarball)],
                             cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    return project, base / "collections" / "ansible_collections" / "congvu" / "mail", tarball, env
