"""The mail pair as the inventory declares it (Art. 16.2, docs/cluster.md): plugins/module_utils/congvu/mail_pair.py,
the one definition roles imap, mta, webmail, monitoring and hardening read through the filter
congvu.mail.congvu_mail_pair."""

import importlib.util
import os

from congvu.mail_pair import mail_pair

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_art16_two_mail_hosts_make_a_replicated_pair_with_its_address():
    pair = mail_pair(["mail1", "mail2"], "10.20.0.100", "mail2")
    assert pair == {"nodes": ["mail1", "mail2"], "replicated": True, "virtual_ipv4": "10.20.0.100", "member": True,
                    "node_virtual_ipv4": "10.20.0.100"}


def test_art16_a_host_outside_the_pair_delivers_to_the_address_but_may_not_hold_it():
    pair = mail_pair(["mail1", "mail2"], "10.20.0.100", "mx3")
    assert pair["virtual_ipv4"] == "10.20.0.100" and not pair["member"] and pair["node_virtual_ipv4"] == ""


def test_art16_a_pair_without_an_address_replicates_and_has_no_address():
    pair = mail_pair(["mail1", "mail2"], "", "mail1")
    assert pair["replicated"] and pair["member"] and pair["virtual_ipv4"] == pair["node_virtual_ipv4"] == ""


def test_art16_one_or_three_mail_hosts_are_no_pair_even_with_an_address():
    for hosts in ([], ["mail1"], ["mail1", "mail2", "mail3"]):
        pair = mail_pair(hosts, "10.20.0.100", "mail1")
        assert pair == {"nodes": [], "replicated": False, "virtual_ipv4": "", "member": False, "node_virtual_ipv4": ""}


def test_the_filter_reads_group_imap_of_the_inventory():
    path = os.path.join(ROOT, "plugins", "filter", "congvu_mail_pair.py")
    spec = importlib.util.spec_from_file_location("congvu_mail_pair_filter", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pair = module.FilterModule().filters()["congvu_mail_pair"]
    groups = {"imap": ["mail1", "mail2"], "mx": ["mail1", "mail2", "mx3"]}
    assert pair(groups, "10.20.0.100", host="mail1")["node_virtual_ipv4"] == "10.20.0.100"
    assert pair(groups)["replicated"] and not pair({"mx": ["mail1"]})["replicated"]
