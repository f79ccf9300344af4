"""Province-wide settings (inventory variables `congvu__*`) and the quota unit parser (Art. 9)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_QUOTA = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?\s*$", re.IGNORECASE)
_UNIT = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def parse_quota(text: object) -> int:
    """`2G`, `2 GiB`, `500M`, `1.5G` -> bytes. Units are binary, as the mail store counts them.

    A bare number is refused on purpose: `quota: 5` would be five bytes, which nobody means.
    Raises ValueError with a message fit for an agency IT person.
    """
    match = _QUOTA.match(str(text)) if isinstance(text, (str, int, float)) else None
    if not match:
        raise ValueError(f"cannot read quota {text!r}: write a number and a unit, e.g. 2G, 500M, 5GiB")
    value = int(float(match.group(1)) * _UNIT[match.group(2).lower()])
    if value <= 0:
        raise ValueError(f"quota {text!r} must be more than zero")
    return value


def format_quota(size: int) -> str:
    """Bytes -> the shortest exact form with a binary unit (2147483648 -> 2G)."""
    for unit in ("T", "G", "M", "K"):
        factor = _UNIT[unit.lower()]
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def _domains(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value] if value.strip() else []
    return tuple(str(v).strip().lower() for v in value)


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _iso_date_or_empty(value) -> str:
    text = str(value or "").strip()
    if text:
        dt.date.fromisoformat(text)  # ValueError names the bad date
    return text


@dataclass(frozen=True)
class Settings:
    domain: str = "quangbinh.gov.vn"
    default_quota: int = 2 * 1024**3
    guard_max_count: int = 50
    guard_max_ratio: float = 0.05
    transfer_alias_days: int = 90
    # The regulation in force, by name (profiles/*.yml, docs/profiles.md): named in every plan's header.
    profile: str = ""
    # Until when an address a reorganisation retires (a merger, a rename, a move out of a replaced agency)
    # keeps delivering (ISO date); empty: one year after the plan's date (docs/reorganisation.md).
    former_addresses_until: str = ""
    # A domain change (docs/reorganisation.md): the domains the province had before. Every mailbox of a
    # former domain moves to `domain` in one plan; its old address delivers until former_addresses_until.
    former_domains: tuple[str, ...] = ()
    # The directory's base DN; empty: derived from `domain`. A domain change keeps the directory where it
    # is: the base of the former domain must then be named here.
    base_dn: str = ""
    # The profile's address formats (profiles/*.yml `addresses.sub_units`, docs/profiles.md): a sub-unit
    # of an agency has the code `<unit>.<parent>`, its mailbox `<unit>.<parent>@domain` and its staff
    # `<name>.<unit>.<parent>@domain` (Art. 5 as Ninh Bình's regulation writes it).
    sub_units: bool = False

    @classmethod
    def from_vars(cls, values: dict) -> Settings:
        """Build from inventory-style keys (with or without the `congvu__` prefix); unknown keys fail."""
        fields = {
            "domain": str,
            "default_quota": parse_quota,
            "guard_max_count": int,
            "guard_max_ratio": float,
            "transfer_alias_days": int,
            "profile": str,
            "former_addresses_until": _iso_date_or_empty,
            "former_domains": _domains,
            "base_dn": str,
            "sub_units": _boolean,
        }
        kwargs = {}
        for key, value in values.items():
            name = key.removeprefix("congvu__")
            if name not in fields:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(fields))}")
            if value is None:
                continue
            try:
                kwargs[name] = fields[name](value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"setting {key!r}: {exc}") from None
        settings = cls(**kwargs)
        settings.check()
        return settings

    def check(self) -> None:
        if not DOMAIN.match(self.domain):
            raise ValueError(f"setting 'domain': {self.domain!r} is not a lowercase DNS domain name")
        if self.guard_max_count < 0 or not 0 <= self.guard_max_ratio <= 1:
            raise ValueError("guard settings: max_count must be >= 0 and max_ratio between 0 and 1")
        if self.transfer_alias_days < 0:
            raise ValueError("setting 'transfer_alias_days' must be >= 0")
        for former in self.former_domains:
            if not DOMAIN.match(former) or former == self.domain:
                raise ValueError(f"setting 'former_domains': {former!r} is not a lowercase DNS domain name other "
                                 f"than the domain {self.domain!r}")
        if self.former_domains and not self.base_dn:
            raise ValueError("setting 'base_dn' is required with 'former_domains': the directory does not move "
                             f"with the domain, name its base (e.g. {base_dn_of(self.former_domains[0])!r})")

    def guard_limit(self, roster_size: int) -> int:
        """POLICY.md: 50 or 5% of the roster, whichever is smaller.

        At least 1, so that a small agency-sized test province can still suspend one person without an
        override; the count is of suspensions plus terminations in one run.
        """
        share = int(self.guard_max_ratio * roster_size)
        return min(self.guard_max_count, max(1, share))


def base_dn_of(domain: str) -> str:
    """quangbinh.gov.vn -> dc=quangbinh,dc=gov,dc=vn (docs/directory.md, "Tree")."""
    return ",".join(f"dc={label}" for label in domain.split("."))
