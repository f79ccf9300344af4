"""The report's message catalogs (plugins/module_utils/congvu_render/assets/locale/*/LC_MESSAGES/congvu.po).

What a reader sees comes from these catalogs: every string the template and the code ask for must be in
both languages, translated, with the same placeholders; no string may linger that nothing asks for.
The strings asked for are found the way a translator's tools find them: Babel's extractors over the
Python files (_(), gettext(), N_()) and Jinja2's over the template.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from congvu_render.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language
from jinja2.ext import babel_extract

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "module_utils" / "congvu_render"
ASSETS = PACKAGE / "assets"
KEYWORDS = {"_": None, "gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@functools.cache
def catalog(language):
    with open(ASSETS / "locale" / language / "LC_MESSAGES" / "congvu.po", "rb") as handle:
        return read_po(handle, locale=language, domain="congvu")


def messages(language) -> dict[str, object]:
    return {m.id: m for m in catalog(language) if m.id}


@functools.cache
def used() -> dict[str, str]:
    """msgid -> where it is first asked for."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        with open(path, "rb") as handle:
            for line, message, _comments, _context in extract("python", handle, keywords=KEYWORDS):
                found.setdefault(message, f"{path.name}:{line}")
    template = ASSETS / "report.html.j2"
    with open(template, "rb") as handle:
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "silent": "false"}
        for line, message, _comments, _context in extract(babel_extract, handle, keywords=KEYWORDS,
                                                          options=options):
            found.setdefault(message, f"{template.name}:{line}")
    return found


def placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def test_the_default_language_is_vietnamese_and_every_language_has_a_catalog():
    assert DEFAULT_LANGUAGE == "vi"
    assert set(LANGUAGES) == {p.name for p in (ASSETS / "locale").iterdir()}
    for language in LANGUAGES:
        assert catalog(language).locale.language == language


def test_no_compiled_catalog_in_the_tree():
    """The .po files are compiled in memory at run time; a .mo in git would drift from its .po."""
    assert not list(ASSETS.rglob("*.mo"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    entries = messages(language)
    assert entries
    for msgid, message in entries.items():
        assert isinstance(message.string, str) and message.string.strip(), f"{language}: {msgid!r} has no msgstr"
        assert not message.fuzzy, f"{language}: {msgid!r} is fuzzy, so it would not be used"
    assert not catalog(language).obsolete, f"{language}: obsolete (#~) entries"


def test_both_catalogs_have_the_same_messages():
    assert set(messages("vi")) == set(messages("en"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_the_same_on_both_sides(language):
    for msgid, message in messages(language).items():
        assert placeholders(message.string) == placeholders(msgid), f"{language}: {msgid!r} -> {message.string!r}"
        # a literal percent is written %% on both sides (the strings are %-formatted, even with no value)
        assert message.string.count("%%") == msgid.count("%%"), f"{language}: {msgid!r}"
        values = dict.fromkeys(placeholders(msgid), "x")
        message.string % values  # no stray % that would raise at run time


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_hold_no_markup(language):
    """The template marks translations safe (Jinja's newstyle gettext); only the values are escaped."""
    for msgid, message in messages(language).items():
        assert not re.search(r"[<>&]", message.string), f"{language}: {msgid!r} -> {message.string!r}"


def test_every_string_asked_for_is_in_the_catalogs():
    asked = used()
    assert len(asked) > 100  # the extractors did find the strings
    for language in LANGUAGES:
        missing = sorted(f"{where}: {msgid!r}" for msgid, where in asked.items() if msgid not in messages(language))
        assert not missing, f"{language}: not in the catalog:\n" + "\n".join(missing)


def test_no_string_in_the_catalogs_is_unused():
    asked = used()
    assert sorted(set(messages("vi")) - set(asked)) == []


def test_the_date_patterns_of_each_language():
    day = dt.date(2026, 6, 1)
    vi = Language.load(str(ASSETS), "vi")
    en = Language.load(str(ASSETS), "en")
    assert vi.date(day) == "01/06/2026" and en.date(day) == "1 Jun 2026"
    assert vi.long_date("2026-12-05T10:00:00+07:00") == "ngày 05 tháng 12 năm 2026"
    assert en.long_date("2026-12-05T10:00:00+07:00") == "December 5, 2026"
    assert vi.month("2026-07") == "07/2026" and en.month("2026-07") == "Jul 2026"
    assert vi.datetime("2026-11-28T08:01:00+07:00") == "08:01 ngày 28/11/2026"
    assert vi.number(1234567) == "1.234.567" and en.number(1234567) == "1,234,567"
    assert vi.pct(91.7) == "91,7%" and vi.pct(None) == "—"
    assert vi.size(5 * 1024**3) == "5 GiB" and en.size(1288490189) == "1.2 GiB"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Language.load(str(ASSETS), "fr")
