"""Art. 16.3 on several hosts: the firewall of each directory provider (role hardening,
`hardening__firewall_peer_rules`, docs/hardening.md "Between the province's hosts") opens LDAP on 389,
which replication uses, to the other provider only. The replication tests of test_cluster.py run
through it; here, what a host that is not a provider sees: the controller, in the admin network, gets
LDAPS on 636 and nothing on 389.
"""

import os
import sys

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from reach import controller_reaches, reaches  # noqa: E402

# the scenario's providers, in the inventory's order (the pair scenario links this file too)
NAMES = tuple(sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("directory")))
L1, L2 = (testinfra.get_host(f"docker://{name}") for name in NAMES)


def address(host):
    return host.run("hostname -I").stdout.split()[0]


@pytest.mark.parametrize("here,there", [(L1, L2), (L2, L1)], ids=["ldap1-to-ldap2", "ldap2-to-ldap1"])
def test_art16_ldap_replication_port_is_open_to_the_other_provider(here, there):
    assert reaches(here, address(there), 389)


@pytest.mark.parametrize("provider", [L1, L2], ids=list(NAMES))
def test_art16_ldap_replication_port_is_closed_to_a_host_that_is_not_a_provider(provider):
    ip = address(provider)
    # the same address answers LDAPS to the admin network: what is refused is the port, not the host
    assert controller_reaches(ip, 636)
    assert not controller_reaches(ip, 389)
    # and the drop is the firewall's: slapd listens on 389 for every address
    assert "0.0.0.0:389" in provider.run("ss -Hltn 'sport = :389'").stdout
