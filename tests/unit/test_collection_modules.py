"""The modules of the collection congvu.mail as Ansible sees them: `ansible-doc` renders each one, its
documentation is its argument spec, and the adapters handle their arguments and check mode.

ansible-test's validate-modules does the first two thoroughly; this is the part that needs nothing beyond
the .venv, so that a module whose documentation drifts from its code fails `make unit` (docs/collection.md).
"""

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
# the modules that reach the directory take the connection options of the doc fragment congvu_connection
DIRECTORY_MODULES = {"directory_publish", "password_reset", "profile_plan", "roster"}
DEMO = os.path.join(ROOT, "inventories", "demo")
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), "ansible-doc")


@pytest.fixture(scope="module")
def docs():
    """`ansible-doc --json` of every module, by its fully qualified name, as an operator would ask."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    names = [f"congvu.mail.{name}" for name in MODULES]
    proc = subprocess.run([ANSIBLE_DOC, "--json", *names], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    return {name.split(".")[-1]: value for name, value in json.loads(proc.stdout).items()}


class _Spec(Exception):
    """Raised by the stand-in AnsibleModule: carries the module's argument spec out of main()."""


def argument_spec(name):
    """The argument spec a module's main() hands to AnsibleModule."""
    module = importlib.import_module(f"ansible_collections.congvu.mail.plugins.modules.{name}")

    class Capture:
        def __init__(self, argument_spec, **kwargs):
            raise _Spec(argument_spec, kwargs)

    original = module.AnsibleModule
    module.AnsibleModule = Capture
    try:
        with pytest.raises(_Spec) as caught:
            module.main()
    finally:
        module.AnsibleModule = original
    return caught.value.args


def test_every_module_is_found_by_its_fully_qualified_name_and_documented(docs):
    assert sorted(docs) == MODULES
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc["module"] == name and doc["collection"] == "congvu.mail", name
        assert entry["examples"].strip(), f"{name}: no EXAMPLES"
        assert f"congvu.mail.{name}:" in entry["examples"], f"{name}: EXAMPLES do not call it by its full name"
        assert entry["return"], f"{name}: no RETURN"
        for attribute in ("check_mode", "diff_mode"):
            assert doc["attributes"][attribute]["support"] in ("full", "partial", "none"), (name, attribute)
        text = json.dumps(doc)
        assert "See the roster module" not in text, name


def test_roster_doc_renders_for_an_operator():
    """`ansible-doc congvu.mail.roster`, the text an operator reads, with the fragments' options in it."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([ANSIBLE_DOC, "congvu.mail.roster"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for expected in ("> MODULE congvu.mail.roster", "Reads and validates every agency file", "server_uri",
                     "bind_password_file", "guard_max_count", "check_mode", "EXAMPLES", "RETURN VALUES",
                     "congvu.mail.roster:"):
        assert expected in text, expected


# what an option and a return value may say (a description with a comma in a YAML flow mapping, unquoted,
# turns the rest of the sentence into a key of its own)
OPTION_KEYS = {"description", "type", "default", "required", "choices", "elements", "aliases", "suboptions",
               "version_added"}
RETURN_KEYS = {"description", "type", "returned", "sample", "elements", "contains", "version_added"}


@pytest.mark.parametrize("name", MODULES)
def test_documentation_is_the_argument_spec(docs, name):
    """Every option the code takes is documented with its type, default, choices and required flag, and
    nothing documented is missing from the code."""
    spec, kwargs = argument_spec(name)
    options = docs[name]["doc"]["options"]
    assert sorted(options) == sorted(spec), name
    for option, code in spec.items():
        doc = options[option]
        where = f"{name}.{option}"
        assert set(doc) <= OPTION_KEYS, (where, set(doc) - OPTION_KEYS)
        assert doc.get("type", "str") == code.get("type", "str"), where
        assert doc.get("default") == code.get("default"), where
        assert bool(doc.get("required", False)) == bool(code.get("required", False)), where
        assert doc.get("choices") == code.get("choices"), where
        assert doc.get("elements") == code.get("elements"), where
    for value, doc in docs[name]["return"].items():
        assert set(doc) <= RETURN_KEYS, (f"{name} returns {value}", set(doc) - RETURN_KEYS)
    assert kwargs.get("supports_check_mode") is (docs[name]["doc"]["attributes"]["check_mode"]["support"] != "none")
    if name in DIRECTORY_MODULES:
        assert {"server_uri", "bind_dn", "bind_password", "bind_password_file", "ca_file"} <= set(spec)
        assert spec["bind_password"].get("no_log") is True


def run(name, args):
    """A module's main() in this process, as AnsiballZ runs it on a host; its JSON answer."""
    module = importlib.import_module(f"ansible_collections.congvu.mail.plugins.modules.{name}")
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    return json.loads(out.getvalue())


def test_roster_plan_check_mode_plans_and_writes_nothing(tmp_path):
    plan_dir = tmp_path / "plan"
    answer = run("roster_plan", {"roster_path": f"{DEMO}/roster", "state_path": f"{DEMO}/state.json",
                                 "plan_dir": str(plan_dir), "date": "2026-11-28", "_ansible_check_mode": True})
    assert answer["changed"] is False and answer["errors"] == []
    assert answer["summary"]["transfer"] == 1 and answer["summary"]["terminate"] == 1
    assert not plan_dir.exists()
    answer = run("roster_plan", {"roster_path": f"{DEMO}/roster", "state_path": f"{DEMO}/state.json",
                                 "plan_dir": str(plan_dir), "date": "2026-11-28"})
    assert answer["changed"] is True and sorted(p.name for p in plan_dir.iterdir()) == ["plan.json", "plan.md"]
    again = run("roster_plan", {"roster_path": f"{DEMO}/roster", "state_path": f"{DEMO}/state.json",
                                "plan_dir": str(plan_dir), "date": "2026-11-28"})
    assert again["changed"] is False


def test_arguments_are_checked_before_anything_runs(tmp_path):
    answer = run("roster_plan", {"roster_path": f"{DEMO}/roster", "plan_dir": str(tmp_path), "language": "fr"})
    assert answer["failed"] is True and "value of language must be one of: vi, en, got: fr" in answer["msg"]
    answer = run("roster_plan", {"plan_dir": str(tmp_path)})
    assert answer["failed"] is True and "missing required arguments: roster_path" in answer["msg"]
    answer = run("password_reset", {"address": "a@quangbinh.gov.vn", "requested_by": "x", "page": 1})
    assert answer["failed"] is True and "Unsupported parameters" in answer["msg"] and "page" in answer["msg"]
    assert not list(tmp_path.iterdir())

