"""The published directory of Art. 11.1 and 14.4: who can be written to, per agency, for anybody to read.

Plain Python, no Ansible and no I/O: records in, file contents out (docs/published-directory.md).

- Only active mailboxes of active agencies are published (POLICY.md, "Reports"): a suspended or closed
  mailbox is not an address to write to.
- Each agency's list: its agency mailbox first, then its leaders by the rank of their title, then its
  staff, both in Vietnamese name order. The columns: name, title, agency, address. An agency may leave
  the title out (roster `published: {omit: [title]}`); never the name or the address.
- Files, by name: `index.html` (the province), and per agency `<code>.html` (Vietnamese, printable,
  accessible), `<code>.csv` (UTF-8 with a byte order mark, so that spreadsheet programs read the
  Vietnamese letters right) and `<code>.vcf` (vCard 4.0, RFC 6350).
- The bytes depend on the records, the choices and the publication date only: same input, same
  bytes. `render_keeping_dates` keeps an agency's former date when nothing else on its page changed,
  so a run that changes nothing rewrites nothing.

HTML is built with html.escape rather than a template engine: the renderer runs inside an Ansible
module on the directory host, where only the standard library and python-ldap can be relied upon.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_TITLE = "Danh bạ thư điện tử công vụ"
INDEX = "index.html"
# What an agency may leave out of its published list. The name and the address are the directory:
# a list without them tells nobody whom to write to, so they can never be left out.
OMITTABLE = ("title",)
NEVER_OMITTED = ("name", "address")

# --- Vietnamese alphabetical order ----------------------------------------------------------------
#
# The Vietnamese alphabet orders a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (with f, j, w,
# z of foreign and minority names in their Latin places); the tones come after the letters, as a second
# level: a word without a tone mark, then huyền, hỏi, ngã, sắc, nặng (the order of the dictionaries and
# of Unicode CLDR's Vietnamese collation). So "Đức" sorts after every "D...", and "Dung" < "Dũng" <
# "Dựng", but "Dũng" < "Duy" (the letters decide before the tones). Python's default order (code points)
# puts "Đ" after "Z" and "Á" after "Y".

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
# NFD splits ă â ê ô ơ ư into a Latin letter and one of these marks (đ stays one character)
_WITH_MARK = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
              ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng


def vietnamese_key(text: str) -> tuple:
    """A sort key that orders Vietnamese text as a Vietnamese reader expects.

    Three levels, compared in turn: the letters (ă, â, đ, ê, ô, ơ, ư are letters of their own), then the
    tone of each word (one per syllable, wherever the mark sits: "hòa" and "hoà" are equal), then upper
    before lower case. Characters outside the alphabet (digits, hyphens, apostrophes, other scripts)
    sort before the letters, by code point, and separate words.
    """
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    tone = 0
    in_word = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if char in _TONE_RANK:
                tone = _TONE_RANK[char]
            elif letters and letters[-1][0] == 1:
                letter = _WITH_MARK.get((_ALPHABET[letters[-1][1]], char))
                if letter:
                    letters[-1] = (1, _LETTER_RANK[letter])
            continue
        lower = char.lower()
        if lower in _LETTER_RANK:
            letters.append((1, _LETTER_RANK[lower]))
            in_word = True
        else:
            letters.append((0, ord(lower)))
            if in_word:
                tones.append(tone)
            tone, in_word = 0, False
        cases.append(0 if char != lower else 1)
    if in_word:
        tones.append(tone)
    return tuple(letters), tuple(tones), tuple(cases)


def name_parts(name: str, given: str | None = None) -> tuple[str, str, str]:
    """(family, middle, given) of a full name: the family name is the first word, the given name the
    last word or the compound given name the roster states (`given_name`), the middle what is between."""
    words = name.split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    given_words = given.split() if given else words[-1:]
    count = len(given_words) if words[-len(given_words):] == given_words else 1
    count = max(1, min(count, len(words) - 1))  # the first word stays the family name
    family = words[0]
    middle = words[1:len(words) - count]
    return family, " ".join(middle), " ".join(words[len(words) - count:])


def name_key(name: str, given: str | None = None) -> tuple:
    """Vietnamese lists order people by given name, then family name, then middle name."""
    family, middle, given_name = name_parts(name, given)
    return vietnamese_key(given_name), vietnamese_key(family), vietnamese_key(middle), vietnamese_key(name)


# --- titles -----------------------------------------------------------------------------------------
#
# Leaders are listed by the rank of their title, in levels; a title belongs to the entry of this table
# that its first words match (the longest one: "Phó Chủ tịch Thường trực" before "Phó Chủ tịch"),
# whatever follows ("Trưởng phòng Nội vụ", "Chánh Văn phòng HĐND và UBND", "Giám đốc Sở"). Within a
# level, titles keep the order of the table (Bí thư before Chủ tịch), and people with titles of the
# same entry are ordered by name.
TITLE_RANKS: tuple[tuple[str, ...], ...] = (
    # 1. the head of the agency (and of its party committee)
    ("Bí thư", "Chủ tịch", "Giám đốc", "Trưởng ban", "Chánh án", "Viện trưởng", "Cục trưởng",
     "Tổng biên tập", "Hiệu trưởng"),
    # 2. the deputies of the head
    ("Phó Bí thư", "Phó Chủ tịch Thường trực", "Phó Chủ tịch", "Phó Giám đốc", "Phó Trưởng ban",
     "Phó Chánh án", "Phó Viện trưởng", "Phó Cục trưởng", "Phó Tổng biên tập", "Phó Hiệu trưởng"),
    # 3. the heads of the agency's divisions
    ("Chánh Văn phòng", "Chánh Thanh tra", "Trưởng phòng", "Chi cục trưởng", "Trưởng trạm",
     "Trưởng khoa", "Trưởng bộ phận"),
    # 4. their deputies
    ("Phó Chánh Văn phòng", "Phó Chánh Thanh tra", "Phó Trưởng phòng", "Phó Chi cục trưởng",
     "Phó Trưởng trạm", "Phó Trưởng khoa", "Phó Trưởng bộ phận"),
)
# Leaders whose title is not in the table (or who have none) come after the ranked ones.
UNRANKED = len(TITLE_RANKS)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


_RANKED_PREFIXES = sorted(
    ((_fold(title), level, position) for level, titles in enumerate(TITLE_RANKS)
     for position, title in enumerate(titles)),
    key=lambda entry: -len(entry[0]))


def title_rank(title: str | None) -> tuple[int, int] | None:
    """(level, position in the level) of a leader's title, or None when the table does not know it."""
    if not title:
        return None
    folded = _fold(title)
    for prefix, level, position in _RANKED_PREFIXES:
        if folded == prefix or (folded.startswith(prefix) and not folded[len(prefix)].isalnum()):
            return level, position
    return None


