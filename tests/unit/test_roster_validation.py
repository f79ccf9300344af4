"""Bad input to the roster validator (roster.py, plus the state-dependent checks of plan.py).

The issue: "Every error names the file, the line, the entry (id) and the field, in words an agency IT
person understands; all errors are reported at once; nothing is changed when any exists."

Method: a small valid roster (two agency files) is written to tmp_path, exactly one thing is broken, and
the test asserts on the problems of RosterInvalid: the exact file, the exact line of the offending field
(found by searching the text actually written, so the number cannot drift from the fixture), the entry
(`staff id X`, `staff entry #N` when the id is unusable, or `agency`), the field, and a key phrase of the
message. Most tests also assert that the broken thing gives exactly ONE error, so a validator that adds
misleading follow-on errors fails too.

The last section holds the cases this suite found wrong in the first validator (a skipped SNV.YML, wrong
lines, misleading follow-on errors, ids differing only in case); they are fixed and stay as regressions.

No Ansible import: only the policy core (`congvu`).
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

import pytest
from congvu.plan import make_plan, render_markdown
from congvu.roster import Problem, RosterFile, RosterInvalid
from congvu.roster import load_roster as core_load_roster
from congvu.settings import Settings
from congvu.state import Mailbox, State
from congvu_planner_files import compose, load_roster, plan_roster_path

DOMAIN = "quangbinh.gov.vn"
TODAY = dt.date(2025, 6, 2)

# The valid baseline. Every field of the format appears at least once, so that breaking any of them is a
# one-line edit. Files are taken in name order: snv.yml is read before stttt.yml.
STTTT = """\
agency:
  code: stttt
  name: Sở Thông tin và Truyền thông
  kind: department
  head: TT0001
  delegates: [TT0002]
staff:
  - id: TT0001
    name: Nguyễn Văn An
    leader: true
    title: Giám đốc
  - id: TT0002
    name: Nguyễn Thị Ánh Tuyết
    given_name: Ánh Tuyết
  - id: TT0003
    name: Hoàng Văn Bình
    quota: 5G
    quota_decision: "123/QĐ-UBND"
  - id: TT0004
    name: Trần Đức Long
    address: longtd.stttt
    state: suspended
"""

SNV = """\
agency:
  code: snv
  name: Sở Nội vụ
  kind: department
  head: NV0001
  delegates: []
staff:
  - id: NV0001
    name: Lê Thị Hoa
    leader: true
  - id: NV0002
    name: Phạm Minh Đức
