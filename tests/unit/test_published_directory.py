"""The published directory (Art. 11.1, 14.4): congvu.published_directory and the roster's `published` key.

The vCard files are read back with vobject and the CSV files with Python's csv module (the byte order
mark removed by the utf-8-sig codec), the HTML with html.parser: parsers the project did not write, so a
file that only this module could read fails here. No Ansible, no server.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from html.parser import HTMLParser

import pytest
import vobject
from congvu import published_directory as pd
from congvu.roster import RosterInvalid
from congvu.state import AgencyBox, Mailbox, State
from congvu_planner_files import load_roster

DOMAIN = "quangbinh.gov.vn"
DAY = dt.date(2026, 12, 5)
LATER = dt.date(2027, 1, 4)


def mail(local: str) -> str:
    return f"{local}@{DOMAIN}"


AGENCIES = [
    {"code": "snv", "name": "Sở Nội vụ", "kind": "department", "mail": mail("snv"), "state": "active"},
    {"code": "lethuy", "name": "Ủy ban nhân dân huyện Lệ Thủy", "kind": "district", "mail": mail("lethuy"),
     "state": "active"},
    {"code": "cu", "name": "Sở Cũ", "kind": "department", "mail": mail("cu"), "state": "terminated"},
]

# In roster order, which is not the published order.
PEOPLE = [
    {"uid": "NV09", "name": "Ngô Thị Ánh", "agency": "snv", "mail": mail("anhnt.snv"), "title": "Chuyên viên"},
    {"uid": "NV06", "name": "Hoàng Văn Đông", "agency": "snv", "mail": mail("donghv.snv"), "title": "Chuyên viên"},
    {"uid": "NV04", "name": "Phạm Quang Đạt", "agency": "snv", "mail": mail("datpq.snv"), "leader": True,
     "title": "Trưởng phòng Tổ chức, Biên chế & Tổ chức phi chính phủ"},
    {"uid": "NV03", "name": "Đặng Văn Dũng", "agency": "snv", "mail": mail("dungdv.snv"), "leader": True,
     "title": "Phó Giám đốc"},
    {"uid": "NV02", "name": "Lê Thị Dung", "agency": "snv", "mail": mail("dunglt.snv"), "leader": True,
     "title": "Phó Giám đốc"},
    {"uid": "NV01", "name": "Trần Văn Đức", "agency": "snv", "mail": mail("ductv.snv"), "leader": True,
     "title": "Giám đốc"},
    {"uid": "NV05", "name": "Nguyễn Thị Dịu", "agency": "snv", "mail": mail("diunt.snv"), "title": "Chuyên viên"},
    # a deputy head of division that the roster does not mark as a leader: listed with the leaders
    {"uid": "NV10", "name": "Lý Văn Bảo", "agency": "snv", "mail": mail("baolv.snv"),
     "title": "Phó Chánh Văn phòng"},
    # a leader with a title the table does not rank: after the ranked leaders
    {"uid": "NV11", "name": "Cao Thị Hằng", "agency": "snv", "mail": mail("hangct.snv"), "leader": True,
     "title": "Kế toán trưởng"},
    {"uid": "NV12", "name": "Nguyễn Thị Ánh Tuyết", "given_name": "Ánh Tuyết", "agency": "snv",
     "mail": mail("anhtuyetnt.snv"), "title": "Văn thư"},
    {"uid": "NV07", "name": "Võ Thị Yến", "agency": "snv", "mail": mail("yenvt.snv"), "title": "Chuyên viên",
     "state": "suspended"},
    {"uid": "NV08", "name": "Bùi Văn Ân", "agency": "snv", "mail": mail("anbv.snv"), "state": "terminated"},
    {"uid": "LT02", "name": "Hồ Văn Bình", "agency": "lethuy", "mail": mail("binhhv.lethuy"), "leader": True,
     "title": "Phó Chủ tịch"},
    {"uid": "LT01", "name": "Mai Thị Lan", "agency": "lethuy", "mail": mail("lanmt.lethuy"), "leader": True,
     "title": "Chủ tịch"},
    {"uid": "LT03", "name": "Trương Văn Cường", "agency": "lethuy", "mail": mail("cuongtv.lethuy"),
     "title": "Chuyên viên"},
    {"uid": "CU01", "name": "Đinh Văn Cũ", "agency": "cu", "mail": mail("cudv.cu")},
    {"uid": "XX01", "name": "Lạc Văn Loài", "agency": "khong", "mail": mail("loailv.khong")},
]

SNV_ORDER = [
    mail("snv"),
    # leaders: Giám đốc; Phó Giám đốc x2 by given name (Dung < Dũng: the tone decides); Trưởng phòng;
    # Phó Chánh Văn phòng (deputy head of division); the unranked leader last
    mail("ductv.snv"), mail("dunglt.snv"), mail("dungdv.snv"), mail("datpq.snv"), mail("baolv.snv"),
    mail("hangct.snv"),
    # staff by given name: Ánh < Ánh Tuyết < Dịu < Đông (D before Đ)
    mail("anhnt.snv"), mail("anhtuyetnt.snv"), mail("diunt.snv"), mail("donghv.snv"),
]


def files(omit=None, people=PEOPLE, agencies=AGENCIES, day=DAY):
    return pd.render(agencies, people, day, omit or {})


def cards(data: bytes) -> list:
    return list(vobject.readComponents(data.decode("utf-8")))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


class Page(HTMLParser):
    """What the tests look at in a page: tags with their attributes, the text, the table cells."""

    def __init__(self, data: bytes):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self.style = ""
        self._in: list[str] = []
        self.feed(data.decode("utf-8"))

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        self.text.append(data)
        if "style" in self._in:
            self.style += data
        elif any(t in ("td", "th") for t in self._in) and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data

    def all(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


# --------------------------------------------------------------------------------------- the files


def test_one_set_of_files_per_active_agency_and_an_index():
    assert sorted(files()) == ["index.html", "lethuy.csv", "lethuy.html", "lethuy.vcf", "snv.csv", "snv.html",
                               "snv.vcf"]


def test_vcard_parses_with_vobject_in_publication_order():
    parsed = cards(files()["snv.vcf"])
    assert [c.email.value for c in parsed] == SNV_ORDER
    agency = parsed[0]
    assert agency.version.value == "4.0"
    assert agency.kind.value == "org"
    assert agency.fn.value == "Sở Nội vụ" and agency.org.value == ["Sở Nội vụ"]
    assert agency.email.params == {"TYPE": ["work"]}
    head = parsed[1]
    assert head.kind.value == "individual"
    assert head.fn.value == "Trần Văn Đức"
    assert (head.n.value.family, head.n.value.given, head.n.value.additional) == ("Trần", "Đức", "Văn")
    assert head.title.value == "Giám đốc" and head.org.value == ["Sở Nội vụ"]
    compound = next(c for c in parsed if c.email.value == mail("anhtuyetnt.snv"))
    assert (compound.n.value.family, compound.n.value.given, compound.n.value.additional) == \
        ("Nguyễn", "Ánh Tuyết", "Thị")
    # the comma of the title is escaped in the file and comes back as a comma
    division = next(c for c in parsed if c.email.value == mail("datpq.snv"))
    assert division.title.value == "Trưởng phòng Tổ chức, Biên chế & Tổ chức phi chính phủ"
    assert "TITLE:Trưởng phòng Tổ chức\\, Biên chế" in files()["snv.vcf"].decode()
    # UIDs: one per card, stable across runs
    uids = [c.uid.value for c in parsed]
    assert len(set(uids)) == len(uids) and all(u.startswith("urn:uuid:") for u in uids)


def test_vcard_escapes_and_folds_long_lines_without_splitting_a_letter():
    title = "Trưởng phòng; Ban\\Tổ, chức " + "rất dài " * 20
    people = [{"uid": "A1", "name": "Nguyễn Văn Ấn", "agency": "snv", "mail": mail("annv.snv"), "title": title}]
    data = files(people=people, agencies=AGENCIES[:1])["snv.vcf"]
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75
    assert sum(1 for line in lines if line.startswith(b" ")) >= 2
    for line in lines:
        line.decode("utf-8")  # every physical line is whole UTF-8: no letter cut in two
    assert cards(data)[1].title.value == title


def test_vcard_line_breaks_in_a_value_are_escaped():
    people = [{"uid": "A1", "name": "Nguyễn Văn Ấn", "agency": "snv", "mail": mail("annv.snv"),
               "title": "Dòng một\nDòng hai"}]
    data = files(people=people, agencies=AGENCIES[:1])["snv.vcf"]
    assert b"TITLE:D\xc3\xb2ng m\xe1\xbb\x99t\\nD" in data
    assert cards(data)[1].title.value == "Dòng một\nDòng hai"


def test_csv_has_a_bom_a_vietnamese_header_and_the_publication_order():
    data = files()["snv.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = csv_rows(data)
    assert rows[0] == ["Họ và tên", "Chức vụ", "Đơn vị", "Địa chỉ thư điện tử"]
    assert [r[3] for r in rows[1:]] == SNV_ORDER
    assert rows[1] == ["Sở Nội vụ", "", "Sở Nội vụ", mail("snv")]
    assert rows[2] == ["Trần Văn Đức", "Giám đốc", "Sở Nội vụ", mail("ductv.snv")]
    # the title with a comma is one cell
    assert ["Phạm Quang Đạt", "Trưởng phòng Tổ chức, Biên chế & Tổ chức phi chính phủ", "Sở Nội vụ",
            mail("datpq.snv")] in rows


def test_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_text():
    people = [{"uid": "A1", "name": "Nguyễn Văn Ấn", "agency": "snv", "mail": mail("annv.snv"),
               "title": "=HYPERLINK(\"http://x\")"}]
    rows = csv_rows(files(people=people, agencies=AGENCIES[:1])["snv.csv"])
    assert rows[2][1] == "'=HYPERLINK(\"http://x\")"


# ----------------------------------------------------------------------------------------- order


def test_order_agency_first_then_leaders_by_title_then_staff_by_name():
    listing = next(x for x in pd.listings(AGENCIES, PEOPLE) if x.agency.code == "snv")
    assert [r.mail for r in listing.rows] == SNV_ORDER
    assert [r.group for r in listing.rows] == ["agency"] + ["leader"] * 6 + ["staff"] * 4


def test_district_chairman_before_deputy():
    rows = csv_rows(files()["lethuy.csv"])
    assert [r[0] for r in rows[1:]] == ["Ủy ban nhân dân huyện Lệ Thủy", "Mai Thị Lan", "Hồ Văn Bình",
                                         "Trương Văn Cường"]


def test_same_title_is_ordered_by_given_name_then_family_name():
    people = [
        {"uid": "P1", "name": "Trần Thị Hà", "agency": "snv", "mail": mail("hatt.snv"), "title": "Phó Giám đốc",
         "leader": True},
        {"uid": "P2", "name": "Đỗ Văn Hà", "agency": "snv", "mail": mail("hadv.snv"), "title": "Phó Giám đốc",
         "leader": True},
        {"uid": "P3", "name": "An Văn Hải", "agency": "snv", "mail": mail("haiav.snv"), "title": "Phó Giám đốc",
         "leader": True},
    ]
    listing = pd.listings(AGENCIES[:1], people)[0]
    # Hà < Hải (letters), and for two "Hà": Trần after Đỗ (D/Đ < T)
    assert [r.name for r in listing.rows[1:]] == ["Đỗ Văn Hà", "Trần Thị Hà", "An Văn Hải"]


def test_vietnamese_alphabetical_order():
    words = ["Yến", "Đức", "Dũng", "Duy", "Dung", "Ánh", "Ấn", "Ăn", "An", "Ơn", "Ôn", "On", "Ưng", "Ung",
             "Zô", "Hoà", "Hỏa", "Hòa", "Hoa", "Hạ", "Hà", "Hả", "Hã", "Há", "Ha", "ha"]
    expected = ["An", "Ánh", "Ăn", "Ấn", "Dung", "Dũng", "Duy", "Đức", "Ha", "ha", "Hà", "Hả", "Hã", "Há",
                "Hạ", "Hoa", "Hoà", "Hòa", "Hỏa", "On", "Ôn", "Ơn", "Ung", "Ưng", "Yến", "Zô"]
    shuffled = words[:]
    random.Random(4).shuffle(shuffled)
    ordered = sorted(shuffled, key=pd.vietnamese_key)
    # "Hoà" and "Hòa" are the same word (two places for the mark): either order
    assert [w.replace("Hòa", "Hoà") for w in ordered] == [w.replace("Hòa", "Hoà") for w in expected]
    # decomposed input (NFD) sorts like composed
    assert pd.vietnamese_key("Đặng") == pd.vietnamese_key("Đa\u0323\u0306ng")


@pytest.mark.parametrize(("title", "rank"), [
    ("Bí thư Huyện ủy", (0, 0)),
    ("Chủ tịch", (0, 1)),
    ("Giám đốc Sở", (0, 2)),
    ("Phó Chủ tịch Thường trực", (1, 1)),
    ("Phó Chủ tịch", (1, 2)),
    ("phó giám đốc", (1, 3)),
    ("Chánh Văn phòng HĐND và UBND", (2, 0)),
    ("Trưởng phòng Nội vụ", (2, 2)),
    ("Phó Trưởng phòng Tài chính - Kế hoạch", (3, 2)),
    ("Chuyên viên", None),
    ("Giám đốcx", None),
    (None, None),
])
def test_title_rank(title, rank):
    assert pd.title_rank(title) == rank


# -------------------------------------------------------------------------------- what is published


def test_only_active_mailboxes_of_active_agencies():
    out = files()
    everything = b"".join(out.values()).decode("utf-8-sig")
    for absent in ("yenvt.snv", "anbv.snv", "cudv.cu", "loailv.khong", "Sở Cũ", "Võ Thị Yến"):
        assert absent not in everything, absent
    assert "cu.html" not in out and "khong.html" not in out


def test_omitted_title_is_absent_from_every_file():
    out = files(omit={"lethuy": ["title"]})
    rows = csv_rows(out["lethuy.csv"])
    assert rows[0] == ["Họ và tên", "Đơn vị", "Địa chỉ thư điện tử"]
    assert rows[2] == ["Mai Thị Lan", "Ủy ban nhân dân huyện Lệ Thủy", mail("lanmt.lethuy")]
    assert all(not hasattr(c, "title") for c in cards(out["lethuy.vcf"]))
    page = Page(out["lethuy.html"])
    assert "Chức vụ" not in page.text and "Chủ tịch" not in "".join(page.text)
    assert b"TITLE" not in out["lethuy.vcf"]
    # the order still follows the titles: the chairman before the deputy
    assert [r[0] for r in rows[1:3]] == ["Ủy ban nhân dân huyện Lệ Thủy", "Mai Thị Lan"]
    # the other agency keeps its titles
    assert csv_rows(out["snv.csv"])[0][1] == "Chức vụ"


@pytest.mark.parametrize("field", ["name", "address", "phone"])
def test_name_and_address_can_never_be_omitted(field):
    with pytest.raises(ValueError, match=field):
        files(omit={"snv": [field]})


def test_records_from_the_directory_state():
    state = State()
    state.agencies["snv"] = AgencyBox(code="snv", address=mail("snv"), name="Sở Nội vụ", kind="department")
    state.mailboxes["NV01"] = Mailbox(id="NV01", agency="snv", address=mail("ductv.snv"), name="Trần Văn Đức",
                                      title="Giám đốc", leader=True)
    state.mailboxes["NV07"] = Mailbox(id="NV07", agency="snv", address=mail("yenvt.snv"), name="Võ Thị Yến",
                                      state="suspended")
    agencies, people = pd.records_from_state(state)
    out = pd.render(agencies, people, DAY)
    assert [c.email.value for c in cards(out["snv.vcf"])] == [mail("snv"), mail("ductv.snv")]


# ------------------------------------------------------------------------------------------- HTML


def test_html_is_vietnamese_accessible_printable_and_self_contained():
    out = files()
    for name in ("index.html", "snv.html"):
        data = out[name]
        page = Page(data)
        assert page.all("html") == [{"lang": "vi"}]
        assert {"charset": "utf-8"} in page.all("meta")
        assert page.all("caption"), name
        assert all(th.get("scope") in ("col", "row", "rowgroup") for th in page.all("th")), name
        assert "@media print" in page.style
        # nothing is fetched from elsewhere: no script, image, stylesheet link, frame or remote URL
        assert not any(page.all(t) for t in ("script", "img", "link", "iframe", "object"))
        assert all(not a["href"].startswith(("http:", "https:", "//")) for a in page.all("a"))
        assert b"url(" not in data and b"@import" not in data
        time = [t for t in page.all("time")]
        assert time == [{"class": "published", "datetime": "2026-12-05"}]
        assert "ngày 05 tháng 12 năm 2026" in page.text


def test_html_table_rows_in_publication_order():
    page = Page(files()["snv.html"])
    header = next(r for r in page.rows if "Họ và tên" in r)
    assert header == ["STT", "Họ và tên", "Chức vụ", "Địa chỉ thư điện tử"]
    body = [r for r in page.rows if len(r) == 4 and r[0].isdigit()]
    assert [r[3] for r in body] == SNV_ORDER
    assert [r[0] for r in body] == [str(n) for n in range(1, len(SNV_ORDER) + 1)]
    assert "Lãnh đạo" in page.text and "Công chức, viên chức" in page.text


def test_html_escapes_what_it_shows():
    agencies = [{"code": "svh", "name": "Sở Văn hóa & <Thể thao>", "kind": "department", "mail": mail("svh")}]
    people = [{"uid": "A1", "name": "Nguyễn Văn Ấn", "agency": "svh", "mail": mail("annv.svh"),
               "title": '<script>alert("x")</script> & "Phó"'}]
    out = pd.render(agencies, people, DAY)
    for name in ("svh.html", "index.html"):
        data = out[name].decode()
        assert "<script>" not in data and "<Thể thao>" not in data
        assert "Sở Văn hóa &amp; &lt;Thể thao&gt;" in data
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Phó&quot;" in out["svh.html"].decode()
    page = Page(out["svh.html"])
    assert not page.all("script")
    assert '<script>alert("x")</script> & "Phó"' in page.text


def test_index_lists_each_agency_by_kind_with_its_links():
    page = Page(files()["index.html"])
    links = [a["href"] for a in page.all("a")]
    for code in ("snv", "lethuy"):
        assert {f"{code}.html", f"{code}.csv", f"{code}.vcf", f"mailto:{mail(code)}"} <= set(links)
    assert "cu.html" not in links
    assert "Sở, ban, ngành" in page.text and "Huyện, thị xã, thành phố" in page.text
    assert "2 cơ quan, đơn vị; 15 hộp thư đang hoạt động." in page.text


# ---------------------------------------------------------------------------------- determinism


def test_same_input_same_bytes_whatever_the_input_order():
    first = files()
    shuffled = PEOPLE[:]
    random.Random(7).shuffle(shuffled)
    assert files(people=shuffled, agencies=list(reversed(AGENCIES))) == first
    assert files() == first
    assert list(first) == sorted(first)


def test_only_the_date_passed_in_changes_with_time():
    first, later = files(day=DAY), files(day=LATER)
    assert first["snv.csv"] == later["snv.csv"] and first["snv.vcf"] == later["snv.vcf"]
    assert first["snv.html"] != later["snv.html"]
    assert first["snv.html"].replace(b"2026-12-05", b"2027-01-04").replace(
        "ngày 05 tháng 12 năm 2026".encode(), "ngày 04 tháng 01 năm 2027".encode()) == later["snv.html"]


def test_unchanged_lists_keep_their_date_and_bytes():
    existing = files(day=DAY)
    assert pd.render_keeping_dates(AGENCIES, PEOPLE, LATER, existing) == existing


def test_changed_list_gets_the_new_date_others_keep_theirs():
    existing = files(day=DAY)
    people = [dict(p, state="suspended") if p["uid"] == "LT03" else p for p in PEOPLE]
    out = pd.render_keeping_dates(AGENCIES, people, LATER, existing)
    assert out["snv.html"] == existing["snv.html"]
    assert pd.publication_date(out["snv.html"]) == DAY
    assert pd.publication_date(out["lethuy.html"]) == LATER
    assert pd.publication_date(out["index.html"]) == LATER  # the count of lethuy changed
    assert mail("cuongtv.lethuy") not in out["lethuy.csv"].decode("utf-8-sig")


def test_a_changed_choice_is_a_change():
    existing = files(day=DAY)
    out = pd.render_keeping_dates(AGENCIES, PEOPLE, LATER, existing, omit={"snv": ["title"]})
    assert pd.publication_date(out["snv.html"]) == LATER
    assert out["index.html"] == existing["index.html"]


def test_published_file_names():
    assert all(pd.is_published_name(n) for n in files())
    assert not any(pd.is_published_name(n) for n in (".snv.html.tmp", "notes.txt", "a/b.csv", "SNV.csv"))


# ------------------------------------------------------------------ the roster: `published: {omit: }`

SNV_FILE = """\
agency:
  code: snv
  name: Sở Nội vụ
  kind: department
  head: NV0001
{published}staff:
  - id: NV0001
    name: Lê Thị Hoa
    leader: true
    title: Giám đốc
