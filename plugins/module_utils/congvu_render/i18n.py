"""What people read, in their language: the message catalogs and the formats of numbers and dates.

The catalogs are the .po files under assets/locale/<lang>/LC_MESSAGES/congvu.po (msgid in English, msgstr
in each language). They are compiled in memory at every run, so git holds no .mo file that could drift
from its .po. Number, date and size formats follow the language through Babel; the date patterns
themselves are catalog entries, so that a translator chooses how a date reads.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import os
from dataclasses import dataclass

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

DOMAIN = "congvu"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
# report.json carries names, the title and the Art. 12 period labels in Vietnamese: in that language they
# are shown as they are, in any other the catalog's translation (by key) takes their place.
DATA_LANGUAGE = "vi"
DASH = "\u2014"  # a share with a zero denominator (null in report.json)

_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def N_(message: str) -> str:
    """Mark a msgid for the catalogs where it is defined; it is translated where it is shown."""
    return message


# The words of report.json's codes. N_ only marks them for the catalogs; they are translated when shown.
STATES = ("active", "suspended", "terminated")
STATE_LABELS = {"active": N_("Active"), "suspended": N_("Suspended"), "terminated": N_("Closed")}
CLIENT_KINDS = ("imap", "pop3", "submission", "webmail")
CLIENT_LABELS = {"imap": N_("IMAP"), "pop3": N_("POP3"), "submission": N_("SMTP submission"),
                 "webmail": N_("Webmail")}
LAST_LOGIN_BUCKETS = ("0-7", "8-30", "31-90", "over-90", "never")
LAST_LOGIN_LABELS = {"0-7": N_("0 to 7 days ago"), "8-30": N_("8 to 30 days ago"),
                     "31-90": N_("31 to 90 days ago"), "over-90": N_("Over 90 days ago"), "never": N_("Never")}
# Art. 12's periods by their key in the settings; an unknown key shows the label of the settings.
ART12_PERIOD_LABELS = {"sang_dau": N_("Start of the morning"), "sang_cuoi": N_("End of the morning"),
                       "chieu_dau": N_("Start of the afternoon"), "chieu_cuoi": N_("End of the afternoon")}


def share(part: int | None, whole: int | None) -> float | None:
    """A percentage the renderers compute themselves (storage of an agency, a kind of client), rounded as
    report.json rounds its own: one decimal, halves up, in integers; None when the whole is zero."""
    if not whole or part is None:
        return None
    return (2000 * part + whole) // (2 * whole) / 10


def catalog_path(assets_dir: str, language: str) -> str:
    return os.path.join(assets_dir, "locale", language, "LC_MESSAGES", f"{DOMAIN}.po")


def load_translations(assets_dir: str, language: str) -> gettext.GNUTranslations:
    """Read the .po of `language` and compile it in memory (fuzzy entries are left out, as msgfmt does)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    with open(catalog_path(assets_dir, language), "rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass
class Language:
    """A language's catalog and formats, handed to the template and to every renderer."""

    code: str
    translations: gettext.GNUTranslations

    @classmethod
    def load(cls, assets_dir: str, code: str = DEFAULT_LANGUAGE) -> Language:
        return cls(code, load_translations(assets_dir, code))

    def gettext(self, message: str, **values: object) -> str:
        """Translate and fill %(name)s; like Jinja's newstyle gettext, a literal percent is written %%."""
        return self.translations.gettext(message) % values

    _ = gettext

    def word(self, labels: dict[str, str], key: str, default: str | None = None) -> str:
        """The translation of a code of report.json (a state, a kind of client); an unknown code as it is."""
        if key in labels:
            return self.translations.gettext(labels[key])
        return key if default is None else default

    # -- numbers -------------------------------------------------------------------------------------

    def number(self, value: int | float | None) -> str:
        if value is None:
            return DASH
        if isinstance(value, float) and not value.is_integer():
            return format_decimal(value, format="#,##0.0", locale=self.code)
        return format_decimal(int(value), format="#,##0", locale=self.code)

    def pct(self, value: float | None) -> str:
        """A share already in percent (91.7), with one decimal as report.json rounds it."""
        if value is None:
            return DASH
        return format_decimal(value, format="#,##0.0", locale=self.code) + "%"

    def size(self, value: int | None) -> str:
        """Bytes in binary units (the quotas of Art. 9 are binary: 2 GiB)."""
        if value is None:
            return DASH
        amount, unit = float(value), 0
        while amount >= 1024 and unit < len(_SIZE_UNITS) - 1:
            amount /= 1024
            unit += 1
        pattern = "#,##0" if unit == 0 else "#,##0.#"
        return f"{format_decimal(amount, format=pattern, locale=self.code)} {_SIZE_UNITS[unit]}"

    # -- dates: the patterns are catalog entries (msgid = the English pattern) -------------------------

    def date(self, day: str | dt.date | None) -> str:
        if day is None:
            return DASH
        value = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return format_date(value, self.translations.gettext("d MMM yyyy"), locale=self.code)

    def long_date(self, day: str | dt.date) -> str:
        """The date line of a formal document ("ngày 05 tháng 12 năm 2026")."""
        value = dt.date.fromisoformat(day[:10]) if isinstance(day, str) else day
        return format_date(value, self.translations.gettext("MMMM d, yyyy"), locale=self.code)

    def month(self, month: str) -> str:
        """`YYYY-MM` as a reader writes a month."""
        value = dt.date.fromisoformat(f"{month}-01")
        return format_date(value, self.translations.gettext("MMM yyyy"), locale=self.code)

    def datetime(self, stamp: str | None) -> str:
        """An ISO time of report.json, in its own offset (Asia/Ho_Chi_Minh), without the offset."""
        if stamp is None:
            return DASH
        value = dt.datetime.fromisoformat(stamp)
        return format_datetime(value.replace(tzinfo=None), self.translations.gettext("d MMM yyyy HH:mm"),
                               locale=self.code)
