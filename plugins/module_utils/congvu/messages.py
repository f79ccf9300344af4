"""What people read from the roster flow, in their language (docs/translations.md).

A message is an id and named values: the id is the English text with `%(name)s` placeholders (the msgid of
the catalogs), the values are plain data (text, numbers) or, for a part that is itself a sentence, another
message (`{"code": msgid, "params": {...}}`) or a list of them. Nothing is translated where a message is
made; it is turned into text when it is shown, in the language asked for.

The translations come from the gettext catalogs `locale/<lang>/LC_MESSAGES/roster.po` beside this file,
through `catalog_roster.py`, a plain-Python copy that `tools/make_roster_catalog.py` generates from them
(the roster module runs on the directory host, where Ansible ships only the .py files of module_utils and
Babel is absent). Plain Python, no I/O: the catalogs are data shipped as code, so they stay in the core
(the report renderer's catalogs, read from .po files at run time, are in its adapter congvu_render).
"""

from __future__ import annotations

import re

from .catalog_roster import LANGUAGES, MESSAGES

DEFAULT_LANGUAGE = "vi"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def N_(msgid: str) -> str:
    """Mark a msgid for the catalogs where it is defined; it is translated where it is shown."""
    return msgid


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return language


def tr(msgid: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The message `msgid` in `language`, its placeholders filled with `params`."""
    return render(msgid, params, language)


def render(msgid: str, params: dict | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """Like tr(), with the values as a mapping (as a Problem or plan.json carries them).

    An id missing from the catalogs is shown as it is (in English): a message added to the code before
    its translation still reads, and the unit tests fail until the catalogs have it."""
    template = (MESSAGES.get(msgid) or {}).get(language) or msgid
    values = {name: _value(name, value, language) for name, value in (params or {}).items()}
    try:
        return template % values
    except (KeyError, TypeError, ValueError):  # a msgid unknown to the catalogs, with a stray %
        return template


def _value(name: str, value: object, language: str) -> str:
    if isinstance(value, dict) and "code" in value:
        return render(value["code"], value.get("params"), language)
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(name, item, language) for item in value)
    if value is None:
        return render(N_("none"), None, language)
    if name.endswith("date") and isinstance(value, str):
        return format_date(value, language)
    return str(value)


def format_date(day: str, language: str = DEFAULT_LANGUAGE) -> str:
    """An ISO date as a reader of the language writes it: 05/12/2026 in Vietnamese, 2026-12-05 in English."""
    match = _ISO_DATE.match(day)
    if not match:
        return day
    year, month, date = match.groups()
    return render(N_("%(year)s-%(month)s-%(day)s"), {"year": year, "month": month, "day": date}, language)


def message(msgid: str, **params: object) -> dict:
    """A message as a value of another message's placeholder (kept untranslated until shown)."""
    return {"code": msgid, "params": params}


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


_PATTERNS: list[tuple[re.Pattern, str]] | None = None


def parse(text: str) -> tuple[str, dict[str, str]] | None:
    """The msgid and values an English text was made from, or None: for texts kept as English data (the
    `reason` of a plan.json item) that a person reads in another language."""
    global _PATTERNS
    if text in MESSAGES:
        return text, {}
    if _PATTERNS is None:
        patterns = []
        for msgid in MESSAGES:
            parts = _PLACEHOLDER.split(msgid.replace("%%", "%"))
            fixed = "".join(parts[::2])
            # a template that is all placeholders and punctuation (`%(count)s %(action)s`) would read any
            # text as itself: only templates with words of their own are read back
            if len(parts) == 1 or len(re.findall(r"[^\W\d_]", fixed)) < 3:
                continue
            regex, seen = "", set()
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    regex += re.escape(part)
                else:  # a placeholder used twice must hold the same text twice
                    regex += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
                    seen.add(part)
            patterns.append((len(fixed), msgid, re.compile(regex + r"\Z", re.DOTALL)))
        # the longest fixed text first: a template of mostly placeholders never takes another's text
        _PATTERNS = [(pattern, msgid) for _, msgid, pattern in sorted(patterns, key=lambda x: (-x[0], x[1]))]
    for pattern, msgid in _PATTERNS:
        match = pattern.match(text)
        if match:
            return msgid, match.groupdict()
    return None


def translate_text(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """An English text made from a catalog message, in `language`; any other text as it is."""
    if language == "en" or not text:
        return text
    found = parse(text)
    return render(found[0], found[1], language) if found else text
