"""plugins/module_utils/congvu_ldap: a server_uri naming several providers (Art. 16.2, docs/cluster.md)."""

import importlib.util
import os

spec = importlib.util.spec_from_file_location(
    "congvu_ldap", os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils", "congvu_ldap.py"))
congvu_ldap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(congvu_ldap)

LDAPI = "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"


def test_art16_one_uri_keeps_its_rules():
    assert congvu_ldap.uri_list(LDAPI) == [LDAPI]
    assert not congvu_ldap.needs_tls([LDAPI]) and not congvu_ldap.needs_starttls([LDAPI])
    assert congvu_ldap.needs_tls(["ldap://ldap1:389"]) and congvu_ldap.needs_starttls(["ldap://ldap1:389"])
    assert congvu_ldap.needs_tls(["ldaps://ldap1:636"]) and not congvu_ldap.needs_starttls(["ldaps://ldap1:636"])


def test_art16_a_provider_list_verifies_tls_and_never_starttls_on_a_mix():
    uris = congvu_ldap.uri_list(f"{LDAPI} ldaps://ldap1:636  ldaps://ldap2:636")
    assert uris == [LDAPI, "ldaps://ldap1:636", "ldaps://ldap2:636"]
    assert congvu_ldap.needs_tls(uris) and not congvu_ldap.needs_starttls(uris)
    assert congvu_ldap.needs_starttls(["ldap://ldap1:389", "ldap://ldap2:389"])
