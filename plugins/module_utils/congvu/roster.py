"""Load and validate the roster: one YAML file per agency (see docs/roster-format.md).

The loader keeps the file and line of every entry so that each problem can be reported the way an
agency IT person can act on it: file, line, entry (staff id) and field. All problems are collected and
reported together; a roster with any error is refused whole, so nothing is ever half-applied.

A problem carries a message id (the English msgid of the catalogs) and named values, not text: it is
shown in Vietnamese by default, in English on request (messages.py, docs/translations.md). File names
are relative to the roster folder, so a pull-request check and the run on the directory host (which
reads a copy elsewhere) name the same `stttt.yml:12`.

YAML is walked at the node level rather than loaded into dicts, because plain loading silently keeps the
last of two equal keys and loses line numbers. The files come as bytes and the nodes from a composer the
caller passes in (the adapter plugins/module_utils/congvu_planner_files.py reads the folder and composes
with libyaml's C parser): this file walks PyYAML's node objects by their kind (`node.id`) and never
imports PyYAML, so that it runs and is tested with the standard library alone.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import naming
from .messages import DEFAULT_LANGUAGE, N_, message, render, tr
from .published_directory import INDEX, NEVER_OMITTED, OMITTABLE
from .settings import _QUOTA, Settings, parse_quota

AGENCY_KINDS = ("department", "district", "other")
STATES = ("active", "suspended", "terminated")
# The states as words in a sentence (the value of a message's placeholder, e.g. a pinned address's owner).
STATE_WORDS = (N_("active"), N_("suspended"), N_("terminated"))
AGENCY_FIELDS = ("code", "name", "kind", "head", "delegates", "published", "replaces", "retired_code")
# What becomes of the agency mailbox of an agency another one replaces (a merger, a rename, an abolished
# district with a successor; docs/reorganisation.md): its address delivers to the new agency mailbox
# (`alias`, the default), or the old mailbox is kept and handed to the new agency's head (`handover`).
REPLACED_MAILBOX = ("alias", "handover")
REPLACES_FIELDS = ("code", "mailbox")
# The decision an agency file writes when its code is one a closed agency used (Art. 5: an address once
# used is not given to another without a decision): `reuse` takes the closed agency's mailbox over.
RETIRED_CODE_DECISIONS = ("reuse",)
PUBLISHED_FIELDS = ("omit",)
# Words an agency IT person may use for the address; like the name, it is never left out.
_ADDRESS_WORDS = ("mail", "email", "e-mail")
PERSON_FIELDS = ("id", "name", "given_name", "leader", "title", "quota", "quota_decision", "address", "state",
                 "former_addresses")
TOP_FIELDS = ("agency", "staff")
AGENCY_CODE = re.compile(r"^[a-z0-9]+$")
# A sub-unit of an agency, where the regulation in force has them (profile `addresses.sub_units`, e.g.
# Ninh Bình's QĐ 162/2025): `<unit>.<parent>`, one level only. Its mailbox is `<unit>.<parent>@domain` and
# its staff's `<name>.<unit>.<parent>@domain`: the code is the namespace, as for any agency (Art. 5).
SUB_UNIT_CODE = re.compile(r"^([a-z0-9]+)\.([a-z0-9]+)$")
STAFF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ADDRESS_LOCAL = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")
# A person's address on another system, kept as an alias (`former_addresses:`): that system's rules, not
# Art. 5's, so a wider local part (as an import reads it, account_import._MAIL).
FORMER_LOCAL = re.compile(r"^[a-z0-9._%+'-]{1,64}$")
# RFC 2142 role mailboxes and system names: an agency code must not capture them.
RESERVED_CODES = frozenset(
    {"postmaster", "abuse", "hostmaster", "webmaster", "root", "admin", "administrator",
     "mailerdaemon", "noreply", "security", "info", "support"}
)
MAX_NAME_LENGTH = 100
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


SEVERITIES = {"error": N_("error"), "warning": N_("warning"), "notice": N_("notice")}
# How an entry is named (Problem.entry, plan.json): kept in English as data, shown in the reader's language.
_ENTRY_ID = re.compile(r"^staff id (?P<id>.+)$")
_ENTRY_NUMBER = re.compile(r"^staff entry #(?P<number>\d+)$")


def entry_text(entry: str, language: str = DEFAULT_LANGUAGE) -> str:
    """`staff id TT0001` / `staff entry #3` / `agency` in the reader's language."""
    if entry == "agency":
        return tr(N_("agency"), language)
    found = _ENTRY_ID.match(entry)
    if found:
        return tr(N_("staff id %(id)s"), language, id=found["id"])
    found = _ENTRY_NUMBER.match(entry)
    if found:
        return tr(N_("staff entry #%(number)s"), language, number=found["number"])
    return entry


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the roster, located precisely.

    `code` is the message id (the English msgid, with %(name)s placeholders) and `params` its values;
    text() and render() turn them into words in a language; `message` is the English, as plan.json
    keeps it."""

    file: str  # relative to the roster folder; "" for the folder itself
    line: int
    code: str
    entry: str = ""
    field: str = ""
    severity: str = "error"  # error | warning | notice
    params: dict = dataclasses.field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        return self.render("en")

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        """What is wrong, in `language`, without the location."""
        return render(self.code, self.params, language)

    def where(self, language: str = DEFAULT_LANGUAGE) -> str:
        if not self.file:
            return tr(N_("the roster folder"), language)
        return f"{self.file}:{self.line}" if self.line else self.file

    def what(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The entry and the field, e.g. `staff id TT0004, field 'state'`; "" when neither."""
        parts = [entry_text(self.entry, language) if self.entry else "",
                 tr(N_("field '%(field)s'"), language, field=self.field) if self.field else ""]
        return ", ".join(p for p in parts if p)

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The whole line: `stttt.yml:22: error: staff id TT0004, field 'state': ...`."""
        severity = tr(SEVERITIES.get(self.severity, self.severity), language)
        what = self.what(language)
        return f"{self.where(language)}: {severity}: {what + ': ' if what else ''}{self.render(language)}"

    def __str__(self) -> str:
        return self.text(DEFAULT_LANGUAGE)

    def as_dict(self) -> dict:
        """For plan.json: the location, the message id and its values (stable, whatever the language the
        run shows), and the English text."""
        return {"file": self.file, "line": self.line, "entry": self.entry, "field": self.field,
                "severity": self.severity, "code": self.code, "params": self.params, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        """A problem read back from plan.json (as_dict)."""
        return cls(data["file"], data["line"], data.get("code") or data.get("message", ""), data.get("entry", ""),
                   data.get("field", ""), data.get("severity", "error"), dict(data.get("params") or {}))


def problems_text(problems: list[Problem], language: str = DEFAULT_LANGUAGE) -> str:
    """`the roster has N error(s):` and one located line per error (warnings are left out)."""
    errors = [p for p in problems if p.severity == "error"]
    head = tr(N_("the roster has %(count)s error(s):"), language, count=len(errors))
    return "\n".join([head] + [p.text(language) for p in errors])


class RosterInvalid(Exception):
    """Raised with every problem found; nothing may be applied."""

    def __init__(self, problems: list[Problem], roster: Roster | None = None):
        self.problems = problems
        self.roster = roster  # what could be read, so later checks can still report in the same round
        super().__init__(problems_text(problems))

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        return problems_text(self.problems, language)


@dataclass
class Agency:
    code: str
    name: str
    kind: str
    head: str | None
    delegates: list[str]
    file: str
    line: int
    fields_line: dict[str, int] = field(default_factory=dict)
    delegate_lines: dict[str, int] = field(default_factory=dict)
    # Fields left out of the agency's published directory (Art. 14.4; published_directory.OMITTABLE)
    published_omit: tuple[str, ...] = ()
    staff_read: bool = True  # False: the staff list was unreadable; its head/delegates are not judged
    # The agencies this one replaces: code -> what becomes of its agency mailbox (REPLACED_MAILBOX)
    replaces: dict[str, str] = field(default_factory=dict)
    replaces_lines: dict[str, int] = field(default_factory=dict)
    retired_code: str | None = None  # RETIRED_CODE_DECISIONS

    @property
    def parent(self) -> str | None:
        """The agency a sub-unit belongs to (`vanphong.skhcn` -> `skhcn`); None for an agency."""
        found = SUB_UNIT_CODE.match(self.code)
        return found.group(2) if found else None


@dataclass
class Person:
    id: str
    name: str
    agency: str
    order: int
    file: str
    line: int
    given_name: str | None = None
    leader: bool = False
    title: str | None = None
    quota: int | None = None
    quota_decision: str | None = None
    address: str | None = None
    state: str = "active"
    base: str = ""
    # addresses on another system (an imported province's domain) that deliver to this mailbox as aliases
    # until congvu__former_addresses_until (docs/import.md)
    former_addresses: list[str] = field(default_factory=list)
    fields_line: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.fields_line.get(name, self.line)


@dataclass
class Roster:
    settings: Settings
    agencies: list[Agency]
    persons: list[Person]
    warnings: list[Problem]
    source: str = ""

    def agency(self, code: str) -> Agency | None:
        return next((a for a in self.agencies if a.code == code), None)


def _kind(node) -> str | None:
    """"scalar", "sequence" or "mapping": PyYAML's name for the kind of a composed node (`Node.id`)."""
    return getattr(node, "id", None)


