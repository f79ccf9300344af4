"""tools/import_accounts.py and congvu/account_import.py: another system's accounts into the roster
(docs/import.md). Small CSV and LDIF exports written here; a two-agency roster of this province; a
state export with an address history."""

from __future__ import annotations

import base64
import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
import yaml
from congvu import account_import as ai
from congvu.plan import make_plan
from congvu.settings import Settings
from congvu.state import State
from congvu_planner_files import IMPORT_YAML, load_roster

import scripts

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "quangbinh.gov.vn"


TOOL = scripts.load("import_accounts", "tools", "import_accounts.py")

SKHCN = """\
# Sở KH&CN: a comment the import must keep
agency:
  code: skhcn
  name: Sở Khoa học và Công nghệ
  kind: department
  head: KC0001
  delegates: [KC0002]
staff:
  - id: KC0001
    name: Nguyễn Văn An
    leader: true
    title: Giám đốc
  - id: KC0002
    name: Lê Thị Hoa
"""
SNV = """\
agency:
  code: snv
  name: Sở Nội vụ
  kind: department
staff:
  - id: NV0001
    name: Trần Văn Bình
"""
MAP = """\
agencies:
  qtstttt: {name: Sở Thông tin và Truyền thông Quảng Trị, kind: department}
departments:
  Sở Thông tin và Truyền thông: qtstttt
  Sở Khoa học và Công nghệ: skhcn
"""
HEADER = "employeeNumber,displayName,mail,department,title\n"
# NFD names, as some directories export them
NHUNG = unicodedata.normalize("NFD", "Lê Thị Hồng Nhung")
ROWS = [
    f"1001,{NHUNG},nhunglth@quangtri.gov.vn,Sở Thông tin và Truyền thông,Chuyên viên",
    "1002,Hồ Văn Pả,pahv.qtstttt@quangbinh.gov.vn,Sở Thông tin và Truyền thông,Trưởng phòng",
    f"1003,Phạm Văn Dũng,dungpv@quangtri.gov.vn,{unicodedata.normalize('NFD', 'Sở Khoa học và Công nghệ')},",
]
STATE = {"format": 1, "mailboxes": [
    {"id": "KC0001", "agency": "skhcn", "address": "annv.skhcn@quangbinh.gov.vn", "state": "active",
     "name": "Nguyễn Văn An", "history": ["annv.stttt@quangbinh.gov.vn"]},
    {"id": "KC0002", "agency": "skhcn", "address": "hoalt.skhcn@quangbinh.gov.vn", "state": "active",
     "name": "Lê Thị Hoa"},
    {"id": "NV0001", "agency": "snv", "address": "binhtv.snv@quangbinh.gov.vn", "state": "active",
     "name": "Trần Văn Bình"},
    {"id": "TT0009", "agency": "stttt", "address": "xuanlt.skhcn@quangbinh.gov.vn", "state": "terminated",
     "name": "Lê Thị Xuân", "history": ["xuanlt.stttt@quangbinh.gov.vn", "dungpv.skhcn@quangbinh.gov.vn"]},
], "agencies": []}


