#!/usr/bin/env python3
"""Generate a large, realistic roster folder (docs/roster-format.md) for the benchmarks.

    python bench/gen_roster.py --people 100000 --out bench/out/roster [--seed 1]

The output is deterministic for a given (people, seed): the same files, byte for byte. Everything is
drawn from one `random.Random(seed)`; no name, id or size depends on anything else (not the clock, not
the hash seed, not the file system order).

What it models, so that the naming and the planner work on the shape of a real province:

- surnames with the national frequency (Nguyễn 38 %, Trần 11 %, Lê 9.5 %, ... and ~20 rarer ones that
  share 11.5 %), middle names by gender (Văn / Thị dominant), a few hundred given names with a skewed
  (Zipf) frequency, 5-10 % four-word names, some `given_name` overrides for compound given names;
- a few hundred agencies (departments, districts, communes, schools, health centres) of 20 to 2,000
  people, so that many people of one agency share an address base (`annv`, `huongnt`, ...);
- a head (a leader) in every agency, 0-2 delegates, ~5 % leaders in all, a few suspended and
  terminated people (never a head or a delegate), a few quotas (with the decision when above 2G) and a
  few legacy pinned addresses;
- the input noise POLICY.md names: NFD-encoded names, extra white space, upper-case names, and a few
  zero-width characters pasted from a word processor.

Importable: `build(people, seed)` returns the agencies as plain objects (bench_plan.py uses it for the
naming benchmark), `write(agencies, out)` writes them, `generate(people, out, seed)` does both.
Only the standard library; the benchmarks validate the output with the project's own loader.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import unicodedata
from dataclasses import dataclass, field

DEFAULT_SEED = 1
MEAN_AGENCY = 400  # people per agency on average: 100,000 people -> 250 agency files
MIN_AGENCY, MAX_AGENCY = 20, 2000
DOMAIN = "quangbinh.gov.vn"

# ---------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------

# Percent of the population (national figures, the list); Hoàng/Huỳnh and Vũ/Võ split.
SURNAMES_MAIN = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 3.3), ("Huỳnh", 1.7),
    ("Phan", 4.5), ("Võ", 2.3), ("Vũ", 1.6), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5),
]
# The rest (11.5 %) spread over rarer surnames, more frequent first (1.4 % down to 0.3 %).
SURNAMES_RARE = [
    "Trương", "Đinh", "Mai", "Đoàn", "Cao", "Lương", "Hà", "Trịnh", "Đào", "Lâm", "Thái", "Tạ",
    "Lưu", "Tô", "Châu", "Phùng", "Lại", "Kiều", "Quách", "Mạc", "Từ", "Triệu", "Nông", "Tống",
]

MALE_MIDDLE = [
    ("Văn", 40), ("Đức", 8), ("Minh", 7), ("Hữu", 6), ("Quang", 5), ("Thanh", 4), ("Công", 4),
    ("Đình", 4), ("Xuân", 3), ("Ngọc", 3), ("Quốc", 3), ("Trọng", 2), ("Anh", 2), ("Hoàng", 2),
    ("Mạnh", 1.5), ("Tiến", 1.5), ("Viết", 1.5), ("Duy", 1.5), ("Thế", 1.5), ("Khắc", 1), ("Bá", 1),
    ("Sỹ", 1), ("Đăng", 1), ("Hồng", 1), ("Kim", 0.5), ("Phú", 0.5),
]
FEMALE_MIDDLE = [
    ("Thị", 55), ("Ngọc", 6), ("Thu", 5), ("Thanh", 4), ("Minh", 3), ("Hồng", 3), ("Kim", 3),
    ("Thùy", 3), ("Phương", 2), ("Mỹ", 2), ("Bích", 2), ("Diệu", 1.5), ("Hoài", 1.5), ("Xuân", 1.5),
    ("Khánh", 1), ("Hải", 1), ("Lệ", 1), ("Quỳnh", 1), ("Bảo", 1), ("Thúy", 1),
]
# The second middle name of a four-word name (Nguyễn Thị Thu Hà, Lê Văn Minh Đức).
MALE_MIDDLE2 = ["Minh", "Anh", "Quốc", "Hoàng", "Đức", "Thanh", "Nhật", "Gia", "Hữu", "Quang", "Tuấn"]
FEMALE_MIDDLE2 = ["Thu", "Thanh", "Minh", "Ngọc", "Hồng", "Thúy", "Kim", "Phương", "Mỹ", "Thùy", "Lệ",
                  "Bích", "Hoài", "Diệu", "Quỳnh", "Khánh", "Bảo", "Ánh"]
# Compound given names people use whole; the roster may state them as `given_name`.
MALE_COMPOUND = ["Minh Đức", "Quốc Bảo", "Anh Tuấn", "Gia Huy", "Minh Khôi", "Đức Anh", "Hoàng Nam",
                 "Quang Huy", "Tuấn Anh", "Việt Hoàng", "Minh Quân", "Bảo Long", "Trung Kiên"]
FEMALE_COMPOUND = ["Ánh Tuyết", "Bảo Ngọc", "Minh Anh", "Khánh Linh", "Phương Thảo", "Thu Trang",
                   "Ngọc Ánh", "Thanh Hương", "Hải Yến", "Thùy Dung", "Mai Anh", "Hồng Nhung", "Bảo Anh",
                   "Thu Hà", "Diễm My", "Kim Ngân", "Lan Anh", "Thảo Vy"]

# Given names, roughly most frequent first; the frequency of rank r is proportional to 1 / r**ZIPF.
MALE_GIVEN = """
Hùng Dũng Tuấn Minh Hải Nam Long Sơn Thắng Cường Hiếu Tùng Đức Trung Thành Quang Hưng Phong Huy Vinh
Anh Hoàng Bình Toàn Việt Khánh Lâm Tâm Tài Phúc Lộc Thịnh Thái Tú Quân Kiên Hiệp Hòa Hậu Lợi Nghĩa
Nhân Trí Tín Thiện Tiến Khoa Duy Đạt An Chiến Công Cảnh Châu Chung Định Đông Giang Hiển Hoan Học
Hợp Khải Khang Khôi Lực Luân Mạnh Ngọc Nguyên Nhật Ninh Phát Phương Quý Quyết Sáng Sinh Sỹ Tạo Thạch
Thanh Thông Thuận Thức Tình Toản Trọng Trường Tuyên Vũ Vương Xuân Bảo Bách Chính Danh Dương Điệp
Được Hồng Huấn Hướng Kỳ Lam Lân Linh Lĩnh Lương Mẫn Nghị Nhuận Phú Quảng Quyền Tân Tấn Thao Thọ
Thường Triều Tường Vĩnh Đạo Hạnh Hiền Khiêm Kha Lễ Luyện Ngân Nhạc Phi Quế Sang Sửu Tịnh Trãi Ước
""".split()
FEMALE_GIVEN = """
Hương Lan Linh Trang Hà Hằng Thảo Thủy Huyền Nga Mai Hoa Yến Hạnh Phương Ngọc Anh Nhung Loan Oanh
Vân Hiền Hồng Thu Tâm Trinh Dung Duyên Giang Hải Hậu Hòa Huệ Khánh Lệ Liên Liễu Ly My Mỹ Nguyệt
Nhàn Nhi Như Phượng Quyên Quỳnh Sen Sương Tú Tuyết Uyên Vy Xuân Ánh Bích Châu Chi Diệp Diệu Điệp
Đào Gấm Hân Hoài Huế Hường Kiều Kim Lài Lam Lành Lý Minh Mến Ngân Nguyên Nhạn Ninh Phúc Quế Quý
Thắm Thanh Thi Thoa Thơ Thơm Thúy Thư Thương Tiên Tình Trà Trâm Tươi Vinh Vui Xoan Ý Bình Cúc Dịu
Dương Hiếu Khuê Lụa Luyến Mận Mùi Nụ Phước Son Thục Tĩnh Trầm Vượng Diễm Hảo Hợp Loan Mơ Na
Nương Phấn Thùy Trúc Tuyến Vĩnh Yên Ái Đan Hiên Lựu Nhị Sa Thoan Thuận
""".split()
ZIPF = 0.7

TITLE_STAFF = ["Chuyên viên", "Chuyên viên chính", "Kế toán", "Cán bộ", "Nhân viên", "Thanh tra viên",
               "Kỹ sư", "Văn thư", "Giáo viên", "Bác sĩ", "Điều dưỡng", "Kiểm soát viên"]
TITLE_LEADER = ["Trưởng phòng", "Phó Trưởng phòng", "Chánh Văn phòng", "Phó Chánh Văn phòng",
                "Trưởng ban", "Phó Trưởng ban", "Giám đốc Trung tâm", "Tổ trưởng"]

# Shares of the whole roster (approximate: they are drawn per person).
P_FOUR_WORDS = 0.075  # four-word names
P_GIVEN_OVERRIDE = 0.6  # of the names ending in a compound given name: `given_name` stated
P_LEADER = 0.05  # leaders in all, heads included
P_TITLE = 0.4  # non-leaders with a title
P_SUSPENDED, P_TERMINATED = 0.005, 0.003
P_QUOTA = 0.01  # of which 60 % above the default (with the decision), 40 % below
P_PIN = 0.002  # legacy pinned addresses
# Input noise (Art. 5: normalise first).
P_NFD, P_SPACES, P_PADDED, P_UPPER, P_LOWER, P_ZW = 0.03, 0.005, 0.003, 0.004, 0.002, 0.001


# ---------------------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------------------

DEPARTMENTS = [
    ("vpubnd", "Văn phòng Ủy ban nhân dân tỉnh", "Chánh Văn phòng"),
    ("snv", "Sở Nội vụ", "Giám đốc"), ("stp", "Sở Tư pháp", "Giám đốc"),
    ("skhdt", "Sở Kế hoạch và Đầu tư", "Giám đốc"), ("stc", "Sở Tài chính", "Giám đốc"),
    ("sct", "Sở Công Thương", "Giám đốc"), ("snnptnt", "Sở Nông nghiệp và Phát triển nông thôn", "Giám đốc"),
    ("sgtvt", "Sở Giao thông vận tải", "Giám đốc"), ("sxd", "Sở Xây dựng", "Giám đốc"),
    ("stnmt", "Sở Tài nguyên và Môi trường", "Giám đốc"),
    ("stttt", "Sở Thông tin và Truyền thông", "Giám đốc"),
    ("sldtbxh", "Sở Lao động - Thương binh và Xã hội", "Giám đốc"),
    ("svhttdl", "Sở Văn hóa, Thể thao và Du lịch", "Giám đốc"),
    ("skhcn", "Sở Khoa học và Công nghệ", "Giám đốc"),
    ("sgddt", "Sở Giáo dục và Đào tạo", "Giám đốc"), ("syt", "Sở Y tế", "Giám đốc"),
    ("ttr", "Thanh tra tỉnh", "Chánh Thanh tra"), ("sngv", "Sở Ngoại vụ", "Giám đốc"),
    ("bdt", "Ban Dân tộc", "Trưởng ban"), ("bqlkkt", "Ban Quản lý Khu kinh tế", "Trưởng ban"),
    ("vpdbqhhdnd", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "Chánh Văn phòng"),
]
# (code, name, prefix of its name): the district names without accents are the codes (POLICY.md).
DISTRICTS = [
    ("donghoi", "Đồng Hới", "Thành phố"), ("badon", "Ba Đồn", "Thị xã"), ("lethuy", "Lệ Thủy", "Huyện"),
    ("quangninh", "Quảng Ninh", "Huyện"), ("bochach", "Bố Trạch", "Huyện"),
    ("quangtrach", "Quảng Trạch", "Huyện"), ("tuyenhoa", "Tuyên Hóa", "Huyện"),
    ("minhhoa", "Minh Hóa", "Huyện"),
]
COMMUNES = """
Quảng Phú|Quảng Xuân|Hải Ninh|Võ Ninh|Gia Ninh|Sơn Trạch|Phúc Trạch|Hưng Trạch|Cự Nẫm|Hoàn Lạc|
Thanh Trạch|Bắc Trạch|Đồng Trạch|Quảng Hòa|Quảng Lộc|Quảng Minh|Quảng Sơn|Quảng Thủy|Quảng Tiên|
Quảng Trung|Quảng Văn|Phong Hóa|Mai Hóa|Tiến Hóa|Châu Hóa|Văn Hóa|Đồng Lê|Kim Hóa|Lâm Hóa|Hóa Tiến|
Hóa Hợp|Dân Hóa|Trọng Hóa|Hồng Hóa|Quy Đạt|Xuân Trạch|Lệ Ninh|Kiến Giang|Sen Thủy|Ngư Thủy|
Hồng Thủy|Phong Thủy|Mỹ Thủy|Cam Thủy|Liên Thủy|Xuân Ninh|An Ninh|Hiền Ninh|Tân Ninh|Vạn Ninh|
Trường Xuân|Trường Sơn|Quán Hàu|Lương Ninh|Nghĩa Ninh|Bảo Ninh|Đức Ninh|Lộc Ninh|Thuận Đức|Đồng Sơn|
Bắc Lý|Nam Lý|Phú Hải|Hải Thành|Đồng Phú|Hoàn Lão|Vạn Trạch|Hòa Trạch|Tây Trạch|Đại Trạch|
Trung Trạch|Nhân Trạch|Lý Trạch|Phú Định|Hạ Trạch|Mỹ Trạch|Liên Trạch|Nam Trạch|Phú Trạch|Lâm Trạch|
Cảnh Dương|Quảng Châu|Quảng Kim|Quảng Hợp|Quảng Tùng|Quảng Đông|Quảng Hưng|Quảng Lưu|Quảng Thạch|
Quảng Thanh|Phù Hóa|Cảnh Hóa|Thượng Trạch|Tân Trạch|Xuân Hóa|Yên Hóa|Minh Hóa|Thượng Hóa|Trung Hóa
""".replace("\n", "").split("|")


def ascii_code(text: str) -> str:
    """Vietnamese text -> [a-z0-9] (the way POLICY.md spells district codes)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def agency_pool(count: int) -> list[tuple[str, str, str, str]]:
    """`count` distinct agencies (code, name, kind, head title): departments, districts, then units."""
    pool: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()

    def add(code: str, name: str, kind: str, head: str) -> None:
        if code not in seen and len(pool) < count:
            seen.add(code)
            pool.append((code, name, kind, head))

    for code, name, head in DEPARTMENTS:
        add(code, name, "department", head)
    for code, name, prefix in DISTRICTS:
        add(code, f"Ủy ban nhân dân {prefix.lower()} {name}", "district", "Chủ tịch")
    units = [
        ("pgd", "Phòng Giáo dục và Đào tạo", "Trưởng phòng", DISTRICTS),
        ("ttyt", "Trung tâm Y tế", "Giám đốc", DISTRICTS),
        ("ttvh", "Trung tâm Văn hóa - Thể thao", "Giám đốc", DISTRICTS),
    ]
    for prefix, label, head, places in units:
        for code, name, kind_prefix in places:
            add(prefix + code, f"{label} {kind_prefix.lower()} {name}", "other", head)
    for commune in COMMUNES:
        add("ubnd" + ascii_code(commune), f"Ủy ban nhân dân xã {commune}", "other", "Chủ tịch")
    for commune in COMMUNES:
        add("thcs" + ascii_code(commune), f"Trường THCS {commune}", "other", "Hiệu trưởng")
    for commune in COMMUNES:
        add("tyt" + ascii_code(commune), f"Trạm Y tế xã {commune}", "other", "Trưởng trạm")
    number = 0
    while len(pool) < count:  # only for rosters far beyond a province
        number += 1
        add(f"dv{number:04d}", f"Đơn vị sự nghiệp số {number}", "other", "Giám đốc")
    return pool


