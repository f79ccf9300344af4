"""The report's charts as SVG text, drawn with matplotlib (Agg, no pyplot, so no global figure state).

Every chart is inlined in index.html and in the HTML WeasyPrint turns into the PDF, so:
- the glyphs are paths (svg.fonttype "path"): the Vietnamese letters look the same in any browser and
  in the PDF, with no font to fetch;
- the ids are prefixed per chart: several SVGs share one HTML document, whose ids must be unique;
- the output is stable: a fixed svg.hashsalt, no date, no RDF metadata (it would also carry
  http:// namespace URIs that look like outside references).
Captions are not drawn: they are HTML text, translated and searchable, in the template.
"""

from __future__ import annotations

import io
import re
import textwrap

import matplotlib

matplotlib.use("Agg")  # the controller has no display; set before anything draws

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from .i18n import CLIENT_KINDS, CLIENT_LABELS, Language, share  # noqa: E402

# At most this many agencies in one ranking chart: a longer chart would not fit an A4 page.
RANKING_CHUNK = 35

_RC = {
    "svg.hashsalt": "congvu-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}
_BLUE, _ORANGE, _GREEN, _GREY, _RED = "#1f4e79", "#d9822b", "#3a7d44", "#8c8c8c", "#b22222"
_KIND_COLOURS = {"imap": _BLUE, "pop3": _GREY, "submission": _ORANGE, "webmail": _GREEN}


_ROOT_STYLE = "stroke-linejoin: round; stroke-linecap: butt"  # what matplotlib's SVG sets for every element


def _attributes(style: str) -> str:
    """`fill: none; stroke: #000` -> `fill="none" stroke="#000"` (SVG presentation attributes)."""
    pairs = (item.split(":", 1) for item in style.split(";") if ":" in item)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)


def _svg(figure: Figure, prefix: str) -> str:
    buffer = io.StringIO()
    # transparent: the page is white anyway, and the watermark of demo data shows through the charts
    figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    text = buffer.getvalue()
    # Inline SVG needs neither the XML declaration nor the DOCTYPE (which names a DTD by URL).
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    # Styles as presentation attributes: in an HTML document, a style attribute or a <style> element is
    # the page's CSS too (WeasyPrint reads each fill and stroke as an unknown property of the page, and
    # the global *{...} rule would reach every element of it).
    text = re.sub(r'style="([^"]*)"', lambda m: _attributes(m.group(1)), text)
    text = re.sub(r"\s*<style[^>]*>\*\{([^}]*)\}</style>", "", text, count=1)
    text = text.replace("<svg ", f"<svg {_attributes(_ROOT_STYLE)} ", 1)
    text = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    # A size in pt fixes the width in the PDF; the CSS gives the width, the viewBox keeps the shape.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart"', text, count=1)
    return text.strip() + "\n"


def _integer_axis(axis, lang: Language) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: lang.number(int(value))))


def monthly_trend(report: dict, lang: Language) -> str | None:
    """Two panels over the months: who logged in (bars), messages sent and received (lines)."""
    months = report["monthly"]
    if not months:
        return None
    _ = lang.gettext
    labels = [lang.month(row["month"]) for row in months]
    positions = list(range(len(months)))
    with rc_context(_RC):
        figure = Figure(figsize=(7.2, 4.6), layout="constrained")
        top, bottom = figure.subplots(2, 1, sharex=True)
        users = [row["users_logged_in"] for row in months]
        bars = top.bar(positions, users, color=_BLUE, width=0.6)
        top.bar_label(bars, labels=[lang.number(n) for n in users], fontsize=7, padding=2)
        top.set_ylabel(_("Users who logged in"))
        top.set_ylim(0, max(users + [1]) * 1.18)
        _integer_axis(top.yaxis, lang)
        bottom.plot(positions, [row["sent"] for row in months], marker="o", color=_ORANGE, label=_("Sent"))
        bottom.plot(positions, [row["received"] for row in months], marker="s", color=_BLUE,
                    label=_("Received"))
        bottom.set_ylabel(_("Messages"))
        bottom.set_ylim(bottom=0)
        bottom.legend(loc="upper left", frameon=False, ncols=2)
        _integer_axis(bottom.yaxis, lang)
        bottom.set_xticks(positions, labels, rotation=45 if len(months) > 8 else 0,
                          ha="right" if len(months) > 8 else "center")
        for axes in (top, bottom):
            axes.grid(axis="y", color="#dddddd", linewidth=0.6)
            axes.set_axisbelow(True)
        return _svg(figure, "trend")


