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
