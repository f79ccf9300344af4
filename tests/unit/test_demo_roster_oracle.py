"""The demo roster generator is an independent oracle of Art. 5's address base: it must agree with
the project's naming on every person of the demo and example rosters, and on the hard cases."""

import pathlib

import pytest
import yaml
from congvu import naming

import scripts

oracle = scripts.load("make_demo_roster", "tools", "make_demo_roster.py")
REPO = pathlib.Path(__file__).resolve().parents[2]


def people():
    for folder in ("inventories/demo/roster", "inventories/example/roster"):
        for path in sorted((REPO / folder).glob("*.yml")):
            for person in yaml.safe_load(path.read_text(encoding="utf-8")).get("staff") or []:
                yield person["name"], person.get("given_name")


def test_the_oracle_and_the_naming_agree_on_every_person_of_the_demo_rosters():
    everyone = list(people())
    assert len(everyone) > 600
    differ = [(name, given, oracle.base_of(name, given), naming.base_of(name, given))
              for name, given in everyone if oracle.base_of(name, given) != naming.base_of(name, given)]
    assert not differ, differ[:10]


@pytest.mark.parametrize("name, given, base", [
    ("Nguyễn Văn An", None, "annv"),
    ("Đặng Thị Đào", None, "daodt"),
    ("Tôn Nữ Thị Ngọc Anh", "Ngọc Anh", "ngocanhtnt"),
    ("Nguye\u0302\u0303n Văn  An ", None, "annv"),      # decomposed (NFD) and extra spaces
    ("Hồ Xuân Hương", None, "huonghx"),
])
def test_both_give_the_base_of_the_hard_cases(name, given, base):
    assert oracle.base_of(name, given) == base
    assert naming.base_of(name, given) == base