@pytest.fixture
def site(tmp_path):
    roster = tmp_path / "roster"
    roster.mkdir()
    (roster / "skhcn.yml").write_text(SKHCN, encoding="utf-8")
    (roster / "snv.yml").write_text(SNV, encoding="utf-8")
    (tmp_path / "map.yml").write_text(MAP, encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(STATE, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def export(site, rows=ROWS, header=HEADER, name="quangtri.csv", bom=True):
    path = site / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (header + "\n".join(rows) + "\n").encode("utf-8"))
    return path


def run(site, *extra, export_name="quangtri.csv", state=True, language="vi"):
    argv = ["--export", str(site / export_name), "--agency-map", str(site / "map.yml"),
            "--roster", str(site / "roster"), "--id-prefix", "QT-",
            "--map", "id=employeeNumber,name=displayName,agency=department",
            "--migration", str(site / "migrate.yml"), "--language", language]
    argv += ["--state", str(site / "state.json")] if state else ["--no-state"]
    return TOOL.main(argv + list(extra))


def files(site):
    return {p.name: p.read_bytes() for p in sorted((site / "roster").iterdir())}


# ------------------------------------------------------------------------------------- the happy path


def test_a_csv_with_bom_and_nfd_names_becomes_roster_files_that_load(site, capsys):
    export(site)
    assert run(site, "--merge-into-existing") == 0
    out = capsys.readouterr().out
    roster = load_roster(str(site / "roster"), Settings())
    people = {p.id: p for p in roster.persons}
    assert people["QT-1001"].name == "Lê Thị Hồng Nhung" == unicodedata.normalize("NFC", NHUNG)
    assert people["QT-1001"].agency == "qtstttt" and people["QT-1001"].title == "Chuyên viên"
    # the address that fits the agency's namespace is pinned: the person keeps it
    assert people["QT-1002"].address == "pahv.qtstttt@quangbinh.gov.vn"
    # the NFD department found its agency too
    assert people["QT-1003"].agency == "skhcn"
    text = (site / "roster" / "qtstttt.yml").read_text(encoding="utf-8")
    assert "agency:\n  code: qtstttt\n  name: Sở Thông tin và Truyền thông Quảng Trị\n  kind: department\n" in text
    # Vietnamese by default
    assert "tài khoản đã đọc: 3" in out and "tệp cơ quan mới" in out


def test_merge_keeps_the_rest_of_the_file(site):
    export(site)
    assert run(site, "--merge-into-existing") == 0
    text = (site / "roster" / "skhcn.yml").read_text(encoding="utf-8")
    assert text.startswith(SKHCN)  # comments, order and the agency section byte for byte
    assert "  # >>> imported by tools/import_accounts.py from quangtri.csv\n  - id: QT-1003\n" in text


def test_an_existing_agency_file_is_not_touched_without_merge(site, capsys):
    export(site)
    before = files(site)
    assert run(site) == 2
    err = capsys.readouterr().err
    assert "skhcn.yml" in err and "--merge-into-existing" in err
    assert files(site) == before and not (site / "migrate.yml").exists()


def test_a_rerun_gives_the_same_bytes(site, tmp_path, capsys):
    export(site)
    assert run(site, "--merge-into-existing") == 0
    first, migration = files(site), (site / "migrate.yml").read_bytes()
    assert run(site, "--merge-into-existing") == 0  # the same import again: recognised, nothing changes
    assert files(site) == first and (site / "migrate.yml").read_bytes() == migration
    assert "đã nhập trước đây, không thay đổi" in capsys.readouterr().out
    assert run(site) == 0  # unchanged files need no --merge-into-existing
    assert files(site) == first


def test_a_rerun_with_a_corrected_export_replaces_the_block(site):
    export(site)
    assert run(site, "--merge-into-existing") == 0
    export(site, ROWS[:2] + ["1003,Phạm Văn Dũng,,Sở Khoa học và Công nghệ,Phó Giám đốc"])
    assert run(site, "--merge-into-existing") == 0
    text = (site / "roster" / "skhcn.yml").read_text(encoding="utf-8")
    assert text.count("QT-1003") == 1 and "Phó Giám đốc" in text and text.startswith(SKHCN)


def test_a_rerun_after_the_apply_changes_nothing(site):
    """Step 7 of docs/import.md: with the state export taken after the apply, the import recognises its
    people (their ids and addresses are theirs now) and writes the same files and the same list."""
    export(site)
    assert run(site, "--merge-into-existing") == 0
    first, migration = files(site), (site / "migrate.yml").read_bytes()
    state = State.from_dict(STATE)
    applied = make_plan(load_roster(str(site / "roster"), Settings()), state, dt.date(2026, 12, 1)).new_state(state)
    assert applied.mailboxes["QT-1001"].address == "nhunglth.qtstttt@quangbinh.gov.vn"
    (site / "state.json").write_text(applied.dumps(), encoding="utf-8")
    assert run(site) == 0
    assert files(site) == first and (site / "migrate.yml").read_bytes() == migration


def test_the_output_is_sorted_and_stable_whatever_the_order_of_the_export(site, tmp_path):
    export(site, list(reversed(ROWS)))
    assert run(site, "--merge-into-existing") == 0
    reversed_run = files(site)
    other = tmp_path / "other"
    other.mkdir()
    for name in ("map.yml", "state.json"):
        (other / name).write_bytes((site / name).read_bytes())
    (other / "roster").mkdir()
    (other / "roster" / "skhcn.yml").write_text(SKHCN, encoding="utf-8")
    (other / "roster" / "snv.yml").write_text(SNV, encoding="utf-8")
    export(other, bom=False)
    assert run(other, "--merge-into-existing") == 0
    assert files(other) == reversed_run


# ---------------------------------------------------------------------------------- addresses


def test_a_former_address_outside_the_namespace_goes_to_the_migration_list(site, capsys):
    export(site)
    assert run(site, "--merge-into-existing") == 0
    out = capsys.readouterr().out
    assert "nhunglth@quangtri.gov.vn" in out  # the notice names an example
    data = yaml.safe_load((site / "migrate.yml").read_text(encoding="utf-8"))
    mailboxes = {m["source_user"]: m["address"] for m in data["migrate__mailboxes"]}
    # Art. 5 address from the planner for the one that does not fit; the pinned one keeps its own
    assert mailboxes == {"nhunglth@quangtri.gov.vn": "nhunglth.qtstttt@quangbinh.gov.vn",
                         "pahv.qtstttt@quangbinh.gov.vn": "pahv.qtstttt@quangbinh.gov.vn",
                         "dungpv@quangtri.gov.vn": "dungpv1.skhcn@quangbinh.gov.vn"}
    # dungpv.skhcn was used once (TT0009's history): the planner numbers the new one
    assert all(set(m) == {"address", "source_user"} for m in data["migrate__mailboxes"])
    former = {f["address"]: (f["id"], f["mailbox"]) for f in data["congvu_import__former_addresses"]}
    assert former == {"nhunglth@quangtri.gov.vn": ("QT-1001", "nhunglth.qtstttt@quangbinh.gov.vn"),
                      "dungpv@quangtri.gov.vn": ("QT-1003", "dungpv1.skhcn@quangbinh.gov.vn")}


def test_old_addresses_in_a_former_domain_become_aliases_through_the_roster(site, capsys):
    """--former-domain (congvu__former_domains): the old addresses in that domain are written as each
    person's `former_addresses`, which the plan keeps as aliases of the new mailbox until the date; a
    re-run after the apply changes nothing."""
    export(site)
    assert run(site, "--merge-into-existing", "--former-domain", "quangtri.gov.vn") == 0
    text = (site / "roster" / "qtstttt.yml").read_text(encoding="utf-8")
    assert "    former_addresses:\n      - nhunglth@quangtri.gov.vn\n" in text
    settings = Settings(former_domains=("quangtri.gov.vn",))
    roster = load_roster(str(site / "roster"), settings)
    assert {p.id: p.former_addresses for p in roster.persons if p.former_addresses} == {
        "QT-1001": ["nhunglth@quangtri.gov.vn"], "QT-1003": ["dungpv@quangtri.gov.vn"]}
    state = State.from_dict(STATE)
    plan = make_plan(roster, state, dt.date(2026, 12, 1))
    item = next(i for i in plan.items if i.id == "QT-1003")
    assert item.address == "dungpv1.skhcn@quangbinh.gov.vn"
    assert item.after["aliases"] == [{"address": "dungpv@quangtri.gov.vn", "expires": "2027-12-01"}]
    first, migration = files(site), (site / "migrate.yml").read_bytes()
    (site / "state.json").write_text(plan.new_state(state).dumps(), encoding="utf-8")
    assert run(site, "--former-domain", "quangtri.gov.vn") == 0
    assert files(site) == first and (site / "migrate.yml").read_bytes() == migration
    # the import reads the roster as the planner will: without the domain, the aliases are refused
    assert run(site, language="en") == 2
    assert "list 'quangtri.gov.vn' in congvu__former_domains" in capsys.readouterr().err


def test_an_address_ever_used_in_the_province_is_refused(site, capsys):
    export(site, ROWS[:2] + ["1003,Phạm Văn Dũng,xuanlt.stttt@quangbinh.gov.vn,Sở Khoa học và Công nghệ,"])
    assert run(site, "--merge-into-existing", language="en") == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:4: error: staff id QT-1003, field 'mail': the address 'xuanlt.stttt@quangbinh.gov.vn' " \
           "is or was used in this province (by 'TT0009')" in err
    assert not (site / "roster" / "qtstttt.yml").exists()


def test_two_accounts_with_one_address_are_refused(site, capsys):
    export(site, ROWS + ["1004,Hồ Thị Mây,NhungLTH@quangtri.gov.vn,Sở Thông tin và Truyền thông,"])
    assert run(site, "--merge-into-existing", language="en") == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:5: error: staff id QT-1004, field 'mail': the address 'nhunglth@quangtri.gov.vn' is also " \
           "the address of 'QT-1001' (line 2) in the export" in err


def test_a_pin_already_in_the_roster_is_refused(site, capsys):
    (site / "roster" / "snv.yml").write_text(SNV.replace("  - id: NV0001", "  - id: NV0002\n    name: Hồ Pả\n"
                                                         "    address: x.snv\n  - id: NV0001"), encoding="utf-8")
    (site / "map.yml").write_text(MAP + "  Sở Nội vụ: snv\n", encoding="utf-8")
    export(site, ["1009,Hồ Văn Xuân,x.snv@quangbinh.gov.vn,Sở Nội vụ,"])
    assert run(site, "--merge-into-existing", language="en") == 2
    assert "'x.snv@quangbinh.gov.vn' is already pinned by id NV0002 (snv.yml:8)" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ ids


def test_an_id_of_this_province_is_a_collision(site, capsys):
    export(site, ["KC0002,Hồ Văn Pả,,Sở Thông tin và Truyền thông,"])
    argv = ["--export", str(site / "quangtri.csv"), "--agency-map", str(site / "map.yml"), "--roster",
            str(site / "roster"), "--state", str(site / "state.json"), "--map", "id=employeeNumber,name=displayName,"
            "agency=department", "--migration", str(site / "m.yml"), "--language", "en"]
    assert TOOL.main(argv) == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:2: error: staff id KC0002, field 'employeeNumber': id 'KC0002' is already used in this " \
           "province's roster by 'Lê Thị Hoa' (skhcn.yml:13); give the import's ids a prefix, e.g. --id-prefix QT-" \
           in err
    export(site, ["tt0009,Hồ Văn Pả,,Sở Thông tin và Truyền thông,"])  # a terminated mailbox's id, other case
    assert TOOL.main(argv) == 2
    assert "id 'tt0009' is the id of a mailbox of this province (xuanlt.skhcn@quangbinh.gov.vn" in \
        capsys.readouterr().err
    assert TOOL.main(argv[:-2] + ["--id-prefix", "QT-", "--language", "en"]) == 0


def test_an_id_twice_in_the_export(site, capsys):
    export(site, ROWS + ["1002,Hồ Thị Mây,,Sở Thông tin và Truyền thông,"])
    assert run(site, "--merge-into-existing", language="en") == 2
    assert "id 'QT-1002' is given twice in the export (line 3, 'QT-1002')" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- bad input


def test_an_unmapped_department_names_it_and_the_accounts(site, capsys):
    export(site, ROWS + ["1005,Hồ Thị Mây,,UBND huyện Gio Linh,", "1006,Hồ Văn Kăn,,UBND huyện Gio Linh,"])
    before = files(site)
    assert run(site, "--merge-into-existing", language="en") == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:5: error: field 'department': department 'UBND huyện Gio Linh' is not in the department " \
           f"map ({site / 'map.yml'}); accounts concerned: 1005, 1006" in err
    assert files(site) == before and not (site / "migrate.yml").exists()


def test_bad_input_is_named_by_file_line_and_field(site, capsys):
    export(site, ["1001,  ,a@quangtri.gov.vn,Sở Thông tin và Truyền thông,",
                  "1002,Hồ Văn Pả,not-an-address,Sở Thông tin và Truyền thông,",
                  ",Hồ Văn Kăn,,Sở Thông tin và Truyền thông,",
                  "1004,Hồ Văn Кăn,,Sở Thông tin và Truyền thông,"])
    assert run(site, "--merge-into-existing", language="en") == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:2: error: staff id QT-1001, field 'displayName': is empty" in err
    assert "quangtri.csv:3: error: staff id QT-1002, field 'mail': 'not-an-address' is not an e-mail address" in err
    assert "quangtri.csv:4: error: staff entry #3, field 'employeeNumber': is empty" in err
    assert "quangtri.csv:5: error: staff id QT-1004, field 'displayName': 'Hồ Văn Кăn' has characters outside " \
           "the Vietnamese alphabet" in err
    assert "lỗi" not in err


def test_a_missing_column_is_named(site, capsys):
    export(site, header="employeeNumber,cn,mail,department\n")
    assert run(site, "--merge-into-existing") == 2
    err = capsys.readouterr().err
    assert "quangtri.csv:1: lỗi: trường 'displayName'" in err and "employeeNumber, cn, mail, department" in err


def test_a_file_that_is_not_utf8(site, capsys):
    (site / "quangtri.csv").write_bytes(HEADER.encode() + "1001,Lê Văn Hà,,x,\n".encode("cp1258"))
    assert run(site, language="en") == 2
    assert "quangtri.csv:2: error: the file is not UTF-8 text" in capsys.readouterr().err


def test_a_mapped_code_that_is_no_agency(site, capsys):
    (site / "map.yml").write_text(MAP + "  Sở Tư pháp: stp\n", encoding="utf-8")
    export(site, ["1001,Hồ Văn Pả,,Sở Tư pháp,"])
    assert run(site, language="en") == 2
    assert "department 'Sở Tư pháp' is mapped to 'stp', which is neither an agency of the roster nor an agency " \
           "the map creates" in capsys.readouterr().err


def test_an_unknown_field_of_a_new_agency_in_the_map(site):
    agency_map, problems = ai.parse_agency_map_yaml("agencies:\n  qtbql: {name: Ban A, B, kind: other}\n", "m.yml",
                                                    IMPORT_YAML)
    assert [(p.line, p.field, p.render("en")) for p in problems] == \
        [(2, "B", "unknown field; allowed: name, kind")] and not agency_map.new_agencies


def test_the_department_map_may_be_a_csv(site):
    (site / "map.csv").write_text("department,code,name,kind\n"
                                  "Sở Thông tin và Truyền thông,qtstttt,Sở Thông tin và Truyền thông Quảng Trị,"
                                  "department\nSở Khoa học và Công nghệ,skhcn,,\n", encoding="utf-8")
    agency_map, problems = ai.parse_agency_map_csv((site / "map.csv").read_text(encoding="utf-8"), "map.csv")
    assert not problems
    assert agency_map.departments == {"sở thông tin và truyền thông": "qtstttt", "sở khoa học và công nghệ": "skhcn"}
    assert agency_map.new_agencies == {"qtstttt": ("Sở Thông tin và Truyền thông Quảng Trị", "department")}


# ------------------------------------------------------------------------------------------- LDIF


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


DEPARTMENT = b64("Sở Thông tin và Truyền thông")
LDIF = f"""\
version: 1

# the organisational unit: not an account
dn: ou=people,dc=quangtri,dc=gov,dc=vn
objectClass: organizationalUnit
ou: people

dn: uid=nhunglth,ou=people,dc=quangtri,dc=gov,dc=vn
objectClass: inetOrgPerson
uid: nhunglth
employeeNumber: 1001
displayName:: {b64(NHUNG)}
mail: nhunglth@quangtri.gov.vn
mail: nhung.le@quangtri.gov.vn
departmentNumber:: {DEPARTMENT[:20]}
 {DEPARTMENT[20:]}
title: Chuyên
  viên

dn: uid=pahv,ou=people,dc=quangtri,dc=gov,dc=vn
objectClass: inetOrgPerson
uid: pahv
employeeNumber: 1002
displayName: Hồ Văn Pả
departmentNumber: Sở Thông tin và Truyền
  thông
"""


def test_ldif_base64_folded_lines_and_entries_that_are_not_accounts():
    columns, problems = ai.parse_map_option("agency=departmentNumber,login=uid", ai.LDIF_DEFAULTS)
    assert not problems
    accounts, problems, skipped = ai.parse_ldif(LDIF, "qt.ldif", columns)
    assert not problems and skipped == 1
    first, second = accounts
    assert first.line == 8 and first.values["name"] == NHUNG and first.values["login"] == "nhunglth"
    assert first.values["agency"] == "Sở Thông tin và Truyền thông" and first.values["title"] == "Chuyên viên"
    assert first.values["mail"] == "nhunglth@quangtri.gov.vn" and first.extra_mail == ["nhung.le@quangtri.gov.vn"]
    assert second.values["agency"] == "Sở Thông tin và Truyền thông" and "mail" not in second.values


def test_ldif_through_the_tool(site, capsys):
    (site / "quangtri.ldif").write_text(LDIF, encoding="utf-8")
    argv = ["--export", str(site / "quangtri.ldif"), "--agency-map", str(site / "map.yml"), "--roster",
            str(site / "roster"), "--state", str(site / "state.json"), "--id-prefix", "QT-",
            "--map", "agency=departmentNumber,login=uid", "--migration", str(site / "migrate.yml")]
    assert TOOL.main(argv) == 0, capsys.readouterr()
    roster = load_roster(str(site / "roster"), Settings())
    assert {p.id for p in roster.persons if p.agency == "qtstttt"} == {"QT-1001", "QT-1002"}
    data = yaml.safe_load((site / "migrate.yml").read_text(encoding="utf-8"))
    assert data["migrate__mailboxes"] == [{"address": "nhunglth.qtstttt@quangbinh.gov.vn", "source_user": "nhunglth"}]
    assert [f["address"] for f in data["congvu_import__former_addresses"]] == \
        ["nhunglth@quangtri.gov.vn", "nhung.le@quangtri.gov.vn"]


def test_bad_ldif_is_named_by_line(site):
    accounts, problems, _ = ai.parse_ldif(" continued\ndn: x\nobjectClass: person\ndisplayName:: ***\n",
                                          "bad.ldif", dict(ai.LDIF_DEFAULTS))
    assert [(p.line, p.code.split(":")[0]) for p in problems] == [(1, "LDIF"), (4, "LDIF")]
    assert problems[1].field == "displayname" and not accounts


# ------------------------------------------------------------------------------------------ notices


def test_names_that_give_one_base_are_a_notice(site, capsys):
    export(site, ROWS + ["1007,Lê Thị Hồng Nhung,,Sở Thông tin và Truyền thông,"])
    assert run(site, "--merge-into-existing", language="en") == 0
    out = capsys.readouterr().out
    assert "2 people of agency 'qtstttt' give the address base 'nhunglth' (QT-1001, QT-1007): the planner numbers " \
           "them (Art. 5.2b)" in out


def test_merge_refused_when_staff_is_not_the_last_section(site, capsys):
    (site / "roster" / "snv.yml").write_text("staff:\n  - id: NV0001\n    name: Trần Văn Bình\nagency:\n  code: snv\n"
                                             "  name: Sở Nội vụ\n  kind: department\n", encoding="utf-8")
    (site / "map.yml").write_text(MAP + "  Sở Nội vụ: snv\n", encoding="utf-8")
    export(site, ["1009,Hồ Văn Xuân,,Sở Nội vụ,"])
    before = files(site)
    assert run(site, "--merge-into-existing", language="en") == 2
    assert "cannot add the imported staff to snv.yml safely: 'staff:' is not the last section of the file" in \
        capsys.readouterr().err
    assert files(site) == before


def test_merge_keeps_a_bom_and_windows_line_ends(site):
    original = ("\ufeff" + SKHCN).replace("\n", "\r\n").encode("utf-8")
    (site / "roster" / "skhcn.yml").write_bytes(original)
    export(site)
    assert run(site, "--merge-into-existing") == 0
    merged = (site / "roster" / "skhcn.yml").read_bytes()
    assert merged.startswith(original) and b"\r\n  - id: QT-1003\r\n" in merged
    assert b"\n" not in merged.replace(b"\r\n", b"")
    assert run(site) == 0 and (site / "roster" / "skhcn.yml").read_bytes() == merged


def test_bad_lines_and_collisions_are_reported_in_one_round(site, capsys):
    bad = LDIF.replace("uid: pahv\nemployeeNumber: 1002", "uid: pahv\nemployeeNumber 1002")
    (site / "quangtri.ldif").write_text(bad.replace("employeeNumber: 1001", "employeeNumber: KC0001"),
                                        encoding="utf-8")
    argv = ["--export", str(site / "quangtri.ldif"), "--agency-map", str(site / "map.yml"), "--roster",
            str(site / "roster"), "--state", str(site / "state.json"), "--map", "agency=departmentNumber",
            "--migration", str(site / "migrate.yml"), "--language", "en"]
    assert TOOL.main(argv) == 2
    err = capsys.readouterr().err
    assert "the import has 2 error(s)" in err
    assert "quangtri.ldif:8: error: staff id KC0001, field 'employeeNumber': id 'KC0001' is already used" in err
    assert "quangtri.ldif:23: error: LDIF: this line is not 'attribute: value'" in err


def test_merge_block_keeps_the_indentation_of_the_list():
    text = "agency:\n  code: snv\n  name: Sở Nội vụ\n  kind: department\nstaff:\n- id: NV0001\n  name: Trần Bình\n"
    person = ai.Imported("QT-1", "Hồ Pả", "snv", None, None, [], None, "x.csv", 2)
    block = ai.render_block([person], "x.csv", IMPORT_YAML)
    merged, problem = ai.merge_block(text, block, "x.csv", "snv.yml", IMPORT_YAML)
    assert problem is None and merged.startswith(text)
    assert yaml.safe_load(merged)["staff"][-1] == {"id": "QT-1", "name": "Hồ Pả"}
    assert ai.merge_block(merged, block, "x.csv", "snv.yml", IMPORT_YAML) == (merged, None)


def test_long_values_stay_within_the_line_length_and_read_back(site):
    long_name = "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng, công nghiệp và giao thông tỉnh Quảng Trị"
    title = ("Phó Trưởng phòng Quản lý \"công nghệ\" thông tin và chuyển đổi số, kiêm Trưởng bộ phận một cửa liên "
             "thông của Sở Thông tin và Truyền thông tỉnh Quảng Trị")
    (site / "map.yml").write_text(f"agencies:\n  qtbqlda: {{name: '{long_name}', kind: other}}\n"
                                  f"departments:\n  Ban QLDA: qtbqlda\n", encoding="utf-8")
    long_mail = "nguyen.thi.hong.nhung.phong.quan.ly.cong.nghe.thong.tin@sothongtinvatruyenthong.quangtri.gov.vn"
    export(site, [f'1001,Lê Thị Hồng Nhung,{long_mail},Ban QLDA,"{title.replace(chr(34), chr(34) * 2)}"'])
    assert run(site) == 0
    text = (site / "roster" / "qtbqlda.yml").read_text(encoding="utf-8")
    migration = (site / "migrate.yml").read_text(encoding="utf-8")
    assert max(len(line) for line in (text + migration).splitlines()) <= 120
    roster = load_roster(str(site / "roster"), Settings())
    assert {p.id: p.title for p in roster.persons}["QT-1001"] == title and roster.agency("qtbqlda").name == long_name
    assert yaml.safe_load(migration)["congvu_import__former_addresses"][0]["address"] == long_mail


def test_the_pure_module_does_no_io_and_imports_no_ansible():
    source = (ROOT / "plugins" / "module_utils" / "congvu" / "account_import.py").read_text(encoding="utf-8")
    assert "open(" not in source and "ansible" not in source.replace("Ansible import", "")
