#!/usr/bin/env python3
"""The conformance report: for every article of the regulation, its rule, the code that carries it
and the tests that prove it with their result in one test run (docs/conformance.md and .html).

Inputs:
- conformance/articles.yml: the articles (their numbers, text, rule, whether the product claims them);
- the code: every "Art. N[.M]" cited in roles/, plugins/, playbooks/, profiles/ and tools/;
- the tests' sources: a test proves the articles its name (test_art7_1_..., test_art7_...) and its
  docstring ("Art. 7.1") cite, or, when it cites none, those its file's docstring cites;
- the JUnit XML files that `make test` leaves in .cache/junit/ (unit.xml, playbooks.xml,
  molecule-<scenario>.xml): the result of each test in that run.

`--strict` (a complete run): exit 1 when an article the product claims (built: true) has no passing
test, so that CI fails when an operational article loses its last proof.

    python3 tools/conformance.py [--junit .cache/junit] [--out docs/conformance.md] [--strict] [--manual NAME...]
"""

import argparse
import ast
import datetime
import glob
import html
import os
import re
import sys
import xml.etree.ElementTree as ET

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CODE_DIRS = ("roles", "plugins", "playbooks", "profiles", "tools")
CODE_SUFFIXES = (".py", ".yml", ".yaml", ".j2", ".c", ".sh", ".ldif", ".cfg", ".conf")
# "Art. 7.1", "Art. 14.6, 16.9", "Art. 13.8 / 15.2", "Art. 10 and 13.6"
NUMBER = r"\d+(?:\.\d+)?"
LISTED = NUMBER + r"(?![\d/])"   # "Art. 16.2, 24/7 operation": 24/7 is not an article
CITATION = re.compile(rf"\bArt\.\s?({LISTED}(?:\s*(?:,|/|and)\s*{LISTED})*)")
TEST_NAME = re.compile(r"^test_art(\d+)(?:_(\d+)(?=_))?")


def cited(text):
    """The article numbers a text cites, in order, without repeats."""
    found = []
    for match in CITATION.finditer(text):
        for number in re.findall(NUMBER, match.group(1)):
            if number not in found:
                found.append(number)
    return found


def test_refs(name, docstring):
    """What a test proves: the article of its name and those its docstring cites. A whole article
    ("7", from test_art7_...) gives way to its points when the docstring names them ("Art. 7.1")."""
    refs = cited(docstring or "")
    match = TEST_NAME.match(name)
    if match:
        number = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
        if number not in refs:
            refs.append(number)
    points = {r.split(".")[0] for r in refs if "." in r}
    return sorted({r for r in refs if "." in r or r not in points}, key=_order)


def _order(number):
    return tuple(int(part) for part in number.split("."))


def _narrowed(refs, file_refs):
    """A whole article a test's name cites (test_art16_...) narrowed to the points of it its file's
    docstring names (Art. 16.3), when it names some."""
    out = []
    for ref in refs:
        points = [] if "." in ref else [r for r in file_refs if "." in r and r.split(".")[0] == ref]
        out += points or [ref]
    return sorted(set(out), key=_order)


def matches(ref, article_refs):
    """Does a citation count for an article? Exactly, or a whole article for each of its points and a
    point for its whole article."""
    if ref in article_refs:
        return True
    whole = ref.split(".")[0]
    if "." in ref:
        return whole in article_refs
    return any(r.split(".")[0] == ref for r in article_refs)


def code_citations(root):
    """{number: sorted files} over the product's code."""
    found = {}
    for top in CODE_DIRS:
        for path in sorted(glob.glob(os.path.join(root, top, "**", "*"), recursive=True)):
            if not path.endswith(CODE_SUFFIXES) or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            for number in cited(text):
                found.setdefault(number, set()).add(os.path.relpath(path, root))
    return {number: sorted(files) for number, files in found.items()}


def suite_dirs(root):
    """{junit suite name: folder of its test sources}."""
    suites = {"unit": os.path.join(root, "tests", "unit"), "playbooks": os.path.join(root, "tests", "playbooks")}
    for folder in sorted(glob.glob(os.path.join(root, "molecule", "*", "tests"))):
        suites["molecule-" + folder.split(os.sep)[-2]] = folder
    return suites