# --- the records ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    mail: str
    kind: str = "other"
    state: str = "active"


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    agency: str
    mail: str
    title: str | None = None
    leader: bool = False
    state: str = "active"
    given: str | None = None  # a compound given name (roster `given_name`); else the last word


def agency_record(data: Agency | Mapping) -> Agency:
    """An Agency from itself or a mapping with code, name, mail (or address), kind, state."""
    if isinstance(data, Agency):
        return data
    return Agency(code=str(data["code"]), name=str(data.get("name") or data["code"]),
                  mail=str(data.get("mail") or data.get("address") or ""),
                  kind=str(data.get("kind") or "other"), state=str(data.get("state") or "active"))


def person_record(data: Person | Mapping) -> Person:
    """A Person from itself or a mapping with uid (or id), name, agency, mail (or address), title,
    leader, state, given (or given_name)."""
    if isinstance(data, Person):
        return data
    return Person(uid=str(data.get("uid") or data.get("id") or ""), name=str(data.get("name") or ""),
                  agency=str(data.get("agency") or ""), mail=str(data.get("mail") or data.get("address") or ""),
                  title=data.get("title") or None, leader=bool(data.get("leader")),
                  state=str(data.get("state") or "active"),
                  given=data.get("given") or data.get("given_name") or None)


