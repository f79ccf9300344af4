#!/usr/bin/env python3
"""Each role's README.md, generated from its meta/argument_specs.yml: what the role does (the spec's
short and long description), its options (name, type, default, description) and the articles of the
regulation the role carries (every "Art. N[.M]" cited in the role's files, with the article's title
from conformance/articles.yml).

    python3 tools/role_readme.py [--check] [ROLE ...]

Without --check, (re)writes roles/<role>/README.md. With --check, writes nothing and exits 1 when a
README is missing or differs from what the spec gives (`make lint`): edit the spec, not the README.
"""

import argparse
import glob
import importlib.util
import os
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# A list or dict default longer than this goes below the table, as YAML, instead of into its cell
# (as does a string of several lines).
CELL_MAX = 60


def _conformance():
    """tools/conformance.py, whose reading of "Art." citations and of the article list is reused."""
    spec = importlib.util.spec_from_file_location("conformance", os.path.join(ROOT, "tools", "conformance.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cell(text: str) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: str) -> str:
    """A code span that holds any backticks of the text."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def type_of(option: dict) -> str:
    kind = option.get("type", "str")
    if option.get("elements"):
        kind += f" of {option['elements']}"
    return kind


def default_text(value) -> str:
    """The default as one line: a string as it is (a Jinja expression too), anything else as YAML."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True).strip().removesuffix(
        "\n...").removesuffix("...").strip()


def description_text(option: dict) -> str:
    text = option.get("description", "")
    if isinstance(text, list):
        text = " ".join(text)
    if option.get("choices"):
        text += " Choices: " + ", ".join(code(str(c)) for c in option["choices"]) + "."
    if option.get("required"):
        text = "Required. " + text
    return text


def long_default(name: str, value) -> list[str]:
    """A default shown below the table: a string of several lines as a literal block, anything else as
    block YAML."""
    if isinstance(value, str):
        dumped = f"{name}: |-\n" + "\n".join(("  " + line).rstrip() for line in value.split("\n"))
    else:
        dumped = yaml.safe_dump({name: value}, default_flow_style=False, width=100, allow_unicode=True,
                                sort_keys=False).rstrip()
    return [f"`{name}`:", "", "```yaml", dumped, "```", ""]


def options_table(options: dict) -> tuple[list[str], list[str]]:
    """(the table's lines, the sections of the defaults too long for a cell)."""
    lines = ["| Option | Type | Default | Description |", "| --- | --- | --- | --- |"]
    long_defaults = []
    for name, option in options.items():
        value = option.get("default")
        text = default_text(value) if "default" in option else ""
        if "default" not in option:
            shown = ""
        elif (isinstance(value, str) and "\n" in value) or (not isinstance(value, str) and len(text) > CELL_MAX):
            shown = "see below"
            long_defaults += long_default(name, value)
        else:
            shown = code(text) if text != "" else code("''")
        lines.append(f"| `{name}` | {type_of(option)} | {cell(shown)} | {cell(description_text(option))} |")
        # the keys of each element (a list of dicts) or of the dict, as rows of their own
        prefix = name + ("[]." if option.get("type") == "list" else ".")
        for sub, sub_option in (option.get("options") or {}).items():
            sub_default = code(default_text(sub_option["default"])) if "default" in sub_option else ""
            lines.append(f"| `{prefix}{sub}` | {type_of(sub_option)} | {cell(sub_default)} | "
                         f"{cell(description_text(sub_option))} |")
    return lines, long_defaults


def articles(role_dir: str, conformance) -> list[str]:
    """The lines of the table of the articles the role's files cite."""
    found = {}
    for path in sorted(glob.glob(os.path.join(role_dir, "**", "*"), recursive=True)):
        if not os.path.isfile(path) or os.path.basename(path) == "README.md":
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for number in conformance.cited(text):
            found.setdefault(number, set()).add(os.path.relpath(path, role_dir))
    with open(os.path.join(ROOT, "conformance", "articles.yml"), encoding="utf-8") as handle:
        listed = yaml.safe_load(handle)["articles"]
    lines = ["| Article | In the regulation | Cited in |", "| --- | --- | --- |"]
    for number in sorted(found, key=conformance._order):
        # the article that lists the number itself, else those it belongs to or that belong to it
        titles = ([a["title"] for a in listed if number in a["refs"]]
                  or [a["title"] for a in listed if conformance.matches(number, a["refs"])])
        files = ", ".join(f"`{f}`" for f in sorted(found[number]))
        lines.append(f"| {number} | {cell('; '.join(titles))} | {files} |")
    return lines if found else []


def render(role_dir: str, conformance) -> str:
    name = os.path.basename(role_dir)
    with open(os.path.join(role_dir, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    out = [f"# Role `{name}`", "",
           "<!-- Generated by tools/role_readme.py from meta/argument_specs.yml: edit the spec, then run"
           " `python3 tools/role_readme.py`. -->", ""]
    for entry, spec in sorted(specs.items(), key=lambda item: item[0] != "main"):
        if entry != "main":
            out += [f"## Entry point `{entry}` (`tasks_from: {entry}`)", ""]
        out += [spec.get("short_description", "").rstrip(".") + ".", ""]
        for paragraph in spec.get("description") or []:
            out += [" ".join(paragraph.split()), ""]
        options = spec.get("options") or {}
        if options:
            table, long_defaults = options_table(options)
            heading = "##" if entry == "main" else "###"
            out += [f"{heading} Options" + ("" if entry == "main" else f" of `{entry}`"), ""] + table + [""]
            if long_defaults:
                out += [f"{heading}# Defaults too long for the table", ""] + long_defaults
    cited = articles(role_dir, conformance)
    if cited:
        out += ["## Articles of the regulation", "",
                "Where the role's files cite an article (docs/conformance.md gives the tests that prove each).", ""]
        out += cited + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roles", nargs="*", help="role names (default: every role)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a README is not up to date")
    args = parser.parse_args(argv)
    dirs = [os.path.join(ROOT, "roles", r) for r in args.roles] or sorted(glob.glob(os.path.join(ROOT, "roles", "*")))
    conformance = _conformance()
    stale = []
    for role_dir in dirs:
        text = render(role_dir, conformance)
        path = os.path.join(role_dir, "README.md")
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        stale.append(os.path.relpath(path, ROOT))
        if not args.check:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    if args.check and stale:
        for path in stale:
            print(f"error: {path} is not what its meta/argument_specs.yml gives: run python3 tools/role_readme.py",
                  file=sys.stderr)
        return 1
    print(f"{len(dirs)} role(s): {len(stale)} README(s) {'out of date' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