def test_files(folder):
    """The test files of a suite's folder, its sub-folders included (tests/playbooks/demo: the demo host's)."""
    return sorted(glob.glob(os.path.join(folder, "**", "test_*.py"), recursive=True))


def test_sources(root):
    """{(suite, file stem, function): (path, refs)} of every test function."""
    tests = {}
    for suite, folder in suite_dirs(root).items():
        for path in test_files(folder):
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read(), path)
            stem = os.path.splitext(os.path.basename(path))[0]
            # a file about one article says so once, in its docstring: its tests that cite nothing prove it
            whole_file = test_refs("", ast.get_docstring(tree))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                    refs = _narrowed(test_refs(node.name, ast.get_docstring(node)), whole_file) or whole_file
                    tests[(suite, stem, node.name)] = (os.path.relpath(path, root), refs)
    return tests


def junit_results(folder):
    """{suite: [(classname, function, outcome)]}; outcome passed, failed or skipped."""
    results = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.xml"))):
        suite = os.path.splitext(os.path.basename(path))[0]
        cases = []
        for case in ET.parse(path).getroot().iter("testcase"):
            kinds = {child.tag for child in case}
            outcome = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed")
            cases.append((case.get("classname", ""), case.get("name", "").split("[")[0], outcome))
        results[suite] = cases
    return results


def collect(articles, code, tests, results):
    """Per article: its code files and [(test id, refs, outcome)] of the run."""
    by_function = {}
    for (suite, stem, function), (path, refs) in tests.items():
        by_function.setdefault((suite, function), []).append((stem, path, refs))
    runs = []   # (test id, refs, outcome) of every test that ran and cites an article
    for suite, cases in results.items():
        for classname, function, outcome in cases:
            candidates = by_function.get((suite, function), [])
            if len(candidates) > 1:
                candidates = [c for c in candidates if c[0] in classname.split(".")] or candidates[:1]
            for _stem, path, refs in candidates[:1]:
                if refs:
                    runs.append((f"{path}::{function}", refs, outcome))
    report = []
    for article in articles:
        refs = [str(r) for r in article["refs"]]
        files = sorted({f for number, fs in code.items() if matches(number, refs) for f in fs})
        proofs, cites = {}, {}
        for test_id, test_refs_, outcome in runs:
            if any(matches(r, refs) for r in test_refs_):
                # a parametrized test is one proof: it fails if any of its cases failed
                previous = proofs.get(test_id)
                if previous is None or outcome == "failed" or previous == "skipped":
                    proofs[test_id] = outcome
                cites[test_id] = test_refs_
        counts = {k: sum(1 for o in proofs.values() if o == k) for k in ("passed", "failed", "skipped")}
        if not article.get("built", False):
            status = "not built"
        elif counts["failed"]:
            status = "failing"
        elif counts["passed"]:
            status = "proven" if not article.get("missing") else "partly built, proven"
        else:
            status = "no passing test"
        report.append({**article, "refs": refs, "files": files,
                       "proofs": [(t, o, cites[t]) for t, o in sorted(proofs.items())],
                       "counts": counts, "status": status})
    return report


def render_markdown(report, run):
    lines = [
        "# Conformance to the regulation, from a test run",
        "",
        "Generated by `tools/conformance.py` (`make conformance`, run by `make test`): do not edit. For each",
        "article, the code that cites it and the tests that cite it, with their result in this run. Articles",
        "and rules: `conformance/articles.yml`.",
        "",
        f"Run: {run['when']}; JUnit files: {', '.join(run['suites']) or 'none'}"
        + ("" if run["complete"] else f"; **not a complete run** (missing: {', '.join(run['missing'])})") + ".",
        "",
        "| Article | Rule | Status | Tests passed / failed / skipped | Code files |",
        "|---|---|---|---|---|",
    ]
    for row in report:
        c = row["counts"]
        rule = row["rule"].strip() + (f" **Missing:** {row['missing'].strip()}" if row.get("missing") else "")
        lines.append(f"| {', '.join(row['refs'])} | {rule} | {row['status']} | "
                     f"{c['passed']} / {c['failed']} / {c['skipped']} | {len(row['files'])} |")
    for row in report:
        lines += ["", f"## Art. {', '.join(row['refs'])}: {row['title']}", "", row["rule"].strip(), ""]
        if row.get("missing"):
            lines += [f"**Not built:** {row['missing'].strip()}", ""]
        lines.append("Code: " + (", ".join(f"`{f}`" for f in row["files"]) or "none") + ".")
        lines.append("")
        if row["proofs"]:
            lines += [f"- {outcome}: `{test_id}` (cites {', '.join(cited_)})"
                      for test_id, outcome, cited_ in row["proofs"]]
        else:
            lines.append("- no test of this article ran")
    return "\n".join(lines) + "\n"


