"""bao-cao.xlsx, agencies.csv and mailboxes.csv: the report's figures for people who sort and filter.

Both formats come from one list of columns per table, so a CSV and its sheet always agree. Headers are
translated like the rest of the report; values stay plain (numbers are numbers, percentages are
percent with one decimal, sizes are MiB: bytes would be unreadable and GiB too coarse for a mailbox).
A share with a zero denominator is an empty cell. With demo data, every row of the agencies and
mailboxes tables carries a last column saying so, which survives copying rows elsewhere and leaves the
CSV readable by csv.DictReader; the summary sheet says it in its first row and its tab is red.

The workbook is reproducible: its properties are dated by report.generated_at and the zip entries are
rewritten with that date (openpyxl stamps both with the time of the run).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from .document import report_title
from .i18n import (
    ART12_PERIOD_LABELS,
    CLIENT_KINDS,
    CLIENT_LABELS,
    DATA_LANGUAGE,
    LAST_LOGIN_BUCKETS,
    LAST_LOGIN_LABELS,
    N_,
    STATE_LABELS,
    STATES,
    Language,
    share,
)

MIB = 1024 * 1024
FORMATS = {"int": "#,##0", "pct": "0.0", "mib": "#,##0.00", "datetime": "yyyy-mm-dd hh:mm", "text": "@"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
_DEMO_FONT = Font(bold=True, color="B22222")


@dataclass(frozen=True)
class Column:
    header: str  # a msgid
    value: Callable[[dict], object]
    kind: str = "int"  # a key of FORMATS
    width: float | None = None
    header_values: dict | None = None  # %(name)s values of the header, themselves msgids


def _mib(value: int | None) -> float | None:
    return None if value is None else round(value / MIB, 2)


def _local(stamp: str | None) -> dt.datetime | None:
    """A time of report.json as the clock on the wall read it (Excel has no time zones)."""
    return None if stamp is None else dt.datetime.fromisoformat(stamp).replace(tzinfo=None)


def _login_columns() -> list[Column]:
    return [Column(N_("Logins: %(kind)s"), lambda r, k=kind: r["logins"].get(k, 0),
                   header_values={"kind": CLIENT_LABELS[kind]}) for kind in CLIENT_KINDS]


def agency_columns(lang: Language) -> list[Column]:
    _ = lang.gettext
    yes, no = _("yes"), _("no")

    def exceptions(agency: dict) -> str:
        return "; ".join(f"{q['mail']} ({lang.size(q['quota'])}, {q['decision']})" for q in agency["quota_exceptions"])

    return [
        Column(N_("Code"), lambda a: a["code"], "text", 10),
        Column(N_("Agency"), lambda a: a["name"], "text", 40),
        Column(N_("Agency mailbox"), lambda a: a["mail"], "text", 30),
        *(Column(STATE_LABELS[s], lambda a, s=s: a["mailboxes"].get(s, 0)) for s in STATES),
        Column(N_("Created in the period"), lambda a: a["created"]),
        Column(N_("Closed in the period"), lambda a: a["closed"]),
        Column(N_("Logged in"), lambda a: a["logged_in"]),
        Column(N_("Logged in (%%)"), lambda a: a["logged_in_pct"], "pct"),
        *_login_columns(),
        Column(N_("Sent"), lambda a: a["sent"]),
        Column(N_("Recipients of sent messages"), lambda a: a["sent_recipients"]),
        Column(N_("Received"), lambda a: a["received"]),
        Column(N_("Storage used (MiB)"), lambda a: _mib(a["storage"]), "mib"),
        Column(N_("Quota (MiB)"), lambda a: _mib(a["quota"]), "mib"),
        Column(N_("Storage used of quota (%%)"), lambda a: share(a["storage"], a["quota"]), "pct"),
        Column(N_("Quota exceptions"), lambda a: len(a["quota_exceptions"])),
        Column(N_("Quota exceptions and decisions"), exceptions, "text", 40),
        Column(N_("Viruses refused"), lambda a: a["virus_refused"]),
        Column(N_("Spam refused"), lambda a: a["spam_refused"]),
        Column(N_("Suspended for inactivity (Art. 7.2)"), lambda a: a["suspended_inactivity"]),
        Column(N_("Password resets (Art. 6)"), lambda a: a["password_resets"]),
        Column(N_("Art. 12 checks due"), lambda a: a["art12"]["due"]),
        Column(N_("Art. 12 checks done"), lambda a: a["art12"]["done"]),
        Column(N_("Art. 12 compliance (%%)"), lambda a: a["art12"]["compliance_pct"], "pct"),
        Column(N_("Art. 12 below the threshold"), lambda a: yes if a["art12"]["below_threshold"] else no, "text"),
        *(Column(N_("Last login: %(bucket)s"), lambda a, b=b: (a.get("last_login_buckets") or {}).get(b, 0),
                 header_values={"bucket": LAST_LOGIN_LABELS[b]}) for b in LAST_LOGIN_BUCKETS),
    ]


def mailbox_columns(lang: Language, agency_names: dict[str, str]) -> list[Column]:
    _ = lang.gettext
    return [
        Column(N_("Staff id"), lambda m: m["uid"], "text", 12),
        Column(N_("Address"), lambda m: m["mail"], "text", 34),
        Column(N_("Name"), lambda m: m["name"], "text", 26),
        Column(N_("Code"), lambda m: m["agency"], "text", 10),
        Column(N_("Agency"), lambda m: agency_names.get(m["agency"], m["agency"]), "text", 36),
        Column(N_("State"), lambda m: lang.word(STATE_LABELS, m["state"]), "text", 12),
        Column(N_("Quota (MiB)"), lambda m: _mib(m["quota"]), "mib"),
        Column(N_("Storage used (MiB)"), lambda m: _mib(m["storage"]), "mib"),
        Column(N_("Storage used of quota (%%)"), lambda m: m["storage_pct"], "pct"),
        *_login_columns(),
        Column(N_("Last login"), lambda m: _local(m["last_login"]), "datetime", 17),
        Column(N_("Days since last login"), lambda m: m["days_since_login"]),
        Column(N_("Sent"), lambda m: m["sent"]),
        Column(N_("Received"), lambda m: m["received"]),
    ]


def art12_columns(lang: Language, report: dict) -> list[Column]:
    _ = lang.gettext
    yes, no = _("yes"), _("no")
    own_language = lang.code == DATA_LANGUAGE
    labels = {p["key"]: p["label"] if own_language else lang.word(ART12_PERIOD_LABELS, p["key"], p["label"])
              for p in report["art12_settings"]["periods"]}

    def missed(row: dict) -> str:
        return "; ".join(f"{m['day']}: {', '.join(labels.get(p, p) for p in m['periods'])}" for m in row["missed"])

    return [
        Column(N_("Code"), lambda r: r["agency"], "text", 10),
        Column(N_("Agency"), lambda r: r["name"], "text", 36),
        Column(N_("Agency mailbox"), lambda r: r["mail"], "text", 30),
        Column(N_("Month"), lambda r: r["month"], "text", 9),
        Column(N_("Checks due"), lambda r: r["due"]),
        Column(N_("Checks done"), lambda r: r["done"]),
        Column(N_("Compliance (%%)"), lambda r: r["compliance_pct"], "pct"),
        Column(N_("Below the threshold"), lambda r: yes if r["below_threshold"] else no, "text"),
        Column(N_("Missed checks"), missed, "text", 60),
    ]


def _art12_rows(report: dict) -> list[dict]:
    names = {a["code"]: a["name"] for a in report["agencies"]}
    return [dict(month, agency=entry["agency"], name=names.get(entry["agency"], entry["agency"]), mail=entry["mail"])
            for entry in report["art12"] for month in entry["months"]]


def _headers(columns: list[Column], lang: Language) -> list[str]:
    return [lang.gettext(c.header, **{k: lang.gettext(v) for k, v in (c.header_values or {}).items()})
            for c in columns]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def write_csv(columns: list[Column], rows: Iterable[dict], lang: Language, demo: bool) -> bytes:
    """UTF-8 with a BOM, so that Excel reads the Vietnamese letters; CRLF as RFC 4180 says."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    headers = _headers(columns, lang)
    mark = lang.gettext("DEMO DATA")
    writer.writerow(headers + [lang.gettext("Data")] if demo else headers)
    for row in rows:
        values = [_csv_value(c.value(row)) for c in columns]
        writer.writerow(values + [mark] if demo else values)
    return buffer.getvalue().encode("utf-8-sig")


