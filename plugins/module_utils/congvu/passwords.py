"""Article 8: password rules, and the random initial passwords of Art. 4.3 and Art. 6.

The directory enforces the rules itself (ppolicy + the congvu check module, see docs/directory.md);
this module generates passwords that the directory will accept, and gives the same verdict for a
friendly message before a round trip.
"""

from __future__ import annotations

import secrets

USER_MIN_LENGTH = 7
ADMIN_MIN_LENGTH = 14
MIN_CLASSES = 3
INITIAL_LENGTH = 16

# Characters a person can read aloud and type from a printed sheet: no 0/O, 1/l/I, no quotes.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SPECIAL = "!#%+-=?@_"


def classes_of(password: str) -> int:
    """How many of the 4 classes (lower, upper, digit, special) the password uses.

    As the directory's check module counts them: Vietnamese letters (ă, Đ, ...) are lower or upper case
    letters, not special characters.
    """
    found = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return sum(found)


def problems(password: str, admin: bool = False) -> list[str]:
    """Art. 8 verdict: an empty list when the password is acceptable."""
    out = []
    minimum = ADMIN_MIN_LENGTH if admin else USER_MIN_LENGTH
    if len(password) < minimum:
        out.append(f"at least {minimum} characters are required (Art. 8)")
    if classes_of(password) < MIN_CLASSES:
        out.append("use at least 3 of: lowercase, uppercase, digits, special characters (Art. 8)")
    return out


def generate(length: int = INITIAL_LENGTH) -> str:
    """A random password with all 4 classes, from the OS's cryptographic source."""
    if length < 4:
        raise ValueError("length must be at least 4")
    pools = (_LOWER, _UPPER, _DIGITS, _SPECIAL)
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