def render_html(report, run):
    """The same report as one HTML page (no script, no external resource)."""
    rows = []
    for row in report:
        c = row["counts"]
        tests = "".join(f"<li class='{o}'>{html.escape(o)}: <code>{html.escape(t)}</code> "
                        f"(cites {html.escape(', '.join(r))})</li>"
                        for t, o, r in row["proofs"]) or "<li>no test of this article ran</li>"
        css = row["status"].split(",")[0].replace(" ", "-")
        rows.append(
            f"<tr class='{css}'><td>{html.escape(', '.join(row['refs']))}</td>"
            f"<td><b>{html.escape(row['title'])}</b><br>{html.escape(row['rule'].strip())}"
            + (f"<br><i>Missing: {html.escape(row['missing'].strip())}</i>" if row.get("missing") else "")
            + f"</td><td>{html.escape(row['status'])}</td><td>{c['passed']} / {c['failed']} / {c['skipped']}"
            f"<details><summary>tests</summary><ul>{tests}</ul></details></td>"
            f"<td>{len(row['files'])}</td></tr>")
    note = ("" if run["complete"]
            else f"<p><b>Not a complete run</b> (missing: {html.escape(', '.join(run['missing']))}).</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>congvu-mail: conformance</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;
padding:.3em;vertical-align:top}}.failing{{background:#fdd}}.proven{{background:#dfd}}.partly-built{{background:#ffd}}
.not-built,.no-passing-test{{background:#eee}}li.failed{{color:#a00}}</style></head><body>
<h1>Conformance to the regulation, from a test run</h1>
<p>Run: {html.escape(run['when'])}; JUnit files: {html.escape(', '.join(run['suites']))}.</p>{note}
<table><tr><th>Article</th><th>Rule</th><th>Status</th><th>Tests passed / failed / skipped</th><th>Code files</th></tr>
{''.join(rows)}</table></body></html>
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default=os.path.join(ROOT, "conformance", "articles.yml"))
    parser.add_argument("--junit", default=os.path.join(ROOT, ".cache", "junit"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "conformance.md"))
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a built article has no passing test (a complete run)")
    # scenarios run by hand only (the Makefile's MANUAL_SCENARIOS): a run without them is still complete
    parser.add_argument("--manual", nargs="*", default=[], metavar="SCENARIO",
                        help="molecule scenarios that make test does not run")
    args = parser.parse_args(argv)
    with open(args.articles, encoding="utf-8") as handle:
        articles = yaml.safe_load(handle)["articles"]
    results = junit_results(args.junit)
    expected = sorted(suite for suite, folder in suite_dirs(ROOT).items()
                      if test_files(folder)
                      and suite not in {"molecule-" + name for name in args.manual})
    missing = [s for s in expected if s not in results]
    run = {"when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "suites": sorted(results),
           "complete": not missing, "missing": missing}
    report = collect(articles, code_citations(ROOT), test_sources(ROOT), results)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(render_markdown(report, run))
    with open(os.path.splitext(args.out)[0] + ".html", "w", encoding="utf-8") as handle:
        handle.write(render_html(report, run))
    unproven = [row for row in report if row.get("built") and row["counts"]["passed"] == 0]
    for row in report:
        c = row["counts"]
        print(f"Art. {', '.join(row['refs'])}: {row['status']} ({c['passed']} passed, {c['failed']} failed)")
    print(f"wrote {os.path.relpath(args.out)} and its .html"
          + ("" if run["complete"] else f" (missing: {', '.join(missing)})"))
    if args.strict and not run["complete"]:
        print("note: --strict applies to a complete run only; this one is not", file=sys.stderr)
    elif args.strict and unproven:
        for row in unproven:
            print(f"error: Art. {', '.join(row['refs'])} is built but no test of it passed in this run",
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