@dataclass
class RosterFile:
    """One agency file as read from the roster folder: its name there and its bytes, or why it could not
    be read (the system's reason)."""
    name: str
    data: bytes = b""
    unreadable: str = ""


class YamlSyntaxError(Exception):
    """What a composer raises for text that is not YAML: the parser's own words and where (lines from 1)."""

    def __init__(self, problem: str, line: int = 1, context: str = "", context_line: int | None = None):
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.context = context
        self.context_line = context_line


# text -> the root node (PyYAML's, or None for an empty document); raises YamlSyntaxError
Composer = Callable[[str], object]


class _FileReader:
    """Walks one agency file and records problems against it."""

    def __init__(self, display: str, problems: list[Problem]):
        self.file = display
        self.problems = problems

    def problem(self, node_or_line, code: str, entry: str = "", field: str = "", severity: str = "error",
                **params: object) -> None:
        """Record the message `code` (a msgid of the catalogs) with its values `params`."""
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        self.problems.append(Problem(self.file, line, code, entry, field, severity, params))

    def mapping(self, node, entry: str, known: tuple[str, ...], prefix: str = "") -> dict[str, tuple]:
        """Mapping node -> {key: (key_node, value_node)}, reporting duplicate and unknown keys (named
        `prefix + key`, for the fields of a nested mapping such as `published.omit`)."""
        result: dict[str, tuple] = {}
        for key_node, value_node in node.value:
            key = key_node.value if _kind(key_node) == "scalar" else None
            if key is None:
                self.problem(key_node, "a field name must be a plain word", entry)
                continue
            if key in result:
                self.problem(key_node, "this field is given twice; keep one", entry, prefix + key)
                continue
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                if hint:
                    self.problem(key_node, "unknown field (did you mean '%(hint)s'?); allowed: %(allowed)s",
                                 entry, prefix + key, hint=hint[0], allowed=", ".join(known))
                else:
                    self.problem(key_node, "unknown field; allowed: %(allowed)s", entry, prefix + key,
                                 allowed=", ".join(known))
                continue
            result[key] = (key_node, value_node)
        return result

    def text(self, value_node, entry: str, field: str, required: bool = False) -> str | None:
        """A scalar taken as the text the person typed (so `no` stays `no`, `00123` stays `00123`)."""
        if _kind(value_node) != "scalar":
            self.problem(value_node, "must be a single value, not a list or a mapping", entry, field)
            return None
        if value_node.tag == _NULL or (value_node.tag == _STR and not value_node.value.strip()):
            if required:
                self.problem(value_node, "is empty", entry, field)
            return None
        return value_node.value

    def boolean(self, value_node, entry: str, field: str) -> bool:
        if _kind(value_node) == "scalar" and value_node.tag == _BOOL:
            return value_node.value.lower() in ("true", "yes", "on")
        if _kind(value_node) == "scalar" and value_node.tag == _NULL:
            return False
        self.problem(value_node, "must be true or false", entry, field)
        return False


