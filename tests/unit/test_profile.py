"""The regulation as a profile: each shipped profile is complete and valid; a switch lists what changes."""

import copy
import os

import pytest
import yaml
from congvu import profile

PROFILES = os.path.join(os.path.dirname(__file__), "..", "..", "profiles")


def load(name):
    with open(os.path.join(PROFILES, f"{name}.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("name", sorted(n[:-4] for n in os.listdir(PROFILES) if n.endswith(".yml")))
def test_every_shipped_profile_holds_every_rule_with_a_valid_value(name):
    data = profile.check(load(name), f"profiles/{name}.yml", expected_id=name)
    for key in profile.RULES:
        profile.value(data, key)


def test_quang_binh_2015_carries_the_numbers_of_its_articles():
    qb = load("quangbinh-2015")
    assert profile.value(qb, "passwords.user.min_length") == 7  # Art. 8.1
    assert profile.value(qb, "passwords.admin.min_length") == 14  # Art. 8.1
    assert profile.value(qb, "passwords.user.classes") == 3  # Art. 8.2
    assert profile.value(qb, "passwords.admin.max_age_days") == 30  # Art. 8.3
    assert profile.value(qb, "passwords.admin.unique_across_admins") is True  # Art. 8.4
    assert profile.value(qb, "passwords.user.max_age_days") == 0
    assert profile.value(qb, "mailbox.quota") == "2G" and profile.value(qb, "mailbox.attachment_mb") == 20  # Art. 9
    assert profile.value(qb, "inactivity.suspend_after_days") == 90  # Art. 7.2
    assert len(profile.value(qb, "art12.periods")) == 4  # Art. 12
    assert profile.value(qb, "forwarding.external") == "forbidden"  # Art. 13.8, 15.2


def test_ninh_binh_2025_carries_the_rules_it_was_given():
    nb = load("ninhbinh-2025")
    assert profile.value(nb, "passwords.user.min_length") == 9
    assert profile.value(nb, "passwords.user.max_age_days") == 180
    assert profile.value(nb, "mailbox.attachment_mb") == 30
    assert profile.value(nb, "lockout.max_failures") == 12
    assert profile.value(nb, "forwarding.external") == "forbidden"
    assert profile.value(nb, "addresses.sub_units") is True


def test_every_problem_of_a_profile_is_named_by_file_and_key():
    bad = copy.deepcopy(load("quangbinh-2015"))
    del bad["passwords"]["user"]["min_length"]
    bad["passwords"]["admin"]["classes"] = 5
    bad["mailbox"]["quota"] = "2 GB"
    bad["forwarding"]["external"] = "sometimes"
    bad["mailbox"]["attachement_mb"] = 20  # a typing error must not pass unnoticed
    bad["art12"]["periods"][0]["end"] = "06:00"
    with pytest.raises(profile.ProfileInvalid) as caught:
        profile.check(bad, "profiles/x.yml", expected_id="x")
    text = str(caught.value)
    for expected in ("profiles/x.yml: passwords.user.min_length: missing",
                     "profiles/x.yml: passwords.admin.classes: 5 is not 1 to 4",
                     "profiles/x.yml: mailbox.quota: '2 GB' is not a number and a unit",
                     "profiles/x.yml: forwarding.external: 'sometimes' is not allowed or forbidden",
                     "profiles/x.yml: mailbox.attachement_mb: not a rule of a profile",
                     "profiles/x.yml: art12.periods:",
                     "profiles/x.yml: id: 'quangbinh-2015' differs from the file's name 'x'"):
        assert expected in text, expected
    assert len(caught.value.problems) == 7


def test_a_boolean_is_not_a_number_and_a_number_is_not_a_boolean():
    bad = copy.deepcopy(load("quangbinh-2015"))
    bad["lockout"]["max_failures"] = True
    bad["addresses"]["sub_units"] = 1
    with pytest.raises(profile.ProfileInvalid) as caught:
        profile.check(bad, "p.yml")
    assert len(caught.value.problems) == 2


def test_switching_from_quang_binh_to_ninh_binh_lists_each_rule_and_when_it_applies():
    qb = profile.check(load("quangbinh-2015"), "qb")
    nb = profile.check(load("ninhbinh-2025"), "nb")
    found = {c.key: c for c in profile.changes(qb, nb)}
    # both forbid automatic forwarding outside (Art. 13.8 for Quảng Bình): not a change
    assert set(found) == {"passwords.user.min_length", "passwords.user.max_age_days", "lockout.max_failures",
                          "mailbox.attachment_mb", "addresses.sub_units"}
    assert found["passwords.user.min_length"].when == "next_change" and found["passwords.user.min_length"].stricter
    assert found["passwords.user.max_age_days"].when == "clock_restarts"
    assert found["passwords.user.max_age_days"].stricter
    assert not found["lockout.max_failures"].stricter  # 12 failures are more lenient than 5
    assert not found["mailbox.attachment_mb"].stricter
    allowing = copy.deepcopy(qb)
    allowing["forwarding"]["external"] = "allowed"
    assert [(c.key, c.stricter) for c in profile.changes(allowing, qb)] == [("forwarding.external", True)]
    assert profile.changes(qb, qb) == []
    back = {c.key: c for c in profile.changes(nb, qb)}
    assert not back["passwords.user.min_length"].stricter and back["lockout.max_failures"].stricter


def test_the_plan_names_the_regulation_in_force(write_roster):
    import datetime as dt

    from congvu.plan import render_markdown
    from congvu.settings import Settings
    from congvu.state import State
    from congvu_planner_files import plan_roster_path

    folder = write_roster({"stttt": """\
        agency: {code: stttt, name: Sở Thông tin và Truyền thông, kind: department, head: TT0001}
        staff:
          - {id: TT0001, name: Nguyễn Văn An, leader: true}
        """})
    name = load("ninhbinh-2025")["name"]
    plan = plan_roster_path(folder, State(), Settings.from_vars({"profile": name}), dt.date(2026, 11, 28))
    assert plan.as_dict()["profile"] == name
    assert f"Quy định áp dụng: {name}" in render_markdown(plan)
    assert f"Regulation in force: {name}" in render_markdown(plan, language="en")


def test_the_switch_plan_says_when_each_change_applies_in_both_languages():
    from congvu.messages import tr

    for when, text in profile.WHEN_TEXT.items():
        assert tr(text, "en", notice=30) != tr(text, "vi", notice=30), when
    assert tr(profile.WHEN_TEXT["clock_restarts"], "vi", notice=30).startswith("mật khẩu cũ hơn thời hạn mới "
                                                                               "được thêm 30 ngày")
