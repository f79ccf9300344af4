"""tools/check_role_specs.py: a role's argument spec against its defaults (a small role written here),
and every role of the project passes its non-strict checks."""

import textwrap

from scripts import load

check = load("check_role_specs", "tools", "check_role_specs.py")


def role(tmp_path, defaults, spec):
    (tmp_path / "defaults").mkdir()
    (tmp_path / "meta").mkdir()
    (tmp_path / "defaults" / "main.yml").write_text(textwrap.dedent(defaults), encoding="utf-8")
    (tmp_path / "meta" / "argument_specs.yml").write_text(textwrap.dedent(spec), encoding="utf-8")
    return str(tmp_path)


def test_keys_defaults_and_copied_descriptions(tmp_path):
    path = role(tmp_path, """\
        demo__a: 1
        demo__b: two
        demo__c: [x]
        """, """\
        argument_specs:
          main:
            options:
              demo__a: {type: int, default: 2, description: The first.}
              demo__b: {type: str, description: The same text.}
              demo__d: {type: str, description: The same text.}
        """)
    errors, warnings = check.problems(path)
    name = tmp_path.name
    assert errors == [
        f"{name}: demo__c is set in defaults/main.yml but not declared in the spec",
        f"{name}: demo__a: the spec's default 2 is not defaults/main.yml's 1",
        f"{name}: demo__d is declared in the spec but not set in defaults/main.yml",
    ]
    assert warnings == [f"{name}: demo__b has no default: in the spec",
                        f"{name}: demo__b, demo__d share one description: 'The same text.'"]


def test_strict_fails_on_what_is_otherwise_a_warning(tmp_path, monkeypatch):
    demo = tmp_path / "roles" / "demo"
    demo.mkdir(parents=True)
    role(demo, "demo__a: 1\n", """\
        argument_specs:
          main:
            options:
              demo__a: {type: int, description: The first.}
        """)
    monkeypatch.setattr(check, "ROOT", str(tmp_path))
    assert check.main(["demo"]) == 0
    assert check.main(["--strict", "demo"]) == 1


def test_every_role_of_the_project_passes_the_strict_checks():
    assert check.main(["--strict"]) == 0


def test_ansible_accepts_every_spec_of_the_project():
    """Ansible's own validator (the one a role's first task runs) finds no fault in a spec itself, such as
    an option both required and with a default."""
    import glob
    import os

    import yaml
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    faults = []
    for path in sorted(glob.glob(os.path.join(check.ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        with open(path, encoding="utf-8") as handle:
            entries = yaml.safe_load(handle)["argument_specs"]
        for entry, spec in entries.items():
            result = ArgumentSpecValidator(spec.get("options") or {}).validate({})
            faults += [f"{path} {entry}: {m}" for m in result.error_messages if m.startswith("internal error")]
    assert faults == []