def _short(name: str, width: int = 42) -> str:
    return textwrap.shorten(name, width=width, placeholder="\u2026")


def agencies_ranked(report: dict, lang: Language) -> list[str]:
    """Agencies by the share of their mailboxes that logged in, highest first, in page-sized charts.

    Agencies with no mailbox (a null share) come last, drawn as an empty bar marked with a dash.
    """
    agencies = sorted(report["agencies"],
                      key=lambda a: (a["logged_in_pct"] is None, -(a["logged_in_pct"] or 0), a["name"]))
    charts = []
    for start in range(0, len(agencies), RANKING_CHUNK):
        chunk = agencies[start:start + RANKING_CHUNK]
        with rc_context(_RC):
            figure = Figure(figsize=(7.2, 0.9 + 0.24 * len(chunk)), layout="constrained")
            axes = figure.subplots()
            rows = list(range(len(chunk)))
            shares = [a["logged_in_pct"] or 0 for a in chunk]
            bars = axes.barh(rows, shares, color=_BLUE, height=0.65)
            axes.bar_label(bars, labels=[lang.pct(a["logged_in_pct"]) for a in chunk], fontsize=7, padding=2)
            axes.set_yticks(rows, [f"{start + i + 1}. {_short(a['name'])}" for i, a in enumerate(chunk)],
                            fontsize=8)
            axes.invert_yaxis()
            axes.set_xlim(0, 110)
            axes.set_xticks([0, 20, 40, 60, 80, 100])
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{int(value)}%"))
            axes.set_xlabel(lang.gettext("Share of mailboxes that logged in"))
            axes.grid(axis="x", color="#dddddd", linewidth=0.6)
            axes.set_axisbelow(True)
            charts.append(_svg(figure, f"rank{start // RANKING_CHUNK + 1}"))
    return charts


def client_kinds(report: dict, lang: Language) -> str | None:
    """Logins of the period by kind of client, with their share."""
    logins = report["totals"]["logins"]
    total = sum(logins.get(kind, 0) for kind in CLIENT_KINDS)
    if not total:
        return None
    with rc_context(_RC):
        figure = Figure(figsize=(7.2, 2.2), layout="constrained")
        axes = figure.subplots()
        rows = list(range(len(CLIENT_KINDS)))
        counts = [logins.get(kind, 0) for kind in CLIENT_KINDS]
        bars = axes.barh(rows, counts, color=[_KIND_COLOURS[k] for k in CLIENT_KINDS], height=0.6)
        axes.bar_label(bars, labels=[f"{lang.number(n)} ({lang.pct(share(n, total))})" for n in counts],
                       fontsize=8, padding=3)
        axes.set_yticks(rows, [lang.word(CLIENT_LABELS, k) for k in CLIENT_KINDS])
        axes.invert_yaxis()
        axes.set_xlim(0, max(counts) * 1.3)
        axes.set_xlabel(lang.gettext("Logins"))
        _integer_axis(axes.xaxis, lang)
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        return _svg(figure, "clients")


def all_charts(report: dict, lang: Language) -> dict[str, object]:
    return {
        "trend": monthly_trend(report, lang),
        "ranked": agencies_ranked(report, lang),
        "clients": client_kinds(report, lang),
    }
