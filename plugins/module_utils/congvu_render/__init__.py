"""The report's renderers (Art. 14.6, 16.9): report.json -> PDF, HTML, XLSX, CSV.

An adapter beside the policy core (plugins/module_utils/congvu): it does file formats and layout, and
decides nothing about the figures, which report.json fixes (docs/reports-data.md, section 2).

i18n.py      the message catalogs (assets/locale/*/LC_MESSAGES/congvu.po) and number/date formats
charts.py    the charts, as SVG (matplotlib)
document.py  index.html (Jinja2) and bao-cao.pdf (WeasyPrint, from the same HTML)
sheets.py    bao-cao.xlsx (openpyxl), agencies.csv, mailboxes.csv

`render_all` returns every file as bytes; writing them is the caller's (the Ansible module writes them
atomically). The assets folder is passed in, since an AnsiballZ payload carries Python files only.
"""

from __future__ import annotations

import json

from . import charts, document, sheets
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, Language

SCHEMA = 1
PDF, HTML, XLSX, AGENCIES_CSV, MAILBOXES_CSV, REPORT_JSON = (
    "bao-cao.pdf", "index.html", "bao-cao.xlsx", "agencies.csv", "mailboxes.csv", "report.json")
FILES = (PDF, HTML, XLSX, AGENCIES_CSV, MAILBOXES_CSV, REPORT_JSON)

# What the renderers read of report.json: checked first, so that a producer that drifts from the
# contract fails with the missing key's path instead of a KeyError deep in a template.
_REQUIRED = {
    "": ("schema", "title", "province", "domain", "period", "generated_at", "art12_settings", "totals",
         "agencies", "art12", "below_threshold", "monthly", "mailboxes", "quality"),
    "period": ("from", "to", "working_days"),
    "art12_settings": ("periods", "threshold_pct"),
    "totals": ("mailboxes", "created", "closed", "logged_in", "logged_in_pct", "logins", "sent",
               "sent_recipients", "received", "storage", "quota", "virus_refused", "spam_refused",
               "suspended_inactivity", "password_resets", "art12_compliance_pct"),
    "quality": ("lines", "malformed", "unknown"),
}
_AGENCY = ("code", "name", "mail", "mailboxes", "created", "closed", "logged_in", "logged_in_pct", "logins",
           "sent", "sent_recipients", "received", "storage", "quota", "quota_exceptions", "virus_refused",
           "spam_refused", "suspended_inactivity", "password_resets", "art12")
_MAILBOX = ("uid", "mail", "name", "agency", "state", "quota", "storage", "storage_pct", "logins", "last_login",
            "days_since_login", "sent", "received")
_MONTH = ("month", "logins", "users_logged_in", "sent", "received")


class ReportError(ValueError):
    """report.json is not what docs/reports-data.md describes."""


def _missing(obj: object, keys: tuple[str, ...], where: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where or 'report'}: not an object"]
    return [f"{where}.{key}" if where else key for key in keys if key not in obj]


def check_report(report: object) -> None:
    """Raise ReportError naming every key the renderers need and report.json lacks."""
    if not isinstance(report, dict):
        raise ReportError("report.json: not a JSON object")
    if report.get("schema") != SCHEMA:
        raise ReportError(f"report.json: schema {report.get('schema')!r}, this renderer reads schema {SCHEMA}")
    problems = []
    for section, keys in _REQUIRED.items():
        problems += _missing(report.get(section) if section else report, keys, section)
    for name, keys in (("agencies", _AGENCY), ("mailboxes", _MAILBOX), ("monthly", _MONTH)):
        rows = report.get(name)
        if not isinstance(rows, list):
            continue
        for index, row in enumerate(rows):
            problems += _missing(row, keys, f"{name}[{index}]")
            if len(problems) > 20:
                break
    if problems:
        raise ReportError("report.json lacks " + ", ".join(problems[:20]) + (" ..." if len(problems) > 20 else ""))


def load_report(raw: bytes) -> dict:
    try:
        report = json.loads(raw)
    except ValueError as exc:
        raise ReportError(f"report.json is not JSON: {exc}") from None
    check_report(report)
    return report


def render_all(raw_json: bytes, assets_dir: str, language: str = DEFAULT_LANGUAGE,
               formats: tuple[str, ...] = FILES) -> dict[str, bytes]:
    """Every file of the report folder, name -> content; report.json is the input, byte for byte."""
    report = load_report(raw_json)
    lang = Language.load(assets_dir, language)
    out: dict[str, bytes] = {}
    if PDF in formats or HTML in formats:
        html = document.render_html(report, lang, assets_dir, charts.all_charts(report, lang))
        if PDF in formats:
            out[PDF] = document.render_pdf(html, report["generated_at"])
        if HTML in formats:
            out[HTML] = html.encode("utf-8")
    if XLSX in formats:
        out[XLSX] = sheets.write_xlsx(report, lang)
    if AGENCIES_CSV in formats:
        out[AGENCIES_CSV] = sheets.write_agencies_csv(report, lang)
    if MAILBOXES_CSV in formats:
        out[MAILBOXES_CSV] = sheets.write_mailboxes_csv(report, lang)
    if REPORT_JSON in formats:
        out[REPORT_JSON] = raw_json
    return {name: out[name] for name in FILES if name in out}


__all__ = ["FILES", "LANGUAGES", "ReportError", "check_report", "load_report", "render_all"]
