"""tools/conformance.py: which article a citation and a test count for, and the report of a run read
from JUnit files (a small run written here, against the project's real articles and code)."""

import os
import textwrap

import pytest

from scripts import load

conformance = load("conformance", "tools", "conformance.py")


@pytest.mark.parametrize("text, numbers", [
    ("Art. 7.1: archive, never delete", ["7.1"]),
    ("(Art. 14.6, 16.9)", ["14.6", "16.9"]),
    ("Art. 13.8 / 15.2 and Art. 10 and 13.6", ["13.8", "15.2", "10", "13.6"]),
    ("Điều 9 và RFC 8461 port 25", []),
    ("restart if it dies (Art. 16.2, 24/7 operation)", ["16.2"]),
])
def test_citations_in_code_and_docstrings(text, numbers):
    assert conformance.cited(text) == numbers


@pytest.mark.parametrize("name, docstring, refs", [
    ("test_art13_7_user_message_limit", None, ["13.7"]),
    ("test_art9_20mb_attachment_accepted", None, ["9"]),          # 20mb is not a point of Art. 9
    ("test_art7_terminated_mailbox_archived", "Art. 7.1: archived, never deleted", ["7.1"]),
    ("test_art16_forged_sender", "Art. 16.4 and Art. 13", ["13", "16.4"]),
    ("test_rfc8461_policy_served", None, []),
])
def test_a_test_proves_what_its_name_and_docstring_cite(name, docstring, refs):
    assert conformance.test_refs(name, docstring) == refs


@pytest.mark.parametrize("ref, article, counts", [
    ("7.1", ["7.1"], True),
    ("7", ["7.1"], True),        # a whole-article citation counts for each point
    ("7.2", ["7.1"], False),
    ("13.6", ["10", "13.6"], True),
    ("13.7", ["13"], True),      # a point counts for its whole article
    ("16", ["14.6", "16.9"], True),
    ("1", ["10", "13.6"], False),
])
def test_matching_a_citation_to_an_article(ref, article, counts):
    assert conformance.matches(ref, article) is counts


def junit(folder, name, cases):
    mark = {"failed": "<failure/>", "skipped": "<skipped/>", "passed": ""}
    body = "".join(f'<testcase classname="{cls}" name="{fn}">{mark[o]}</testcase>' for cls, fn, o in cases)
    with open(os.path.join(folder, name + ".xml"), "w", encoding="utf-8") as handle:
        handle.write(f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{body}</testsuite></testsuites>')


def test_report_of_a_run_counts_each_test_once_and_strict_fails_only_a_complete_run(tmp_path):
    folder = tmp_path / "junit"
    folder.mkdir()
    # a parametrized test counts once and fails if one of its cases failed
    junit(folder, "unit", [("test_conformance", "test_citations_in_code_and_docstrings[a]", "passed"),
                           ("test_naming", "test_art5_leader_keeps_the_plain_form", "passed")])
    junit(folder, "molecule-mail", [
        ("test_mail", "test_art7_terminated_mailbox_archived_read_only_with_its_mail_and_logged", "passed"),
        ("test_mail", "test_art9_20mb_attachment_accepted", "passed"),
        ("test_mail", "test_art9_30mb_attachment_refused_with_the_size_message", "failed"),
    ])
    out = tmp_path / "conformance.md"
    status = conformance.main(["--junit", str(folder), "--out", str(out), "--strict"])
    assert status == 0   # not a complete run: --strict does not judge it
    text = out.read_text(encoding="utf-8")
    assert "**not a complete run**" in text
    rows = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    assert "| failing | 1 / 1 / 0 |" in rows["| 9"]
    assert "| proven | 1 / 0 / 0 |" in rows["| 7.1"]
    assert "| no passing test | 0 / 0 / 0 |" in rows["| 16.5"]
    # the code that cites Art. 7.1 is found (the archive job of role imap)
    assert "`roles/imap/files/congvu-mail-archive.py`" in text
    assert (tmp_path / "conformance.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_strict_complete_run_fails_when_a_built_article_has_no_passing_test(tmp_path, monkeypatch):
    folder = tmp_path / "junit"
    folder.mkdir()
    for suite in conformance.suite_dirs(conformance.ROOT):
        junit(folder, suite, [])
    junit(folder, "molecule-mail", [("test_mail", "test_art9_20mb_attachment_accepted", "passed")])
    assert conformance.main(["--junit", str(folder), "--out", str(tmp_path / "c.md"), "--strict"]) == 1
    assert conformance.main(["--junit", str(folder), "--out", str(tmp_path / "c.md")]) == 0


def test_a_run_without_the_scenarios_run_by_hand_is_complete_and_judged(tmp_path):
    """make test runs every scenario but MANUAL_SCENARIOS (cluster): without --manual such a run would never be
    complete, and --strict would never judge CI's run."""
    folder = tmp_path / "junit"
    folder.mkdir()
    for suite in conformance.suite_dirs(conformance.ROOT):
        if suite != "molecule-cluster":
            junit(folder, suite, [])
    junit(folder, "molecule-mail", [("test_mail", "test_art9_20mb_attachment_accepted", "passed")])
    out = tmp_path / "c.md"
    assert conformance.main(["--junit", str(folder), "--out", str(out), "--strict"]) == 0   # not complete
    assert "missing: molecule-cluster" in out.read_text(encoding="utf-8")
    assert conformance.main(["--junit", str(folder), "--out", str(out), "--strict", "--manual", "cluster"]) == 1
    assert "not a complete run" not in out.read_text(encoding="utf-8")


def test_the_articles_file_names_every_article_the_code_cites():
    """An article cited in the code but absent from conformance/articles.yml would never be reported."""
    import yaml
    with open(os.path.join(conformance.ROOT, "conformance", "articles.yml"), encoding="utf-8") as handle:
        refs = [str(r) for a in yaml.safe_load(handle)["articles"] for r in a["refs"]]
    unknown = [n for n in conformance.code_citations(conformance.ROOT) if not conformance.matches(n, refs)]
    assert unknown == [], textwrap.shorten(str(unknown), 200)


def test_a_whole_article_in_a_tests_name_is_narrowed_by_its_files_docstring():
    assert conformance._narrowed(["16"], ["16.3"]) == ["16.3"]
    assert conformance._narrowed(["16", "13.7"], ["7.1"]) == ["13.7", "16"]
