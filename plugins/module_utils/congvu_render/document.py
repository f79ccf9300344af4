"""index.html and bao-cao.pdf: one Jinja2 template, rendered once; WeasyPrint prints that same HTML.

The HTML is self-contained (CSS in <style>, charts as inline SVG, no script, a Content-Security-Policy
that forbids fetching anything), so index.html can be mailed or opened from a USB stick. The print
rules (A4, page numbers, the watermark of demo data) are @page and @media print rules of report.css;
WeasyPrint's URL fetcher is limited to data: URLs so that rendering the PDF never goes on the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import charts
from .i18n import (
    ART12_PERIOD_LABELS,
    CLIENT_KINDS,
    CLIENT_LABELS,
    DATA_LANGUAGE,
    LAST_LOGIN_BUCKETS,
    LAST_LOGIN_LABELS,
    STATE_LABELS,
    STATES,
    Language,
    share,
)

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


def report_title(report: dict, lang: Language) -> str:
    """The title of report.json in its own language, the catalog's in any other."""
    if lang.code == DATA_LANGUAGE:
        return report["title"]
    return lang.gettext("Report on the use of the official e-mail system")


def environment(assets_dir: str, lang: Language) -> Environment:
    env = Environment(
        loader=FileSystemLoader(assets_dir),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # newstyle: _("... %(name)s", name=value) escapes the values; a literal percent is written %%.
    env.install_gettext_translations(lang.translations, newstyle=True)
    return env


def _css_content(text: str) -> Markup:
    """A translated line with %(page)s / %(pages)s as the value of a CSS `content` property."""
    parts = []
    for token in re.split(r"(%\((?:page|pages)\)s)", text):
        if token == "%(page)s":
            parts.append("counter(page)")
        elif token == "%(pages)s":
            parts.append("counter(pages)")
        elif token:
            escaped = token.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
            parts.append(f'"{escaped}"')
    return Markup(" ".join(parts) or '""')


def _pairs(items: list[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[str, str] | None]]:
    """Figures two by two, for the four-column tables that keep an agency on a few lines."""
    return [(items[i], items[i + 1] if i + 1 < len(items) else None) for i in range(0, len(items), 2)]


def figure_groups(entity: dict, lang: Language, *, agency: bool) -> list[dict]:
    """The figures of the province (report.totals) or of one agency, grouped as the report prints them."""
    _ = lang.gettext
    n, pct, size = lang.number, lang.pct, lang.size
    boxes = entity["mailboxes"]
    groups = [
        (_("Mailboxes"), [
            *((lang.word(STATE_LABELS, state), n(boxes.get(state, 0))) for state in STATES),
            (_("Created in the period"), n(entity["created"])),
            (_("Closed in the period"), n(entity["closed"])),
            (_("Logged in during the period"),
             _("%(count)s (%(share)s)", count=n(entity["logged_in"]), share=pct(entity["logged_in_pct"]))),
        ]),
        (_("Logins by kind of client"),
         [(lang.word(CLIENT_LABELS, kind), n(entity["logins"].get(kind, 0))) for kind in CLIENT_KINDS]),
        (_("Messages"), [
            (_("Sent"), n(entity["sent"])),
            (_("Recipients of sent messages"), n(entity["sent_recipients"])),
            (_("Received"), n(entity["received"])),
        ]),
        (_("Storage"), [
            (_("Used"), size(entity["storage"])),
            (_("Quota"), size(entity["quota"])),
            (_("Used of quota"), pct(share(entity["storage"], entity["quota"]))),
        ]),
        (_("Security and administration"), [
            (_("Viruses refused"), n(entity["virus_refused"])),
            (_("Spam refused"), n(entity["spam_refused"])),
            (_("Suspended for inactivity (Art. 7.2)"), n(entity["suspended_inactivity"])),
            (_("Password resets (Art. 6)"), n(entity["password_resets"])),
        ]),
    ]
    if agency:
        art12 = entity["art12"]
        verdict = _("below the threshold") if art12["below_threshold"] else _("at or above the threshold")
        groups.append((_("Agency mailbox checks (Art. 12)"), [
            (_("Checks due"), n(art12["due"])),
            (_("Checks done"), n(art12["done"])),
            (_("Compliance"), _("%(share)s, %(verdict)s", share=pct(art12["compliance_pct"]), verdict=verdict)),
        ]))
        buckets = entity.get("last_login_buckets") or {}
        groups.append((_("Last login before the end of the period"),
                       [(lang.word(LAST_LOGIN_LABELS, b), n(buckets.get(b, 0))) for b in LAST_LOGIN_BUCKETS]))
    else:
        groups.append((_("Agency mailbox checks (Art. 12)"), [
            (_("Compliance, all agencies"), pct(entity["art12_compliance_pct"])),
        ]))
    return [{"title": title, "rows": _pairs(items)} for title, items in groups]


def _as_of(period: dict) -> str | None:
    """The last day counted when the report was built before its period ended (docs/reports-data.md)."""
    as_of = period.get("as_of")
    return as_of if as_of and as_of != period["to"] else None


def context(report: dict, lang: Language, chart_svgs: dict | None = None) -> dict:
    """Everything the template shows, already translated and formatted."""
    settings = report["art12_settings"]
    own_language = lang.code == DATA_LANGUAGE
    periods = [
        {"label": p["label"] if own_language else lang.word(ART12_PERIOD_LABELS, p["key"], p["label"]),
         "start": p["start"], "end": p["end"]}
        for p in settings["periods"]
    ]
    art12_by_agency = {entry["agency"]: entry for entry in report["art12"]}
    names = {a["code"]: a["name"] for a in report["agencies"]}
    agencies = []
    for agency in report["agencies"]:
        agencies.append({
            "agency": agency,
            "groups": figure_groups(agency, lang, agency=True),
            "storage_pct": share(agency["storage"], agency["quota"]),
            "art12_months": (art12_by_agency.get(agency["code"]) or {}).get("months", []),
        })
    return {
        "report": report,
        "lang": lang,
        "demo": bool(report.get("demo_data")),
        "title": report_title(report, lang),
        "as_of": _as_of(report["period"]),
        "periods": periods,
        "threshold": settings["threshold_pct"],
        "province_groups": figure_groups(report["totals"], lang, agency=False),
        "agencies": agencies,
        "below_threshold": [dict(row, name=names.get(row["agency"], row["agency"]))
                            for row in report["below_threshold"]],
        "charts": chart_svgs if chart_svgs is not None else charts.all_charts(report, lang),
        # raw translations: their placeholders become CSS counters, not Python values
        "page_footer": _css_content(lang.translations.gettext("Page %(page)s of %(pages)s")),
        "demo_footer": _css_content(lang.translations.gettext("DEMO DATA")),
        "n": lang.number,
        "pct": lang.pct,
        "size": lang.size,
        "date": lang.date,
        "month": lang.month,
        "datetime": lang.datetime,
        "long_date": lang.long_date,
    }


def render_html(report: dict, lang: Language, assets_dir: str, chart_svgs: dict | None = None) -> str:
    env = environment(assets_dir, lang)
    with open(f"{assets_dir}/{STYLESHEET}", encoding="utf-8") as handle:
        css = Markup(handle.read())
    return env.get_template(TEMPLATE).render(css=css, **context(report, lang, chart_svgs))


@contextlib.contextmanager
def _source_date(epoch: int):
    """SOURCE_DATE_EPOCH for the time of a block: fontTools dates the font subsets WeasyPrint embeds
    with it (without libharfbuzz-subset it subsets with fontTools, which stamps them with the clock)."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def render_pdf(html: str, generated_at: str) -> bytes:
    """Print the HTML of index.html (its print CSS) to PDF bytes; the PDF's dates come from its <meta> tags,
    the embedded fonts' from `generated_at`, so the same report gives the same file."""
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    with _source_date(int(dt.datetime.fromisoformat(generated_at).timestamp())):
        return HTML(string=html, url_fetcher=fetcher, media_type="print").write_pdf()
