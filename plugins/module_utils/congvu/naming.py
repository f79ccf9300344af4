"""Article 5: how a full name becomes a mailbox address.

Plain Python with no Ansible import, so the rules are unit-tested directly and stay fast on a
100,000-person roster. The steps are the ones POLICY.md fixes, in its order:

1. normalise: drop invisible format characters, Unicode NFC, trim, collapse white space;
2. transliterate each word: lowercase, no accents, đ -> d, keep only [a-z0-9];
3. base = given name (last word, or the roster's `given_name`) + initials of every earlier word;
4. collisions inside one agency are resolved by `assign_addresses` (leader first, then roster order,
   lowest free number, never a number or address that was ever used).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# The letters of the Vietnamese alphabet (with every tone mark) plus the Latin letters f, j, w, z that
# appear in ethnic-minority and foreign names. Anything else in a name is a typo or a look-alike from
# another script (Cyrillic "а", Greek "ο") that would silently produce a wrong address.
_VOWELS = "aăâeêioôơuưy"
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_BASE_LETTERS = "abcdefghijklmnopqrstuvwxyzăâđêôơư"


def _vietnamese_letters() -> frozenset[str]:
    letters = set(_BASE_LETTERS)
    for vowel in _VOWELS:
        for tone in _TONES:
            letters.add(unicodedata.normalize("NFC", vowel + tone))
    letters |= {c.upper() for c in letters}
    return frozenset(letters)


VIETNAMESE_LETTERS = _vietnamese_letters()
# Apostrophes and hyphens occur in minority names (H'Hen Niê, Hồ-Văn) and carry no letter.
NAME_PUNCTUATION = frozenset("'’-")


def _build_transliteration() -> dict[int, str]:
    table: dict[int, str] = {}
    for letter in VIETNAMESE_LETTERS:
        plain = unicodedata.normalize("NFD", letter.lower())
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        table[ord(letter)] = plain.replace("đ", "d")
    return table


_TRANSLITERATE = _build_transliteration()
_NOT_ADDRESS_CHAR = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """Remove format characters (category Cf: zero-width space, joiners, BOM, direction marks).

    They arrive by copy-paste from word processors and web pages; they are invisible in review, so a
    name that differs from another only by one of them would look like a duplicate to a human.
    """
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def normalize_name(text: str) -> str:
    """Art. 5: NFC, trimmed, single spaces. Idempotent."""
    text = unicodedata.normalize("NFC", strip_invisible(text))
    return _WHITESPACE.sub(" ", text).strip()


def foreign_characters(name: str) -> list[str]:
    """Characters of a normalised name that are not in the Vietnamese Latin alphabet (in order, once)."""
    seen: list[str] = []
    for c in name:
        if c == " " or c in VIETNAMESE_LETTERS or c in NAME_PUNCTUATION:
            continue
        if c not in seen:
            seen.append(c)
    return seen


def transliterate_word(word: str) -> str:
    """One word without accents, lowercase, đ -> d, only [a-z0-9] kept."""
    return _NOT_ADDRESS_CHAR.sub("", word.translate(_TRANSLITERATE).lower())


def name_words(name: str) -> list[str]:
    """The transliterated words of a normalised name; words with no letter left are dropped."""
    words = (transliterate_word(w) for w in name.split(" "))
    return [w for w in words if w]


def base_of(name: str, given_name: str | None = None) -> str:
    """Art. 5.2a: `<given><initials>` for a normalised name, e.g. Nguyễn Văn An -> annv.

    `given_name`, when set, must be the last words of `name` (the roster validates that); it lets a
    compound given name stay whole: Nguyễn Thị Ánh Tuyết / Ánh Tuyết -> anhtuyetnt.
    """
    words = name_words(name)
    given_count = len(name_words(given_name)) if given_name else 1
    given_count = max(1, min(given_count, len(words)))
    given = "".join(words[-given_count:])
    initials = "".join(w[0] for w in words[:-given_count])
    return given + initials


def given_name_matches(name: str, given_name: str) -> bool:
    """True when `given_name` is the tail of `name`, compared letter by letter after transliteration."""
    words = name_words(name)
    tail = name_words(given_name)
    return 0 < len(tail) <= len(words) and words[-len(tail):] == tail


def personal_address(base: str, number: int, agency: str, domain: str) -> str:
    """Art. 5.2: `<base>[N].<agency>@<domain>`; number 0 means the plain base."""
    return f"{base}{number or ''}.{agency}@{domain}"


class Candidate:
    """One person who needs a new address in an agency during this run."""

    __slots__ = ("key", "base", "leader")

    def __init__(self, key: str, base: str, leader: bool):
        self.key = key
        self.base = base
        self.leader = leader


def assign_addresses(
    candidates: Iterable[Candidate],
    agency: str,
    domain: str,
    taken: set[str],
) -> tuple[dict[str, str], list[str]]:
    """Art. 5.2b: give each candidate (in roster order) an address in `agency`.

    `taken` holds every address that may not be handed out: addresses of existing mailboxes, aliases,
    every address ever used (history), and roster pins. It is updated in place with the new addresses.

    Per base: the first leader in roster order (or, with no leader, the first person) is offered the
    plain base; everybody else gets the lowest free number, in roster order. Returns the addresses by
    candidate key and the keys of leaders who wanted the plain base but found it held (a notice).
    """
    groups: dict[str, list[Candidate]] = {}
    for cand in candidates:
        groups.setdefault(cand.base, []).append(cand)

    assigned: dict[str, str] = {}
    displaced_leaders: list[str] = []
    for base, group in groups.items():
        first = next((c for c in group if c.leader), group[0])
        ordered = [first] + [c for c in group if c is not first]
        number = 1
        for cand in ordered:
            if cand is first:
                plain = personal_address(base, 0, agency, domain)
                if plain not in taken:
                    taken.add(plain)
                    assigned[cand.key] = plain
                    continue
                if cand.leader:
                    displaced_leaders.append(cand.key)
            while personal_address(base, number, agency, domain) in taken:
                number += 1
            address = personal_address(base, number, agency, domain)
            taken.add(address)
            assigned[cand.key] = address
    return assigned, displaced_leaders
