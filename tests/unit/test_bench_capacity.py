"""The capacity model (bench/capacity.py, docs/capacity.md) and the mail benchmark's seeded mix
(bench/mail_child.py): arithmetic and generators that the figures in the docs rest on."""

import email
import email.policy
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import capacity  # noqa: E402
import mail_child  # noqa: E402

LIMIT = 20 * 1048576 - 65536


@pytest.mark.parametrize("mailboxes", [10_000, 50_000, 100_000])
def test_each_option_is_the_fewest_nodes_that_carry_the_peak_with_one_lost(mailboxes):
    r = capacity.model(mailboxes, capacity.INPUTS, capacity.ASSUMPTIONS)
    target = capacity.ASSUMPTIONS["cpu_target"][0]
    ram_target = capacity.ASSUMPTIONS["ram_target"][0]
    base = capacity.ASSUMPTIONS["base_ram_gib"][0]
    for o in r["options"]:
        n = o["nodes"]
        assert n >= 2
        assert r["vcpu_at_peak"] / (n - 1) <= o["vcpu"] * target + 1e-9
        assert base + r["session_ram_gib"] / (n - 1) <= o["ram_gib"] * ram_target + 1e-9
        if n > 2:  # one node fewer would not carry it
            assert (r["vcpu_at_peak"] / (n - 2) > o["vcpu"] * target
                    or base + r["session_ram_gib"] / (n - 2) > o["ram_gib"] * ram_target)


def test_the_load_grows_with_the_province():
    small, large = (capacity.model(m, capacity.INPUTS, capacity.ASSUMPTIONS) for m in (10_000, 100_000))
    assert large["vcpu_at_peak"] == pytest.approx(10 * small["vcpu_at_peak"])
    assert large["recommended"]["total_vcpu"] > small["recommended"]["total_vcpu"]


def test_the_mix_is_the_documented_one_and_within_the_attachment_limit():
    plans = [mail_child.message_plan(1, i, LIMIT) for i in range(20_000)]
    attached = [sum(size for kind, size in p if kind in ("pdf", "docx")) for p in plans]
    text_only = sum(1 for a in attached if a == 0) / len(plans)
    large = sum(1 for a in attached if a >= 2 * 1048576) / len(plans)
    assert 0.28 < text_only < 0.32
    assert 0.009 < large < 0.015  # the 1 % of scans, and the log-normal's own rare tail
    assert max(attached) <= LIMIT
    assert plans == [mail_child.message_plan(1, i, LIMIT) for i in range(20_000)]  # seeded


def test_messages_are_distinct_across_nonces_and_parse_as_mail():
    one = [mail_child.make_message(1, "a", i, "bench@example.net", "x@quangbinh.gov.vn", LIMIT) for i in range(30)]
    two = [mail_child.make_message(1, "b", i, "bench@example.net", "x@quangbinh.gov.vn", LIMIT) for i in range(30)]
    assert len(set(one) | set(two)) == 60
    for raw in one:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["To"] == "x@quangbinh.gov.vn"
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parts = [p for raw in one for p in email.message_from_bytes(raw, policy=email.policy.default).iter_attachments()]
    payloads = [p.get_content() for p in parts]
    assert len(payloads) == len({bytes(x) for x in payloads}) > 10  # no attachment repeats


def test_cpu_of_a_process_that_exits_counts_only_what_it_used_between_the_snapshots():
    before = {"master [10]": (1.0, 5.0, "systemd [1]"), "smtpd [11]": (0.5, 0.0, "master [10]"),
              "smtpd [12]": (0.2, 0.0, "master [10]")}
    # smtpd 11 used 0.5 s before and 0.25 s after the first snapshot, then exited and was reaped;
    # smtpd 12 was born and reaped in between (0.3 s); smtpd 13 is new and alive (0.1 s)
    after = {"master [10]": (1.1, 5.0 + 0.75 + 0.2 + 0.3, "systemd [1]"), "smtpd [13]": (0.1, 0.0, "master [10]")}
    used = mail_child.cpu_split(before, after)
    assert used == {"master": pytest.approx(0.1), "master (exited children)": pytest.approx(0.25 + 0.3),
                    "smtpd": pytest.approx(0.1)}