def records_from_state(state) -> tuple[list[Agency], list[Person]]:
    """The records of a congvu.state.State (what congvu.directory.read_state reads)."""
    agencies = [Agency(a.code, a.name or a.code, a.address, a.kind, a.state) for a in state.agencies.values()]
    people = [Person(m.id, m.name, m.agency, m.address, m.title, m.leader, m.state, m.given_name)
              for m in state.mailboxes.values()]
    return agencies, people


# --- what is published, in order ------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One line of an agency's list. `group`: agency | leader | staff."""

    group: str
    name: str
    title: str | None
    agency: str
    mail: str
    family: str = ""
    given: str = ""
    middle: str = ""
    uid: str = ""


@dataclass(frozen=True)
class Listing:
    agency: Agency
    rows: tuple[Row, ...]
    omit: frozenset[str]

    @property
    def shows_title(self) -> bool:
        return "title" not in self.omit

    @property
    def people(self) -> int:
        return sum(1 for row in self.rows if row.group != "agency")


def is_leader(person: Person) -> bool:
    """A leader is listed with the leaders: marked `leader: true` in the roster, or holding a title of
    TITLE_RANKS (a Phó Chánh Văn phòng leads a division whether or not the roster marks it)."""
    return person.leader or title_rank(person.title) is not None


def _leader_key(person: Person) -> tuple:
    rank = title_rank(person.title) or (UNRANKED, 0)
    return rank, name_key(person.name, person.given), person.mail, person.uid


def _staff_key(person: Person) -> tuple:
    return name_key(person.name, person.given), person.mail, person.uid


def _row(group: str, person: Person, agency: Agency) -> Row:
    family, middle, given = name_parts(person.name, person.given)
    return Row(group, person.name, person.title, agency.name, person.mail, family, given, middle, person.uid)


def checked_omit(omit: Iterable[str] | None) -> frozenset[str]:
    fields = frozenset(omit or ())
    for name in sorted(fields):
        if name in NEVER_OMITTED:
            raise ValueError(f"'{name}' cannot be left out of the published directory")
        if name not in OMITTABLE:
            raise ValueError(f"'{name}' is not a field of the published directory that can be left out; "
                             f"allowed: {', '.join(OMITTABLE)}")
    return fields


def listings(agencies: Iterable[Agency | Mapping], people: Iterable[Person | Mapping],
             omit: Mapping[str, Iterable[str]] | None = None) -> list[Listing]:
    """Every active agency with its active mailboxes, in publication order; agencies by code."""
    omit = omit or {}
    active = {a.code: a for a in map(agency_record, agencies) if a.state == "active"}
    members: dict[str, list[Person]] = {code: [] for code in active}
    for person in map(person_record, people):
        if person.state == "active" and person.agency in members and person.mail:
            members[person.agency].append(person)
    result = []
    for code in sorted(active):
        agency = active[code]
        if f"{code}.html" == INDEX:
            raise ValueError(f"agency code '{code}' would overwrite the province's page {INDEX}")
        leaders = sorted((p for p in members[code] if is_leader(p)), key=_leader_key)
        staff = sorted((p for p in members[code] if not is_leader(p)), key=_staff_key)
        rows = [Row("agency", agency.name, None, agency.name, agency.mail, uid=agency.code)]
        rows += [_row("leader", p, agency) for p in leaders]
        rows += [_row("staff", p, agency) for p in staff]
        result.append(Listing(agency, tuple(rows), checked_omit(omit.get(code))))
    return result


# --- HTML -------------------------------------------------------------------------------------------

_GROUP_HEADINGS = {"agency": "Hộp thư của cơ quan", "leader": "Lãnh đạo", "staff": "Công chức, viên chức"}
KIND_HEADINGS = (("department", "Sở, ban, ngành"), ("district", "Huyện, thị xã, thành phố"),
                 ("other", "Cơ quan, đơn vị khác"))
