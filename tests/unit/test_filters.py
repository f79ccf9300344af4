"""plugins/filter: the Jinja helpers agree with the policy core."""

import importlib.util
import os

from congvu.directory import base_dn

spec = importlib.util.spec_from_file_location(
    "congvu_filters", os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "filter", "congvu.py"))
filters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(filters)


def test_base_dn_filter_is_the_directory_rule():
    for domain in ("quangbinh.gov.vn", "example.org", "a.b.c.d"):
        assert filters.congvu_base_dn(domain) == base_dn(domain)
    assert filters.FilterModule().filters()["congvu_base_dn"]("quangbinh.gov.vn") == "dc=quangbinh,dc=gov,dc=vn"


def test_base_domain_is_the_domain_the_base_was_made_from_and_stays_when_the_domain_changes():
    for domain in ("quangbinh.gov.vn", "example.quangbinh.gov.vn"):
        assert filters.congvu_base_domain(filters.congvu_base_dn(domain)) == domain
    assert filters.congvu_base_domain("DC=quangbinh, dc=gov,dc=vn") == "quangbinh.gov.vn"
    assert filters.congvu_base_domain("o=congvu", "quangtri.gov.vn") == "quangtri.gov.vn"


def test_art16_ldap_uris_one_provider_is_the_single_uri_of_before():
    uris = filters.FilterModule().filters()["congvu_ldap_uris"]
    assert uris(["mail1"], "mail1") == "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"
    assert uris(["ldap1.example"], "mx1.example") == "ldaps://ldap1.example:636"


def test_art16_ldap_uris_list_every_provider_own_socket_first():
    uris = filters.congvu_ldap_uris
    assert uris(["ldap1", "ldap2"], "mx1") == "ldaps://ldap1:636 ldaps://ldap2:636"
    assert uris(["ldap1", "ldap2"], "ldap2") == "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi ldaps://ldap1:636"


def test_art16_ldap_uris_on_a_consumer_local_socket_first_for_lookups_last_for_binds():
    uris, ldapi = filters.congvu_ldap_uris, filters.LDAPI
    consumers = ["mail1", "mail2"]
    assert uris(["ldap1", "ldap2"], "mail1", consumers=consumers) == f"{ldapi} ldaps://ldap1:636 ldaps://ldap2:636"
    assert (uris(["ldap1", "ldap2"], "mail1", consumers=consumers, binds=True)
            == f"ldaps://ldap1:636 ldaps://ldap2:636 {ldapi}")
    # a host that is neither: the providers only; a provider: its own socket first, binds or not
    assert uris(["ldap1", "ldap2"], "web1", consumers=consumers, binds=True) == "ldaps://ldap1:636 ldaps://ldap2:636"
    assert uris(["ldap1", "ldap2"], "ldap1", consumers=consumers, binds=True) == f"{ldapi} ldaps://ldap2:636"
