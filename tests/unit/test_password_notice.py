"""The mail to a person whose password clock a switch of profile restarted (docs/profiles.md; Art. 8 as
the new regulation writes it): who it goes to, what it says, in Vietnamese by default and in English."""

import datetime as dt
import email
import email.policy

from congvu.password_notice import switch_notice

SWITCHED = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
RULES = {"min_length": 9, "classes": 3, "max_age_days": 180}


def notice(language="vi"):
    message = switch_notice("annv.stttt@quangbinh.gov.vn", "Nguyễn Văn An", dt.date(2027, 1, 4), SWITCHED,
                            "QĐ 162/2025/QĐ-UBND (Ninh Bình)", RULES, "quangbinh.gov.vn",
                            "postmaster@quangbinh.gov.vn", language)
    # as the mailbox receives it: the bytes parsed back
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_the_notice_says_the_new_rules_and_the_last_day_in_vietnamese():
    msg = notice()
    assert msg["To"].addresses[0].addr_spec == "annv.stttt@quangbinh.gov.vn"
    assert msg["To"].addresses[0].display_name == "Nguyễn Văn An"
    assert msg["From"].addresses[0].display_name == "Hệ thống thư điện tử công vụ quangbinh.gov.vn"
    assert msg["Subject"] == "Mật khẩu của hộp thư annv.stttt@quangbinh.gov.vn phải được đổi chậm nhất ngày 04/01/2027"
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Date"].datetime == SWITCHED
    body = msg.get_content()
    assert body.startswith("Kính gửi Nguyễn Văn An,")
    assert "Từ ngày 06/12/2026, hệ thống thư điện tử công vụ quangbinh.gov.vn áp dụng QĐ 162/2025/QĐ-UBND" in body
    assert "ít nhất 180 ngày một lần và có ít nhất 9 ký tự, gồm ít nhất 3 trong bốn loại ký tự" in body
    assert "dùng được đến hết ngày 04/01/2027" in body and "(Điều 6)" in body


def test_the_notice_in_english_on_request():
    msg = notice("en")
    assert msg["Subject"] == "The password of annv.stttt@quangbinh.gov.vn must be changed by 2027-01-04"
    body = msg.get_content()
    assert "changed at least every 180 days and has at least 9 characters, of at least 3 of the four" in body
    assert "works until the end of 2027-01-04" in body