def _cell(sheet, value: object, kind: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if value is not None and kind != "text":
        cell.number_format = FORMATS[kind]
    return cell


def _header_row(sheet, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        cells.append(cell)
    return cells


def _table_sheet(workbook: Workbook, title: str, columns: list[Column], rows: Iterable[dict], lang: Language,
                 demo: bool, freeze: str) -> None:
    sheet = workbook.create_sheet(title)
    headers = _headers(columns, lang)
    if demo:
        headers.append(lang.gettext("Data"))
    for index, column in enumerate(columns, 1):
        width = column.width or max(10, min(18, len(headers[index - 1]) * 0.6))
        sheet.column_dimensions[get_column_letter(index)].width = width
    if demo:
        sheet.column_dimensions[get_column_letter(len(columns) + 1)].width = 20
        sheet.sheet_properties.tabColor = "B22222"
    sheet.freeze_panes = freeze  # the header row (and the key columns) stay in view
    sheet.append(_header_row(sheet, headers))
    mark = lang.gettext("DEMO DATA")
    count = 0
    for row in rows:
        cells = [_cell(sheet, c.value(row), c.kind) for c in columns]
        if demo:
            demo_cell = WriteOnlyCell(sheet, value=mark)
            demo_cell.font = _DEMO_FONT
            cells.append(demo_cell)
        sheet.append(cells)
        count += 1
    # the header's filter buttons, to sort and filter without selecting the table first
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"


def _summary_rows(report: dict, lang: Language) -> list[tuple[str, object, str]]:
    """(label, value, kind) of the summary sheet: the period, then the province's figures."""
    _ = lang.gettext
    t = report["totals"]
    period = report["period"]
    rows: list[tuple[str, object, str]] = []
    if report.get("demo_data"):
        rows.append((_("Data"), _("DEMO DATA"), "text"))
    rows += [
        (_("Report"), report_title(report, lang), "text"),
        (_("Province"), report["province"], "text"),
        (_("Domain"), report["domain"], "text"),
        (_("From"), dt.date.fromisoformat(period["from"]), "date"),
        (_("To"), dt.date.fromisoformat(period["to"]), "date"),
        (_("Working days"), period["working_days"], "int"),
        (_("Made on"), _local(report["generated_at"]), "datetime"),
        (_("Number of agencies"), len(report["agencies"]), "int"),
    ]
    rows += [(_("Mailboxes: %(state)s", state=lang.word(STATE_LABELS, s)), t["mailboxes"].get(s, 0), "int")
             for s in STATES]
    rows += [
        (_("Created in the period"), t["created"], "int"),
        (_("Closed in the period"), t["closed"], "int"),
        (_("Logged in"), t["logged_in"], "int"),
        (_("Logged in (%%)"), t["logged_in_pct"], "pct"),
    ]
    rows += [(_("Logins: %(kind)s", kind=lang.word(CLIENT_LABELS, k)), t["logins"].get(k, 0), "int")
             for k in CLIENT_KINDS]
    rows += [
        (_("Sent"), t["sent"], "int"),
        (_("Recipients of sent messages"), t["sent_recipients"], "int"),
        (_("Received"), t["received"], "int"),
        (_("Storage used (MiB)"), _mib(t["storage"]), "mib"),
        (_("Quota (MiB)"), _mib(t["quota"]), "mib"),
        (_("Storage used of quota (%%)"), share(t["storage"], t["quota"]), "pct"),
        (_("Viruses refused"), t["virus_refused"], "int"),
        (_("Spam refused"), t["spam_refused"], "int"),
        (_("Suspended for inactivity (Art. 7.2)"), t["suspended_inactivity"], "int"),
        (_("Password resets (Art. 6)"), t["password_resets"], "int"),
        (_("Art. 12 compliance (%%)"), t["art12_compliance_pct"], "pct"),
        (_("Art. 12 threshold (%%)"), report["art12_settings"]["threshold_pct"], "pct"),
    ]
    return rows


def _summary_sheet(workbook: Workbook, report: dict, lang: Language) -> None:
    sheet = workbook.create_sheet(lang.gettext("Summary"))
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 60
    sheet.freeze_panes = "A2"
    if report.get("demo_data"):
        sheet.sheet_properties.tabColor = "B22222"
    sheet.append(_header_row(sheet, [lang.gettext("Item"), lang.gettext("Value")]))
    for label, value, kind in _summary_rows(report, lang):
        cell = WriteOnlyCell(sheet, value=value)
        if kind == "date":
            cell.number_format = "yyyy-mm-dd"
        elif value is not None and kind != "text":
            cell.number_format = FORMATS[kind]
        cell.alignment = Alignment(horizontal="left")
        if label == lang.gettext("Data"):
            cell.font = _DEMO_FONT
        sheet.append([label, cell])


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same zip with every entry dated `when`, in a fixed order: the same report gives the same file."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()


def write_xlsx(report: dict, lang: Language) -> bytes:
    _ = lang.gettext
    demo = bool(report.get("demo_data"))
    names = {a["code"]: a["name"] for a in report["agencies"]}
    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, report, lang)
    _table_sheet(workbook, _("Agencies"), agency_columns(lang), report["agencies"], lang, demo, "C2")
    _table_sheet(workbook, _("Mailboxes"), mailbox_columns(lang, names), report["mailboxes"], lang, demo, "C2")
    _table_sheet(workbook, _("Art. 12"), art12_columns(lang, report), _art12_rows(report), lang, demo, "C2")

    generated = dt.datetime.fromisoformat(report["generated_at"])
    utc = generated.astimezone(dt.UTC).replace(tzinfo=None)
    props = workbook.properties
    props.creator = props.lastModifiedBy = "congvu-mail"
    props.created = props.modified = utc
    props.title = report_title(report, lang)
    props.subject = f"{report['province']} {report['period']['from']} {report['period']['to']}"
    props.keywords = _("DEMO DATA") if demo else None
    props.language = lang.code

    # ExcelWriter rather than Workbook.save, which would stamp `modified` with the time of the run.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return _fixed_zip(buffer.getvalue(), generated.replace(tzinfo=None))


def write_agencies_csv(report: dict, lang: Language) -> bytes:
    return write_csv(agency_columns(lang), report["agencies"], lang, bool(report.get("demo_data")))


def write_mailboxes_csv(report: dict, lang: Language) -> bytes:
    names = {a["code"]: a["name"] for a in report["agencies"]}
    return write_csv(mailbox_columns(lang, names), report["mailboxes"], lang, bool(report.get("demo_data")))
