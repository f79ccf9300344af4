#!/usr/bin/env python3
"""Write the demo roster of Quảng Bình province (and the small example roster).

    python3 tools/make_demo_roster.py             # inventories/demo/roster/*.yml + README.md
    python3 tools/make_demo_roster.py --example   # inventories/example/roster/*.yml
    python3 tools/make_demo_roster.py --check     # exit 1 if the files on disk differ from the output

The output is deterministic: every agency draws its names from its own random generator, seeded with
SEED and the agency code, so changing one agency leaves the others byte for byte the same.
Only the standard library and PyYAML are used. The format is docs/roster-format.md; the naming rules
(Art. 5) are in shared POLICY.md. The people are fictional.

AN INDEPENDENT ORACLE of Art. 5, on purpose: `normalise`, `translit` and `base_of` below are written
again from POLICY.md and do not import the project's naming (plugins/module_utils/congvu/naming.py).
The README's table of expected addresses comes from them, and tests compare the two implementations
name by name (tests/unit/test_demo_roster_oracle.py), so a fault in either shows as a disagreement
instead of being copied into the expected results.

The "story cases" (same-name groups, NFD names, transfers, pinned addresses, ...) are placed on purpose;
inventories/demo/roster/README.md, also written by this script, says where each one is and what a
first run into an empty directory must do with it. Apart from the listed groups no two people of one
agency share an address base, so tests can rely on the table.
"""

import argparse
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

import yaml

SEED = 2025
EXAMPLE_SEED = 7
DOMAIN = "quangbinh.gov.vn"
MARKER = "tools/make_demo_roster.py"
REPO = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------

# Surnames with rough national frequency in percent; Hồ, Võ, Đinh, Cao are a little more frequent in
# Quảng Bình than nationally, Huỳnh a little less.
SURNAMES = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 5.5), ("Phan", 4.5),
    ("Võ", 3.5), ("Vũ", 1.0), ("Đặng", 2.1), ("Bùi", 2.0), ("Hồ", 2.0), ("Đỗ", 1.4), ("Ngô", 1.3),
    ("Dương", 1.0), ("Đinh", 1.0), ("Trương", 1.2), ("Cao", 0.8), ("Đào", 0.6), ("Đoàn", 0.6),
    ("Mai", 0.6), ("Huỳnh", 0.5), ("Lương", 0.5), ("Hà", 0.4), ("Thái", 0.4), ("Lý", 0.3),
    ("Lưu", 0.3), ("Tạ", 0.2), ("Châu", 0.2), ("Tống", 0.2),
]
MALE_MIDDLE = ["Đức", "Minh", "Hữu", "Quang", "Thanh", "Công", "Đình", "Xuân", "Ngọc", "Quốc", "Trọng",
               "Duy", "Tiến", "Mạnh", "Anh", "Thế", "Viết", "Khắc", "Sỹ", "Bá", "Đăng", "Hồng", "Văn"]
MALE_MIDDLE2 = ["Minh", "Anh", "Quốc", "Hoàng", "Đức", "Thanh", "Nhật", "Gia"]
FEMALE_MIDDLE = ["Thu", "Ngọc", "Thanh", "Minh", "Thúy", "Hồng", "Phương", "Kim", "Diệu", "Mai", "Bích",
                 "Thùy", "Hải", "Quỳnh", "Lệ", "Khánh", "Hoài"]
FEMALE_MIDDLE2 = ["Thu", "Thanh", "Minh", "Ngọc", "Hồng", "Thúy", "Kim", "Phương", "Mỹ", "Thùy", "Lệ",
                  "Bích", "Hoài", "Diệu", "Quỳnh"]