_DATE_MARK = re.compile(rb'<time class="published" datetime="(\d{4}-\d{2}-\d{2})"')

_CSS = """\
:root { color-scheme: light; }
body { font-family: "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: #111; background: #fff;
  margin: 1.5rem auto; max-width: 68rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .4rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .4rem; }
p { margin: .3rem 0; }
a { color: #0645ad; }
a:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
nav { margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0 1.2rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #888; padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #e8ecf2; }
tbody th[scope=rowgroup] { background: #f3f5f8; font-weight: 600; }
tbody th[scope=row] { font-weight: normal; }
td.so { text-align: right; width: 3rem; }
.note { color: #333; font-size: .9rem; }
@media print {
  @page { size: A4; margin: 15mm 12mm; }
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  nav, .no-print { display: none; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr, th, td { break-inside: avoid; page-break-inside: avoid; }
  thead th, tbody th[scope=rowgroup] { background: none; }
  th, td { border-color: #000; }
}
"""


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def vietnamese_date(day: dt.date) -> str:
    """The way an official document writes a date: "ngày 05 tháng 12 năm 2026"."""
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _page(title: str, body: list[str]) -> bytes:
    head = ["<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>", "<style>", _CSS.rstrip("\n"), "</style>", "</head>", "<body>"]
    return ("\n".join(head + body + ["</body>", "</html>"]) + "\n").encode("utf-8")


def _published_line(day: dt.date) -> str:
    return (f'<p>Ngày công bố: <time class="published" datetime="{day.isoformat()}">'
            f"{vietnamese_date(day)}</time></p>")


def _mailto(address: str) -> str:
    return f'<a href="mailto:{_e(address)}">{_e(address)}</a>'


