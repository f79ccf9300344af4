"""congvu.firewall: the ports a host of the province opens to the other hosts only (Art. 16.3, docs/hardening.md
"Between the province's hosts"), and the filter congvu.mail.congvu_peer_rules that hands it the inventory."""

import importlib.util
import os

import pytest
from congvu.firewall import host_addresses, peer_rules

GROUPS = {"all": ["ldap1", "ldap2", "mx1", "mx2", "imap1"], "directory": ["ldap1", "ldap2"], "mx": ["mx2", "mx1"],
          "imap": ["imap1"]}
HOSTS = {"ldap1": ({"default_ipv4": {"address": "10.0.0.1"}}, ""),
         "ldap2": ({}, "10.0.0.2"),
         "mx1": ({"default_ipv4": {"address": "10.0.0.11"}, "default_ipv6": {"address": "2001:db8::11"}}, "mx1"),
         "mx2": ({}, "2001:db8::12"),
         "imap1": ({"default_ipv4": {"address": "10.0.0.21"}}, "")}


def rule(name, ports, *groups, **more):
    return {"name": name, "ports": ports, "from": list(groups), **more}


def test_art16_addresses_from_the_facts_first_then_an_ansible_host_that_is_an_address():
    assert host_addresses({"default_ipv4": {"address": "10.0.0.1"}}, "10.9.9.9") == ("10.0.0.1", None)
    assert host_addresses({}, "10.0.0.2") == ("10.0.0.2", None)
    assert host_addresses({}, "2001:db8::2") == (None, "2001:db8::2")
    assert host_addresses({"default_ipv6": {"address": "2001:db8::1"}}, "10.0.0.3") == ("10.0.0.3", "2001:db8::1")
    # a name is never resolved: not the hosts' network
    assert host_addresses({}, "ldap2.example") == (None, None)
    assert host_addresses(None, None) == (None, None)
    assert host_addresses({"default_ipv4": {}}, "") == (None, None)


def test_art16_a_rule_opens_its_ports_to_the_other_hosts_of_its_groups_by_name():
    got = peer_rules([rule("LDAPS", [636, "636"], "mx", "imap")], GROUPS, HOSTS, "ldap1")
    assert got == [{"name": "LDAPS", "proto": "tcp", "ports": [636],
                    "v4": ["10.0.0.21", "10.0.0.11"], "v6": ["2001:db8::11", "2001:db8::12"]}]


def test_art16_a_machine_under_two_inventory_names_is_listed_once():
    hosts = {**HOSTS, "mx1-alias": HOSTS["mx1"]}
    got = peer_rules([rule("x", [24], "mx")], {"mx": ["mx1", "mx1-alias"]}, hosts, "imap1")
    assert got[0]["v4"] == ["10.0.0.11"] and got[0]["v6"] == ["2001:db8::11"]


def test_art16_ipv4_from_ansible_host_when_the_facts_are_missing():
    assert peer_rules([rule("LDAP", [389], "directory")], GROUPS, HOSTS, "ldap1")[0]["v4"] == ["10.0.0.2"]


def test_art16_ipv6_only_host():
    got = peer_rules([rule("x", [25], "mx")], {"mx": ["mx2"]}, HOSTS, "imap1")
    assert got[0]["v4"] == [] and got[0]["v6"] == ["2001:db8::12"]


def test_art16_this_host_is_left_out_and_a_host_alone_renders_nothing():
    assert peer_rules([rule("LDAP", [389], "directory")], GROUPS, HOSTS, "ldap2")[0]["v4"] == ["10.0.0.1"]
    alone = {g: ["mail1"] for g in ("directory", "mx", "imap", "monitoring")}
    hosts = {"mail1": ({"default_ipv4": {"address": "10.0.0.9"}}, "")}
    assert peer_rules([rule("LDAP", [389], "directory"), rule("VRRP", [], "imap", proto="vrrp")], alone, hosts,
                      "mail1") == []


def test_art16_an_unknown_group_names_nobody():
    assert peer_rules([rule("metrics", [9100], "monitoring")], GROUPS, HOSTS, "ldap1") == []
    got = peer_rules([rule("metrics", [9100], "monitoring", "imap")], GROUPS, HOSTS, "ldap1")
    assert got[0]["v4"] == ["10.0.0.21"]


def test_art16_a_rule_without_a_source_address_or_a_port_is_dropped():
    assert peer_rules([rule("x", [], "mx")], GROUPS, HOSTS, "ldap1") == []
    assert peer_rules([rule("x", None, "mx")], GROUPS, HOSTS, "ldap1") == []
    assert peer_rules([rule("x", [25])], GROUPS, HOSTS, "ldap1") == []
    # hosts whose addresses are unknown in this run (down, no ansible_host): left out, not guessed
    assert peer_rules([rule("x", [25], "mx")], GROUPS, {}, "ldap1") == []


def test_art16_public_ports_are_not_opened_twice():
    got = peer_rules([rule("x", [587, 24, 25], "mx")], GROUPS, HOSTS, "imap1", public_ports=["25", 587])
    assert got[0]["ports"] == [24]
    assert peer_rules([rule("x", [25], "mx")], GROUPS, HOSTS, "imap1", public_ports=[25]) == []


def test_art16_vrrp_has_no_port_and_needs_a_source():
    pair = {"imap": ["mail1", "mail2"]}
    hosts = {"mail1": ({"default_ipv4": {"address": "10.20.0.11"}}, ""),
             "mail2": ({"default_ipv4": {"address": "10.20.0.12"}}, "")}
    got = peer_rules([rule("VRRP", [], "imap", proto="vrrp")], pair, hosts, "mail1", public_ports=[25])
    assert got == [{"name": "VRRP", "proto": "vrrp", "ports": [], "v4": ["10.20.0.12"], "v6": []}]
    assert peer_rules([{"name": "VRRP", "from": ["imap"], "proto": "vrrp"}], pair, {}, "mail1") == []
    with pytest.raises(ValueError, match="has no ports"):
        peer_rules([rule("VRRP", [112], "imap", proto="vrrp")], pair, hosts, "mail1")
    with pytest.raises(ValueError, match="'sctp' is not one of tcp, vrrp"):
        peer_rules([rule("x", [1], "imap", proto="sctp")], pair, hosts, "mail1")


def test_art16_the_filter_reads_facts_and_ansible_host_of_the_rules_hosts_only():
    spec = importlib.util.spec_from_file_location(
        "congvu_firewall", os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "filter",
                                        "congvu_firewall.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    peer = module.FilterModule().filters()["congvu_peer_rules"]

    class Strict(dict):
        """hostvars that fail on a host no rule names."""

        def __getitem__(self, name):
            assert name in ("ldap1", "ldap2"), name
            return dict.__getitem__(self, name)

    hostvars = Strict({"ldap1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.1"}}},
                       "ldap2": {"ansible_host": "10.0.0.2"}, "web1": {}})
    got = peer([rule("LDAP", [389], "directory")], {"directory": ["ldap1", "ldap2"], "webmail": ["web1"]},
               hostvars, "ldap1", [80, 443])
    assert got == [{"name": "LDAP", "proto": "tcp", "ports": [389], "v4": ["10.0.0.2"], "v6": []}]