"""


def roster_with(write_roster, published: str) -> str:
    return write_roster({"snv": SNV_FILE.format(published=published)})


def one_error(folder):
    with pytest.raises(RosterInvalid) as info:
        load_roster(folder)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def line_of(folder, needle):
    with open(f"{folder}/snv.yml", encoding="utf-8") as handle:
        hits = [n for n, line in enumerate(handle.read().splitlines(), start=1) if needle in line]
    assert len(hits) == 1
    return hits[0]


@pytest.mark.parametrize("published", [
    "  published:\n    omit: [title]\n",
    "  published: {omit: [title]}\n",
    "  published:\n    omit:\n      - title\n",
])
def test_roster_omit_title(write_roster, published):
    assert load_roster(roster_with(write_roster, published)).agency("snv").published_omit == ("title",)


@pytest.mark.parametrize("published", ["", "  published:\n", "  published: {}\n", "  published: {omit: []}\n",
                                       "  published: {omit: null}\n"])
def test_roster_without_omission_publishes_everything(write_roster, published):
    assert load_roster(roster_with(write_roster, published)).agency("snv").published_omit == ()


@pytest.mark.parametrize("value", ["name", "address", "mail", "email"])
def test_roster_name_and_address_cannot_be_omitted(write_roster, value):
    folder = roster_with(write_roster, f"  published:\n    omit: [title, {value}]\n")
    error = one_error(folder)
    assert (error.file, error.line, error.entry, error.field) == \
        ("snv.yml", line_of(folder, "omit:"), "agency", "published.omit")
    assert f"'{value}' cannot be left out" in error.message and "Art. 14.4" in error.message
    # what the agency reads: Vietnamese by default, the file named relative to the roster folder
    assert str(error) == (f"snv.yml:{line_of(folder, 'omit:')}: lỗi: phần agency, trường 'published.omit': "
                          f"không được bỏ '{value}': danh bạ công bố liệt kê mọi hộp thư cùng họ tên và địa chỉ "
                          "thư (khoản 4 Điều 14)")


def test_roster_unknown_omission_is_refused_with_a_hint(write_roster):
    folder = roster_with(write_roster, "  published:\n    omit:\n      - titel\n")
    error = one_error(folder)
    assert (error.line, error.field) == (line_of(folder, "- titel"), "published.omit")
    assert "'titel' is not a field that can be left out (did you mean 'title'?); allowed: title" in error.message


def test_roster_omission_listed_twice(write_roster):
    folder = roster_with(write_roster, "  published:\n    omit:\n      - title\n      - title  # again\n")
    error = one_error(folder)
    assert (error.line, error.field) == (line_of(folder, "# again"), "published.omit")
    assert "listed twice" in error.message


def test_roster_omit_must_be_a_list(write_roster):
    folder = roster_with(write_roster, "  published:\n    omit: title\n")
    error = one_error(folder)
    assert (error.line, error.field) == (line_of(folder, "omit: title"), "published.omit")
    assert "must be a list" in error.message and "[title]" in error.message


def test_roster_published_must_be_a_mapping(write_roster):
    folder = roster_with(write_roster, "  published: [title]\n")
    error = one_error(folder)
    assert (error.line, error.field) == (line_of(folder, "published:"), "published")
    assert "must be a mapping" in error.message


def test_roster_unknown_field_under_published(write_roster):
    folder = roster_with(write_roster, "  published:\n    omitt: [title]\n")
    error = one_error(folder)
    assert (error.line, error.entry, error.field) == (line_of(folder, "omitt:"), "agency", "published.omitt")
    assert "did you mean 'omit'?" in error.message


def test_roster_agency_code_index_is_refused(write_roster):
    folder = write_roster({"index": SNV_FILE.format(published="").replace("code: snv", "code: index")})
    with pytest.raises(RosterInvalid) as info:
        load_roster(folder)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].field == "code" and "index.html" in errors[0].message
