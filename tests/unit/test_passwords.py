"""Article 8: password rules, and the initial passwords of Art. 4.3 / Art. 6."""

import pytest
from congvu import passwords


@pytest.mark.parametrize(("password", "classes"), [
    ("abcdefg", 1), ("abcDEFG", 2), ("abcDEF1", 3), ("abC1!xyz", 4), ("Mật khẩu1", 4), ("ánhtuyết1", 2),
    ("ĐÀNẵng", 2),
])
def test_art8_classes_are_counted(password, classes):
    assert passwords.classes_of(password) == classes


def test_art8_user_needs_seven_characters_and_three_classes():
    assert passwords.problems("Ab1!xyz") == []
    assert passwords.problems("Ab1!xy") == ["at least 7 characters are required (Art. 8)"]
    assert len(passwords.problems("abcdefg1")) == 1  # two classes only


def test_art8_administrator_needs_fourteen_characters():
    assert passwords.problems("Abcdefghijk1!", admin=True) == ["at least 14 characters are required (Art. 8)"]
    assert passwords.problems("Abcdefghijkl1!", admin=True) == []


def test_art4_initial_passwords_satisfy_art8_for_administrators_too():
    seen = set()
    for _ in range(500):
        pw = passwords.generate()
        assert len(pw) == passwords.INITIAL_LENGTH
        assert passwords.classes_of(pw) == 4
        assert passwords.problems(pw, admin=True) == []
        assert not set(pw) & set("0O1lI'\" ,")  # readable from paper, safe in a CSV file
        seen.add(pw)
    assert len(seen) == 500