def render_agency_html(listing: Listing, published: dt.date, title: str = DEFAULT_TITLE) -> bytes:
    agency = listing.agency
    columns = ['<abbr title="Số thứ tự">STT</abbr>', "Họ và tên"]  # HTML, not text: written as they are
    columns += (["Chức vụ"] if listing.shows_title else []) + ["Địa chỉ thư điện tử"]
    width = len(columns)
    body = [f'<nav><a href="{INDEX}">{_e(title)}: các cơ quan, đơn vị</a></nav>', "<header>",
            f"<h1>{_e(agency.name)}</h1>",
            f"<p>Hộp thư công vụ của cơ quan: {_mailto(agency.mail)}</p>", _published_line(published),
            '<p class="no-print">Tải về: '
            f'<a href="{_e(agency.code)}.csv" type="text/csv">bảng tính (CSV)</a>, '
            f'<a href="{_e(agency.code)}.vcf" type="text/vcard">danh bạ cho chương trình thư (vCard)</a></p>',
            "</header>", "<main>", "<table>",
            f"<caption>{_e(title)} của {_e(agency.name)}: {listing.people + 1} hộp thư đang hoạt động"
            "</caption>", "<thead>", "<tr>"]
    body += [f'<th scope="col">{c}</th>' for c in columns]
    body += ["</tr>", "</thead>"]
    number = 0
    for group in ("agency", "leader", "staff"):
        rows = [r for r in listing.rows if r.group == group]
        if not rows:
            continue
        body += ["<tbody>", f'<tr><th scope="rowgroup" colspan="{width}">{_e(_GROUP_HEADINGS[group])}</th></tr>']
        for row in rows:
            number += 1
            cells = [f'<td class="so">{number}</td>', f'<th scope="row">{_e(row.name)}</th>']
            if listing.shows_title:
                cells.append(f"<td>{_e(row.title)}</td>")
            cells.append(f"<td>{_mailto(row.mail)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        body.append("</tbody>")
    body += ["</table>", "</main>"]
    return _page(f"{title}: {agency.name}", body)


def render_index_html(all_listings: list[Listing], published: dt.date, title: str = DEFAULT_TITLE) -> bytes:
    total = sum(listing.people + 1 for listing in all_listings)
    body = ["<header>", f"<h1>{_e(title)}</h1>",
            f"<p>{len(all_listings)} cơ quan, đơn vị; {total} hộp thư đang hoạt động.</p>",
            _published_line(published), "</header>", "<main>"]
    known = {kind for kind, _ in KIND_HEADINGS}
    for kind, heading in KIND_HEADINGS:
        group = [x for x in all_listings if x.agency.kind == kind or (kind == "other" and x.agency.kind not in known)]
        if not group:
            continue
        group.sort(key=lambda x: (vietnamese_key(x.agency.name), x.agency.code))
        body += ["<table>", f"<caption>{_e(heading)}</caption>", "<thead>", "<tr>",
                 '<th scope="col">Cơ quan, đơn vị</th>', '<th scope="col">Hộp thư của cơ quan</th>',
                 '<th scope="col">Số hộp thư</th>', '<th scope="col" class="no-print">Tải về</th>',
                 "</tr>", "</thead>", "<tbody>"]
        for listing in group:
            code = _e(listing.agency.code)
            body.append(
                f'<tr><th scope="row"><a href="{code}.html">{_e(listing.agency.name)}</a></th>'
                f"<td>{_mailto(listing.agency.mail)}</td><td>{listing.people + 1}</td>"
                f'<td class="no-print"><a href="{code}.csv" type="text/csv">CSV</a> · '
                f'<a href="{code}.vcf" type="text/vcard">vCard</a></td></tr>')
        body += ["</tbody>", "</table>"]
    body += ['<p class="note">Danh bạ chỉ gồm các hộp thư đang hoạt động: hộp thư của cơ quan, lãnh đạo '
             "theo chức vụ, rồi công chức, viên chức theo thứ tự tên.</p>", "</main>"]
    return _page(title, body)


def publication_date(page: bytes) -> dt.date | None:
    """The publication date a page written by this module carries, or None."""
    found = _DATE_MARK.search(page)
    if not found:
        return None
    try:
        return dt.date.fromisoformat(found.group(1).decode())
    except ValueError:
        return None


# --- CSV --------------------------------------------------------------------------------------------

CSV_COLUMNS = ("Họ và tên", "Chức vụ", "Đơn vị", "Địa chỉ thư điện tử")
# A cell that starts with one of these is a formula to a spreadsheet program (CSV injection): it gets
# a leading apostrophe, which the spreadsheet shows as text. Names and addresses never start so; a
# title is free text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_agency_csv(listing: Listing) -> bytes:
    """UTF-8 with a byte order mark, CRLF line ends (RFC 4180), one header row in Vietnamese."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [c for c in CSV_COLUMNS if listing.shows_title or c != "Chức vụ"]
    writer.writerow(header)
    for row in listing.rows:
        cells = [row.name] + ([row.title] if listing.shows_title else []) + [row.agency, row.mail]
        writer.writerow([_cell(c) for c in cells])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


# --- vCard 4.0 (RFC 6350) -----------------------------------------------------------------------------

# The UID of each card is derived from this namespace (the congvu schema's UUID) and the stable id, so
# that a mail program that imports a newer file updates the contacts instead of adding new ones.
UID_NAMESPACE = uuid.UUID("964feada-bf16-495f-b91c-12d35c8e0d90")


def vcard_text(value: str | None) -> str:
    """RFC 6350 3.4: backslash, comma, semicolon and line breaks are escaped in text values."""
    value = (value or "").replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """RFC 6350 3.2: lines of at most 75 octets, continued after CRLF + one space, never inside a
    UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            parts.append(current)
            current, limit = b"", 74  # the leading space of a continuation line counts
        current += encoded
    parts.append(current)
    return "\r\n ".join(p.decode("utf-8") for p in parts) + "\r\n"


def _card(lines: list[str]) -> str:
    return "".join(fold(line) for line in ["BEGIN:VCARD", "VERSION:4.0", *lines, "END:VCARD"])


def render_agency_vcf(listing: Listing) -> bytes:
    agency = listing.agency
    cards = [_card([
        "KIND:org",
        f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, 'agency/' + agency.code)}",
        f"FN:{vcard_text(agency.name)}",
        f"ORG:{vcard_text(agency.name)}",
        f"EMAIL;TYPE=work:{vcard_text(agency.mail)}",
        # Apple's programs know a card for an organisation by this extension, not by KIND
        "X-ABSHOWAS:COMPANY",
    ])]
    for row in listing.rows:
        if row.group == "agency":
            continue
        lines = [
            "KIND:individual",
            f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, 'person/' + row.uid)}",
            f"FN:{vcard_text(row.name)}",
            f"N:{vcard_text(row.family)};{vcard_text(row.given)};{vcard_text(row.middle)};;",
        ]
        if listing.shows_title and row.title:
            lines.append(f"TITLE:{vcard_text(row.title)}")
        lines += [f"ORG:{vcard_text(row.agency)}", f"EMAIL;TYPE=work:{vcard_text(row.mail)}"]
        cards.append(_card(lines))
    return "".join(cards).encode("utf-8")


