"""Article 5: the naming engine, rule by rule (POLICY.md "Names (Article 5)")."""

import unicodedata

import pytest
from congvu import naming
from congvu.naming import Candidate, assign_addresses, base_of, normalize_name

D = "quangbinh.gov.vn"


def addr(local):
    return f"{local}@{D}"


# --- normalisation ---------------------------------------------------------------------------------

def test_art5_nfd_input_is_normalised_to_nfc():
    nfd = unicodedata.normalize("NFD", "Đặng Thị Thu Hà")
    assert nfd != "Đặng Thị Thu Hà"
    assert normalize_name(nfd) == "Đặng Thị Thu Hà"
    assert base_of(normalize_name(nfd)) == "hadtt"


def test_art5_whitespace_is_trimmed_and_collapsed():
    assert normalize_name("  Lê \t Thị\u00a0 Hồng \n") == "Lê Thị Hồng"


def test_art5_invisible_format_characters_are_stripped():
    # zero-width space, zero-width joiner, BOM, soft hyphen, left-to-right mark
    assert normalize_name("Ng\u200buy\u200d\ufeffễn Văn\u00ad A\u200en") == "Nguyễn Văn An"


def test_art5_normalisation_is_idempotent():
    once = normalize_name("  TRẦN   văn   bình ")
    assert normalize_name(once) == once


# --- transliteration -------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "plain"), [
    ("Đặng", "dang"), ("đức", "duc"), ("Nguyễn", "nguyen"), ("Hương", "huong"), ("Ưng", "ung"),
    ("Ánh", "anh"), ("Quỳnh", "quynh"), ("Ỷ", "y"), ("H'Hen", "hhen"), ("Hồ-Văn", "hovan"),
])
def test_art5_transliteration_drops_accents_and_maps_d_bar(word, plain):
    assert naming.transliterate_word(word) == plain


def test_art5_every_vietnamese_letter_transliterates_to_ascii():
    for letter in naming.VIETNAMESE_LETTERS:
        out = naming.transliterate_word(letter)
        assert len(out) == 1 and out.isascii() and out.isalpha(), letter


def test_art5_mixed_case_gives_lowercase_address():
    assert base_of(normalize_name("TRẦN văn BÌNH")) == "binhtv"


# --- base: given name + initials ---------------------------------------------------------------------

@pytest.mark.parametrize(("name", "base"), [
    ("Nguyễn Văn An", "annv"),
    ("Đặng Thị Thu Hà", "hadtt"),
    ("Đỗ Đức Đạt", "datdd"),
    ("Lê Hồng", "hongl"),
    ("Phan Thị Thanh Tâm", "tamptt"),
])
def test_art5_base_is_given_name_then_initials_in_order(name, base):
    assert base_of(name) == base


def test_art5_given_name_override_keeps_compound_given_name_whole():
    assert base_of("Nguyễn Thị Ánh Tuyết", "Ánh Tuyết") == "anhtuyetnt"
    assert base_of("Nguyễn Thị Ánh Tuyết") == "tuyetnta"


def test_art5_given_name_must_be_the_tail_of_the_name():
    assert naming.given_name_matches("Nguyễn Thị Ánh Tuyết", "ánh  tuyết")
    assert not naming.given_name_matches("Nguyễn Thị Ánh Tuyết", "Thị Ánh")
    assert not naming.given_name_matches("Lê An", "Nguyễn Lê An")


def test_art5_one_word_name_gives_just_that_word():
    assert base_of("Pả") == "pa"


def test_art5_foreign_lookalikes_are_detected():
    assert naming.foreign_characters("Nguyễn Văn \u0410n") == ["\u0410"]  # Cyrillic А
    assert naming.foreign_characters("Nguyễn \u03bfanh") == ["\u03bf"]  # Greek omicron
    assert naming.foreign_characters("Lê 明") == ["明"]
    assert naming.foreign_characters("Lê An 😀") == ["😀"]
    assert naming.foreign_characters("Lê An2") == ["2"]
    assert naming.foreign_characters("H'Hen Niê") == []


