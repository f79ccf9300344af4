"""The roster flow's message catalogs (plugins/module_utils/congvu/locale/*/LC_MESSAGES/roster.po) and what
an agency reads from them: Vietnamese by default, English on request (docs/translations.md).

Like the reports' catalogs (test_catalogs.py): every message the code asks for is in both languages,
translated, with the same placeholders; nothing lingers that nothing asks for. Beside that: the generated
catalog_roster.py, which the modules import, is what tools/make_roster_catalog.py makes of the .po files
now; and sample rosters read as expected in both languages, located file:line, entry, field.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from congvu import catalog_roster, messages
from congvu.plan import render_markdown, summary_text
from congvu.roster import Problem, RosterInvalid, entry_text
from congvu.settings import Settings
from congvu.state import State
from congvu_planner_files import load_roster, load_state, plan_roster_path

import scripts

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "module_utils" / "congvu"
DEMO = ROOT / "inventories" / "demo"
TODAY = dt.date(2026, 11, 28)


TOOL = scripts.load("make_roster_catalog", "tools", "make_roster_catalog.py")
LANGUAGES = catalog_roster.LANGUAGES


def catalog(language):
    return {m.id: m for m in TOOL.read_catalog(language) if m.id}


# --------------------------------------------------------------------------------------- the catalogs


def test_vietnamese_is_the_default_and_every_language_has_a_catalog():
    assert messages.DEFAULT_LANGUAGE == "vi" == LANGUAGES[0]
    assert set(LANGUAGES) == {"vi", "en"} == {p.name for p in (PACKAGE / "locale").iterdir()}
    assert TOOL.languages() == LANGUAGES


def test_no_compiled_catalog_in_the_tree():
    """The .po files are the source; catalog_roster.py is their only compiled form."""
    assert not list((PACKAGE / "locale").rglob("*.mo"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    entries = catalog(language)
    assert len(entries) > 100
    for msgid, entry in entries.items():
        assert isinstance(entry.string, str) and entry.string.strip(), f"{language}: {msgid!r} has no msgstr"
        assert not entry.fuzzy, f"{language}: {msgid!r} is fuzzy, so it would not be used"
    assert not TOOL.read_catalog(language).obsolete, f"{language}: obsolete (#~) entries"


def test_both_catalogs_have_the_same_messages():
    assert set(catalog("vi")) == set(catalog("en"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_placeholder_lost_or_added(language):
    for msgid, entry in catalog(language).items():
        assert messages.placeholders(entry.string) == messages.placeholders(msgid), \
            f"{language}: {msgid!r} -> {entry.string!r}"
        # %(name)s only (values are shown as text), and a literal percent written %% on both sides
        assert not re.search(r"%(?!\(\w+\)s|%)", entry.string.replace("%%", "")), f"{language}: {entry.string!r}"
        assert entry.string.count("%%") == msgid.count("%%"), f"{language}: {msgid!r}"
        entry.string % dict.fromkeys(messages.placeholders(msgid), "x")  # no stray % that would raise


def test_vietnamese_is_really_translated():
    """A msgstr copied from the English would pass the tests above; Vietnamese text has its own letters."""
    same = {"'%(char)s' (%(label)s)"}  # the character and its Unicode name only
    for msgid, entry in catalog("vi").items():
        if msgid in same:
            continue
        assert entry.string != msgid, f"vi: {msgid!r} is not translated"
        words = re.sub(r"%\(\w+\)s|'[^']*'|`[^`]*`|\([^)]*\.(?:md|yml|json)[^)]*\)", "", entry.string)
        if re.search(r"[A-Za-z]{3}", words):
            assert re.search(r"[^\x00-\x7f]", entry.string), f"vi: {entry.string!r} has no Vietnamese letter"


def test_the_words_agreed_for_the_agencies():
    """The terms of the agency guide (docs/huong-dan-don-vi.md), used the same way everywhere."""
    vi = {msgid: entry.string for msgid, entry in catalog("vi").items()}
    assert vi["suspend"] == "tạm khóa" and vi["terminate"] == "chấm dứt" and vi["transfer"] == "chuyển công tác"
    assert vi["rename"] == "đổi tên" and vi["handover"] == "bàn giao"
    assert vi["staff id %(id)s"] == "mã cán bộ %(id)s" and vi["field '%(field)s'"] == "trường '%(field)s'"
    assert vi["error"] == "lỗi" and vi["warning"] == "cảnh báo"
    # no word of the old spelling or of another dialect slips in
    for text in vi.values():
        assert "khoá" not in text and "tập tin" not in text, text


def test_every_message_the_code_asks_for_is_in_the_catalogs_and_none_is_unused():
    used = TOOL.used_messages()
    assert len(used) > 120  # the extractors did find the messages (code and playbooks)
    assert any(where.startswith("playbooks/") for where in used.values())
    for language in LANGUAGES:
        missing = sorted(f"{where}: {msgid!r}" for msgid, where in used.items() if msgid not in catalog(language))
        assert not missing, f"{language}: not in the catalog:\n" + "\n".join(missing)
    assert sorted(set(catalog("vi")) - set(used)) == []


def test_generated_catalog_is_in_sync_with_the_po_files():
    """Edit a .po, forget `python tools/make_roster_catalog.py`: this fails."""
    expected = TOOL.render_module(TOOL.read_catalogs())
    assert (PACKAGE / "catalog_roster.py").read_text(encoding="utf-8") == expected, \
        "catalog_roster.py is out of date: run python tools/make_roster_catalog.py"
    assert TOOL.main(["--check"]) == 0


def test_the_generated_catalog_and_the_renderer_are_plain_python():
    """They run on the directory host inside the module: no Ansible, no Babel, no file read."""
    for name in ("catalog_roster.py", "messages.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert imported <= {"__future__", "re"}, f"{name} imports {imported}"
        assert "open(" not in (PACKAGE / name).read_text(encoding="utf-8")


def test_the_modules_offer_exactly_the_languages_of_the_catalogs():
    for name in ("roster.py", "roster_plan.py"):
        source = (ROOT / "plugins" / "modules" / name).read_text(encoding="utf-8")
        assert "choices: [vi, en]" in source and "default: vi" in source, name
        assert "language=dict(" in source and "catalog_roster" in source, name  # shipped with the module


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        messages.check_language("fr")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        render_markdown(plan_roster_path(str(DEMO / "roster"), State(), Settings(), TODAY), language="fr")


# ------------------------------------------------------------------------------ messages and values


def test_a_message_unknown_to_the_catalogs_still_reads_in_english():
    assert messages.tr("a message added before its translation: %(n)s", "vi", n=3) == \
        "a message added before its translation: 3"


def test_values_that_are_messages_are_translated_too():
    value = [messages.message("'%(char)s' (%(label)s, looks like '%(latin)s')", char="а",
                              label="CYRILLIC SMALL LETTER A", latin="a")]
    assert messages.render("'%(name)s' has no letters", {"name": value}, "vi") == \
        "''а' (CYRILLIC SMALL LETTER A, trông giống chữ 'a')' không có chữ cái nào"
    assert messages.tr("state: %(state)s in the roster (Art. 7.2)", "en", state=None) == \
        "state: none in the roster (Art. 7.2)"


def test_dates_as_each_language_writes_them():
    assert messages.format_date("2027-02-26", "vi") == "26/02/2027"
    assert messages.format_date("2027-02-26", "en") == "2027-02-26"
    assert messages.format_date("not a date", "vi") == "not a date"


@pytest.mark.parametrize("msgid", sorted(m for m in catalog_roster.MESSAGES if "%(" in m))
def test_english_text_is_read_back_to_its_message(msgid):
    """plan.json keeps an item's reason as English text; plan.md shows it in the reader's language by
    reading the message id and the values back from it."""
    values = {name: f"<{name}>" for name in messages.placeholders(msgid)}
    english = msgid % values
    if len(re.findall(r"[^\W\d_]", re.sub(r"%\(\w+\)s", "", msgid))) < 3:  # no words of its own: never read back
        assert messages.parse(english) != (msgid, values)
        return
    assert messages.parse(english) == (msgid, values)
    assert messages.translate_text(english, "vi") == messages.render(msgid, values, "vi")


def test_a_text_no_message_made_is_left_as_it_is():
    assert messages.translate_text("12 something else", "vi") == "12 something else"


def test_entries_are_named_in_the_readers_language():
    assert entry_text("staff id TT0001", "vi") == "mã cán bộ TT0001"
    assert entry_text("staff entry #3", "vi") == "mục thứ 3 của staff"
    assert entry_text("agency", "vi") == "phần agency"
    assert entry_text("agency", "en") == "agency"


# ----------------------------------------------------------- a sample invalid roster, in both languages

SKHCN = """\
agency:
  code: skhcn
  name: Sở Khoa học và Công nghệ
  kind: department
  head: KH0001
  delegates: [KH0002, KH0009]
