#!/usr/bin/env python3
"""Each role's meta/argument_specs.yml against its defaults/main.yml: the same variables, the same
defaults, and a description of its own for every option.

    python3 tools/check_role_specs.py [--strict] [--verbose] [ROLE ...]

Always errors (exit 1): a variable of defaults/main.yml that the spec does not declare, an option of the
spec that defaults/main.yml does not set (a role option without a default is documented in the spec
only when it is required), a spec `default:` that differs from the value in defaults/main.yml, an option
both required and with a default (Ansible refuses such a spec).
With --strict, also errors: an option without `default:`, and two options of a role that share one
description (a neighbour's text copied). Without it those are counted as warnings (--verbose lists them).
"""

import argparse
import collections
import glob
import os
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def options(spec: dict) -> dict:
    """Every option of every entry point of a role's spec."""
    found = {}
    for entry in (spec or {}).get("argument_specs", {}).values():
        found.update(entry.get("options") or {})
    return found


def problems(role_dir: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one role."""
    name = os.path.basename(role_dir)
    spec_path = os.path.join(role_dir, "meta", "argument_specs.yml")
    defaults_path = os.path.join(role_dir, "defaults", "main.yml")
    if not os.path.exists(spec_path):
        return [f"{name}: no meta/argument_specs.yml"], []
    with open(spec_path, encoding="utf-8") as handle:
        declared = options(yaml.safe_load(handle))
    defaults = {}
    if os.path.exists(defaults_path):
        with open(defaults_path, encoding="utf-8") as handle:
            defaults = yaml.safe_load(handle) or {}
    errors, warnings = [], []
    for key in defaults:
        if key not in declared:
            errors.append(f"{name}: {key} is set in defaults/main.yml but not declared in the spec")
    for key, option in declared.items():
        if option.get("required") and "default" in option:
            # Ansible's validation stops the role on such a spec ("required and default are mutually exclusive")
            errors.append(f"{name}: {key} is required and has a default: in the spec")
        if key not in defaults and not option.get("required"):
            errors.append(f"{name}: {key} is declared in the spec but not set in defaults/main.yml")
        elif "default" in option and key in defaults and option["default"] != defaults[key]:
            errors.append(f"{name}: {key}: the spec's default {option['default']!r} is not defaults/main.yml's "
                          f"{defaults[key]!r}")
        elif "default" not in option and key in defaults:
            warnings.append(f"{name}: {key} has no default: in the spec")
    texts = collections.defaultdict(list)
    for key, option in declared.items():
        texts[" ".join(str(option.get("description", "")).split())].append(key)
    for text, keys in texts.items():
        if len(keys) > 1:
            warnings.append(f"{name}: {', '.join(keys)} share one description: {text[:70]!r}")
    return errors, warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roles", nargs="*", help="role names (default: every role)")
    parser.add_argument("--strict", action="store_true", help="missing defaults and shared descriptions fail too")
    parser.add_argument("--verbose", action="store_true", help="list the warnings")
    args = parser.parse_args(argv)
    dirs = [os.path.join(ROOT, "roles", r) for r in args.roles] or sorted(glob.glob(os.path.join(ROOT, "roles", "*")))
    errors, warnings = [], []
    for role_dir in dirs:
        e, w = problems(role_dir)
        errors += e
        warnings += w
    if args.strict:
        errors, warnings = errors + warnings, []
    for line in warnings if args.verbose else []:
        print(f"warning: {line}")
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    print(f"{len(dirs)} role(s): {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
