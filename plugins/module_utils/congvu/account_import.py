"""Bring another system's accounts into the roster (the 2025 merger of Quảng Bình and Quảng Trị).

The pure part of tools/import_accounts.py (docs/import.md): read a directory export (CSV or LDIF, as
text), map each account to a roster person of an agency through the operator's department map, check
every collision against this province's roster and state, and produce the agency files' text and the
old address -> new mailbox list. No I/O and no Ansible import: the tool reads and writes the files, and
the YAML is read and written with PyYAML through a YamlCodec the caller gives
(congvu_planner_files.IMPORT_YAML), so that this file imports with the standard library alone.

Problems are roster Problems (message ids of the roster catalogs, docs/translations.md): the file is
the export or the map as the operator named it, the line is the line in that file, the entry the
account's id, the field the source column or attribute, so that every bad account can be found.
"""

from __future__ import annotations

import base64
import binascii
import csv
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from . import naming
from .messages import N_, message
from .roster import (
    AGENCY_CODE,
    AGENCY_KINDS,
    MAX_NAME_LENGTH,
    RESERVED_CODES,
    STAFF_ID,
    Problem,
    Roster,
    YamlSyntaxError,
    _describe_char,
    _kind,
    pin_fault,
)
from .settings import Settings
from .state import State

TOOL = "tools/import_accounts.py"


@dataclass(frozen=True)
class YamlCodec:
    """What the import needs of a YAML library (congvu_planner_files.IMPORT_YAML gives PyYAML's): each
    raises YamlSyntaxError for text that is not YAML."""
    compose_all: Callable[[str], list]  # the root node of each document
    load: Callable[[str], object]  # one document as plain data
    node_data: Callable[[object], object]  # a composed node as plain data


# What an account is made of, and the source column or attribute each is read from by default.
KEYS = ("id", "name", "agency", "mail", "title", "login")
REQUIRED_KEYS = ("id", "name", "agency")
CSV_DEFAULTS = {"id": "id", "name": "name", "agency": "department", "mail": "mail", "title": "title"}
LDIF_DEFAULTS = {"id": "employeeNumber", "name": "displayName", "agency": "ou", "mail": "mail", "title": "title"}
# LDIF entries of these object classes are accounts; the others (ou, groups) are skipped and counted.
PERSON_CLASSES = frozenset({"person", "organizationalperson", "inetorgperson", "user", "posixaccount"})
_MAIL = re.compile(r"^[a-z0-9._%+'-]+@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$")
BEGIN = "  # >>> imported by " + TOOL + " from {label}"
END = "  # <<< end of the import from {label}"


@dataclass
class Account:
    """One account of the export as read: the raw values by key, where it is, how each key is named."""

    file: str
    line: int
    values: dict[str, str]
    columns: dict[str, str]
    extra_mail: list[str] = field(default_factory=list)  # further `mail` values of an LDIF entry


@dataclass
class AgencyMap:
    """The operator's map: source department -> agency code, and the agencies the import creates."""

    file: str = ""
    departments: dict[str, str] = field(default_factory=dict)  # department key (dept_key) -> code
    names: dict[str, str] = field(default_factory=dict)  # department key -> the department as written
    new_agencies: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, kind)


@dataclass
class Imported:
    """A roster person made from an account."""

    id: str
    name: str
    agency: str
    title: str | None
    address: str | None  # the pinned old address, when it fits the agency's namespace
    old_addresses: list[str]  # the source's addresses that are not pinned (forwarded, migrated)
    login: str | None
    file: str
    line: int
    base: str = ""
    # those of old_addresses in a domain this system receives for (settings.former_domains): written as
    # `former_addresses:`, so that the roster keeps them as aliases of the new mailbox (docs/import.md)
    kept: list[str] = field(default_factory=list)


@dataclass
class Result:
    """What an import would do: errors (nothing is written when there is one), notices, the people by
    agency, the files' text (agency file name -> text) and the ones already as they would be."""

    errors: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    people: dict[str, list[Imported]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    new_files: list[str] = field(default_factory=list)
    merged_files: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    accounts: int = 0
    skipped: int = 0


def _error(file: str, line: int, msgid: str, entry: str = "", fld: str = "", /, **params) -> Problem:
    return Problem(file, line, msgid, entry, fld, "error", params)


def _notice(file: str, line: int, msgid: str, entry: str = "", fld: str = "", /, **params) -> Problem:
    return Problem(file, line, msgid, entry, fld, "notice", params)


def dept_key(text: str) -> str:
    """How departments are compared: NFC, single spaces, without regard to case."""
    return naming.normalize_name(text).casefold()


def decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 with or without a BOM; anything else is refused, naming the line."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [_error(file, line, N_("the file is not UTF-8 text (%(reason)s at byte %(byte)s); save it as "
                                            "UTF-8"), reason=exc.reason, byte=exc.start)]