"""

# Where the fields of TT0003 and TT0004 are in STTTT (checked by test_fixture_line_numbers).
NAME_LINE_NO, QUOTA_LINE, ADDRESS_LINE, STATE_LINE = 16, 17, 21, 22


# --------------------------------------------------------------------------------------------- helpers


def edit(text: str, old: str, new: str) -> str:
    """Replace `old` (which must occur exactly once, so the edit is the one intended) by `new`."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the fixture"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line of `text` that contains `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}, expected exactly one"
    return hits[0]


def make_roster(tmp_path: Path, files: dict[str, str | bytes | None] | None = None, **agencies) -> str:
    """Write a roster folder and return its path (as load_roster is called in production).

    By default the two valid files stttt.yml and snv.yml; `stttt=TEXT` replaces a default file and
    `snv=None` leaves it out; `files={"name.ext": TEXT_OR_BYTES}` adds files under any name.
    """
    folder = tmp_path / "roster"
    folder.mkdir(parents=True)
    content: dict[str, str | bytes | None] = {"stttt.yml": STTTT, "snv.yml": SNV}
    for code, text in agencies.items():
        content[f"{code}.yml"] = text
    content.update(files or {})
    for name, text in content.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return str(folder)


def path_in(folder: str, name: str) -> str:
    """The file as a problem names it: relative to the roster folder, wherever that folder is."""
    return name


# A problem about the roster folder as a whole names no file.
WHOLE_FOLDER = ""


def stttt_in(folder: str) -> str:
    return path_in(folder, "stttt.yml")


def problems_of(folder: str, settings: Settings | None = None) -> list[Problem]:
    with pytest.raises(RosterInvalid) as info:
        load_roster(folder, settings)
    return info.value.problems


def errors_of(folder: str, settings: Settings | None = None) -> list[Problem]:
    errors = [p for p in problems_of(folder, settings) if p.severity == "error"]
    assert errors, "RosterInvalid was raised without any error"
    return errors


def listing(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def one_error(folder: str, settings: Settings | None = None) -> Problem:
    """The single error of a roster broken in exactly one place (no follow-on errors)."""
    errors = errors_of(folder, settings)
    assert len(errors) == 1, f"expected exactly one error, got {len(errors)}:\n{listing(errors)}"
    return errors[0]


def check(problem: Problem, file: str, line: int, entry: str, field: str, *phrases: str) -> None:
    """Assert where the problem is and what it says."""
    assert (problem.file, problem.line, problem.entry, problem.field) == (file, line, entry, field), \
        f"wrong location: {problem}"
    assert problem.severity == "error", str(problem)
    for phrase in phrases:
        assert phrase in problem.message, f"{phrase!r} not in: {problem}"


def find(errors: list[Problem], field: str) -> Problem:
    hits = [p for p in errors if p.field == field]
    assert len(hits) == 1, f"expected one error on field {field!r}, got:\n{listing(errors)}"
    return hits[0]


# --------------------------------------------------------------------------------------- the baseline


def test_valid_roster_loads(tmp_path):
    """A validator that refuses everything must fail here; the fixture is the basis of every test."""
    folder = make_roster(tmp_path)
    roster = load_roster(folder)
    assert [a.code for a in roster.agencies] == ["snv", "stttt"]
    assert [p.id for p in roster.persons] == ["NV0001", "NV0002", "TT0001", "TT0002", "TT0003", "TT0004"]
    assert roster.warnings == []
    tt2 = next(p for p in roster.persons if p.id == "TT0002")
    assert (tt2.base, tt2.file, tt2.line) == ("anhtuyetnt", stttt_in(folder), 12)
    tt3 = next(p for p in roster.persons if p.id == "TT0003")
    assert tt3.quota == 5 * 1024**3 and tt3.quota_decision == "123/QĐ-UBND"
    tt4 = next(p for p in roster.persons if p.id == "TT0004")
    assert (tt4.address, tt4.state) == (f"longtd.stttt@{DOMAIN}", "suspended")
    stttt = roster.agency("stttt")
    assert (stttt.head, stttt.delegates) == ("TT0001", ["TT0002"])


def test_fixture_line_numbers():
    assert [line_of(STTTT, n) for n in ("Hoàng Văn Bình", "quota: 5G", "address:", "state:")] == \
        [NAME_LINE_NO, QUOTA_LINE, ADDRESS_LINE, STATE_LINE]


def test_valid_roster_plan_is_not_blocked(tmp_path):
    """Baseline for the 'nothing is changed' tests: the valid roster does plan changes."""
    plan = plan_roster_path(make_roster(tmp_path), State(), Settings(), TODAY)
    assert plan.errors == [] and not plan.blocked
    assert plan.items and plan.changed


def test_file_starting_with_utf8_bom_loads(tmp_path):
    """Notepad on Windows writes a BOM at the start of the file; that is not an error."""
    folder = make_roster(tmp_path, stttt="\ufeff" + STTTT)
    assert load_roster(folder).agency("stttt").name == "Sở Thông tin và Truyền thông"


# ------------------------------------------------------------------------------ the file as a whole


def test_yaml_syntax_error_is_reported_at_its_line(tmp_path):
    """The most common slip: a colon inside an unquoted value."""
    text = edit(STTTT, "title: Giám đốc", "title: Giám đốc: phụ trách chung")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "phụ trách chung"), "", "",
          "YAML syntax error", "check indentation and quoting")


def test_yaml_tab_indentation_is_reported_at_its_line(tmp_path):
    text = edit(STTTT, "  - id: TT0004", "\t- id: TT0004")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "\t- id: TT0004"), "", "",
          "YAML syntax error", "indented with a tab")


def test_yaml_second_document_in_one_file_is_refused(tmp_path):
    """Two files pasted into one: the second would be silently lost by a lenient loader."""
    text = STTTT + "---\n" + SNV
    folder = make_roster(tmp_path, stttt=text, snv=None)
    check(one_error(folder), stttt_in(folder), line_of(text, "---"), "", "",
          "YAML syntax error", "another document")


@pytest.mark.parametrize("text, kind", [
    ("# stttt\n- agency: {code: stttt}\n- staff: []\n", "a list"),
    ("# stttt\nstttt\n", "a single value"),
], ids=["list", "scalar"])
def test_file_that_is_not_a_mapping_is_refused(tmp_path, text, kind):
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 2, "", "",
          f"the file is {kind}", "must be a mapping with 'agency:' and 'staff:'")


@pytest.mark.parametrize("text", ["", "# to be filled in\n\n"], ids=["empty", "only-comments"])
def test_empty_file_is_refused(tmp_path, text):
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 1, "", "", "the file is empty")


def test_file_not_utf8_is_refused(tmp_path):
    """A file saved in a legacy code page (here one Windows-1252 'à') is named, with advice."""
    raw = STTTT.encode("utf-8").replace("Hoàng".encode(), b"Ho\xe0ng")
    folder = make_roster(tmp_path, stttt=raw)
    error = one_error(folder)
    assert (error.file, error.entry, error.field) == (stttt_in(folder), "", "")
    assert "not UTF-8" in error.message and "save it as UTF-8" in error.message


def test_missing_agency_section_is_refused(tmp_path):
    text = "# agency section forgotten\n" + STTTT[STTTT.index("staff:"):]
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 2, "", "agency", "'agency:' section is missing")


def test_agency_section_not_a_mapping_is_refused(tmp_path):
    text = "agency: stttt\n" + STTTT[STTTT.index("staff:"):]
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 1, "agency", "", "must be a mapping")


def test_missing_staff_list_is_refused(tmp_path):
    text = STTTT[:STTTT.index("staff:")]
    folder = make_roster(tmp_path, stttt=text)
    error = find(errors_of(folder), "staff")
    check(error, stttt_in(folder), 1, "", "staff", "'staff:' list is missing", "staff: []")


def test_staff_not_a_list_is_refused(tmp_path):
    text = STTTT[:STTTT.index("staff:")] + "staff:\n  id: TT0001\n  name: Nguyễn Văn An\n"
    folder = make_roster(tmp_path, stttt=text)
    error = find(errors_of(folder), "staff")
    check(error, stttt_in(folder), line_of(text, "id: TT0001"), "", "staff",
          "must be a list of people")


def test_unknown_top_level_field_is_refused(tmp_path):
    text = STTTT + "ghi_chu: cập nhật tháng 6\n"
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "ghi_chu"), "", "ghi_chu",
          "unknown field", "allowed: agency, staff")


def test_field_given_twice_is_refused(tmp_path):
    """Plain YAML loading keeps the last of two equal keys silently; the validator must not."""
    text = edit(STTTT, "    name: Hoàng Văn Bình\n", "    name: Hoàng Văn Bình\n    name: Hoàng Văn Bính\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "Bính"), "staff id TT0003",
          "name", "given twice")


def test_roster_folder_with_no_agency_file_is_refused(tmp_path):
    """An empty roster would terminate every mailbox of the province: refuse it."""
    folder = make_roster(tmp_path, {"README.md": "# roster\n"}, stttt=None, snv=None)
    error = one_error(folder)
    check(error, WHOLE_FOLDER, 0, "", "", "no agency file", "terminate every mailbox")
    assert str(error) == ("thư mục danh sách: lỗi: danh sách không có tệp cơ quan nào: không lập kế hoạch, vì "
                          "danh sách trống sẽ chấm dứt mọi hộp thư")
    assert error.text("en") == f"the roster folder: error: {error.message}"


def test_roster_listing_nobody_is_refused(tmp_path):
    stttt = STTTT[:STTTT.index("  head:")] + "staff: []\n"
    snv = SNV[:SNV.index("  head:")] + "staff:\n"
    folder = make_roster(tmp_path, stttt=stttt, snv=snv)
    check(one_error(folder), WHOLE_FOLDER, 0, "", "", "lists nobody", "terminate every mailbox")


def test_missing_roster_folder_is_refused(tmp_path):
    folder = str(tmp_path / "no-such-roster")
    check(one_error(folder), WHOLE_FOLDER, 0, "", "", "does not exist")


def test_the_core_validates_the_bytes_it_is_given_and_names_a_file_that_could_not_be_read():
    """The policy core reads no file: the adapter hands it each agency file's bytes (or why it could not be
    read) and a YAML composer; the same problems come out, with the file's name, as from a folder."""
    files = [RosterFile("snv.yml", SNV.encode()), RosterFile("stttt.yml", unreadable="Permission denied")]
    with pytest.raises(RosterInvalid) as caught:
        core_load_roster(files, compose, Settings(domain=DOMAIN), "roster/")
    errors = [p for p in caught.value.problems if p.severity == "error"]
    assert [(p.file, p.line, p.render("en")) for p in errors][:1] == \
        [("stttt.yml", 0, "cannot read the file: Permission denied")]
    assert caught.value.roster.source == "roster/" and [a.code for a in caught.value.roster.agencies] == ["snv"]


# ------------------------------------------------------------------------------ the agency (Art. 5.1)


@pytest.mark.parametrize("code", ["STTTT", "s..tttt", "sởtttt", "'stt tt'", "s-tttt", "'stttt\u200b'"])
def test_art5_agency_code_not_lowercase_a_z_0_9_is_refused(tmp_path, code):
    text = edit(STTTT, "code: stttt", f"code: {code}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 2, "agency", "code", "is not valid",
          "only lowercase letters a-z and digits")


def test_art5_a_dotted_code_is_a_sub_unit_which_the_default_profile_does_not_have(tmp_path):
    text = edit(STTTT, "code: stttt", "code: s.tttt")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 2, "agency", "code", "is the code of a sub-unit",
          "addresses.sub_units", "write the code without a dot")


def test_art5_agency_code_reserved_mailbox_name_is_refused(tmp_path):
    text = edit(STTTT, "code: stttt", "code: postmaster")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 2, "agency", "code", "reserved",
          "RFC 2142")


def test_art5_agency_code_duplicated_is_refused(tmp_path):
    """Same code in stttt.yaml and stttt.yml (different people): reported on the file read second."""
    other = edit(STTTT.replace("TT000", "TX000"), "address: longtd.stttt", "address: longtd2.stttt")
    folder = make_roster(tmp_path, {"stttt.yaml": other})
    check(one_error(folder), stttt_in(folder), line_of(STTTT, "code: stttt"), "agency", "code",
          "agency code 'stttt' is already used by", path_in(folder, "stttt.yaml"))


def test_art5_file_name_not_matching_code_is_refused(tmp_path):
    folder = make_roster(tmp_path, {"sotttt.yml": STTTT}, stttt=None)
    check(one_error(folder), path_in(folder, "sotttt.yml"), 2, "agency", "code",
          "the file is named 'sotttt.yml' but the code is 'stttt'", "rename the file to 'stttt.yml'")


@pytest.mark.parametrize("field", ["code", "name", "kind"])
def test_agency_required_field_missing_is_refused(tmp_path, field):
    """A missing field has no line of its own: the first line of the agency block is named."""
    old = next(line for line in STTTT.splitlines(keepends=True) if line.startswith(f"  {field}:"))
    text = edit(STTTT, old, "")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "agency:") + 1, "agency", field,
          "is missing")


@pytest.mark.parametrize("value", ['""', '"   "', "", "~"], ids=["empty", "spaces", "blank", "null"])
def test_agency_empty_name_is_refused(tmp_path, value):
    text = edit(STTTT, "name: Sở Thông tin và Truyền thông", f"name: {value}".rstrip())
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 3, "agency", "name", "is empty")


def test_agency_unknown_kind_is_refused(tmp_path):
    text = edit(STTTT, "kind: department", "kind: ministry")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 4, "agency", "kind",
          "'ministry' is not a kind", "department, district, other")


def test_agency_unknown_field_typo_is_refused(tmp_path):
    """`delegate:` for `delegates:` would silently drop every delegate; it must be named, with a hint."""
    text = edit(STTTT, "  delegates: [TT0002]", "  delegate: [TT0002]")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegate", "unknown field",
          "did you mean 'delegates'?")


# ------------------------------------------------------------------ head and delegates (Art. 10)


def test_art10_head_naming_unknown_id_is_refused(tmp_path):
    text = edit(STTTT, "head: TT0001", "head: TT0009")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 5, "agency", "head",
          "the head 'TT0009' is not a staff id in the roster")


def test_art10_head_from_another_agency_is_refused(tmp_path):
    text = edit(STTTT, "head: TT0001", "head: NV0002")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 5, "agency", "head",
          "'NV0002' (Phạm Minh Đức) belongs to agency 'snv', not 'stttt'")


def test_art10_terminated_head_is_refused(tmp_path):
    text = edit(STTTT, "    title: Giám đốc\n", "    title: Giám đốc\n    state: terminated\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 5, "agency", "head",
          "the head 'TT0001' (Nguyễn Văn An) is terminated", "name a serving person")


def test_art10_head_given_as_a_list_is_refused(tmp_path):
    text = edit(STTTT, "head: TT0001", "head: [TT0001, TT0003]")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 5, "agency", "head", "must be a single value")


def test_art10_suspended_head_is_only_a_warning(tmp_path):
    """Allowed (the head may be on leave) but said: the agency mailbox has no one to open it."""
    text = edit(STTTT, "    title: Giám đốc\n", "    title: Giám đốc\n    state: suspended\n")
    roster = load_roster(make_roster(tmp_path, stttt=text))
    [warning] = roster.warnings
    assert (warning.line, warning.entry, warning.field, warning.severity) == (5, "agency", "head", "warning")
    assert "suspended" in warning.message


def test_art10_delegate_naming_unknown_id_is_refused(tmp_path):
    text = edit(STTTT, "delegates: [TT0002]", "delegates: [TT0002, TT0099]")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegates",
          "delegate 'TT0099' is not a staff id in the roster")


def test_art10_delegate_from_another_agency_is_refused(tmp_path):
    text = edit(STTTT, "delegates: [TT0002]", "delegates: [TT0002, NV0001]")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegates",
          "delegate 'NV0001' (Lê Thị Hoa) belongs to agency 'snv', not 'stttt'")


def test_art10_terminated_delegate_is_refused(tmp_path):
    text = edit(STTTT, "    given_name: Ánh Tuyết\n", "    given_name: Ánh Tuyết\n    state: terminated\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegates",
          "delegate 'TT0002' (Nguyễn Thị Ánh Tuyết) is terminated")


def test_art10_delegate_listed_twice_is_refused(tmp_path):
    text = edit(STTTT, "delegates: [TT0002]", "delegates: [TT0002, TT0003, TT0002]")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegates", "'TT0002' is listed twice")


@pytest.mark.parametrize("value", ["TT0002", "TT0002, TT0003", "{TT0002: true}"])
def test_art10_delegates_not_a_list_is_refused(tmp_path, value):
    text = edit(STTTT, "delegates: [TT0002]", f"delegates: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 6, "agency", "delegates",
          "must be a list of staff ids")


# --------------------------------------------------------------------------------- a person's entry


def test_staff_entry_not_a_mapping_is_refused(tmp_path):
    text = STTTT + "  - TT0005 Lê Văn Tám\n"
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "TT0005"), "staff entry #5", "",
          "each person must be a mapping")


def test_missing_id_is_refused(tmp_path):
    text = edit(STTTT, "  - id: TT0003\n    name: Hoàng Văn Bình\n", "  - name: Hoàng Văn Bình\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "- name: Hoàng Văn Bình"),
          "staff entry #3", "id", "is missing", "stable staff id")


@pytest.mark.parametrize("value", ['"TT 0003"', "TTĐ003", '"TT0003\u200b"', "TT/0003", "-TT0003"],
                         ids=["space", "accent", "zero-width-space", "slash", "leading-dash"])
def test_invalid_id_is_refused(tmp_path, value):
    """An unusable id cannot name the entry: the entry is named by its position instead."""
    text = edit(STTTT, "id: TT0003", f"id: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "Hoàng") - 1, "staff entry #3", "id",
          "is not a valid id")


@pytest.mark.parametrize("value", ["", '""', "~"], ids=["blank", "empty-string", "null"])
def test_empty_id_is_refused(tmp_path, value):
    text = edit(STTTT, "id: TT0003", f"id: {value}".rstrip())
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "Hoàng") - 1, "staff entry #3", "id",
          "is empty")


def test_duplicate_id_in_one_file_is_refused(tmp_path):
    text = edit(STTTT, "id: TT0003", "id: TT0001")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "Hoàng") - 1, "staff id TT0001", "id",
          "id 'TT0001' is already used earlier in this file (line 8) by 'Nguyễn Văn An'", "unique")


def test_duplicate_id_across_files_is_refused(tmp_path):
    """snv.yml is read first, so the entry in stttt.yml is the duplicate; the message points back."""
    text = STTTT + "  - id: NV0002\n    name: Phạm Minh Đức\n"
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "NV0002"), "staff id NV0002", "id",
          f"is already used in {path_in(folder, 'snv.yml')} (line {line_of(SNV, 'NV0002')})",
          "unique across the province")


def test_unknown_person_field_typo_is_refused(tmp_path):
    """`qouta:` must not be ignored (the person would silently get the default quota)."""
    text = edit(STTTT, "    quota: 5G\n", "    qouta: 5G\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "qouta"), "staff id TT0003", "qouta",
          "unknown field", "did you mean 'quota'?")


def test_leader_not_true_or_false_is_refused(tmp_path):
    text = edit(STTTT, "leader: true", "leader: có")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "leader:"), "staff id TT0001", "leader",
          "must be true or false")


# ----------------------------------------------------------------------------------- names (Art. 5)

NAME_LINE = "    name: Hoàng Văn Bình\n"


def broken_name(tmp_path, value: str) -> tuple[str, str]:
    """TT0003's name replaced by `value`; returns (folder, text)."""
    text = edit(STTTT, NAME_LINE, f"    name: {value}\n".replace(" \n", "\n"))
    return make_roster(tmp_path, stttt=text), text


def check_name_error(folder: str, *phrases: str, field: str = "name") -> Problem:
    error = one_error(folder)
    check(error, stttt_in(folder), NAME_LINE_NO, "staff id TT0003", field, *phrases)
    return error


def test_art5_missing_name_is_refused(tmp_path):
    text = edit(STTTT, NAME_LINE, "")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "id: TT0003"), "staff id TT0003",
          "name", "is missing")


@pytest.mark.parametrize("value", ["", '""', '"    "', "~", '"\u00a0\u3000"'],
                         ids=["blank", "empty-string", "spaces", "null", "nbsp-ideographic-space"])
def test_art5_empty_or_whitespace_name_is_refused(tmp_path, value):
    folder, _ = broken_name(tmp_path, value)
    check_name_error(folder, "is empty")


def test_art5_name_of_only_invisible_characters_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, '"\u200b\u200d\ufeff"')
    check_name_error(folder, "is empty once invisible characters and spaces are removed")


def test_art5_name_with_cyrillic_lookalike_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình".replace("o", "\u043e"))  # CYRILLIC SMALL LETTER O
    check_name_error(folder, "outside the Vietnamese alphabet", "CYRILLIC SMALL LETTER O", "looks like 'o'",
                     "Vietnamese keyboard")


def test_art5_name_with_greek_lookalike_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình".replace("o", "\u03bf"))  # GREEK SMALL LETTER OMICRON
    check_name_error(folder, "outside the Vietnamese alphabet", "GREEK SMALL LETTER OMICRON")


def test_art5_name_with_cjk_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "Hoàng Văn 平")
    check_name_error(folder, "outside the Vietnamese alphabet", "CJK UNIFIED IDEOGRAPH-5E73")


def test_art5_name_with_emoji_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình 🌸")
    check_name_error(folder, "outside the Vietnamese alphabet", "CHERRY BLOSSOM")


def test_art5_name_with_digit_is_refused(tmp_path):
    """`Hoàng Văn Bình 2` is an attempt to pick an address by hand; pin it with `address:` instead."""
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình 2")
    check_name_error(folder, "outside the Vietnamese alphabet", "DIGIT TWO")


def test_art5_name_with_latin_letter_outside_vietnamese_alphabet_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình François")
    check_name_error(folder, "outside the Vietnamese alphabet", "LATIN SMALL LETTER C WITH CEDILLA")


def test_art5_name_with_fullwidth_latin_is_refused(tmp_path):
    """Typed in a CJK input mode: looks Latin, but would not transliterate."""
    folder, _ = broken_name(tmp_path, "Hoàng Văn Ｂình")
    check_name_error(folder, "outside the Vietnamese alphabet", "FULLWIDTH LATIN CAPITAL LETTER B")


def test_art5_name_with_stray_combining_mark_is_refused(tmp_path):
    """A combining mark that composes with nothing (here a tilde below, after 'h') stays foreign."""
    folder, _ = broken_name(tmp_path, "Hoàng Văn Bình\u0330")
    check_name_error(folder, "outside the Vietnamese alphabet", "COMBINING TILDE BELOW")


def test_art5_name_without_letters_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, "\"- ' -\"")
    check_name_error(folder, "has no letters")


def test_art5_name_too_long_is_refused(tmp_path):
    folder, _ = broken_name(tmp_path, " ".join(["Hoàng"] * 20 + ["Bình"]))
    check_name_error(folder, "longer than 100 characters")


@pytest.mark.parametrize("value", ["[Hoàng, Văn, Bình]", "{ho: Hoàng, ten: Bình}"], ids=["list", "mapping"])
def test_art5_name_not_a_single_value_is_refused(tmp_path, value):
    folder, _ = broken_name(tmp_path, value)
    check_name_error(folder, "must be a single value")


def test_art5_given_name_not_last_words_of_name_is_refused(tmp_path):
    text = edit(STTTT, "given_name: Ánh Tuyết", "given_name: Thị Ánh")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(STTTT, "given_name"), "staff id TT0002",
          "given_name",
          "'Thị Ánh' must be the last word(s) of the name 'Nguyễn Thị Ánh Tuyết'")


def test_art5_given_name_with_foreign_character_is_refused(tmp_path):
    text = edit(STTTT, "given_name: Ánh Tuyết", "given_name: Ánh Tuy\u0435t")  # CYRILLIC SMALL LETTER IE
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(STTTT, "given_name"), "staff id TT0002",
          "given_name",
          "outside the Vietnamese alphabet", "CYRILLIC SMALL LETTER IE")


@pytest.mark.parametrize("char", ["\u200b", "\ufeff", "\u00ad", "\u2060", "\u200e", "\u200d"],
                         ids=["zero-width-space", "bom", "soft-hyphen", "word-joiner", "lrm", "zwj"])
def test_art5_invisible_format_characters_are_stripped_from_names(tmp_path, char):
    """Copy-paste from Word or a web page brings invisible format characters (category Cf): they are
    stripped first, and the name is accepted exactly as if they had not been there."""
    assert unicodedata.category(char) == "Cf"
    folder, _ = broken_name(tmp_path, f"Hoàng{char} Văn Bì{char}nh{char}")
    roster = load_roster(folder)
    person = next(p for p in roster.persons if p.id == "TT0003")
    assert (person.name, person.base) == ("Hoàng Văn Bình", "binhhv")
    assert roster.warnings == []


def test_art5_nfd_name_is_accepted_and_equals_the_nfc_name(tmp_path):
    """macOS and some web forms send decomposed text; it must give the same name and address."""
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    nfd_given = unicodedata.normalize("NFD", "Ánh Tuyết")
    assert nfd_name != "Nguyễn Thị Ánh Tuyết"
    text = edit(STTTT, "name: Nguyễn Thị Ánh Tuyết", f"name: {nfd_name}")
    text = edit(text, "given_name: Ánh Tuyết", f"given_name: {nfd_given}")
    nfc_roster = load_roster(make_roster(tmp_path / "nfc"))
    nfd_roster = load_roster(make_roster(tmp_path / "nfd", stttt=text))
    nfc = next(p for p in nfc_roster.persons if p.id == "TT0002")
    nfd = next(p for p in nfd_roster.persons if p.id == "TT0002")
    assert nfd.name == "Nguyễn Thị Ánh Tuyết" == unicodedata.normalize("NFC", nfd.name)
    assert (nfd.name, nfd.given_name, nfd.base) == (nfc.name, nfc.given_name, nfc.base) == \
        ("Nguyễn Thị Ánh Tuyết", "Ánh Tuyết", "anhtuyetnt")


def test_art5_one_word_name_is_a_warning_not_an_error(tmp_path):
    text = edit(STTTT, NAME_LINE, "    name: Bình\n")
    folder = make_roster(tmp_path, stttt=text)
    roster = load_roster(folder)
    [warning] = roster.warnings
    assert (warning.file, warning.line, warning.entry, warning.field, warning.severity) == \
        (stttt_in(folder), NAME_LINE_NO, "staff id TT0003", "name", "warning")
    assert "single word" in warning.message and "'binh'" in warning.message
    plan = plan_roster_path(folder, State(), Settings(), TODAY)
    assert not plan.blocked and plan.errors == [] and warning in plan.notices


# ---------------------------------------------------------------------------------- states (Art. 7)


@pytest.mark.parametrize("value", ["retired", "Active", "nghỉ hưu", "deleted"])
def test_art7_unknown_state_is_refused(tmp_path, value):
    text = edit(STTTT, "state: suspended", f"state: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), STATE_LINE, "staff id TT0004", "state",
          f"'{value}' is not a state", "active, suspended, terminated")


def test_art7_empty_state_is_refused(tmp_path):
    text = edit(STTTT, "state: suspended", "state:")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), STATE_LINE, "staff id TT0004", "state", "is empty")


# ----------------------------------------------------------------------------------- quota (Art. 9)


def test_art9_quota_above_default_needs_decision(tmp_path):
    text = edit(STTTT, '    quota_decision: "123/QĐ-UBND"\n', "")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota",
          "5G is above the default quota", "Art. 9", "quota_decision")


@pytest.mark.parametrize("value", ['""', '"   "', "~", '"\u200b"'],
                         ids=["empty", "spaces", "null", "zero-width-space"])
def test_art9_quota_above_default_with_blank_decision_is_refused(tmp_path, value):
    text = edit(STTTT, 'quota_decision: "123/QĐ-UBND"', f"quota_decision: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota",
          "above the default quota", "Art. 9")


def test_art9_quota_just_above_default_needs_decision(tmp_path):
    text = edit(STTTT, "quota: 5G", "quota: 2049M")
    text = edit(text, '    quota_decision: "123/QĐ-UBND"\n', "")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota",
          "2049M is above the default quota")


def test_art9_quota_above_a_raised_default_is_measured_against_the_setting(tmp_path):
    """The default is a province setting: with 10G as default, 5G needs no decision, 11G does."""
    settings = Settings(default_quota=10 * 1024**3)
    text = edit(STTTT, '    quota_decision: "123/QĐ-UBND"\n', "")
    assert load_roster(make_roster(tmp_path / "a", stttt=text), settings).persons
    folder = make_roster(tmp_path / "b", stttt=edit(text, "quota: 5G", "quota: 11G"))
    check(one_error(folder, settings), stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota",
          "11G is above the default quota")


@pytest.mark.parametrize("value", ["2G", "2 GiB", "2048M", "500M"])
def test_art9_quota_at_or_below_default_needs_no_decision(tmp_path, value):
    """The other side of the rule: a validator that asks a decision for every quota fails here."""
    text = edit(STTTT, "quota: 5G", f"quota: {value}")
    text = edit(text, '    quota_decision: "123/QĐ-UBND"\n', "")
    assert next(p for p in load_roster(make_roster(tmp_path, stttt=text)).persons if p.id == "TT0003").quota


@pytest.mark.parametrize("value", ["lots", "5", "-1G", "5X", "5 G B", "G5", "[5G]"],
                         ids=["word", "bare-number", "negative", "unknown-unit", "split-unit", "unit-first",
                              "list"])
def test_art9_unparsable_quota_is_refused(tmp_path, value):
    text = edit(STTTT, "quota: 5G", f"quota: {value}")
    folder = make_roster(tmp_path, stttt=text)
    error = one_error(folder)
    check(error, stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota")
    assert any(p in error.message for p in ("cannot read quota", "must be a single value")), str(error)


def test_art9_zero_quota_is_refused(tmp_path):
    text = edit(STTTT, "quota: 5G", "quota: 0G")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), QUOTA_LINE, "staff id TT0003", "quota", "more than zero")


# ------------------------------------------------------------------------ pinned addresses (Art. 5)


@pytest.mark.parametrize("value", ["longtd.snv", "longtd.stttt@gmail.com", f"stttt@{DOMAIN}", ".stttt",
                                   "longtd", f"longtd.stttt@mail.{DOMAIN}"],
                         ids=["other-agency", "other-domain", "agency-mailbox", "no-local-name",
                              "no-agency-suffix", "subdomain"])
def test_art5_address_outside_agency_namespace_is_refused(tmp_path, value):
    text = edit(STTTT, "address: longtd.stttt", f"address: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), ADDRESS_LINE, "staff id TT0004", "address",
          "is outside this agency's addresses", f"'<name>.stttt@{DOMAIN}'")


@pytest.mark.parametrize("value", ["long..td.stttt", "lòngtd.stttt", "long td.stttt", "-longtd.stttt",
                                   "l" * 60 + ".stttt"],
                         ids=["double-dot", "accent", "space", "leading-dash", "too-long"])
def test_art5_malformed_pinned_address_is_refused(tmp_path, value):
    text = edit(STTTT, "address: longtd.stttt", f"address: {value}")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), ADDRESS_LINE, "staff id TT0004", "address",
          "is not a valid address")


def test_art5_empty_pinned_address_is_refused(tmp_path):
    text = edit(STTTT, "address: longtd.stttt", 'address: ""')
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), ADDRESS_LINE, "staff id TT0004", "address", "is empty")


def test_art5_two_people_pinning_one_address_is_refused(tmp_path):
    """Written differently (full address, capitals) but the same mailbox: mail would reach two people."""
    text = edit(STTTT, "    title: Giám đốc\n", f"    title: Giám đốc\n    address: LongTD.stttt@{DOMAIN}\n")
    folder = make_roster(tmp_path, stttt=text)
    first = line_of(text, "address: LongTD")
    check(one_error(folder), stttt_in(folder), line_of(text, "address: longtd.stttt"),
          "staff id TT0004", "address",
          f"'longtd.stttt@{DOMAIN}' is already pinned by id TT0001 ({path_in(folder, 'stttt.yml')}:{first})")


def state_with_longtd_used_by(owner: str, state: str) -> State:
    """A state where longtd.stttt@ once belonged to `owner` (now `state`, moved to another address)."""
    box = Mailbox(owner, "stttt", f"longtd1.stttt@{DOMAIN}", state, "Trần Đức Long",
                  history=[f"longtd.stttt@{DOMAIN}", f"longtd1.stttt@{DOMAIN}"])
    return State({owner: box})


@pytest.mark.parametrize("owner_state", ["active", "suspended", "terminated"])
def test_art5_pinned_address_once_used_by_another_id_blocks_the_plan(tmp_path, owner_state):
    """Validation against the current state lives in the planner: it comes back as plan.errors."""
    folder = make_roster(tmp_path)
    state = state_with_longtd_used_by("XX0009", owner_state)
    plan = plan_roster_path(folder, state, Settings(), TODAY)
    assert len(plan.errors) == 1, listing(plan.errors)
    check(plan.errors[0], stttt_in(folder), ADDRESS_LINE, "staff id TT0004", "address",
          f"'longtd.stttt@{DOMAIN}' belongs or belonged to id XX0009", owner_state,
          "never given to another person")
    assert plan.items == [] and plan.blocked and not plan.changed
    # make_plan on an already loaded roster gives the same verdict.
    assert make_plan(load_roster(folder), state, TODAY).errors == plan.errors


def test_art5_pinning_ones_own_old_address_is_allowed(tmp_path):
    """The other side of the rule: the address was this person's, so it may be pinned again."""
    folder = make_roster(tmp_path)
    plan = plan_roster_path(folder, state_with_longtd_used_by("TT0004", "active"), Settings(), TODAY)
    assert plan.errors == [] and not plan.blocked


# ------------------------------------------------------------ all at once, located, nothing changed


def test_all_errors_in_two_files_are_reported_at_once_sorted_by_file_and_line(tmp_path):
    stttt = edit(STTTT, "state: suspended", "state: retired")                     # line 22
    stttt = edit(stttt, "head: TT0001", "head: TT0009")                           # line 5
    stttt = edit(stttt, "name: Hoàng Văn Bình", "name: Hoàng Văn Bình\u0441")      # line 16, Cyrillic es
    snv = edit(SNV, "kind: department", "kind: ministry")                          # line 4
    snv = edit(snv, "    name: Phạm Minh Đức\n", "    name: Phạm Minh Đức\n    qouta: 3G\n")  # line 13
    folder = make_roster(tmp_path, stttt=stttt, snv=snv)
    with pytest.raises(RosterInvalid) as info:
        load_roster(folder)
    errors = info.value.problems
    got = [(os.path.basename(p.file), p.line, p.entry, p.field) for p in errors]
    assert got == [
        ("snv.yml", 4, "agency", "kind"),
        ("snv.yml", 13, "staff id NV0002", "qouta"),
        ("stttt.yml", 5, "agency", "head"),
        ("stttt.yml", 16, "staff id TT0003", "name"),
        ("stttt.yml", 22, "staff id TT0004", "state"),
    ], listing(errors)
    assert all(p.severity == "error" for p in errors)
    # The exception text (what CI prints) carries every one of them, located: in Vietnamese by default.
    text = str(info.value)
    assert text.startswith("danh sách có 5 lỗi:\n")
    assert text.splitlines()[1:] == [str(p) for p in errors]
    english = info.value.text("en")
    assert english.startswith("the roster has 5 error(s):\n")
    assert english.splitlines()[1:] == [p.text("en") for p in errors]


def test_problem_str_reads_file_line_severity_entry_field_message(tmp_path):
    text = edit(STTTT, "state: suspended", "state: retired")
    folder = make_roster(tmp_path, stttt=text)
    error = one_error(folder)
    assert str(error) == ("stttt.yml:22: lỗi: mã cán bộ TT0004, trường 'state': 'retired' không phải trạng "
                          "thái hợp lệ; dùng một trong các giá trị: active, suspended, terminated")
    assert error.text("en") == ("stttt.yml:22: error: staff id TT0004, field 'state': "
                                "'retired' is not a state; use one of: active, suspended, terminated")
    # plan.json: the same whatever the language shown: the message id and its values beside the English
    assert error.as_dict() == {
        "file": "stttt.yml", "line": 22, "entry": "staff id TT0004", "field": "state", "severity": "error",
        "code": "'%(value)s' is not a state; use one of: %(allowed)s",
        "params": {"value": "retired", "allowed": "active, suspended, terminated"},
        "message": "'retired' is not a state; use one of: active, suspended, terminated"}
    assert Problem.from_dict(error.as_dict()) == error


def test_a_warning_alone_does_not_make_the_roster_invalid_but_travels_with_errors(tmp_path):
    one_word = edit(STTTT, NAME_LINE, "    name: Bình\n")
    assert load_roster(make_roster(tmp_path / "ok", stttt=one_word)).warnings
    folder = make_roster(tmp_path / "bad", stttt=edit(one_word, "state: suspended", "state: retired"))
    problems = problems_of(folder)
    assert [(p.line, p.severity) for p in problems] == [(16, "warning"), (22, "error")]
    text = RosterInvalid(problems).text("en")
    assert text.startswith("the roster has 1 error(s):\n") and ": warning:" not in text
    assert ": cảnh báo:" not in str(RosterInvalid(problems))


def test_invalid_roster_changes_nothing(tmp_path):
    """Bad input never half-applies: a plan of errors only, no items, blocked, the state untouched."""
    valid = make_roster(tmp_path / "valid")
    state = plan_roster_path(valid, State(), Settings(), TODAY).new_state(State())
    assert state.mailboxes and state.agencies
    # A roster that would change a lot (rename, terminate, new people) plus one bad character.
    text = edit(STTTT, "name: Nguyễn Văn An", "name: Nguyễn Văn Ân")
    text = edit(text, "state: suspended", "state: terminated")
    text = text + "  - id: TT0005\n    name: Lê Văn Tám\n  - id: TT0006\n    name: Lê Văn Tаm\n"  # Cyrillic а
    folder = make_roster(tmp_path / "invalid", stttt=text, snv=None)
    plan = plan_roster_path(folder, state, Settings(), TODAY)
    assert [(os.path.basename(p.file), p.line, p.entry, p.field) for p in plan.errors] == \
        [("stttt.yml", line_of(text, "Tаm"), "staff id TT0006", "name")]
    assert plan.items == [] and plan.blocked and not plan.changed
    assert plan.new_state(state).as_dict() == state.as_dict()
    assert plan.as_dict()["mailboxes"] == [] and plan.as_dict()["blocked"] is True
    assert "Không có gì được thay đổi" in render_markdown(plan)
    assert "Nothing will be changed" in render_markdown(plan, language="en")


# ------------------------------------------- found by this suite first (bugs fixed in the validator)


def test_agency_name_of_only_invisible_characters_is_refused(tmp_path):
    text = edit(STTTT, "name: Sở Thông tin và Truyền thông", 'name: "\u200b\u2060"')
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), 3, "agency", "name", "is empty")


def test_agency_file_with_upper_case_extension_is_not_silently_ignored(tmp_path):
    folder = make_roster(tmp_path, {"snv.YML": SNV}, snv=None)
    try:
        roster = load_roster(folder)
    except RosterInvalid as exc:
        assert any(p.file == path_in(folder, "snv.YML") for p in exc.problems), listing(exc.problems)
    else:
        assert roster.agency("snv") is not None, "snv.YML was ignored: its staff would be terminated"


def test_file_not_utf8_is_reported_at_the_line_of_the_bad_byte(tmp_path):
    raw = STTTT.encode("utf-8").replace("Hoàng".encode(), b"Ho\xe0ng")
    folder = make_roster(tmp_path, stttt=raw)
    assert one_error(folder).line == line_of(STTTT, "Hoàng")


def test_yaml_unclosed_quote_is_reported_where_the_quote_opens(tmp_path):
    text = edit(STTTT, "name: Trần Đức Long", 'name: "Trần Đức Long')
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "Trần Đức Long"), "", "",
          "YAML syntax error")


def test_art10_bad_delegate_in_block_list_is_reported_at_its_own_line(tmp_path):
    text = edit(STTTT, "  delegates: [TT0002]\n", "  delegates:\n    - TT0002\n    - TT0099\n")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "- TT0099"), "agency", "delegates",
          "delegate 'TT0099' is not a staff id")


@pytest.mark.parametrize("broken", ["staf:", "staff-mapping"])
def test_unreadable_staff_list_gives_no_follow_on_head_or_delegate_errors(tmp_path, broken):
    if broken == "staf:":
        text = edit(STTTT, "staff:", "staf:")
    else:
        text = STTTT[:STTTT.index("staff:")] + "staff:\n  id: TT0001\n  name: Nguyễn Văn An\n"
    folder = make_roster(tmp_path, stttt=text)
    errors = errors_of(folder)
    assert [p for p in errors if p.field in ("head", "delegates")] == [], listing(errors)


def test_art10_duplicate_id_across_files_gives_no_follow_on_delegate_error(tmp_path):
    snv = SNV + "  - id: TT0002\n    name: Nguyễn Thị Ánh Tuyết\n"
    folder = make_roster(tmp_path, snv=snv)
    check(one_error(folder), stttt_in(folder), line_of(STTTT, "id: TT0002"), "staff id TT0002",
          "id", "already used in")


def test_ids_differing_only_in_case_are_refused(tmp_path):
    text = STTTT + "  - id: tt0003\n    name: Lê Văn Tám\n"
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "tt0003"), "staff id tt0003", "id",
          "TT0003")


def test_yaml_tab_indentation_message_names_the_tab(tmp_path):
    text = edit(STTTT, "  - id: TT0004", "\t- id: TT0004")
    folder = make_roster(tmp_path, stttt=text)
    check(one_error(folder), stttt_in(folder), line_of(text, "\t- id: TT0004"), "", "", "tab")


@pytest.mark.parametrize("name, shape", [("\u0397oàng Văn Bình", "H"), ("Hoàng Văn \u0412ình", "B")],
                         ids=["greek-eta", "cyrillic-ve"])
def test_art5_lookalike_hint_names_the_letter_it_looks_like(tmp_path, name, shape):
    folder, _ = broken_name(tmp_path, name)
    check_name_error(folder, f"looks like '{shape}'")


def test_pinned_address_taken_is_reported_together_with_load_errors(tmp_path):
    text = edit(STTTT, "name: Hoàng Văn Bình", "name: Hoàng Văn Bìnһ")  # CYRILLIC SMALL LETTER SHHA
    folder = make_roster(tmp_path, stttt=text)
    plan = plan_roster_path(folder, state_with_longtd_used_by("XX0009", "terminated"), Settings(), TODAY)
    assert [(p.line, p.field) for p in plan.errors] == [(16, "name"), (21, "address")], listing(plan.errors)
