"""The project's Debian packages (roles/packages/files/congvu-build-deb, docs/packages.md), built with
dpkg-deb on this machine as on the controller: the version follows the sources, so an unchanged source
is not built (nor installed) again and a changed one gives a new version."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDER = os.path.join(ROOT, "roles", "packages", "files", "congvu-build-deb")
PWCHECK_SOURCE = os.path.join(ROOT, "roles", "packages", "files", "congvu_pwcheck.c")


def build(*args):
    r = subprocess.run([sys.executable, BUILDER, *args], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def field(deb, name):
    return subprocess.run(["dpkg-deb", "--field", deb, name], capture_output=True, text=True, check=True).stdout.strip()


def contents(deb):
    listing = subprocess.run(["dpkg-deb", "--contents", deb], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1].lstrip(".") for line in listing.splitlines()}


@pytest.fixture()
def core_sources(tmp_path):
    source = tmp_path / "module_utils"
    shutil.copytree(os.path.join(ROOT, "plugins", "module_utils"), source,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return source


def test_core_version_follows_the_sources(core_sources, tmp_path):
    out = str(tmp_path / "debs")
    first = build("core", "--source-dir", str(core_sources), "--out-dir", out)
    assert first["built"] and first["package"] == "congvu-core" and first["architecture"] == "all"
    again = build("core", "--source-dir", str(core_sources), "--out-dir", out)
    assert not again["built"] and again["version"] == first["version"] and again["path"] == first["path"]

    # a new adapter file next to the core is found and packaged without any list to update
    (core_sources / "congvu_new_adapter.py").write_text("VALUE = 1\n", encoding="utf-8")
    changed = build("core", "--source-dir", str(core_sources), "--out-dir", out)
    assert changed["built"] and changed["version"] != first["version"]
    assert "/usr/lib/congvu/python/congvu_new_adapter.py" in contents(changed["path"])
    assert field(changed["path"], "Version") == changed["version"]
    assert sorted(os.listdir(out)) == sorted(os.path.basename(d["path"]) for d in (first, changed))


def test_core_holds_every_python_file_of_module_utils(core_sources, tmp_path):
    deb = build("core", "--source-dir", str(core_sources), "--out-dir", str(tmp_path / "debs"))["path"]
    expected = {"/usr/lib/congvu/python/" + os.path.relpath(os.path.join(folder, name), core_sources)
                for folder, _dirs, names in os.walk(core_sources) for name in names if name.endswith(".py")}
    packaged = contents(deb)
    assert expected <= packaged
    assert "/usr/lib/congvu/python/congvu/inactivity.py" in packaged
    assert "/usr/lib/congvu/python/congvu_usage/store.py" in packaged
    assert not [path for path in packaged if "__pycache__" in path or path.endswith(".pyc")]
    assert "python3-yaml" in field(deb, "Depends")


def test_the_same_sources_give_the_same_bytes(core_sources, tmp_path):
    one = build("core", "--source-dir", str(core_sources), "--out-dir", str(tmp_path / "a"))["path"]
    two = build("core", "--source-dir", str(core_sources), "--out-dir", str(tmp_path / "b"))["path"]
    with open(one, "rb") as a, open(two, "rb") as b:
        assert a.read() == b.read()


def test_pwcheck_is_compiled_hardened_and_depends_on_libldap(tmp_path):
    source = tmp_path / "congvu_pwcheck.c"
    shutil.copyfile(PWCHECK_SOURCE, source)
    out = str(tmp_path / "debs")
    first = build("pwcheck", "--source", str(source), "--out-dir", out)
    assert first["built"] and first["version"].endswith(f".deb{first['release']}")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    assert first["architecture"] == arch
    assert "/usr/lib/ldap/congvu_pwcheck.so" in contents(first["path"])
    depends = field(first["path"], "Depends")
    assert "libldap-2.5-0" in depends and "slapd" in depends
    assert not build("pwcheck", "--source", str(source), "--out-dir", out)["built"]

    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "--extract", first["path"], str(unpacked)], check=True)
    module = unpacked / "usr" / "lib" / "ldap" / "congvu_pwcheck.so"
    dynamic = subprocess.run(["readelf", "--dynamic", str(module)], capture_output=True, text=True, check=True).stdout
    assert "BIND_NOW" in dynamic  # full RELRO (-z now)
    assert "check_password" in subprocess.run(["readelf", "--dyn-syms", str(module)], capture_output=True,
                                              text=True, check=True).stdout
    assert str(tmp_path) not in module.read_bytes().decode("latin-1")  # no path of the controller inside

    source.write_text(source.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    changed = build("pwcheck", "--source", str(source), "--out-dir", out)
    assert changed["built"] and changed["version"] != first["version"]


def test_the_directory_points_slapd_at_the_file_the_package_installs():
    with open(os.path.join(ROOT, "roles", "directory", "vars", "main.yml"), encoding="utf-8") as handle:
        module = yaml.safe_load(handle)["directory__pwcheck_module"]
    with open(BUILDER, encoding="utf-8") as handle:
        assert f'PWCHECK_PATH = "{module}"' in handle.read()


def test_the_host_jobs_import_the_core_from_where_the_package_installs_it():
    for script in (("inactivity", "congvu-inactivity"), ("reports", "congvu-reports")):
        with open(os.path.join(ROOT, "roles", script[0], "files", script[1]), encoding="utf-8") as handle:
            assert '"/usr/lib/congvu/python"' in handle.read()
    with open(BUILDER, encoding="utf-8") as handle:
        assert 'CORE_DIR = "/usr/lib/congvu/python"' in handle.read()