def test_art5_address_format():
    assert naming.personal_address("annv", 0, "stttt", D) == addr("annv.stttt")
    assert naming.personal_address("annv", 2, "stttt", D) == addr("annv2.stttt")


# --- collisions (Art. 5.2b) ------------------------------------------------------------------------

def _assign(people, taken=None, agency="stttt"):
    cands = [Candidate(key, base_of(name), leader) for key, name, leader in people]
    taken = set(taken or ())
    return assign_addresses(cands, agency, D, taken)


def test_art5_equal_base_collides_even_with_different_full_names():
    got, _ = _assign([("a", "Nguyễn Văn An", False), ("b", "Ngô Văn An", False), ("c", "Nông Viết An", False)])
    assert got == {"a": addr("annv.stttt"), "b": addr("annv1.stttt"), "c": addr("annv2.stttt")}


def test_art5_leader_gets_plain_base_even_when_not_first_in_roster_order():
    got, notices = _assign([("a", "Nguyễn Văn An", False), ("b", "Nguyễn Văn An", False),
                            ("boss", "Nguyễn Văn An", True)])
    assert got == {"boss": addr("annv.stttt"), "a": addr("annv1.stttt"), "b": addr("annv2.stttt")}
    assert notices == []


def test_art5_without_leader_first_in_roster_order_gets_plain_base():
    got, _ = _assign([("z", "Nguyễn Văn An", False), ("a", "Nguyễn Văn An", False)])
    assert got["z"] == addr("annv.stttt") and got["a"] == addr("annv1.stttt")


def test_art5_first_leader_in_roster_order_wins_among_two_leaders():
    got, _ = _assign([("x", "Nguyễn Văn An", False), ("l1", "Nguyễn Văn An", True),
                      ("l2", "Nguyễn Văn An", True)])
    assert got == {"l1": addr("annv.stttt"), "x": addr("annv1.stttt"), "l2": addr("annv2.stttt")}


def test_art5_collisions_are_per_agency():
    got_a, _ = _assign([("a", "Nguyễn Văn An", False)], agency="stttt")
    got_b, _ = _assign([("b", "Nguyễn Văn An", False)], agency="snv")
    assert got_a["a"] == addr("annv.stttt") and got_b["b"] == addr("annv.snv")


def test_art5_lowest_free_number_first():
    taken = {addr("annv.stttt"), addr("annv2.stttt")}
    got, _ = _assign([("a", "Nguyễn Văn An", False), ("b", "Nguyễn Văn An", False)], taken)
    assert got == {"a": addr("annv1.stttt"), "b": addr("annv3.stttt")}


def test_art5_used_address_is_never_handed_out_again():
    # annv1 was used by someone now terminated: it stays in `taken`, the newcomer gets annv2.
    taken = {addr("annv.stttt"), addr("annv1.stttt")}
    got, _ = _assign([("new", "Nguyễn Văn An", False)], taken)
    assert got["new"] == addr("annv2.stttt")


def test_art5_leader_finding_plain_base_held_gets_lowest_free_number_and_a_notice():
    taken = {addr("annv.stttt")}
    got, notices = _assign([("staff", "Nguyễn Văn An", False), ("boss", "Ngô Văn An", True)], taken)
    assert got == {"boss": addr("annv1.stttt"), "staff": addr("annv2.stttt")}
    assert notices == ["boss"]


def test_art5_assignment_updates_taken_set_in_place():
    taken: set[str] = set()
    _assign([("a", "Nguyễn Văn An", False)], taken)
    assert taken == set()  # _assign copies; the engine itself adds to the set it is given
    cands = [Candidate("a", "annv", False)]
    assign_addresses(cands, "stttt", D, taken)
    assert taken == {addr("annv.stttt")}