def _display_path(name: str) -> str:
    """How messages name a file: relative to the roster folder (`stttt.yml`), wherever the folder is."""
    return name


def is_roster_file(name: str) -> bool:
    """An agency file of a roster folder: any case of the extension (a file named SNV.YML that was skipped
    would terminate an agency), no hidden file."""
    return name.lower().endswith((".yml", ".yaml")) and not name.startswith(".")


def roster_order(names: Iterable[str]) -> list[str]:
    """The agency files among a folder's names, in file-name order (this order is the roster order)."""
    return sorted(n for n in names if is_roster_file(n))


def load_roster(files: Iterable[RosterFile] | None, compose: Composer, settings: Settings | None = None,
                source: str = "") -> Roster:
    """Validate every agency file (in roster order) and return the Roster; `files` is None when the roster
    folder does not exist, `compose` turns a file's text into YAML nodes, `source` names the folder.

    Raises RosterInvalid listing every error (and warning) when anything is wrong.
    """
    settings = settings or Settings()
    problems: list[Problem] = []
    agencies: list[Agency] = []
    persons: list[Person] = []
    if files is None:
        raise RosterInvalid([Problem("", 0, "the roster folder does not exist")])
    for file in files:
        reader = _FileReader(_display_path(file.name), problems)
        _read_file(reader, file, compose, settings, agencies, persons)
    _validate_province(settings, agencies, persons, problems)
    problems.sort(key=lambda p: (p.file, p.line))
    warnings = [p for p in problems if p.severity == "warning"]
    roster = Roster(settings, agencies, persons, warnings, source)
    if any(p.severity == "error" for p in problems):
        raise RosterInvalid(problems, roster)
    return roster


def _read_file(reader: _FileReader, file: RosterFile, compose: Composer, settings: Settings,
               agencies: list[Agency], persons: list[Person]) -> None:
    name = file.name
    if file.unreadable:
        reader.problem(0, "cannot read the file: %(reason)s", reason=file.unreadable)
        return
    raw = file.data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        reader.problem(line, "the file is not UTF-8 text (%(reason)s at byte %(byte)s); save it as UTF-8",
                       reason=exc.reason, byte=exc.start)
        return
    try:
        root = compose(text)
    except YamlSyntaxError as exc:
        line, code, params = _yaml_error(exc, text)
        reader.problem(line, code, **params)
        return
    if root is None:
        reader.problem(1, "the file is empty; it needs an 'agency:' section and a 'staff:' list")
        return
    if _kind(root) == "sequence":
        reader.problem(root, "the file is a list; it must be a mapping with 'agency:' and 'staff:'")
        return
    if _kind(root) != "mapping":
        reader.problem(root, "the file is a single value; it must be a mapping with 'agency:' and 'staff:'")
        return
    top = reader.mapping(root, "", TOP_FIELDS)
    if "agency" not in top:
        reader.problem(root, "the 'agency:' section is missing", "", "agency")
        return
    agency = _read_agency(reader, name, top["agency"][1], settings)
    if agency is None:
        return
    agencies.append(agency)
    if "staff" not in top:
        reader.problem(root, "the 'staff:' list is missing (write 'staff: []' for none)", "", "staff")
        agency.staff_read = False
        return
    staff_node = top["staff"][1]
    if _kind(staff_node) == "scalar" and staff_node.tag == _NULL:
        return
    if _kind(staff_node) != "sequence":
        reader.problem(staff_node, "must be a list of people, each starting with '- id:'", "", "staff")
        agency.staff_read = False
        return
    for position, item in enumerate(staff_node.value, start=1):
        person = _read_person(reader, agency.code, position, item, settings, len(persons))
        if person is not None:
            persons.append(person)