def agency_sizes(rng: random.Random, people: int, count: int) -> list[int]:
    """`count` sizes summing to `people`, log-normal (median ~250), each within [20, 2000] when possible."""
    low = min(MIN_AGENCY, people // count)
    high = max(MAX_AGENCY, -(-people // count))
    raw = [rng.lognormvariate(math.log(250), 0.85) for _ in range(count)]
    sizes = [min(high, max(low, round(x))) for x in raw]
    for _ in range(50):  # scale toward the total, keeping the bounds
        total = sum(sizes)
        if total == people:
            break
        factor = people / total
        sizes = [min(high, max(low, round(s * factor))) for s in sizes]
    order = list(range(count))
    while sum(sizes) != people:  # the last few people, one at a time
        step = 1 if sum(sizes) < people else -1
        rng.shuffle(order)
        for i in order:
            if sum(sizes) == people:
                break
            if low <= sizes[i] + step <= high:
                sizes[i] += step
    return sizes


# ---------------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------------


@dataclass
class Person:
    id: str
    name: str  # as written in the file: may be NFD, padded, upper case, with a zero-width character
    given_name: str | None = None
    leader: bool = False
    title: str | None = None
    quota: str | None = None
    quota_decision: str | None = None
    address: str | None = None
    state: str = "active"


@dataclass
class Agency:
    code: str
    name: str
    kind: str
    head: str = ""
    delegates: list[str] = field(default_factory=list)
    staff: list[Person] = field(default_factory=list)


class _Weighted:
    """random.choices with the cumulative weights computed once."""

    def __init__(self, items: list[str], weights: list[float]):
        self.items = items
        self.cum = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _zipf(names: list[str]) -> _Weighted:
    unique = list(dict.fromkeys(names))
    return _Weighted(unique, [1 / (rank ** ZIPF) for rank in range(1, len(unique) + 1)])


def _surnames() -> _Weighted:
    rare_total = 100.0 - sum(w for _, w in SURNAMES_MAIN)
    rare_weights = [1 / rank**0.5 for rank in range(1, len(SURNAMES_RARE) + 1)]
    scale = rare_total / sum(rare_weights)
    items = [s for s, _ in SURNAMES_MAIN] + SURNAMES_RARE
    weights = [w for _, w in SURNAMES_MAIN] + [w * scale for w in rare_weights]
    return _Weighted(items, weights)


SURNAME = _surnames()
MIDDLE = {"m": _Weighted(*zip(*MALE_MIDDLE, strict=True)), "f": _Weighted(*zip(*FEMALE_MIDDLE, strict=True))}
MIDDLE2 = {"m": MALE_MIDDLE2, "f": FEMALE_MIDDLE2}
GIVEN = {"m": _zipf(MALE_GIVEN), "f": _zipf(FEMALE_GIVEN)}
COMPOUND = {"m": MALE_COMPOUND, "f": FEMALE_COMPOUND}


def _full_name(rng: random.Random) -> tuple[str, str | None]:
    """(NFC full name, given_name or None)."""
    gender = "m" if rng.random() < 0.5 else "f"
    surname = SURNAME.pick(rng)
    middle = MIDDLE[gender].pick(rng)
    if rng.random() >= P_FOUR_WORDS:
        return f"{surname} {middle} {GIVEN[gender].pick(rng)}", None
    kind = rng.random()
    if kind < 0.4:  # a compound given name: Nguyễn Thị Ánh Tuyết
        compound = rng.choice(COMPOUND[gender])
        given = compound if rng.random() < P_GIVEN_OVERRIDE else None
        return f"{surname} {middle} {compound}", given
    if kind < 0.8:  # two middle names: Nguyễn Thị Thu Hà
        return f"{surname} {middle} {rng.choice(MIDDLE2[gender])} {GIVEN[gender].pick(rng)}", None
    # father's and mother's surnames: Trần Nguyễn Minh Anh
    second = SURNAME.pick(rng)
    if second == surname:
        second = "Nguyễn" if surname != "Nguyễn" else "Lê"
    return f"{surname} {second} {rng.choice(MIDDLE2[gender])} {GIVEN[gender].pick(rng)}", None


def _written(rng: random.Random, name: str) -> str:
    """The name the way an agency's IT person may have typed or pasted it."""
    roll = rng.random()
    edge = P_NFD
    if roll < edge:
        return unicodedata.normalize("NFD", name)
    if roll < (edge := edge + P_SPACES):
        return name.replace(" ", "  ", 1)
    if roll < (edge := edge + P_PADDED):
        return f" {name} "
    if roll < (edge := edge + P_UPPER):
        return name.upper()
    if roll < (edge := edge + P_LOWER):
        return name.lower()
    if roll < edge + P_ZW:
        return name.replace(" ", " \u200b", 1)
    return name


def _legacy_pin(name: str, code: str, pins: set[str]) -> str:
    """A pre-rule address: the full name run together (nguyenvanan.stttt), made unique."""
    local = ascii_code(name)
    candidate, number = f"{local}.{code}", 1
    while candidate in pins:
        number += 1
        candidate = f"{local}{number}.{code}"
    pins.add(candidate)
    return candidate


def build(people: int, seed: int = DEFAULT_SEED) -> list[Agency]:
    """The whole roster in memory, agencies in the order of the pool (not yet file-name order)."""
    if people < 1:
        raise ValueError("people must be at least 1")
    rng = random.Random(seed)
    count = max(1, round(people / MEAN_AGENCY))
    sizes = agency_sizes(rng, people, count)
    width = max(6, len(str(people)))
    pins: set[str] = set()
    agencies: list[Agency] = []
    next_id = 0
    for (code, aname, kind, head_title), size in zip(agency_pool(count), sizes, strict=True):
        agency = Agency(code, aname, kind)
        for position in range(size):
            next_id += 1
            name, given = _full_name(rng)
            person = Person(f"QB{next_id:0{width}d}", _written(rng, name), given)
            if position == 0:  # the head comes first in every agency file
                person.leader, person.title = True, head_title
            elif position <= 2 and size >= 40:  # deputies
                person.leader, person.title = True, f"Phó {head_title}"
            elif rng.random() < P_LEADER * 0.85:  # heads of sections, anywhere in the list
                person.leader, person.title = True, rng.choice(TITLE_LEADER)
            elif rng.random() < P_TITLE:
                person.title = rng.choice(TITLE_STAFF)
            if not person.leader:
                roll = rng.random()
                if roll < P_TERMINATED:
                    person.state = "terminated"
                elif roll < P_TERMINATED + P_SUSPENDED:
                    person.state = "suspended"
            if rng.random() < P_QUOTA:
                if rng.random() < 0.6:
                    person.quota = rng.choice(["5G", "10G", "4 GiB"])
                    person.quota_decision = f"{rng.randint(1, 3999)}/QĐ-UBND"
                else:
                    person.quota = rng.choice(["1G", "500M"])
            if rng.random() < P_PIN:
                person.address = _legacy_pin(name, code, pins)
            agency.staff.append(person)
        agency.head = agency.staff[0].id
        serving = [p for p in agency.staff[1:] if not p.leader and p.state == "active"]
        for person in rng.sample(serving, min(len(serving), rng.choice((0, 1, 1, 2)))):
            agency.delegates.append(person.id)
            person.title = "Văn thư"
        agencies.append(agency)
    return agencies


# ---------------------------------------------------------------------------------------------------
# YAML output (written by hand: fast, stable, and the way people write these files)
# ---------------------------------------------------------------------------------------------------

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_IMPLICIT = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}


def scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly `text` (a string)."""
    if (not text or text != text.strip() or text[0] in _INDICATORS or text[0] in "+.0123456789"
            or ": " in text or " #" in text or text.endswith(":") or text.lower() in _IMPLICIT):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def render(agency: Agency, seed: int) -> str:
    lines = [
        f"# generated by bench/gen_roster.py (seed {seed}): fictional people, for benchmarks only",
        "agency:",
        f"  code: {agency.code}",
        f"  name: {scalar(agency.name)}",
        f"  kind: {agency.kind}",
        f"  head: {agency.head}",
        f"  delegates: [{', '.join(agency.delegates)}]",
        "staff:",
    ]
    add = lines.append
    for p in agency.staff:
        add(f"  - id: {p.id}")
        add(f"    name: {scalar(p.name)}")
        if p.given_name:
            add(f"    given_name: {scalar(p.given_name)}")
        if p.leader:
            add("    leader: true")
        if p.title:
            add(f"    title: {scalar(p.title)}")
        if p.quota:
            add(f"    quota: {scalar(p.quota)}")
        if p.quota_decision:
            add(f'    quota_decision: "{p.quota_decision}"')
        if p.address:
            add(f"    address: {p.address}")
        if p.state != "active":
            add(f"    state: {p.state}")
    return "\n".join(lines) + "\n"


def write(agencies: list[Agency], out: str, seed: int) -> dict:
    """Write one `<code>.yml` per agency into `out` (created; must hold no .yml file yet)."""
    os.makedirs(out, exist_ok=True)
    if any(n.endswith((".yml", ".yaml")) for n in os.listdir(out)):
        raise FileExistsError(f"{out} already holds roster files; give an empty or new folder")
    size = 0
    for agency in agencies:
        data = render(agency, seed).encode("utf-8")
        size += len(data)
        with open(os.path.join(out, f"{agency.code}.yml"), "wb") as handle:
            handle.write(data)
    return {"files": len(agencies), "bytes": size}


def describe(agencies: list[Agency]) -> dict:
    """Counts that show the roster has the intended shape."""
    staff = [p for a in agencies for p in a.staff]
    sizes = sorted(len(a.staff) for a in agencies)
    return {
        "people": len(staff),
        "agencies": len(agencies),
        "agency_size_min": sizes[0],
        "agency_size_median": sizes[len(sizes) // 2],
        "agency_size_max": sizes[-1],
        "agencies_over_1000": sum(1 for s in sizes if s > 1000),
        "four_word_names": sum(1 for p in staff if len(p.name.split()) == 4),
        "given_name_overrides": sum(1 for p in staff if p.given_name),
        "leaders": sum(1 for p in staff if p.leader),
        "nfd_names": sum(1 for p in staff if unicodedata.normalize("NFC", p.name) != p.name),
        "suspended": sum(1 for p in staff if p.state == "suspended"),
        "terminated": sum(1 for p in staff if p.state == "terminated"),
        "quotas": sum(1 for p in staff if p.quota),
        "pinned": sum(1 for p in staff if p.address),
        "delegates": sum(len(a.delegates) for a in agencies),
    }


def generate(people: int, out: str, seed: int = DEFAULT_SEED) -> dict:
    """Build and write the roster; returns describe() plus files, bytes and the seconds taken."""
    start = time.perf_counter()
    agencies = build(people, seed)
    stats = describe(agencies)
    stats.update(write(agencies, out, seed))
    stats["seconds"] = time.perf_counter() - start
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000, help="number of people (default 100000)")
    parser.add_argument("--out", required=True, help="folder to write <code>.yml into (new or empty)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    args = parser.parse_args(argv)
    try:
        stats = generate(args.people, args.out, args.seed)
    except (ValueError, FileExistsError) as exc:
        print(f"gen_roster: {exc}", file=sys.stderr)
        return 2
    for key, value in stats.items():
        print(f"{key:22} {value:.2f}" if isinstance(value, float) else f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