staff:
  - id: KH0001
    name: Trần Văn Hùng
    leader: true
    titel: Giám đốc
  - id: KH0002
    name: Nguyễn Thị L\u0430n
  - id: KH0003
    name: Lê Minh Tuấn
    quota: 5G
  - id: KH0004
    name: Phạm Thu Hà
    state: nghỉ hưu
"""

# docs/huong-dan-don-vi.md quotes these lines: the guide shows what the code prints.
EXPECTED_VI = """\
danh sách có 5 lỗi:
skhcn.yml:6: lỗi: phần agency, trường 'delegates': người được ủy quyền 'KH0009' không phải là mã cán bộ có trong danh sách
skhcn.yml:11: lỗi: mã cán bộ KH0001, trường 'titel': tên trường không hợp lệ (có phải là 'title'?); các trường được dùng: id, name, given_name, leader, title, quota, quota_decision, address, state, former_addresses
skhcn.yml:13: lỗi: mã cán bộ KH0002, trường 'name': 'Nguyễn Thị L\u0430n' có ký tự không thuộc bảng chữ cái tiếng Việt: '\u0430' (CYRILLIC SMALL LETTER A, trông giống chữ 'a'); hãy gõ lại họ tên bằng bộ gõ tiếng Việt
skhcn.yml:16: lỗi: mã cán bộ KH0003, trường 'quota': 5G vượt dung lượng mặc định; theo Điều 9 cần có quyết định của UBND tỉnh, ví dụ quota_decision: "123/QĐ-UBND"
skhcn.yml:19: lỗi: mã cán bộ KH0004, trường 'state': 'nghỉ hưu' không phải trạng thái hợp lệ; dùng một trong các giá trị: active, suspended, terminated"""  # noqa: E501

EXPECTED_EN = """\
the roster has 5 error(s):
skhcn.yml:6: error: agency, field 'delegates': delegate 'KH0009' is not a staff id in the roster
skhcn.yml:11: error: staff id KH0001, field 'titel': unknown field (did you mean 'title'?); allowed: id, name, given_name, leader, title, quota, quota_decision, address, state, former_addresses
skhcn.yml:13: error: staff id KH0002, field 'name': 'Nguyễn Thị L\u0430n' has characters outside the Vietnamese alphabet: '\u0430' (CYRILLIC SMALL LETTER A, looks like 'a'); retype the name with a Vietnamese keyboard
skhcn.yml:16: error: staff id KH0003, field 'quota': 5G is above the default quota; Art. 9 requires the provincial decision, e.g. quota_decision: "123/QĐ-UBND"
skhcn.yml:19: error: staff id KH0004, field 'state': 'nghỉ hưu' is not a state; use one of: active, suspended, terminated"""  # noqa: E501


@pytest.fixture
def bad_roster(tmp_path):
    folder = tmp_path / "roster"
    folder.mkdir()
    (folder / "skhcn.yml").write_text(SKHCN, encoding="utf-8")
    return str(folder)


def test_sample_invalid_roster_reads_in_vietnamese_by_default_and_in_english_on_request(bad_roster):
    with pytest.raises(RosterInvalid) as info:
        load_roster(bad_roster)
    assert str(info.value) == info.value.text() == info.value.text("vi") == EXPECTED_VI
    assert info.value.text("en") == EXPECTED_EN
    # each line: the file relative to the roster folder, the line, the entry and the field
    first = info.value.problems[0]
    assert (first.file, first.line, first.entry, first.field) == ("skhcn.yml", 6, "agency", "delegates")


def test_the_guide_quotes_the_real_output(bad_roster):
    guide = (ROOT / "docs" / "huong-dan-don-vi.md").read_text(encoding="utf-8")
    for line in EXPECTED_VI.splitlines():
        assert line in guide, f"docs/huong-dan-don-vi.md does not show: {line}"


def test_every_other_line_the_guide_quotes_is_real(tmp_path, demo_plan):
    """The guide's other examples, made by the code: a quota without decision (the fixture of
    test_roster_validation.py), a name left out of the published directory, a transfer, the guard."""
    from test_roster_validation import STTTT, edit

    guide = (ROOT / "docs" / "huong-dan-don-vi.md").read_text(encoding="utf-8")
    quota = tmp_path / "quota"
    quota.mkdir()
    (quota / "stttt.yml").write_text(edit(STTTT, '    quota_decision: "123/QĐ-UBND"\n', ""), encoding="utf-8")
    omit = tmp_path / "omit"
    omit.mkdir()
    (omit / "stttt.yml").write_text(edit(STTTT, "  delegates: [TT0002]\n", "  published:\n    omit: [title, name]\n"),
                                    encoding="utf-8")
    lines = []
    for folder in (quota, omit):
        with pytest.raises(RosterInvalid) as info:
            load_roster(str(folder))
        lines += [p.text() for p in info.value.problems]
    lines.append(next(line for line in render_markdown(demo_plan).splitlines() if "TC0042" in line)[2:])
    folder = tmp_path / "guard"
    shutil.copytree(DEMO / "roster", folder)
    for name in ("sgddt.yml", "syt.yml"):
        (folder / name).unlink()
    lines.append(plan_roster_path(str(folder), load_state(str(DEMO / "state.json")), Settings(), TODAY)
                 .guard_message())
    for line in lines:
        assert line in guide, f"docs/huong-dan-don-vi.md does not show: {line}"


def test_plan_json_is_the_same_in_every_language_and_keeps_code_and_values(bad_roster):
    plan = plan_roster_path(bad_roster, State(), Settings(), TODAY)
    data = json.loads(plan.dumps())
    assert [(e["file"], e["line"]) for e in data["errors"]] == \
        [("skhcn.yml", 6), ("skhcn.yml", 11), ("skhcn.yml", 13), ("skhcn.yml", 16), ("skhcn.yml", 19)]
    quota = data["errors"][3]
    assert quota["code"].startswith("%(value)s is above the default quota") and quota["params"] == {"value": "5G"}
    assert quota["message"].startswith("5G is above the default quota")
    # read back from plan.json, a problem says the same in both languages
    for raw, problem in zip(data["errors"], plan.errors, strict=True):
        again = Problem.from_dict(raw)
        assert again == problem and again.text("vi") == problem.text("vi")
    assert plan.dumps() == plan_roster_path(bad_roster, State(), Settings(), TODAY).dumps()


def test_plan_md_of_an_invalid_roster_in_both_languages(bad_roster):
    plan = plan_roster_path(bad_roster, State(), Settings(), TODAY)
    vi = render_markdown(plan).splitlines()
    assert vi[:3] == ["# Kế hoạch thay đổi hộp thư quangbinh.gov.vn (ngày 28/11/2026)", "",
                      "**Danh sách không hợp lệ: 5 lỗi. Không có gì được thay đổi.**"]
    assert vi[5] == ("- `skhcn.yml:11` mã cán bộ KH0001, `titel`: tên trường không hợp lệ (có phải là 'title'?); "
                     "các trường được dùng: id, name, given_name, leader, title, quota, quota_decision, address, "
                     "state, former_addresses")
    en = render_markdown(plan, language="en").splitlines()
    assert en[:3] == ["# Roster plan for quangbinh.gov.vn (2026-11-28)", "",
                      "**The roster is invalid: 5 error(s). Nothing will be changed.**"]
    assert en[4] == "- `skhcn.yml:6` agency, `delegates`: delegate 'KH0009' is not a staff id in the roster"


# --------------------------------------------------------------- plan.md of the demo, in both languages


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "roster"
    shutil.copytree(DEMO / "roster", folder)
    return plan_roster_path(str(folder), load_state(str(DEMO / "state.json")), Settings(), TODAY)


def test_plan_md_in_vietnamese(demo_plan):
    md = render_markdown(demo_plan)
    assert md.startswith("# Kế hoạch thay đổi hộp thư quangbinh.gov.vn (ngày 28/11/2026)\n\n| việc | số hộp thư |")
    for line in ("| chuyển công tác | 1 |", "| đổi tên | 1 |", "| chấm dứt | 1 |", "| tạm khóa | 1 |",
                 "| giữ nguyên | 648 |",
                 "Chốt an toàn: 2 hộp thư bị tạm khóa hoặc chấm dứt, giới hạn 31: trong giới hạn.", "## Lưu ý",
                 "## chuyển công tác (1)", "## đổi tên (1)", "## chấm dứt (1)", "## tạm khóa (1)"):
        assert line in md, line
    transfer = next(line for line in md.splitlines() if "TC0042" in line)
    assert transfer == ("- `trangptt.stc@quangbinh.gov.vn` -> `trangptt.snv@quangbinh.gov.vn` (địa chỉ cũ vẫn nhận "
                        "thư đến hết ngày 26/02/2027) Phan Thị Thu Trang (TC0042) — chuyển công tác từ cơ quan 'stc' "
                        "(khoản 3 Điều 11)")
    assert "Art." not in md and "Roster plan" not in md


def test_plan_md_in_english(demo_plan):
    md = render_markdown(demo_plan, language="en")
    assert md.startswith("# Roster plan for quangbinh.gov.vn (2026-11-28)\n\n| action | mailboxes |")
    assert "Guard: 2 suspension(s)/termination(s), limit 31: within the limit." in md
    assert "## transfer (1)" in md and "## Notices" in md
    transfer = next(line for line in md.splitlines() if "TC0042" in line)
    assert transfer == ("- `trangptt.stc@quangbinh.gov.vn` -> `trangptt.snv@quangbinh.gov.vn` (old address kept "
                        "until 2027-02-26) Phan Thị Thu Trang (TC0042) — moved from agency 'stc' (Art. 11.3)")


def test_summary_line_in_both_languages(demo_plan):
    assert summary_text(demo_plan).startswith("chuyển công tác: 1, đổi tên: 1, chấm dứt: 1, tạm khóa: 1")
    assert summary_text(demo_plan, "en").startswith("1 transfer, 1 rename, 1 terminate, 1 suspend")


def test_the_playbook_filter_reads_the_same_catalogs():
    spec = importlib.util.spec_from_file_location("congvu_messages", ROOT / "plugins" / "filter" / "congvu_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tr = module.FilterModule().filters()["congvu_tr"]
    assert tr("plan: %(summary)s", "vi", summary="x") == "kế hoạch: x"
    assert tr("plan: %(summary)s", "en", summary="x") == "plan: x"
    with pytest.raises(ValueError):
        tr("plan: %(summary)s", "fr", summary="x")


def test_docs_say_how_to_add_a_language_or_a_message():
    text = (ROOT / "docs" / "translations.md").read_text(encoding="utf-8")
    assert "tools/make_roster_catalog.py" in text and "roster.po" in text and "congvu__language" in text
    assert os.path.basename(__file__) in text