# --- everything -------------------------------------------------------------------------------------

def agency_files(code: str) -> tuple[str, str, str]:
    return f"{code}.html", f"{code}.csv", f"{code}.vcf"


def render_listing(listing: Listing, published: dt.date, title: str = DEFAULT_TITLE) -> dict[str, bytes]:
    page, sheet, cards = agency_files(listing.agency.code)
    return {page: render_agency_html(listing, published, title), sheet: render_agency_csv(listing),
            cards: render_agency_vcf(listing)}


def render(agencies: Iterable[Agency | Mapping], people: Iterable[Person | Mapping], published: dt.date,
           omit: Mapping[str, Iterable[str]] | None = None, title: str = DEFAULT_TITLE) -> dict[str, bytes]:
    """File name -> bytes: index.html, and <code>.html, <code>.csv, <code>.vcf per active agency.

    `omit` maps an agency code to the fields it leaves out (OMITTABLE). `published` is the date shown.
    """
    all_listings = listings(agencies, people, omit)
    files = {INDEX: render_index_html(all_listings, published, title)}
    for listing in all_listings:
        files.update(render_listing(listing, published, title))
    return dict(sorted(files.items()))


def render_keeping_dates(agencies: Iterable[Agency | Mapping], people: Iterable[Person | Mapping],
                         today: dt.date, existing: Mapping[str, bytes],
                         omit: Mapping[str, Iterable[str]] | None = None,
                         title: str = DEFAULT_TITLE) -> dict[str, bytes]:
    """Like render, but a page whose content is the same as in `existing` (the files already
    published) except for the date keeps its former date, and its files their bytes: the date a
    reader sees is the day the list last changed, and a run that changes nothing rewrites nothing."""
    return render_listings_keeping_dates(listings(agencies, people, omit), today, existing, title)


def render_listings_keeping_dates(all_listings: list[Listing], today: dt.date, existing: Mapping[str, bytes],
                                  title: str = DEFAULT_TITLE) -> dict[str, bytes]:
    """render_keeping_dates of listings already made (the module also counts them)."""
    files: dict[str, bytes] = {}

    def unchanged(page: str, make) -> dict[str, bytes] | None:
        former = publication_date(existing.get(page, b""))
        if former is None or former == today:
            return None
        candidate = make(former)
        return candidate if all(existing.get(name) == data for name, data in candidate.items()) else None

    for listing in all_listings:
        page = agency_files(listing.agency.code)[0]
        files.update(unchanged(page, lambda day, x=listing: render_listing(x, day, title))
                     or render_listing(listing, today, title))
    files.update(unchanged(INDEX, lambda day: {INDEX: render_index_html(all_listings, day, title)})
                 or {INDEX: render_index_html(all_listings, today, title)})
    return dict(sorted(files.items()))


PUBLISHED_NAME = re.compile(r"^(index\.html|[a-z0-9]+\.(html|csv|vcf))$")


def is_published_name(name: str) -> bool:
    """Whether a file name is one this module writes (the module removes no other file)."""
    return bool(PUBLISHED_NAME.match(name))