def parse_map_option(text: str, defaults: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """`id=employeeNumber,name=displayName,...` over the defaults -> key -> column."""
    columns = dict(defaults)
    problems = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        key, sep, column = (s.strip() for s in part.partition("="))
        if not sep or key not in KEYS or not column:
            problems.append(_error("--map", 0, N_("'%(value)s' is not key=column; the keys are: %(allowed)s"),
                                   value=part, allowed=", ".join(KEYS)))
            continue
        columns[key] = column
    return columns, problems


# ------------------------------------------------------------------------------------------- the export


def parse_csv(text: str, file: str, columns: dict[str, str], given: frozenset[str] = frozenset(),
              delimiter: str | None = None) -> tuple[list[Account], list[Problem]]:
    """The rows of a CSV export, each with its line. `given`: the keys the operator mapped explicitly (a
    missing optional column is then an error too; a missing default optional column just means none)."""
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        return [], [_error(file, 1, N_("the export is empty: no header line"))]
    if delimiter is None:
        head = lines[0]
        delimiter = max(",;\t|", key=lambda d: (head.count(d), d == ","))
    reader = csv.reader(lines, delimiter=delimiter)
    header = [naming.normalize_name(h) for h in next(reader)]
    found = {h.casefold(): i for i, h in reversed(list(enumerate(header)))}
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for key, column in columns.items():
        position = found.get(naming.normalize_name(column).casefold())
        if position is not None:
            index[key] = position
        elif key in REQUIRED_KEYS or key in given:
            problems.append(_error(file, 1, N_("the column '%(column)s' (for '%(key)s') is not in the header; the "
                                   "columns are: %(found)s"), "", column, column=column, key=key,
                                   found=", ".join(h for h in header if h)))
    if problems:
        return [], problems
    accounts = []
    start = reader.line_num + 1
    for row in reader:
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        values = {key: (row[i] if i < len(row) else "") for key, i in index.items()}
        accounts.append(Account(file, line, values, {k: columns[k] for k in index}))
    return accounts, problems


def _ldif_records(text: str, file: str) -> tuple[list[tuple[int, list[tuple[int, str]]]], list[Problem]]:
    """The entries of an LDIF text: (first line, [(line, unfolded `attr: value` line)])."""
    records: list[tuple[int, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(" "):  # RFC 2849 folding: the line continues the previous one
            if not current or current[-1][1].startswith("#"):
                if current and current[-1][1].startswith("#"):
                    continue  # a folded comment
                problems.append(_error(file, number, N_("LDIF: a continuation line (starting with a space) has no "
                                       "line before it to continue")))
                continue
            current[-1] = (current[-1][0], current[-1][1] + raw[1:])
        elif not raw.strip():
            if current:
                records.append((current[0][0], current))
                current = []
        else:
            current.append((number, raw))
    if current:
        records.append((current[0][0], current))
    return records, problems


def parse_ldif(text: str, file: str, columns: dict[str, str],
               given: frozenset[str] = frozenset()) -> tuple[list[Account], list[Problem], int]:
    """The person entries of an LDIF export (base64 values decoded, folded lines joined) and how many
    other entries (ou, groups) were skipped."""
    records, problems = _ldif_records(text, file)
    accounts = []
    skipped = 0
    wanted = {column.lower(): key for key, column in columns.items()}
    for first, lines in records:
        attrs: dict[str, list[str]] = {}
        bad = False
        for number, line in lines:
            if line.startswith("#"):
                continue
            name, sep, rest = line.partition(":")
            if not sep or not name.strip():
                problems.append(_error(file, number, N_("LDIF: this line is not 'attribute: value'")))
                bad = True
                continue
            name = name.strip().split(";")[0].lower()  # options such as ;lang-vi or ;binary are dropped
            if rest.startswith(":"):
                try:
                    value = base64.b64decode(rest[1:].strip(), validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    problems.append(_error(file, number, N_("LDIF: the base64 value of '%(attribute)s' cannot be "
                                           "read as UTF-8 text"), "", name, attribute=name))
                    bad = True
                    continue
            elif rest.startswith("<"):
                problems.append(_error(file, number, N_("LDIF: '%(attribute)s' refers to a file (:<); export the "
                                       "values themselves"), "", name, attribute=name))
                bad = True
                continue
            else:
                value = rest.strip()
            attrs.setdefault(name, []).append(value)
        if "version" in attrs and "dn" not in attrs:
            continue  # the `version: 1` line ahead of the first entry
        if attrs.get("changetype", ["add"])[0].lower() not in ("add",):
            problems.append(_error(file, first, N_("LDIF: a change record (changetype) is not an export; export "
                                   "the entries themselves")))
            continue
        classes = {c.lower() for c in attrs.get("objectclass", [])}
        if classes and not classes & PERSON_CLASSES:
            skipped += 1
            continue
        if not classes and columns["name"].lower() not in attrs:
            skipped += 1
            continue
        if bad:
            continue
        values = {}
        for column, key in wanted.items():
            if column in attrs:
                values[key] = attrs[column][0]
            elif key in REQUIRED_KEYS or key in given:
                values[key] = ""
        extra = attrs.get(columns["mail"].lower(), [])[1:] if "mail" in columns else []
        accounts.append(Account(file, first, values, dict(columns), [m for m in extra if m.strip()]))
    return accounts, problems, skipped


# ----------------------------------------------------------------------------------------- the map


def parse_agency_map_yaml(text: str, file: str, codec: YamlCodec) -> tuple[AgencyMap, list[Problem]]:
    """departments: {source department: code}; agencies: {code: {name, kind}} (the ones to create)."""
    result = AgencyMap(file)
    problems: list[Problem] = []
    line = 1
    try:
        documents = codec.compose_all(text)
    except YamlSyntaxError as exc:
        documents, line = None, exc.line
    if documents is not None and len(documents) > 1:  # one document only, as PyYAML's compose() demands
        documents, line = None, documents[1].start_mark.line + 1
    if documents is None:
        return result, [_error(file, line, N_("the department map is not valid YAML "
                               "(check indentation and quoting near this line)"))]
    root = documents[0] if documents else None
    if _kind(root) != "mapping":
        return result, [_error(file, 1, N_("the department map must be a mapping with 'departments:' and, for "
                               "new agencies, 'agencies:'"))]
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        if key_node.value == "departments" and _kind(value_node) == "mapping":
            for dep_node, code_node in value_node.value:
                _add_department(result, problems, str(dep_node.value), code_node.value
                                if _kind(code_node) == "scalar" else "", dep_node.start_mark.line + 1)
        elif key_node.value == "agencies" and _kind(value_node) == "mapping":
            for code_node, fields in value_node.value:
                data = codec.node_data(fields) if _kind(fields) == "mapping" else None
                _add_agency(result, problems, str(code_node.value), data, code_node.start_mark.line + 1)
        else:
            problems.append(_error(file, line, N_("the department map must be a mapping with 'departments:' and, "
                                   "for new agencies, 'agencies:'"), "", str(key_node.value)))
    return result, problems


def parse_agency_map_csv(text: str, file: str) -> tuple[AgencyMap, list[Problem]]:
    """Columns department, code and, for a new agency, name and kind."""
    result = AgencyMap(file)
    accounts, problems = parse_csv(text, file, {"department": "department", "code": "code", "name": "name",
                                                "kind": "kind"}, frozenset())
    if problems:
        return result, problems
    for row in accounts:
        _add_department(result, problems, row.values.get("department", ""), row.values.get("code", ""), row.line)
        if row.values.get("name", "").strip() or row.values.get("kind", "").strip():
            data = {"name": row.values.get("name", ""), "kind": row.values.get("kind", "")}
            code = row.values.get("code", "").strip()
            if result.new_agencies.get(code, (data["name"].strip(), data["kind"].strip())) != \
                    (naming.normalize_name(data["name"]), data["kind"].strip()):
                problems.append(_error(file, row.line, N_("agency '%(code)s' is given another name or kind on an "
                                       "earlier line"), "", "name", code=code))
                continue
            if code not in result.new_agencies:
                _add_agency(result, problems, code, data, row.line)
    return result, problems


def _add_department(result: AgencyMap, problems: list[Problem], department: str, code: str, line: int) -> None:
    key = dept_key(department)
    code = (code or "").strip()
    if not key:
        problems.append(_error(result.file, line, N_("is empty"), "", "department"))
    elif not AGENCY_CODE.match(code):
        problems.append(_error(result.file, line, N_("'%(value)s' is not valid: only lowercase letters a-z and digits, "
                               "no accents, spaces or dots (Art. 5.1)"), "", "code", value=code))
    elif key in result.departments and result.departments[key] != code:
        problems.append(_error(result.file, line, N_("department '%(department)s' is mapped twice: to '%(code)s' and "
                               "to '%(other)s'"), "", "department", department=department,
                               code=result.departments[key], other=code))
    else:
        result.departments[key] = code
        result.names.setdefault(key, naming.normalize_name(department))


def _add_agency(result: AgencyMap, problems: list[Problem], code: str, data, line: int) -> None:
    if not AGENCY_CODE.match(code) or code in RESERVED_CODES:
        problems.append(_error(result.file, line, N_("'%(value)s' is not valid: only lowercase letters a-z and digits, "
                               "no accents, spaces or dots (Art. 5.1)"), "", "code", value=code))
        return
    data = data if isinstance(data, dict) else {}
    unknown = [str(k) for k in data if k not in ("name", "kind")]
    if unknown:
        problems.append(_error(result.file, line, N_("unknown field; allowed: %(allowed)s"), "", unknown[0],
                               allowed="name, kind"))
        return
    name = naming.normalize_name(str(data.get("name") or ""))
    kind = str(data.get("kind") or "").strip()
    if not name:
        problems.append(_error(result.file, line, N_("is missing"), "", "name"))
    elif kind not in AGENCY_KINDS:
        problems.append(_error(result.file, line, N_("'%(value)s' is not a kind; use one of: %(allowed)s"), "", "kind",
                               value=kind, allowed=", ".join(AGENCY_KINDS)))
    else:
        result.new_agencies[code] = (name, kind)


# ----------------------------------------------------------------------------------- accounts -> people


def _entry(account: Account, pid: str | None, number: int) -> str:
    return f"staff id {pid}" if pid else f"staff entry #{number}"


def _name(account: Account, key: str, entry: str, errors: list[Problem]) -> str | None:
    raw = account.values.get(key, "")
    column = account.columns.get(key, key)
    name = naming.normalize_name(raw)
    if not raw.strip():
        errors.append(_error(account.file, account.line, N_("is empty"), entry, column))
        return None
    if not name:
        errors.append(_error(account.file, account.line, N_("is empty once invisible characters and spaces are "
                             "removed"), entry, column))
        return None
    if len(name) > MAX_NAME_LENGTH:
        errors.append(_error(account.file, account.line, N_("is longer than %(count)s characters"), entry, column,
                             count=MAX_NAME_LENGTH))
        return None
    foreign = naming.foreign_characters(name)
    if foreign:
        errors.append(_error(account.file, account.line, N_("'%(name)s' has characters outside the Vietnamese "
                             "alphabet: %(chars)s; retype the name with a Vietnamese keyboard"), entry, column,
                             name=name, chars=[_describe_char(c) for c in foreign]))
        return None
    if not naming.name_words(name):
        errors.append(_error(account.file, account.line, N_("'%(name)s' has no letters"), entry, column, name=name))
        return None
    return name


def fits(address: str, agency: str, settings: Settings) -> bool:
    """Whether an address may be pinned in `agency`, by the roster's own rule (roster.pin_fault)."""
    return pin_fault(address, agency, settings) is None


def prepare(accounts: list[Account], agency_map: AgencyMap, roster: Roster, state: State | None,
            settings: Settings, label: str, codec: YamlCodec, id_prefix: str = "",
            existing: dict[str, str] | None = None, merge: bool = False, skipped: int = 0) -> Result:
    """Everything the import would write, and every error and notice, before anything is written.

    `existing`: the text of this province's agency files the import would write (file name -> text), to
    refuse or merge them and to recognise this same import run before (its block, delimited by markers).
    """
    existing = existing or {}
    result = Result(accounts=len(accounts), skipped=skipped)
    errors, notices = result.errors, result.notices
    agencies = {a.code: a for a in roster.agencies}
    # The people of a block this same import wrote before are not collisions: they are replaced.
    rerun: set[tuple[str, int]] = set()
    for name, text in existing.items():
        block = find_block(text, label)
        if block:
            rerun.update((name, n) for n in range(block[0], block[1] + 1))
    ours = [p for p in roster.persons if (p.file, p.line) in rerun]
    ours_ids = {p.id for p in ours}
    province = {p.id.casefold(): p for p in roster.persons if (p.file, p.line) not in rerun}
    pins = {p.address: p for p in roster.persons if p.address and (p.file, p.line) not in rerun}
    state = state or State()
    boxes = {pid.casefold(): box for pid, box in state.mailboxes.items() if pid not in ours_ids}
    owners: dict[str, str] = {}
    for box in state.mailboxes.values():
        for address in box.addresses_ever():
            owners.setdefault(address, box.id)
    for agency_box in state.agencies.values():
        for address in agency_box.addresses_ever():
            owners.setdefault(address, agency_box.code)

    unmapped: dict[str, list[Account]] = {}
    seen_ids: dict[str, tuple[str, Account]] = {}
    seen_mail: dict[str, tuple[str, Account]] = {}
    people: list[Imported] = []
    outside: dict[str, list[tuple[Account, str]]] = {}
    for number, account in enumerate(accounts, start=1):
        before = len(errors)
        raw_id = account.values.get("id", "").strip()
        pid = None
        id_column = account.columns.get("id", "id")
        if not raw_id:
            errors.append(_error(account.file, account.line, N_("is empty"), _entry(account, None, number), id_column))
        elif not STAFF_ID.match(id_prefix + raw_id):
            errors.append(_error(account.file, account.line, N_("'%(value)s' is not a valid id: use letters, digits, "
                                 "'.', '_' or '-', at most 64"), _entry(account, None, number), id_column,
                                 value=id_prefix + raw_id))
        else:
            pid = id_prefix + raw_id
        entry = _entry(account, pid, number)
        if pid is not None:
            folded = pid.casefold()
            if folded in seen_ids:
                other_id, other = seen_ids[folded]
                errors.append(_error(account.file, account.line, N_("id '%(id)s' is given twice in the export "
                                     "(line %(other_line)s, '%(other_id)s')"), entry, id_column, id=pid,
                                     other_line=other.line, other_id=other_id))
            else:
                seen_ids[folded] = (pid, account)
            if folded in province:
                other = province[folded]
                errors.append(_error(account.file, account.line, N_("id '%(id)s' is already used in this province's "
                                     "roster by '%(other_name)s' (%(other_file)s:%(other_line)s); give the import's "
                                     "ids a prefix, e.g. --id-prefix QT-"), entry, id_column, id=pid,
                                     other_name=other.name, other_file=other.file, other_line=other.line))
            elif folded in boxes:
                box = boxes[folded]
                errors.append(_error(account.file, account.line, N_("id '%(id)s' is the id of a mailbox of this "
                                     "province (%(address)s, '%(other_name)s', %(state)s); give the import's ids a "
                                     "prefix, e.g. --id-prefix QT-"), entry, id_column, id=pid, address=box.address,
                                     other_name=box.name, state=message(box.state)))
        name = _name(account, "name", entry, errors)
        title = naming.normalize_name(account.values.get("title", "")) or None
        department = account.values.get("agency", "")
        code = agency_map.departments.get(dept_key(department)) if department.strip() else None
        if not department.strip():
            errors.append(_error(account.file, account.line, N_("is empty"), entry, account.columns.get("agency", "")))
        elif code is None:
            unmapped.setdefault(dept_key(department), []).append(account)
        elif code not in agencies and code not in agency_map.new_agencies:
            errors.append(_error(account.file, account.line, N_("department '%(department)s' is mapped to "
                                 "'%(code)s', which is neither an agency of the roster nor an agency the map "
                                 "creates (agencies: with its name and kind)"), entry,
                                 account.columns.get("agency", ""), department=naming.normalize_name(department),
                                 code=code))
            code = None
        mails = []
        mail_column = account.columns.get("mail", "mail")
        for raw in [account.values.get("mail", "")] + account.extra_mail:
            address = naming.strip_invisible(raw).strip().lower()
            if not address:
                continue
            if not _MAIL.match(address):
                errors.append(_error(account.file, account.line, N_("'%(value)s' is not an e-mail address "
                                     "(name@domain)"), entry, mail_column, value=raw.strip()))
                continue
            if address in seen_mail:
                other_id, other = seen_mail[address]
                errors.append(_error(account.file, account.line, N_("the address '%(address)s' is also the address of "
                                     "'%(other_id)s' (line %(other_line)s) in the export"), entry, mail_column,
                                     address=address, other_id=other_id, other_line=other.line))
                continue
            seen_mail[address] = (pid or raw_id, account)
            if address in owners and owners[address] != pid:
                errors.append(_error(account.file, account.line, N_("the address '%(address)s' is or was used in this "
                                     "province (by '%(owner)s'); it is never given to another person (Art. 5)"),
                                     entry, mail_column, address=address, owner=owners[address]))
                continue
            mails.append(address)
        if len(errors) > before or pid is None or name is None or code is None:
            continue
        pin = None
        old = []
        for address in mails:
            if pin is None and fits(address, code, settings):
                if address in pins:
                    other = pins[address]
                    errors.append(_error(account.file, account.line, N_("'%(address)s' is already pinned by id "
                                         "%(other_id)s (%(other_file)s:%(other_line)s)"), entry, mail_column,
                                         address=address, other_id=other.id, other_file=other.file,
                                         other_line=other.line_of("address")))
                    continue
                pin = address
            else:
                old.append(address)
                outside.setdefault(code, []).append((account, address))
        login = account.values.get("login", "").strip() or None
        kept = [a for a in old if a.partition("@")[2] in settings.former_domains]
        people.append(Imported(pid, name, code, title, pin, old, login, account.file, account.line,
                               naming.base_of(name), kept))

    for concerned in unmapped.values():
        first = concerned[0]
        errors.append(_error(first.file, first.line, N_("department '%(department)s' is not in the department map "
                             "(%(map)s); accounts concerned: %(ids)s"), "", first.columns.get("agency", ""),
                             department=naming.normalize_name(first.values.get("agency", "")),
                             map=agency_map.file or "--agency-map",
                             ids=[(a.values.get("id", "").strip() or f"#{a.line}") for a in concerned]))

    for code, found in sorted(outside.items()):
        first = found[0][0]
        notices.append(_notice(first.file, first.line, N_("%(count)s former address(es) of people of agency "
                               "'%(agency)s' are not of the form <name>.%(agency)s@%(domain)s, e.g. '%(address)s': "
                               "they cannot be kept as addresses; those people get an Art. 5 address and the old "
                               "addresses go to the list of former addresses, to forward and to migrate"), "",
                               first.columns.get("mail", "mail"), count=len(found), agency=code,
                               domain=settings.domain, address=found[0][1]))
    for person in people:
        result.people.setdefault(person.agency, []).append(person)
    for code in result.people:
        result.people[code].sort(key=lambda p: p.id)
    _same_bases(result, roster, notices, rerun)
    if errors:
        return result
    for code in sorted(set(agency_map.new_agencies) & set(agencies)):
        if find_block(existing.get(f"{code}.yml", ""), label) is None:  # not a file this import wrote
            errors.append(_error(agency_map.file, 0, N_("agency '%(code)s' is already in the roster (%(file)s): remove "
                                 "it from 'agencies:' of the map; its staff are added to that file with "
                                 "--merge-into-existing"), "", "agencies", code=code, file=agencies[code].file))
    if errors:
        return result
    for code in sorted(result.people):
        file_name = f"{code}.yml"
        block = render_block(result.people[code], label, codec)
        if code in agencies or file_name in existing:
            text = existing.get(file_name)
            if text is None:  # an agency of the roster under another file name (SNV.YML): never guessed
                errors.append(_error(agencies[code].file, 0, N_("agency '%(code)s' is in %(file)s, not in "
                                     "%(code)s.yml: the import writes %(code)s.yml only; rename the file first"),
                                     "agency", "code",
                                     code=code, file=agencies[code].file))
                continue
            if code in agency_map.new_agencies:  # a file this import made: rewritten while nobody edited it
                name, kind = agency_map.new_agencies[code]
                fresh = render_new_agency(code, name, kind, block, label, settings.domain, codec)
                if fresh == text:
                    result.unchanged.append(file_name)
                    continue
                if _without_block(fresh, label) == _without_block(text, label):
                    result.files[file_name] = fresh
                    result.new_files.append(file_name)
                    continue
            merged, problem = merge_block(text, block, label, file_name, codec)
            if problem is None and merged == text:
                result.unchanged.append(file_name)
            elif not merge:
                errors.append(_error(file_name, 0, N_("the agency file %(file)s already exists: nothing was written. "
                                     "Run again with --merge-into-existing to add the imported staff at the end of "
                                     "its list (the rest of the file is kept)"), "", "", file=file_name))
            elif problem is not None:
                errors.append(problem)
            else:
                result.files[file_name] = merged
                result.merged_files.append(file_name)
        else:
            name, kind = agency_map.new_agencies[code]
            result.files[file_name] = render_new_agency(code, name, kind, block, label, settings.domain, codec)
            result.new_files.append(file_name)
    return result


def _same_bases(result: Result, roster: Roster, notices: list[Problem], rerun: set) -> None:
    """A notice per agency and address base that two people or more share: the planner numbers them."""
    for code, people in sorted(result.people.items()):
        groups: dict[str, list[str]] = {}
        for person in roster.persons:
            if person.agency == code and person.state != "terminated" and (person.file, person.line) not in rerun:
                groups.setdefault(person.base, []).append(person.id)
        for person in people:
            if person.address is None:
                groups.setdefault(person.base, []).append(person.id)
        imported = {p.id for p in people}
        for base, ids in sorted(groups.items()):
            if len(ids) > 1 and imported & set(ids):
                first = next(p for p in people if p.id in ids)
                notices.append(_notice(first.file, first.line, N_("%(count)s people of agency '%(agency)s' give the "
                                       "address base '%(base)s' (%(ids)s): the planner numbers them (Art. 5.2b)"),
                                       f"staff id {first.id}", "", count=len(ids), agency=code, base=base,
                                       ids=", ".join(ids)))


# --------------------------------------------------------------------------------------------- output


MAX_LINE = 120  # the repository's yamllint line length: the written files live in inventories/


def scalar(value: str, codec: YamlCodec, flow: bool = False) -> str:
    """A YAML scalar: plain when it reads back as the same text, else double-quoted."""
    try:
        if codec.load(f"k: {value}\n") == {"k": value} and value == value.strip() and "#" not in value \
                and not (flow and any(c in value for c in ",[]{}")):
            return value
    except YamlSyntaxError:
        pass
    return _quoted(value)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def field_line(lead: str, key: str, value: str, codec: YamlCodec) -> str:
    """`<lead><key>: <value>` and a newline; a value too long for one line is double-quoted and folded at
    single spaces (a line break in a double-quoted scalar reads back as one space)."""
    line = f"{lead}{key}: {scalar(value, codec)}"
    if len(line) <= MAX_LINE or "  " in value or not value.strip():
        return line + "\n"
    indent = " " * (len(lead) + 2)
    words = _quoted(value)[1:-1].split(" ")
    lines = [f'{lead}{key}: "{words[0]}']
    for word in words[1:]:
        if len(lines[-1]) + len(word) + 2 > MAX_LINE:  # the space and a closing quote
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines) + '"\n'


def render_block(people: list[Imported], label: str, codec: YamlCodec) -> str:
    """The staff entries of one agency between the import's markers (sorted by id: the roster order)."""
    out = [BEGIN.format(label=_one_line(label)) + "\n"]
    for person in people:
        out.append(field_line("  - ", "id", person.id, codec))
        out.append(field_line("    ", "name", person.name, codec))
        if person.title:
            out.append(field_line("    ", "title", person.title, codec))
        if person.address:
            out.append(field_line("    ", "address", person.address, codec))
        if person.kept:
            out.append("    former_addresses:\n" + "".join(f"      - {scalar(a, codec)}\n" for a in person.kept))
    out.append(END.format(label=_one_line(label)) + "\n")
    return "".join(out)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _comment(lines: list[str]) -> str:
    """Comment lines, each wrapped to the line length."""
    return "".join(f"# {part}".rstrip() + "\n" for ln in lines
                   for part in (textwrap.wrap(ln, MAX_LINE - 2, break_long_words=False) or [""]))


def render_new_agency(code: str, name: str, kind: str, block: str, label: str, domain: str,
                      codec: YamlCodec) -> str:
    label = _one_line(label)
    lines = [f"Danh sách hộp thư công vụ: {name}",
             f"(mã cơ quan {code}, hộp thư cơ quan {code}@{domain}).",
             f"Nhập từ hệ thống khác bằng {TOOL} (nguồn: {label}); từ nay cán bộ CNTT của cơ quan",
             "sửa tệp này bằng pull request. Thêm head và delegates khi cơ quan đã chỉ định.",
             "",
             f"Official e-mail roster: {name}",
             f"(agency code {code}, agency mailbox {code}@{domain}).",
             f"Imported from another system by {TOOL} (source: {label}); from now on the agency's IT",
             "staff edit this file by pull request. Add head and delegates once the agency names them.",
             "Format / định dạng: docs/roster-format.md, docs/import.md."]
    head = _comment(lines)
    return (f"{head}---\nagency:\n" + field_line("  ", "code", code, codec) + field_line("  ", "name", name, codec)
            + field_line("  ", "kind", kind, codec) + f"staff:\n{block}")


def find_block(text: str, label: str) -> tuple[int, int] | None:
    """The lines (1-based, both markers included) of this import's block in an agency file, or None."""
    lines = text.splitlines()
    begin, end = BEGIN.format(label=_one_line(label)), END.format(label=_one_line(label))
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == begin.strip())
        stop = next(i for i in range(start, len(lines)) if lines[i].strip() == end.strip())
    except StopIteration:
        return None
    return start + 1, stop + 1


def _without_block(text: str, label: str) -> str:
    found = find_block(text, label)
    if not found:
        return text
    lines = text.splitlines(keepends=True)
    return "".join(lines[:found[0] - 1] + lines[found[1]:])


def merge_block(text: str, block: str, label: str, file_name: str, codec: YamlCodec) -> tuple[str, Problem | None]:
    """The agency file with this import's block at the end of its staff list (replacing the block a
    previous run of the same import left there), everything else kept byte for byte; or the reason it is
    not safe to do so. A byte-order mark and Windows line ends (CRLF) are kept, the block written with them."""
    original = text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = _without_block(text[len(bom):], label)

    def refused(reason: str) -> tuple[str, Problem]:
        return original, _error(file_name, 0, N_("cannot add the imported staff to %(file)s safely: %(reason)s. Move "
                                             "'staff:' to the end of the file as a block list, one '- id: ...' entry "
                                             "after another, and run the import again"),
                            "", "staff", file=file_name, reason=message(reason))

    try:
        documents = codec.compose_all(text)
    except YamlSyntaxError:
        return refused(N_("the file is not valid YAML"))
    if len(documents) != 1 or _kind(documents[0]) != "mapping" or \
            re.search(r"^\.\.\.\s*$", text, re.MULTILINE):
        return refused(N_("the file is not one YAML mapping"))
    root = documents[0]
    last_key, staff = root.value[-1] if root.value else (None, None)
    if last_key is None or last_key.value != "staff":
        return refused(N_("'staff:' is not the last section of the file"))
    if _kind(staff) == "sequence" and not staff.flow_style and staff.value:
        first_line = text.splitlines()[staff.value[0].start_mark.line]
        indent = len(first_line) - len(first_line.lstrip())
        if not first_line.lstrip().startswith("-"):
            return refused(N_("the staff list is not written one '- ' entry per line"))
    elif _kind(staff) == "scalar" and staff.tag == "tag:yaml.org,2002:null" and not staff.value:
        indent = 2
    else:
        return refused(N_("the staff list is not a block list"))
    count = sum(1 for ln in block.splitlines() if ln.startswith("  - id: "))
    if indent != 2:
        block = "".join((" " * indent + ln[2:]) if ln.strip() else ln for ln in block.splitlines(keepends=True))
    newline = "\r\n" if "\r\n" in text else "\n"
    if not text.endswith("\n"):
        text += newline
    merged = text + block.replace("\n", newline)
    check = codec.load(merged)
    before = codec.load(text).get("staff") or []
    if not isinstance(check, dict) or len(check.get("staff") or []) != len(before) + count:
        return refused(N_("the file does not read back with the staff added"))
    return bom + merged, None


def _flow_or_block(item: dict[str, str], codec: YamlCodec) -> str:
    """A list item on one line (as docs/migration.md writes them) when it fits, else one field a line."""
    line = "  - {" + ", ".join(f"{k}: {scalar(v, codec, flow=True)}" for k, v in item.items()) + "}"
    if len(line) <= MAX_LINE:
        return line
    return "".join(field_line("  - " if i == 0 else "    ", k, v, codec)
                   for i, (k, v) in enumerate(item.items())).rstrip()


def migration_text(people: dict[str, list[Imported]], addresses: dict[str, str], label: str,
                   state_used: bool, codec: YamlCodec) -> str:
    """The mail migration's list (docs/migration.md `migrate__mailboxes`: the new address and the login
    on the legacy server) and the former addresses to keep forwarding, as YAML, sorted by id."""
    every = sorted((p for group in people.values() for p in group), key=lambda p: p.id)
    out = [_comment([f"Written by {TOOL} from {_one_line(label)}: the mail migration of the imported accounts "
                     "(docs/migration.md) and their former addresses to keep delivering (docs/import.md). The new "
                     "addresses are the planner's, against the state export given"
                     + ("." if state_used else " (none: predicted from the roster alone).")]) + "migrate__mailboxes:"]
    mailboxes = []
    former = []
    for person in every:
        new = person.address or addresses.get(person.id, "")
        olds = ([person.address] if person.address else []) + person.old_addresses
        if not olds:
            continue
        login = person.login or olds[0]
        mailboxes.append(_flow_or_block({"address": new, "source_user": login}, codec))
        for old in person.old_addresses:
            former.append(_flow_or_block({"address": old, "id": person.id, "mailbox": new}, codec))
    if not mailboxes:
        out[-1] += " []"
    out += mailboxes
    out.append("congvu_import__former_addresses:" + ("" if former else " []"))
    out += former
    return "\n".join(out) + "\n"