MALE_GIVEN = ["An", "Anh", "Bình", "Bảo", "Cường", "Chiến", "Công", "Dũng", "Đức", "Đạt", "Định", "Đông",
              "Hải", "Hậu", "Hiếu", "Hòa", "Hoàng", "Hùng", "Huy", "Hưng", "Khánh", "Khoa", "Kiên",
              "Lâm", "Lộc", "Lợi", "Long", "Lực", "Minh", "Nam", "Nghĩa", "Nhân", "Phong", "Phúc",
              "Phương", "Quang", "Quân", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Thuận", "Tiến",
              "Toàn", "Trung", "Tú", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Đạo", "Điệp", "Hạnh"]
FEMALE_GIVEN = ["An", "Anh", "Bích", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa",
                "Hồng", "Huệ", "Huyền", "Hương", "Hường", "Lan", "Liên", "Linh", "Loan", "Ly", "Mai",
                "Nga", "Ngân", "Nguyệt", "Nhung", "Nhàn", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm",
                "Thảo", "Thơ", "Thủy", "Thúy", "Trang", "Tuyết", "Uyên", "Vân", "Yến", "Xuân", "Ngọc",
                "Diệp", "Đào", "Điệp", "Hậu", "Thắm", "Lài"]
# Bru-Vân Kiều and Chứt people of the western districts (Minh Hóa, Tuyên Hóa, Bố Trạch, Quảng Ninh,
# Lệ Thủy) mostly carry the surnames Hồ, Đinh, Cao and a short given name.
MINORITY_SURNAMES = [("Hồ", 6), ("Đinh", 3), ("Cao", 2)]
MINORITY_GIVEN_MALE = ["Thoòng", "Kăn", "Pơ", "Bôn", "Xiêng", "Chiêng", "Hòm", "Kiêm", "Phiêu", "Chiên",
                       "Lai", "Coong", "Hồ", "Bảy", "Tưng"]
MINORITY_GIVEN_FEMALE = ["Pả", "Mây", "Ngoan", "Nhay", "Kăm", "Toòng", "Xoan", "Bừn", "Lưa", "Ly"]

# The letters of the Vietnamese alphabet, lower case, every tone (NFC), for the final check.
_TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
_VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
LETTERS = set("bcdđghklmnpqrstvx")
for _v in _VOWELS:
    for _t in _TONES:
        LETTERS.add(unicodedata.normalize("NFC", _v + _t))
NAME_CHARS = LETTERS | {" ", "'", "-"}


def normalise(name):
    """Art. 5: NFC, trim, collapse white space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def translit(word):
    """One word without accents, lower case, đ -> d, only [a-z0-9] kept."""
    w = unicodedata.normalize("NFC", word).lower().replace("đ", "d")
    w = "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", w)


def base_of(name, given_name=None):
    """Art. 5 base: given name + initials of the earlier words (`Nguyễn Văn An` -> `annv`)."""
    words = normalise(name).split(" ")
    gwords = normalise(given_name).split(" ") if given_name else words[-1:]
    assert [w.lower() for w in words[-len(gwords):]] == [w.lower() for w in gwords], (name, given_name)
    rest = words[:-len(gwords)]
    given = "".join(translit(w) for w in gwords)
    initials = "".join(translit(w)[:1] for w in rest)
    return given + initials


def check_name(name):
    n = normalise(name)
    bad = {c for c in n.lower() if c not in NAME_CHARS}
    if bad or not n:
        raise ValueError(f"name {name!r} has characters outside the Vietnamese alphabet: {sorted(bad)}")


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for item, w in pairs:
        x -= w
        if x < 0:
            return item
    return pairs[-1][0]


def random_name(rng, minority_share=0.0):
    female = rng.random() < 0.48
    if rng.random() < minority_share:
        surname = weighted(rng, MINORITY_SURNAMES)
        middle = ["Thị"] if female else [rng.choice(["Văn", "Xuân", "Văn", "Minh"])]
        given = rng.choice(MINORITY_GIVEN_FEMALE if female else MINORITY_GIVEN_MALE)
        return " ".join([surname] + middle + [given])
    surname = weighted(rng, SURNAMES)
    r = rng.random()
    if female:
        if r < 0.25:
            middle = ["Thị", rng.choice(FEMALE_MIDDLE2)]
        elif r < 0.78:
            middle = ["Thị"]
        elif r < 0.97:
            middle = [rng.choice(FEMALE_MIDDLE)]
        else:
            middle = []
        given = rng.choice(FEMALE_GIVEN)
    else:
        if r < 0.06:
            middle = [rng.choice(MALE_MIDDLE), rng.choice(MALE_MIDDLE2)]
        elif r < 0.40:
            middle = ["Văn"]
        elif r < 0.97:
            middle = [rng.choice(MALE_MIDDLE)]
        else:
            middle = []
        given = rng.choice(MALE_GIVEN)
    words = [surname] + middle + [given]
    if len(set(words)) != len(words):          # no "Minh Minh", "Thanh Thanh"
        return random_name(rng, minority_share)
    return " ".join(words)


# --------------------------------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------------------------------

def dept(code, prefix, name, size, units, kind="department", head="Giám đốc", deputy="Phó Giám đốc",
         office="Văn phòng"):
    return dict(code=code, prefix=prefix, name=name, kind=kind, size=size, units=units, head=head,
                deputy=deputy, office=office, minority=0.0)


def district(code, prefix, place, size, minority=0.0, town=False, city=False):
    level = "thành phố" if city else "thị xã" if town else "huyện"
    units = ["Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", "Phòng Tài nguyên và Môi trường"]
    if city or town:
        units += ["Phòng Kinh tế", "Phòng Quản lý đô thị"]
    else:
        units += ["Phòng Nông nghiệp và Phát triển nông thôn", "Phòng Kinh tế và Hạ tầng"]
    units += ["Phòng Giáo dục và Đào tạo", "Phòng Lao động - Thương binh và Xã hội", "Phòng Tư pháp",
              f"Thanh tra {level}", "Phòng Văn hóa và Thông tin", "Phòng Y tế"]
    if minority:
        units.insert(3, "Phòng Dân tộc")
    return dict(code=code, prefix=prefix, name=f"Ủy ban nhân dân {level} {place}", kind="district",
                size=size, units=units, head="Chủ tịch", deputy="Phó Chủ tịch",
                office="Văn phòng HĐND và UBND", minority=minority)


AGENCIES = [
    dept("stttt", "TT", "Sở Thông tin và Truyền thông", 24, [
        "Thanh tra Sở", "Phòng Bưu chính, Viễn thông", "Phòng Công nghệ thông tin",
        "Phòng Thông tin - Báo chí - Xuất bản", "Phòng Kế hoạch - Tài chính"]),
    dept("snv", "NV", "Sở Nội vụ", 24, [
        "Thanh tra Sở", "Phòng Tổ chức, biên chế và Tổ chức phi chính phủ", "Phòng Công chức, viên chức",
        "Phòng Xây dựng chính quyền và Công tác thanh niên", "Ban Thi đua - Khen thưởng", "Ban Tôn giáo"]),
    dept("stc", "TC", "Sở Tài chính", 40, [
        "Thanh tra Sở", "Phòng Quản lý ngân sách", "Phòng Tài chính hành chính sự nghiệp",
        "Phòng Tài chính đầu tư", "Phòng Quản lý giá và Công sản", "Phòng Tài chính doanh nghiệp"]),
    dept("skhdt", "KH", "Sở Kế hoạch và Đầu tư", 22, [
        "Thanh tra Sở", "Phòng Tổng hợp, quy hoạch", "Phòng Đăng ký kinh doanh", "Phòng Kinh tế ngành",
        "Phòng Đấu thầu, thẩm định và giám sát đầu tư"]),
    dept("sgddt", "GD", "Sở Giáo dục và Đào tạo", 30, [
        "Thanh tra Sở", "Phòng Giáo dục Mầm non", "Phòng Giáo dục Tiểu học", "Phòng Giáo dục Trung học",
        "Phòng Tổ chức cán bộ", "Phòng Kế hoạch - Tài chính",
        "Phòng Khảo thí và Kiểm định chất lượng giáo dục"]),
    dept("syt", "YT", "Sở Y tế", 28, [
        "Thanh tra Sở", "Phòng Nghiệp vụ Y", "Phòng Nghiệp vụ Dược", "Phòng Tổ chức cán bộ",
        "Phòng Kế hoạch - Tài chính", "Chi cục Dân số - Kế hoạch hóa gia đình",
        "Chi cục An toàn vệ sinh thực phẩm"]),
    dept("stnmt", "TN", "Sở Tài nguyên và Môi trường", 24, [
        "Thanh tra Sở", "Phòng Quản lý đất đai", "Phòng Tài nguyên nước, khoáng sản và khí tượng thủy văn",
        "Chi cục Bảo vệ môi trường", "Phòng Đo đạc, bản đồ và viễn thám", "Chi cục Biển và Hải đảo"]),
    dept("snnptnt", "NN", "Sở Nông nghiệp và Phát triển nông thôn", 30, [
        "Thanh tra Sở", "Phòng Kế hoạch - Tài chính", "Phòng Tổ chức cán bộ", "Chi cục Kiểm lâm",
        "Chi cục Thủy lợi", "Chi cục Trồng trọt và Bảo vệ thực vật", "Chi cục Chăn nuôi và Thú y",
        "Chi cục Thủy sản", "Chi cục Phát triển nông thôn"]),
    dept("sct", "CT", "Sở Công Thương", 22, [
        "Thanh tra Sở", "Phòng Quản lý công nghiệp", "Phòng Quản lý thương mại", "Phòng Quản lý năng lượng",
        "Phòng Kế hoạch - Tài chính - Tổng hợp"]),
    dept("sxd", "XD", "Sở Xây dựng", 21, [
        "Thanh tra Sở", "Phòng Quản lý xây dựng", "Phòng Quy hoạch - Kiến trúc", "Phòng Phát triển đô thị",
        "Phòng Quản lý nhà và Thị trường bất động sản", "Phòng Kinh tế và Vật liệu xây dựng"]),
    dept("sgtvt", "GT", "Sở Giao thông vận tải", 22, [
        "Thanh tra Sở", "Phòng Quản lý kết cấu hạ tầng giao thông",
        "Phòng Quản lý vận tải, phương tiện và người lái", "Phòng Kế hoạch - Tài chính",
        "Phòng Quản lý chất lượng công trình giao thông"]),
    dept("svhtt", "VH", "Sở Văn hóa và Thể thao", 21, [
        "Thanh tra Sở", "Phòng Quản lý văn hóa", "Phòng Quản lý thể dục thể thao",
        "Phòng Xây dựng nếp sống văn hóa và Gia đình", "Phòng Kế hoạch - Tài chính",
        "Phòng Tổ chức - Pháp chế"]),
    dept("sdl", "DL", "Sở Du lịch", 20, [
        "Thanh tra Sở", "Phòng Quản lý lữ hành", "Phòng Quản lý cơ sở lưu trú du lịch",
        "Phòng Nghiệp vụ du lịch"]),
    dept("sldtbxh", "LD", "Sở Lao động - Thương binh và Xã hội", 22, [
        "Thanh tra Sở", "Phòng Lao động - Việc làm - An toàn lao động", "Phòng Người có công",
        "Phòng Bảo trợ xã hội", "Phòng Giáo dục nghề nghiệp", "Phòng Trẻ em và Bình đẳng giới",
        "Chi cục Phòng, chống tệ nạn xã hội"]),
    dept("stp", "TP", "Sở Tư pháp", 20, [
        "Thanh tra Sở", "Phòng Xây dựng và Kiểm tra văn bản quy phạm pháp luật",
        "Phòng Phổ biến, giáo dục pháp luật", "Phòng Hành chính tư pháp", "Phòng Bổ trợ tư pháp"]),
    dept("skhcn", "KC", "Sở Khoa học và Công nghệ", 20, [
        "Thanh tra Sở", "Phòng Quản lý khoa học", "Phòng Quản lý công nghệ và Sở hữu trí tuệ",
        "Phòng Kế hoạch - Tài chính", "Chi cục Tiêu chuẩn Đo lường Chất lượng"]),
    dept("vpubnd", "VP", "Văn phòng Ủy ban nhân dân tỉnh", 28, [
        "Phòng Tổng hợp", "Phòng Kinh tế", "Phòng Khoa giáo - Văn xã", "Phòng Nội chính",
        "Phòng Kiểm soát thủ tục hành chính", "Phòng Quản trị - Tài vụ", "Ban Tiếp công dân"],
        head="Chánh Văn phòng", deputy="Phó Chánh Văn phòng", office="Phòng Hành chính - Tổ chức"),
    dept("thanhtra", "TR", "Thanh tra tỉnh", 20, [
        "Phòng Giải quyết khiếu nại, tố cáo", "Phòng Phòng, chống tham nhũng",
        "Phòng Thanh tra kinh tế - ngân sách", "Phòng Thanh tra xã hội",
        "Phòng Giám sát, kiểm tra và xử lý sau thanh tra"],
        head="Chánh Thanh tra", deputy="Phó Chánh Thanh tra"),
    dept("bqlkkt", "KT", "Ban Quản lý Khu kinh tế tỉnh", 20, [
        "Phòng Quản lý doanh nghiệp", "Phòng Quy hoạch và Xây dựng", "Phòng Kế hoạch - Tổng hợp",
        "Phòng Quản lý tài nguyên và môi trường"],
        kind="other", head="Trưởng ban", deputy="Phó Trưởng ban"),
    district("donghoi", "DH", "Đồng Hới", 28, city=True),
    district("badon", "BD", "Ba Đồn", 20, town=True),
    district("botrach", "BT", "Bố Trạch", 24, minority=0.05),
    district("quangtrach", "QT", "Quảng Trạch", 20),
    district("tuyenhoa", "TH", "Tuyên Hóa", 18, minority=0.10),
    district("minhhoa", "MH", "Minh Hóa", 17, minority=0.30),
    district("quangninh", "QN", "Quảng Ninh", 18, minority=0.08),
    district("lethuy", "LT", "Lệ Thủy", 22, minority=0.06),
]

EXAMPLE = {"stttt": 10, "snv": 10, "quangninh": 9}

# --------------------------------------------------------------------------------------------------
# Structure of one agency: roster slots (title, leader, role), in roster order
# --------------------------------------------------------------------------------------------------


def unit_titles(unit):
    """(chief, deputy) titles of a unit."""
    if unit.startswith("Phòng "):
        rest = unit[len("Phòng "):]
        return "Trưởng phòng " + rest, "Phó Trưởng phòng " + rest
    if unit.startswith("Ban "):
        rest = unit[len("Ban "):]
        return "Trưởng ban " + rest, "Phó Trưởng ban " + rest
    if unit.startswith("Chi cục "):
        return "Chi cục trưởng " + unit, "Phó Chi cục trưởng " + unit
    # Thanh tra Sở / Thanh tra huyện, Văn phòng ...
    return "Chánh " + unit, "Phó Chánh " + unit


def staff_title(rng, unit):
    if unit.startswith("Thanh tra") or unit.startswith("Phòng Giải quyết") or "tham nhũng" in unit \
            or unit.startswith("Phòng Thanh tra") or unit.startswith("Phòng Giám sát"):
        return weighted(rng, [("Thanh tra viên", 6), ("Thanh tra viên chính", 3)])
    if unit == "Chi cục Kiểm lâm":
        return "Kiểm lâm viên"
    return weighted(rng, [("Chuyên viên", 60), ("Chuyên viên chính", 28), ("Cán sự", 12)])


def build_slots(ag, size, rng):
    """Return the roster slots of an agency, in roster order, with titles and roles."""
    slots = [dict(role="head", title=ag["head"], leader=True, unit=None)]
    deputies = 2 if size >= 24 or ag["kind"] == "district" else 1
    if size < 12:
        deputies = 1
    slots += [dict(role="deputy", title=ag["deputy"], leader=True, unit=None) for _ in range(deputies)]
    chief, vice = unit_titles(ag["office"])
    office = [dict(role="cvp", title=chief, leader=rng.random() < 0.5, unit=ag["office"])]
    if size >= 22:
        office.append(dict(role="pcvp", title=vice, leader=False, unit=ag["office"]))
    office.append(dict(role="vt", title="Văn thư", leader=False, unit=ag["office"]))
    if size >= 18:
        office.append(dict(role="kt", title="Kế toán", leader=False, unit=ag["office"]))
    slots += office
    rest = size - len(slots)
    k = min(len(ag["units"]), max(2, rest // 3))
    counts = [rest // k + (1 if i < rest % k else 0) for i in range(k)]
    for unit, n in zip(ag["units"][:k], counts, strict=True):
        chief, vice = unit_titles(unit)
        slots.append(dict(role="chief", title=chief, leader=rng.random() < 0.7, unit=unit))
        if n >= 4:
            slots.append(dict(role="vice", title=vice, leader=False, unit=unit))
        while sum(1 for s in slots if s["unit"] == unit) < n:
            slots.append(dict(role="staff", title=staff_title(rng, unit), leader=False, unit=unit))
    assert len(slots) == size, (ag["code"], len(slots), size)
    return slots


def pick(slots, role, nth=0, unit=None, after=None):
    """The nth free slot (no story yet) with this role (and unit), optionally after index `after`."""
    found = [i for i, s in enumerate(slots) if s["role"] == role and "story" not in s
             and (unit is None or s["unit"] == unit) and (after is None or i > after)]
    return found[nth]


# --------------------------------------------------------------------------------------------------
# Story cases: (agency code) -> function(slots) that puts names and fields on chosen slots.
# Each story slot gets "story": (key, text); the README table is built from them.
# --------------------------------------------------------------------------------------------------

def nfd(s):
    out = unicodedata.normalize("NFD", s)
    assert out != s, s
    return out


def put(slots, i, story, text, **fields):
    s = slots[i]
    assert "story" not in s, (story, s)
    s["story"] = (story, text)
    if "leader" in fields:
        s["leader"] = fields.pop("leader")
        s["leader_explicit"] = True
    s.update(fields)
    return i


def story_stttt(slots):
    # Three identical names; the leader is the second of them in roster order.
    a = put(slots, pick(slots, "staff"), "G1", "same name ×3, not a leader, first in roster order",
            name="Nguyễn Văn An")
    b = put(slots, pick(slots, "chief", unit="Phòng Công nghệ thông tin"), "G1",
            "same name ×3, the leader (second in roster order)", name="Nguyễn Văn An", leader=True)
    c = put(slots, pick(slots, "staff", nth=-1), "G1", "same name ×3, not a leader, third in roster order",
            name="Nguyễn Văn An")
    assert a < b < c


def story_botrach(slots):
    # Different full names, one base `annv`; the leader is the last of them.
    a = put(slots, pick(slots, "staff"), "G2", "base annv from a different name", name="Nguyễn Văn An")
    b = put(slots, pick(slots, "staff", after=a), "G2", "base annv from a different name",
            name="Ngô Văn An")
    c = put(slots, pick(slots, "chief", nth=-1), "G2", "base annv, the leader (last in roster order)",
            name="Nông Viết An", leader=True)
    assert a < b < c


def story_sgddt(slots):
    # No leader in the group: first in roster order gets the plain base. The second holds a chief's
    # title but `leader: false`: a title alone gives no priority.
    a = put(slots, pick(slots, "staff"), "G3", "base huongtt, no leader in the group, first",
            name="Trần Thị Hương")
    b = put(slots, pick(slots, "chief", after=a), "G3",
            "base huongtt, chief's title but `leader: false`", name="Trương Thị Hương", leader=False)
    c = put(slots, pick(slots, "staff", nth=-1), "G3", "base huongtt, no leader in the group, third",
            name="Trần Thu Hương")
    assert a < b < c


def story_syt(slots):
    # The same name once in NFC and once in NFD must collide; a third name with the same base.
    a = put(slots, pick(slots, "staff", nth=1), "G4", "base hadtt (NFC), no leader in the group, first",
            name="Đặng Thị Thu Hà")
    b = put(slots, pick(slots, "staff", after=a, nth=2), "G4", "base hadtt, other name", name="Đoàn Thị Thanh Hà")
    c = put(slots, pick(slots, "staff", nth=-1), "G4", "base hadtt, same name written in NFD",
            name=nfd("Đặng Thị Thu Hà"), nfd=True)
    assert a < b < c


def story_sxd(slots):
    # Upper/lower case must not matter; the leader comes first.
    a = put(slots, pick(slots, "deputy"), "G5", "base binhtv, the leader (first in roster order)",
            name="Trần Văn Bình")
    b = put(slots, pick(slots, "staff", nth=2), "G5", "base binhtv, same name in odd case",
            name="TRẦN văn bình")
    assert a < b


def story_skhdt(slots):
    put(slots, pick(slots, "staff", nth=1), "GIVEN", "compound given name: `given_name: Ánh Tuyết`",
        name="Nguyễn Thị Ánh Tuyết", given_name="Ánh Tuyết")


def story_sgtvt(slots):
    put(slots, pick(slots, "staff", nth=1), "SPACE", "irregular white space, quoted in the YAML",
        name="  Lê   Thị  Hồng ")


def story_minhhoa(slots):
    put(slots, pick(slots, "staff", nth=0), "ONEWORD", "one-word name (validation warns)", name="Pả")
    put(slots, pick(slots, "deputy"), "MINORITY", "Bru-Vân Kiều / Chứt name, a leader", name="Đinh Xuân Hồ")
    put(slots, pick(slots, "staff", nth=1), "MINORITY", "Bru-Vân Kiều / Chứt name", name="Hồ Thị Pả")


def story_sct(slots):
    put(slots, pick(slots, "chief", unit="Phòng Quản lý thương mại"), "PIN",
        "legacy address pinned as a local part", name="Nguyễn Văn Hùng", address="nguyenvanhung.sct")
    put(slots, pick(slots, "staff", nth=2), "SUSPENDED", "`state: suspended`", state="suspended")


def story_stnmt(slots):
    put(slots, pick(slots, "staff", nth=1), "PIN",
        "legacy address pinned as a full address", name="Hoàng Văn Bình",
        address=f"hoangvanbinh.stnmt@{DOMAIN}")


def story_stp(slots):
    put(slots, pick(slots, "staff", nth=3), "TERMINATED", "`state: terminated`", state="terminated")


def story_vpubnd(slots):
    put(slots, pick(slots, "head"), "QUOTA", "quota above the default with a decision",
        quota="5G", quota_decision="123/QĐ-UBND")


def story_sdl(slots):
    put(slots, pick(slots, "staff", nth=0), "QUOTA", "quota below the default, no decision needed",
        quota="1G")


def story_skhcn(slots):
    put(slots, pick(slots, "staff", nth=2), "RENAME",
        "spelling corrected: was `Trần Ngọc Quí` (address quitn.skhcn -> quytn.skhcn)",
        name="Trần Ngọc Quý", previous_name="Trần Ngọc Quí")


def story_svhtt(slots):
    put(slots, pick(slots, "staff", nth=1), "RENAME",
        "spelling corrected: was `Doàn Văn Hải` (address haidv.svhtt unchanged)",
        name="Đoàn Văn Hải", previous_name="Doàn Văn Hải")


def story_snv(slots):
    # The transfer: appended at the end of the new agency's file, keeps its id from stc.
    slots.append(dict(role="staff", title="Chuyên viên", leader=False, unit="Phòng Công chức, viên chức",
                      fixed_id="TC0042", name="Phan Thị Thu Trang",
                      story=("TRANSFER", "moved from stc last month; old address trangptt.stc")))


def story_quangninh(slots):
    put(slots, pick(slots, "staff", nth=0), "NFD", "name written in NFD", name=nfd("Đỗ Thị Hường"),
        nfd=True)


def story_lethuy(slots):
    put(slots, pick(slots, "chief", nth=1), "NFD", "name written in NFD", name=nfd("Nguyễn Hữu Đức"),
        nfd=True)


def story_badon(slots):
    put(slots, pick(slots, "staff", nth=1), "NFD", "name written in NFD", name=nfd("Phạm Thị Thúy Hằng"),
        nfd=True)


STORIES = {
    "stttt": story_stttt, "botrach": story_botrach, "sgddt": story_sgddt, "syt": story_syt,
    "sxd": story_sxd, "skhdt": story_skhdt, "sgtvt": story_sgtvt, "minhhoa": story_minhhoa,
    "sct": story_sct, "stnmt": story_stnmt, "stp": story_stp, "vpubnd": story_vpubnd, "sdl": story_sdl,
    "skhcn": story_skhcn, "svhtt": story_svhtt, "snv": story_snv, "quangninh": story_quangninh,
    "lethuy": story_lethuy, "badon": story_badon,
}
# Ids that must not be handed out in an agency's own numbering (the person is elsewhere now).
RESERVED_IDS = {"TC0042"}
# Bases kept free in an agency although nobody there holds them now (an old address lives on).
RESERVED_BASES = {"stc": {"trangptt"}, "skhcn": {"quitn"}}


# --------------------------------------------------------------------------------------------------
# Building an agency
# --------------------------------------------------------------------------------------------------

def build_agency(ag, size, seed, stories):
    rng = random.Random(f"{seed}:{ag['code']}")
    slots = build_slots(ag, size, rng)
    if stories and ag["code"] in STORIES:
        STORIES[ag["code"]](slots)
    # Bases of the story names are taken first; random names never collide with anything.
    used = set(RESERVED_BASES.get(ag["code"], set())) if stories else set()
    story_bases = {}
    for s in slots:
        if s.get("name"):
            b = base_of(s["name"], s.get("given_name"))
            story_bases.setdefault(b, []).append(s)
    used |= set(story_bases)
    for s in slots:
        if s.get("name"):
            continue
        for _ in range(1000):
            name = random_name(rng, ag["minority"])
            b = base_of(name)
            if b not in used:
                break
        else:
            raise RuntimeError(f"no free name in {ag['code']}")
        used.add(b)
        s["name"] = name
    # Ids: prefix + 4 digits, in roster order, with the odd gap (people who left before).
    n = 0
    for s in slots:
        if "fixed_id" in s:
            s["id"] = s["fixed_id"]
            continue
        n += 1
        if n > 3 and rng.random() < 0.12:
            n += rng.choice([1, 1, 2])
        while f"{ag['prefix']}{n:04d}" in RESERVED_IDS:
            n += 1
        s["id"] = f"{ag['prefix']}{n:04d}"
    # Delegates: the office chief and the clerk, sometimes the deputy chief or only the clerk.
    by_role = {}
    for s in slots:
        by_role.setdefault(s["role"], []).append(s["id"])
    r = rng.random()
    if r < 0.15:
        delegates = by_role["vt"][:1]
    elif r < 0.35 and "pcvp" in by_role:
        delegates = by_role["cvp"][:1] + by_role["pcvp"][:1] + by_role["vt"][:1]
    else:
        delegates = by_role["cvp"][:1] + by_role["vt"][:1]
    agency = dict(code=ag["code"], name=ag["name"], kind=ag["kind"], head=by_role["head"][0],
                  delegates=delegates)
    staff = []
    for s in slots:
        p = dict(id=s["id"], name=s["name"])
        if s.get("given_name"):
            p["given_name"] = s["given_name"]
        if s["leader"] or s.get("leader_explicit"):
            p["leader"] = bool(s["leader"])
        p["title"] = s["title"]
        for k in ("quota", "quota_decision", "address", "state"):
            if s.get(k):
                p[k] = s[k]
        staff.append(p)
    return dict(agency=agency, staff=staff), slots


# --------------------------------------------------------------------------------------------------
# Article 5, first run into an empty directory: the addresses the story tables promise
# --------------------------------------------------------------------------------------------------

def first_run_addresses(doc):
    code = doc["agency"]["code"]
    out, taken, groups = {}, set(), {}
    for p in doc["staff"]:
        if p.get("state") == "terminated":
            continue
        if p.get("address"):
            local = p["address"].split("@")[0]
            out[p["id"]] = local
            taken.add(local.rsplit(".", 1)[0])
            continue
        groups.setdefault(base_of(p["name"], p.get("given_name")), []).append(p)
    for base, people in groups.items():
        leaders = [p for p in people if p.get("leader")]
        assert len(leaders) <= 1, (code, base)
        first = leaders[0] if leaders else people[0]
        order = [first] + [p for p in people if p is not first]
        n = 0
        for p in order:
            local = base
            while local in taken:
                n += 1
                local = f"{base}{n}"
            taken.add(local)
            out[p["id"]] = f"{local}.{code}"
    return out


# --------------------------------------------------------------------------------------------------
# YAML by hand: block style, UTF-8, comments, flow list for delegates
# --------------------------------------------------------------------------------------------------

def scalar(value, force_quote=False):
    if isinstance(value, bool):
        return "true" if value else "false"
    s = str(value)
    if not force_quote:
        try:
            if yaml.safe_load(f"k: {s}\n") == {"k": s} and s == s.strip() and "  " not in s:
                return s
        except yaml.YAMLError:
            pass
    return json.dumps(s, ensure_ascii=False)


def header(ag, example, seed):
    code, name = ag["code"], ag["name"]
    if example:
        vi = ["Ví dụ danh sách hộp thư công vụ cho kho cấu hình mẫu (inventory example).",
              "Thay bằng danh sách thật của cơ quan; cán bộ CNTT của cơ quan sửa tệp này bằng pull request,",
              "CI kiểm tra và in kế hoạch thay đổi."]
        en = ["Example roster for the production-shaped example inventory. Replace it with the agency's real",
              "roster; agency IT staff edit this file by pull request, CI validates it and prints the plan."]
    else:
        vi = ["DỮ LIỆU MẪU cho môi trường demo: mọi người trong danh sách đều là hư cấu.",
              "Cán bộ CNTT của cơ quan sửa tệp này bằng pull request; CI kiểm tra và in kế hoạch thay đổi."]
        en = ["DEMO DATA: every person listed is fictional.",
              "Agency IT staff edit this file by pull request; CI validates it and prints the plan."]
    lines = [f"Danh sách hộp thư công vụ: {name}",
             f"(mã cơ quan {code}, hộp thư cơ quan {code}@{DOMAIN}).",
             *vi, "",
             f"Official e-mail roster: {name}",
             f"(agency code {code}, agency mailbox {code}@{DOMAIN}).",
             *en,
             "Format / định dạng: docs/roster-format.md.",
             f"Generated by {MARKER} (seed {seed}): to change it, change the generator and re-run it."]
    return "".join(f"# {ln}".rstrip() + "\n" for ln in lines)


def render(doc, ag, example, seed):
    a = doc["agency"]
    out = [header(ag, example, seed), "---\n", "agency:\n"]
    out.append(f"  code: {scalar(a['code'])}\n")
    out.append(f"  name: {scalar(a['name'])}\n")
    out.append(f"  kind: {scalar(a['kind'])}\n")
    out.append(f"  head: {scalar(a['head'])}\n")
    out.append("  delegates: [" + ", ".join(scalar(d) for d in a["delegates"]) + "]\n")
    out.append("staff:\n")
    for p in doc["staff"]:
        first = True
        for k, v in p.items():
            lead = "  - " if first else "    "
            out.append(f"{lead}{k}: {scalar(v, force_quote=(k == 'quota_decision'))}\n")
            first = False
    text = "".join(out)
    assert yaml.safe_load(text) == doc, f"YAML round trip failed for {a['code']}"
    assert max(len(ln) for ln in text.splitlines()) <= 120
    return text


# --------------------------------------------------------------------------------------------------
# Checks: the roster rules the loader enforces, so the demo is known to be valid
# --------------------------------------------------------------------------------------------------

def validate(docs):
    ids = {}
    for code, doc in docs.items():
        a = doc["agency"]
        assert a["code"] == code and re.fullmatch(r"[a-z0-9]+", code)
        mine = {p["id"]: p for p in doc["staff"]}
        assert a["head"] in mine and mine[a["head"]].get("state") != "terminated", code
        assert 1 <= len(a["delegates"]) <= 3 and all(d in mine for d in a["delegates"]), code
        assert all(mine[d].get("state", "active") == "active" for d in a["delegates"]), code
        for p in doc["staff"]:
            assert re.fullmatch(r"[A-Z]{2}\d{4}", p["id"]), p
            assert p["id"] not in ids, (p["id"], code, ids.get(p["id"]))
            ids[p["id"]] = code
            check_name(p["name"])
            if p.get("given_name"):
                check_name(p["given_name"])
            if p.get("address"):
                assert p["address"].split("@")[0].endswith(f".{code}"), p
    return len(ids)


# --------------------------------------------------------------------------------------------------
# README of the demo
# --------------------------------------------------------------------------------------------------

STORY_ORDER = ["G1", "G2", "G3", "G4", "G5", "NFD", "GIVEN", "SPACE", "ONEWORD", "MINORITY", "PIN",
               "QUOTA", "SUSPENDED", "TERMINATED", "TRANSFER", "RENAME"]
STORY_TITLES = {
    "G1": "Same-name group 1: three identical names, the leader is not first",
    "G2": "Same-name group 2: different full names, one base",
    "G3": "Same-name group 3: no leader in the group",
    "G4": "Same-name group 4: the same name in NFC and in NFD",
    "G5": "Same-name group 5: the same name in odd case",
    "NFD": "Names written in Unicode NFD (decomposed) in the file",
    "GIVEN": "Compound given name (`given_name`)",
    "SPACE": "Irregular white space",
    "ONEWORD": "One-word name",
    "MINORITY": "Ethnic-minority names (Bru-Vân Kiều, Chứt)",
    "PIN": "Legacy address pinned with `address:`",
    "QUOTA": "Quotas other than the default",
    "SUSPENDED": "Suspended mailbox",
    "TERMINATED": "Terminated mailbox (entry kept, as the agency guide recommends)",
    "TRANSFER": "Transfer between agencies (Art. 11.3): same id, new file",
    "RENAME": "Corrected spelling of a name: same id, same mailbox",
}


def readme(docs, all_slots, seed):
    people = sum(len(d["staff"]) for d in docs.values())
    kinds = {}
    for d in docs.values():
        kinds[d["agency"]["kind"]] = kinds.get(d["agency"]["kind"], 0) + 1
    addr = {}
    for d in docs.values():
        addr.update(first_run_addresses(d))
    stories = {}
    for code, slots in all_slots.items():
        for s in slots:
            if "story" in s:
                stories.setdefault(s["story"][0], []).append((code, s))
    L = []
    w = L.append
    w("# The demo roster of Quảng Bình province")
    w("")
    w(f"Written by `{MARKER}` (seed {seed}); do not edit these files by hand: change the generator and")
    w("re-run it (`python3 tools/make_demo_roster.py`, and `--check` in CI to see that the files match it).")
    w("Every person is fictional. The format is `docs/roster-format.md`; the naming rules are Article 5.")
    w("")
    w(f"**{len(docs)} agencies, {people} people**: {kinds.get('department', 0)} provincial departments "
      f"(`department`), {kinds.get('other', 0)} other")
    w(f"provincial body (`other`) and {kinds.get('district', 0)} district-level people's committees "
      "(`district`).")
    w("Each file has a head (`leader: true`), one or two deputies (`leader: true`), an office whose chief and/or")
    w("clerk are the `delegates`, and units whose chiefs are often leaders. Staff ids are an agency prefix")
    w("and four digits, in roster order with gaps (people who left); ids never change, so a person who moves")
    w("keeps the prefix of the agency that first recorded them.")
    w("")
    w("| file | agency | kind | id prefix | people | head | delegates |")
    w("|---|---|---|---|---|---|---|")
    prefixes = {a["code"]: a["prefix"] for a in AGENCIES}
    for code, d in docs.items():
        a = d["agency"]
        w(f"| `{code}.yml` | {a['name']} | {a['kind']} | {prefixes[code]} | {len(d['staff'])} | {a['head']} "
          f"| {', '.join(a['delegates'])} |")
    w("")
    w("## Story cases")
    w("")
    w("The \"address\" column is what Article 5 gives on a **first run into an empty directory** (local part;")
    w(f"the domain is `{DOMAIN}`); for TRANSFER and RENAME it is also the address after a run against last")
    w("month's state (see the notes). Same-name groups are listed in roster order. Apart from the groups")
    w("below, no two people of one agency share an address base.")
    for key in STORY_ORDER:
        w("")
        w(f"### {key}: {STORY_TITLES[key]}")
        w("")
        w("| file | id | name as written | address | what |")
        w("|---|---|---|---|---|")
        for code, s in stories.get(key, []):
            shown = s["name"]
            if s.get("nfd"):
                shown = normalise(shown) + " (NFD)"
            shown = shown.replace(" ", "␣") if shown != shown.strip() or "  " in shown else shown
            a = addr.get(s["id"], "(none: terminated)")
            w(f"| `{code}.yml` | {s['id']} | {shown} | {a} | {s['story'][1]} |")
    w("")
    w("Notes on the cases above:")
    w("")
    w("- G1 (`stttt.yml`): the leader gets the plain `annv.stttt`, the other two `annv1`, `annv2` in roster order.")
    w("- G2 (`botrach.yml`): `Nguyễn Văn An`, `Ngô Văn An`, `Nông Viết An` all give `annv` (given name + initials).")
    w("- G3 (`sgddt.yml`): the second person is titled Trưởng phòng but has `leader: false`, so roster order decides.")
    w("- SPACE: `␣` marks a space; the YAML value is double-quoted. After normalisation it is `Lê Thị Hồng`.")
    w("- Đ/đ: many names, random and story ones, start with or contain Đ (Đặng, Đỗ, Đinh, Đoàn, Đức, Đạt...).")
    w("- TRANSFER: the state of last month had this mailbox in `stc` as `trangptt.stc`; the run moves it to")
    w("  `trangptt.snv` and keeps `trangptt.stc` as an alias for `congvu__transfer_alias_days`. No id `TC0042`")
    w("  is in `stc.yml`, and no one in `stc` has the base `trangptt`.")
    w("- RENAME: last month's state had `Trần Ngọc Quí` (`quitn.skhcn`); the corrected `Trần Ngọc Quý` gives")
    w("  `quytn.skhcn` and the old address stays an alias. `Doàn Văn Hải` -> `Đoàn Văn Hải` changes the name")
    w("  only: `haidv.svhtt` stays. No one else in `skhcn` has the base `quitn`.")
    w("- PIN: a random name never produces the pinned local parts; the pinned people's own bases (`hungnv`,")
    w("  `binhhv`) are held by nobody else in their agencies.")
    w("")
    w("## The example inventory")
    w("")
    w("`inventories/example/roster/` is a small roster of the same shape (3 agencies, about 10 people each),")
    w("written by `tools/make_demo_roster.py --example` with another seed and no story cases.")
    w("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------------------

def generate(example):
    seed = EXAMPLE_SEED if example else SEED
    docs, all_slots, files = {}, {}, {}
    by_code = {a["code"]: a for a in AGENCIES}
    chosen = [(by_code[c], n) for c, n in EXAMPLE.items()] if example else [(a, a["size"]) for a in AGENCIES]
    for ag, size in sorted(chosen, key=lambda x: x[0]["code"]):
        doc, slots = build_agency(ag, size, seed, stories=not example)
        docs[ag["code"]] = doc
        all_slots[ag["code"]] = slots
        files[f"{ag['code']}.yml"] = render(doc, ag, example, seed)
    people = validate(docs)
    for d in docs.values():
        first_run_addresses(d)          # asserts: at most one leader per group
    if not example:
        files["README.md"] = readme(docs, all_slots, seed)
    return files, len(docs), people


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--example", action="store_true", help="write the small example roster instead")
    ap.add_argument("--out", type=Path, help="output folder (default: inventories/<demo|example>/roster)")
    ap.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = ap.parse_args(argv)
    out = args.out or REPO / "inventories" / ("example" if args.example else "demo") / "roster"
    files, n_agencies, n_people = generate(args.example)
    stale = sorted(p.name for p in out.glob("*.yml")
                   if p.name not in files and MARKER in p.read_text(encoding="utf-8"))
    if args.check:
        bad = [n for n, t in files.items() if not (out / n).is_file()
               or (out / n).read_text(encoding="utf-8") != t] + stale
        for n in bad:
            print(f"{out / n}: differs from {MARKER}", file=sys.stderr)
        return 1 if bad else 0
    out.mkdir(parents=True, exist_ok=True)
    for n in stale:
        (out / n).unlink()
    for n, t in files.items():
        (out / n).write_text(t, encoding="utf-8", newline="\n")
    print(f"{out}: {n_agencies} agencies, {n_people} people")
    return 0


if __name__ == "__main__":
    sys.exit(main())