# The YAML parser's own words (libyaml's, in English) that the catalogs translate; any other is shown as
# the parser wrote it.
YAML_PROBLEMS = (
    N_("mapping values are not allowed in this context"),
    N_("mapping values are not allowed here"),
    N_("did not find expected key"),
    N_("but found another document"),
    N_("found character that cannot start any token"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected ',' or '}'"),
    N_("did not find expected '-' indicator"),
    N_("could not find expected ':'"),
    N_("found undefined alias"),
    N_("found unknown escape character"),
    N_("found unexpected end of stream"),
)


def _yaml_error(exc: YamlSyntaxError, text: str) -> tuple[int, str, dict]:
    """Line, message id and values of a YAML syntax error, in terms of what the person typed."""
    line = exc.line
    detail = exc.problem
    context = exc.context
    lines = text.splitlines()
    if context.startswith("while scanning") and exc.context_line is not None and "quoted" in context:
        return exc.context_line, N_("YAML syntax error: a quote opened on this line is never closed"), {}
    if 0 < line <= len(lines):
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
        if "\t" in indent:
            return line, N_("YAML syntax error: this line is indented with a tab; YAML needs spaces"), {}
    return (line, N_("YAML syntax error: %(detail)s; check indentation and quoting near this line"),
            {"detail": message(detail)})


def _read_agency(reader: _FileReader, file_name: str, node, settings: Settings) -> Agency | None:
    entry = "agency"
    if _kind(node) != "mapping":
        reader.problem(node, "must be a mapping with code, name and kind", entry)
        return None
    fields = reader.mapping(node, entry, AGENCY_FIELDS)
    lines = {k: kn.start_mark.line + 1 for k, (kn, _) in fields.items()}
    code = name = kind = None
    for required in ("code", "name", "kind"):
        if required not in fields:
            reader.problem(node, "is missing", entry, required)
    if "code" in fields:
        code = reader.text(fields["code"][1], entry, "code", required=True)
        if code is not None and SUB_UNIT_CODE.match(code) and not settings.sub_units:
            reader.problem(fields["code"][1], "'%(value)s' is the code of a sub-unit ('<unit>.<parent>'), which "
                           "the regulation in force does not have (the profile's addresses.sub_units, "
                           "docs/profiles.md): write the code without a dot", entry, "code", value=code)
            code = None
        elif code is not None and not AGENCY_CODE.match(code) and not SUB_UNIT_CODE.match(code):
            if settings.sub_units:
                reader.problem(fields["code"][1], "'%(value)s' is not valid: only lowercase letters a-z and digits, "
                               "no accents or spaces, or '<unit>.<parent>' for a sub-unit (Art. 5.1)", entry,
                               "code", value=code)
            else:
                reader.problem(fields["code"][1], "'%(value)s' is not valid: only lowercase letters a-z and "
                               "digits, no accents, spaces or dots (Art. 5.1)", entry, "code", value=code)
            code = None
        elif code in RESERVED_CODES:
            reader.problem(fields["code"][1], "'%(value)s' is a reserved mailbox name (RFC 2142) and cannot be "
                           "an agency code", entry, "code", value=code)
            code = None
        elif code is not None and f"{code}.html" == INDEX:
            reader.problem(fields["code"][1], "'%(value)s' cannot be an agency code: the published directory's "
                           "province page is %(page)s", entry, "code", value=code, page=INDEX)
            code = None
        if code is not None and file_name not in (f"{code}.yml", f"{code}.yaml"):
            reader.problem(fields["code"][1], "the file is named '%(file)s' but the code is '%(value)s'; rename "
                           "the file to '%(value)s.yml'", entry, "code", file=file_name, value=code)
    if "name" in fields:
        name = reader.text(fields["name"][1], entry, "name", required=True)
        name = naming.normalize_name(name) if name else None
        if name == "":
            reader.problem(fields["name"][1], "is empty once invisible characters and spaces are removed",
                           entry, "name")
            name = None
    if "kind" in fields:
        kind = reader.text(fields["kind"][1], entry, "kind", required=True)
        if kind is not None and kind not in AGENCY_KINDS:
            reader.problem(fields["kind"][1], "'%(value)s' is not a kind; use one of: %(allowed)s", entry, "kind",
                           value=kind, allowed=", ".join(AGENCY_KINDS))
    head = reader.text(fields["head"][1], entry, "head") if "head" in fields else None
    delegates: list[str] = []
    delegate_lines: dict[str, int] = {}
    if "delegates" in fields:
        dnode = fields["delegates"][1]
        if _kind(dnode) == "sequence":
            for item in dnode.value:
                value = reader.text(item, entry, "delegates", required=True)
                if value is not None:
                    if value in delegates:
                        reader.problem(item, "'%(value)s' is listed twice", entry, "delegates", value=value)
                    else:
                        delegates.append(value)
                        delegate_lines[value] = item.start_mark.line + 1
        elif not (_kind(dnode) == "scalar" and dnode.tag == _NULL):
            reader.problem(dnode, "must be a list of staff ids, e.g. [TT0002, TT0007]", entry, "delegates")
    omit = _read_published(reader, fields["published"][1]) if "published" in fields else ()
    replaces, replaces_lines = _read_replaces(reader, fields["replaces"][1], code) if "replaces" in fields else ({}, {})
    retired = None
    if "retired_code" in fields:
        retired = reader.text(fields["retired_code"][1], entry, "retired_code", required=True)
        if retired is not None and retired not in RETIRED_CODE_DECISIONS:
            reader.problem(fields["retired_code"][1], "'%(value)s' is not a decision; use one of: %(allowed)s",
                           entry, "retired_code", value=retired, allowed=", ".join(RETIRED_CODE_DECISIONS))
            retired = None
    if code is None or name is None or kind not in AGENCY_KINDS:
        # The agency cannot be used; its staff are still read so that their own errors are reported.
        code = code or os.path.splitext(file_name)[0]
    agency = Agency(code, name or "", kind or "", head, delegates, reader.file, node.start_mark.line + 1,
                    lines, delegate_lines, omit, replaces=replaces, replaces_lines=replaces_lines,
                    retired_code=retired)
    return agency


def _read_replaces(reader: _FileReader, node, own_code: str | None) -> tuple[dict[str, str], dict[str, int]]:
    """`replaces: [stttt, {code: huyenqn, mailbox: handover}]`: the agencies this one replaces (a merger, a
    rename, an abolished agency's successor), each with what becomes of its agency mailbox."""
    entry, found, lines = "agency", {}, {}
    if _kind(node) != "sequence":
        reader.problem(node, "must be a list of agency codes, e.g. [stttt] or [{code: stttt, mailbox: handover}]",
                       entry, "replaces")
        return found, lines
    for item in node.value:
        mode = "alias"
        if _kind(item) == "mapping":
            fields = reader.mapping(item, entry, REPLACES_FIELDS, prefix="replaces.")
            if "code" not in fields:
                reader.problem(item, "is missing", entry, "replaces.code")
                continue
            code = reader.text(fields["code"][1], entry, "replaces.code", required=True)
            if "mailbox" in fields:
                mode = reader.text(fields["mailbox"][1], entry, "replaces.mailbox", required=True)
                if mode not in REPLACED_MAILBOX:
                    reader.problem(fields["mailbox"][1], "'%(value)s' is not a choice; use one of: %(allowed)s",
                                   entry, "replaces.mailbox", value=mode, allowed=", ".join(REPLACED_MAILBOX))
                    continue
        else:
            code = reader.text(item, entry, "replaces", required=True)
        if code is None:
            continue
        if not AGENCY_CODE.match(code) and not SUB_UNIT_CODE.match(code):
            reader.problem(item, "'%(value)s' is not an agency code: only lowercase letters a-z and digits (Art. 5.1)",
                           entry, "replaces", value=code)
        elif code == own_code:
            reader.problem(item, "an agency cannot replace itself ('%(value)s')", entry, "replaces", value=code)
        elif code in found:
            reader.problem(item, "'%(value)s' is listed twice", entry, "replaces", value=code)
        else:
            found[code], lines[code] = mode, item.start_mark.line + 1
    return found, lines


def _read_published(reader: _FileReader, node) -> tuple[str, ...]:
    """`published: {omit: [title]}`: what the agency leaves out of its published directory (Art. 14.4).

    Only OMITTABLE fields may be left out. The name and the address never: a directory without them
    tells nobody whom to write to."""
    entry = "agency"
    if _kind(node) == "scalar" and node.tag == _NULL:
        return ()
    if _kind(node) != "mapping":
        reader.problem(node, "must be a mapping, e.g. 'published: {omit: [title]}'", entry, "published")
        return ()
    fields = reader.mapping(node, entry, PUBLISHED_FIELDS, prefix="published.")
    if "omit" not in fields:
        return ()
    onode = fields["omit"][1]
    if _kind(onode) == "scalar" and onode.tag == _NULL:
        return ()
    if _kind(onode) != "sequence":
        reader.problem(onode, "must be a list of the fields to leave out, e.g. [title]", entry, "published.omit")
        return ()
    omit: list[str] = []
    for item in onode.value:
        value = reader.text(item, entry, "published.omit", required=True)
        if value is None:
            continue
        if value in NEVER_OMITTED or value.lower() in _ADDRESS_WORDS:
            reader.problem(item, "'%(value)s' cannot be left out: the published directory lists every mailbox "
                           "with its name and its address (Art. 14.4)", entry, "published.omit", value=value)
        elif value not in OMITTABLE:
            hint = difflib.get_close_matches(value, OMITTABLE, n=1)
            if hint:
                reader.problem(item, "'%(value)s' is not a field that can be left out (did you mean '%(hint)s'?); "
                               "allowed: %(allowed)s", entry, "published.omit", value=value, hint=hint[0],
                               allowed=", ".join(OMITTABLE))
            else:
                reader.problem(item, "'%(value)s' is not a field that can be left out; allowed: %(allowed)s",
                               entry, "published.omit", value=value, allowed=", ".join(OMITTABLE))
        elif value in omit:
            reader.problem(item, "'%(value)s' is listed twice", entry, "published.omit", value=value)
        else:
            omit.append(value)
    return tuple(omit)


def _read_person(reader: _FileReader, agency: str, position: int, node, settings: Settings,
                 order: int) -> Person | None:
    entry = f"staff entry #{position}"
    if _kind(node) != "mapping":
        reader.problem(node, "each person must be a mapping starting with '- id:'", entry)
        return None
    # Name the entry by its id in every message, also those about fields that come before `id:`.
    raw_id = next((v.value for k, v in node.value if _kind(k) == "scalar" and k.value == "id"
                   and _kind(v) == "scalar" and STAFF_ID.match(v.value or "")), None)
    if raw_id is not None:
        entry = f"staff id {raw_id}"
    fields = reader.mapping(node, entry, PERSON_FIELDS)
    lines = {k: kn.start_mark.line + 1 for k, (kn, _) in fields.items()}
    line = node.start_mark.line + 1
    pid = None
    if "id" not in fields:
        reader.problem(node, "is missing: every person needs a stable staff id", entry, "id")
    else:
        pid = reader.text(fields["id"][1], entry, "id", required=True)
        if pid is not None and not STAFF_ID.match(pid):
            reader.problem(fields["id"][1], "'%(value)s' is not a valid id: use letters, digits, '.', '_' or "
                           "'-', at most 64", entry, "id", value=pid)
            pid = None
    if pid is not None:
        entry = f"staff id {pid}"
    person = Person(pid or "", "", agency, order, reader.file, line, fields_line=lines)

    if "name" not in fields:
        reader.problem(node, "is missing", entry, "name")
    else:
        raw = reader.text(fields["name"][1], entry, "name", required=True)
        person.name = _checked_name(reader, fields["name"][1], raw, entry, "name") or ""
    if "given_name" in fields:
        raw = reader.text(fields["given_name"][1], entry, "given_name")
        given = _checked_name(reader, fields["given_name"][1], raw, entry, "given_name") if raw else None
        if given and person.name and not naming.given_name_matches(person.name, given):
            reader.problem(fields["given_name"][1], "'%(value)s' must be the last word(s) of the name "
                           "'%(name)s'", entry, "given_name", value=given, name=person.name)
        person.given_name = given
    if "leader" in fields:
        person.leader = reader.boolean(fields["leader"][1], entry, "leader")
    if "title" in fields:
        title = reader.text(fields["title"][1], entry, "title")
        person.title = naming.normalize_name(title) if title else None
    if "state" in fields:
        state = reader.text(fields["state"][1], entry, "state", required=True)
        if state is not None and state not in STATES:
            reader.problem(fields["state"][1], "'%(value)s' is not a state; use one of: %(allowed)s", entry,
                           "state", value=state, allowed=", ".join(STATES))
        elif state is not None:
            person.state = state
    if "quota_decision" in fields:
        decision = reader.text(fields["quota_decision"][1], entry, "quota_decision")
        person.quota_decision = naming.normalize_name(decision) if decision else None
    if "quota" in fields:
        raw = reader.text(fields["quota"][1], entry, "quota", required=True)
        if raw is not None:
            try:
                person.quota = parse_quota(raw)
            except ValueError:  # the same two cases as parse_quota's own (English) message
                if _QUOTA.match(raw):
                    reader.problem(fields["quota"][1], "quota '%(value)s' must be more than zero", entry, "quota",
                                   value=raw)
                else:
                    reader.problem(fields["quota"][1], "cannot read quota '%(value)s': write a number and a unit, "
                                   "e.g. 2G, 500M, 5GiB", entry, "quota", value=raw)
        if person.quota and person.quota > settings.default_quota and not person.quota_decision:
            reader.problem(fields["quota"][1], "%(value)s is above the default quota; Art. 9 requires the "
                           "provincial decision, e.g. quota_decision: \"123/QĐ-UBND\"", entry, "quota", value=raw)
    if "address" in fields:
        raw = reader.text(fields["address"][1], entry, "address", required=True)
        if raw is not None:
            person.address = _checked_pin(reader, fields["address"][1], raw, agency, settings, entry)
    if "former_addresses" in fields:
        person.former_addresses = _read_former_addresses(reader, fields["former_addresses"][1], settings, entry)
    if person.name:
        person.base = naming.base_of(person.name, person.given_name)
        if len(naming.name_words(person.name)) == 1:
            reader.problem(fields["name"][1], "'%(name)s' is a single word; the address will be just "
                           "'%(base)s' (Art. 5)", entry, "name", severity="warning", name=person.name,
                           base=person.base)
    # A person with a bad name is still returned (when the id is usable) so that the head, delegate and
    # duplicate-id checks do not report a second, misleading error about the same entry.
    return person if pid is not None else None


def _checked_name(reader: _FileReader, node, raw: str | None, entry: str, field: str) -> str | None:
    if raw is None:
        return None
    name = naming.normalize_name(raw)
    if not name:
        reader.problem(node, "is empty once invisible characters and spaces are removed", entry, field)
        return None
    if len(name) > MAX_NAME_LENGTH:
        reader.problem(node, "is longer than %(count)s characters", entry, field, count=MAX_NAME_LENGTH)
        return None
    foreign = naming.foreign_characters(name)
    if foreign:
        reader.problem(node, "'%(name)s' has characters outside the Vietnamese alphabet: %(chars)s; retype the "
                       "name with a Vietnamese keyboard", entry, field, name=name,
                       chars=[_describe_char(c) for c in foreign])
        return None
    if not naming.name_words(name):
        reader.problem(node, "'%(name)s' has no letters", entry, field, name=name)
        return None
    return name


# Cyrillic and Greek letters that look like Latin ones (Unicode confusables.txt). unidecode alone
# transliterates (Greek Η -> "E"), which would send the person looking for the wrong letter.
_CONFUSABLES = dict(zip(
    "АВЕКМНОРСТХаеорсухіјѕԁΑΒΕΗΙΚΜΝΟΡΤΧΥΖοραν",
    "ABEKMHOPCTXaeopcyxijsdABEHIKMNOPTXYZopav", strict=True))


def _describe_char(char: str) -> dict:
    """`'а' (CYRILLIC SMALL LETTER A, looks like 'a')` so a look-alike can be found and retyped (a message,
    the value of a placeholder; the Unicode name stays as Unicode writes it)."""
    label = unicodedata.name(char, f"U+{ord(char):04X}")
    if char in _CONFUSABLES:
        return message(N_("'%(char)s' (%(label)s, looks like '%(latin)s')"), char=char, label=label,
                       latin=_CONFUSABLES[char])
    try:
        from unidecode import unidecode  # the look-alike hint only; naming itself never needs it
    except ImportError:  # pragma: no cover
        return message(N_("'%(char)s' (%(label)s)"), char=char, label=label)
    latin = unidecode(char).strip()
    if latin and latin.isalpha() and latin.lower() != char.lower():
        return message(N_("'%(char)s' (%(label)s, looks like '%(latin)s')"), char=char, label=label, latin=latin)
    return message(N_("'%(char)s' (%(label)s)"), char=char, label=label)


def pin_fault(address: str, agency: str, settings: Settings) -> str | None:
    """Why a full address may not be pinned in `agency` (Art. 5: `<anything>.<agency>@<domain>`, a-z, 0-9 and
    single dots, at most 64 characters before '@'): "outside", "invalid", or None when it may."""
    local, _, domain = address.partition("@")
    suffix = f".{agency}"
    if domain != settings.domain or not local.endswith(suffix) or len(local) == len(suffix):
        return "outside"
    if not ADDRESS_LOCAL.match(local) or len(local) > 64:
        return "invalid"
    return None


def _checked_pin(reader: _FileReader, node, raw: str, agency: str, settings: Settings,
                 entry: str) -> str | None:
    """Art. 5 legacy pin: a local part or a full address, inside `<anything>.<agency>@<domain>`."""
    address = raw.strip().lower()
    if "@" not in address:
        address = f"{address}@{settings.domain}"
    local, _, domain = address.partition("@")
    if domain in settings.former_domains:  # a change of domain moves the pin with everybody else
        address = f"{local}@{settings.domain}"
    fault = pin_fault(address, agency, settings)
    if fault == "outside":
        reader.problem(node, "'%(value)s' is outside this agency's addresses: it must look like "
                       "'<name>.%(agency)s@%(domain)s'", entry, "address", value=raw, agency=agency,
                       domain=settings.domain)
        return None
    if fault == "invalid":
        reader.problem(node, "'%(value)s' is not a valid address: use a-z, 0-9 and single dots, at most 64 "
                       "characters before '@'", entry, "address", value=raw)
        return None
    return address


def _read_former_addresses(reader: _FileReader, node, settings: Settings, entry: str) -> list[str]:
    """`former_addresses: [annv@quangtri.gov.vn]`: the person's addresses on another system. Each must be in
    a former domain (the system receives for those only, congvu__former_domains); an address of the
    province's own domain is Art. 5's and is pinned with `address:` instead."""
    found: list[str] = []
    if _kind(node) == "scalar" and node.tag == _NULL:
        return found
    if _kind(node) != "sequence":
        reader.problem(node, "must be a list of addresses, e.g. [annv@quangtri.gov.vn]", entry, "former_addresses")
        return found
    for item in node.value:
        raw = reader.text(item, entry, "former_addresses", required=True)
        if raw is None:
            continue
        address = raw.strip().lower()
        local, _, domain = address.partition("@")
        if not FORMER_LOCAL.match(local) or not domain:
            reader.problem(item, "'%(value)s' is not an e-mail address (name@domain)", entry, "former_addresses",
                           value=raw)
        elif domain == settings.domain:
            reader.problem(item, "'%(value)s' is in the domain %(domain)s, whose addresses are given by Art. 5: "
                           "pin it with 'address:' if it fits the agency's addresses", entry, "former_addresses",
                           value=raw, domain=settings.domain)
        elif domain not in settings.former_domains:
            reader.problem(item, "'%(value)s' is not in a domain this system receives for: list '%(domain)s' in "
                           "congvu__former_domains, or leave the address to the other system's forwarding "
                           "(docs/import.md)", entry, "former_addresses", value=raw, domain=domain)
        elif address in found:
            reader.problem(item, "'%(value)s' is listed twice", entry, "former_addresses", value=raw)
        else:
            found.append(address)
    return found


def _validate_province(settings: Settings, agencies: list[Agency],
                       persons: list[Person], problems: list[Problem]) -> None:
    """Rules that need the whole roster: unique ids and codes, heads, delegates, pins, emptiness."""
    if not agencies and not any(p.severity == "error" for p in problems):
        problems.append(Problem("", 0, "the roster has no agency file: refusing to plan, as an empty roster "
                                "would terminate every mailbox"))
        return
    if agencies and not persons and not any(p.severity == "error" for p in problems):
        problems.append(Problem("", 0, "the roster lists nobody: refusing to plan, as an empty roster would "
                                "terminate every mailbox"))
    seen_codes: dict[str, Agency] = {}
    for agency in agencies:
        if agency.code in seen_codes:
            first = seen_codes[agency.code]
            problems.append(Problem(agency.file, agency.fields_line.get("code", agency.line),
                                    "agency code '%(code)s' is already used by %(other_file)s", "agency", "code",
                                    params={"code": agency.code, "other_file": first.file}))
        else:
            seen_codes[agency.code] = agency
    replaced_by: dict[str, Agency] = {}
    for agency in agencies:
        for code in agency.replaces:
            line = agency.replaces_lines.get(code, agency.line)
            if code in seen_codes:
                problems.append(Problem(agency.file, line, "'%(code)s' is replaced by this agency but is still an "
                                        "agency of the roster (%(other_file)s): remove that file, or this entry",
                                        "agency", "replaces",
                                        params={"code": code, "other_file": seen_codes[code].file}))
            elif code in replaced_by:
                problems.append(Problem(agency.file, line, "'%(code)s' is already replaced by '%(other)s' "
                                        "(%(other_file)s): an agency is replaced by one agency only",
                                        "agency", "replaces", params={"code": code, "other": replaced_by[code].code,
                                                                      "other_file": replaced_by[code].file}))
            else:
                replaced_by[code] = agency
    for agency in agencies:
        parent = agency.parent
        if parent is not None and parent not in seen_codes:
            problems.append(Problem(agency.file, agency.fields_line.get("code", agency.line),
                                    "the sub-unit '%(code)s' belongs to '%(parent)s', which is not an agency of "
                                    "the roster: add %(parent)s.yml, or correct the code", "agency", "code",
                                    params={"code": agency.code, "parent": parent}))
    by_id: dict[str, Person] = {}
    # The directory compares uids without regard to case: TT0003 and tt0003 would be one entry.
    by_folded: dict[str, Person] = {}
    duplicated: set[str] = set()
    for person in persons:
        other = by_folded.get(person.id.casefold())
        if other is not None:
            params = {"id": person.id, "other_id": other.id, "other_file": other.file, "other_line": other.line,
                      "other_name": other.name}
            if other.id == person.id and other.file == person.file:
                code = N_("id '%(id)s' is already used earlier in this file (line %(other_line)s) by "
                          "'%(other_name)s'; ids must be unique across the province")
            elif other.id == person.id:
                code = N_("id '%(id)s' is already used in %(other_file)s (line %(other_line)s) by "
                          "'%(other_name)s'; ids must be unique across the province")
            elif other.file == person.file:
                code = N_("id '%(id)s' differs only in letter case from '%(other_id)s', used earlier in this "
                          "file (line %(other_line)s) by '%(other_name)s'; ids must be unique across the province")
            else:
                code = N_("id '%(id)s' differs only in letter case from '%(other_id)s', used in %(other_file)s "
                          "(line %(other_line)s) by '%(other_name)s'; ids must be unique across the province")
            problems.append(Problem(person.file, person.line_of("id"), code, f"staff id {person.id}", "id",
                                    params=params))
            duplicated.update((person.id, other.id))
        else:
            by_folded[person.id.casefold()] = person
            by_id[person.id] = person
    for agency in agencies:
        if agency.staff_read:
            _check_agency_people(agency, by_id, duplicated, problems)
    formers: dict[str, Person] = {}
    for person in persons:
        for address in person.former_addresses:
            first = formers.setdefault(address, person)
            if first is not person:
                problems.append(Problem(person.file, person.line_of("former_addresses"), "'%(address)s' is already "
                                        "a former address of id %(other_id)s (%(other_file)s:%(other_line)s)",
                                        f"staff id {person.id}", "former_addresses",
                                        params={"address": address, "other_id": first.id, "other_file": first.file,
                                                "other_line": first.line_of("former_addresses")}))
    pins: dict[str, Person] = {}
    for person in persons:
        if person.address is None:
            continue
        first = pins.get(person.address)
        if first is not None:
            problems.append(Problem(person.file, person.line_of("address"), "'%(address)s' is already pinned "
                                    "by id %(other_id)s (%(other_file)s:%(other_line)s)",
                                    f"staff id {person.id}", "address",
                                    params={"address": person.address, "other_id": first.id,
                                            "other_file": first.file, "other_line": first.line_of("address")}))
        else:
            pins[person.address] = person
        local = person.address.partition("@")[0]
        inner = next((a for a in agencies if a.code != person.agency and a.parent == person.agency
                      and (local == a.code or local.endswith("." + a.code))), None)
        if inner is not None:
            problems.append(Problem(person.file, person.line_of("address"), "'%(address)s' lies among the addresses "
                                    "of the sub-unit '%(code)s' (%(other_file)s): pin it in that file, or "
                                    "choose another", f"staff id {person.id}", "address",
                                    params={"address": person.address, "code": inner.code,
                                            "other_file": inner.file}))


# What can be wrong with a head or a delegate, as the message each of the two gets.
_PEOPLE_PROBLEMS = {
    "head": {
        "unknown": N_("the head '%(id)s' is not a staff id in the roster"),
        "elsewhere": N_("the head '%(id)s' (%(name)s) belongs to agency '%(other)s', not '%(code)s'"),
        "terminated": N_("the head '%(id)s' (%(name)s) is terminated; name a serving person"),
    },
    "delegates": {
        "unknown": N_("delegate '%(id)s' is not a staff id in the roster"),
        "elsewhere": N_("delegate '%(id)s' (%(name)s) belongs to agency '%(other)s', not '%(code)s'"),
        "terminated": N_("delegate '%(id)s' (%(name)s) is terminated; name a serving person"),
    },
}


def _check_agency_people(agency: Agency, by_id: dict[str, Person], duplicated: set[str],
                         problems: list[Problem]) -> None:
    def check(pid: str, field: str) -> Person | None:
        line = agency.fields_line.get(field, agency.line)
        if field == "delegates":
            line = agency.delegate_lines.get(pid, line)
        if pid in duplicated:
            return None  # the duplicate-id error already names both places
        person = by_id.get(pid)
        if person is None:
            wrong, params = "unknown", {"id": pid}
        elif person.agency != agency.code:
            wrong, params = "elsewhere", {"id": pid, "name": person.name, "other": person.agency, "code": agency.code}
        elif person.state == "terminated":
            wrong, params = "terminated", {"id": pid, "name": person.name}
        else:
            return person
        code = _PEOPLE_PROBLEMS[field][wrong]
        problems.append(Problem(agency.file, line, code, "agency", field, params=params))
        return None

    if agency.head is not None:
        head = check(agency.head, "head")
        if head is not None and head.state == "suspended":
            problems.append(Problem(agency.file, agency.fields_line.get("head", agency.line),
                                    "the head '%(id)s' is suspended and cannot open the agency mailbox",
                                    "agency", "head", "warning", {"id": head.id}))
    for pid in agency.delegates:
        check(pid, "delegates")
