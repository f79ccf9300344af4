"""Jinja filter of congvu-mail: the firewall rules between the province's hosts (role hardening, Art. 16.3).

    "{{ hardening__firewall_peer_rules | congvu.mail.congvu_peer_rules(groups, hostvars, inventory_hostname,
        hardening__public_ports) }}"

The rule is plain Python in the policy core (plugins/module_utils/congvu/firewall.py, docs/hardening.md
"Between the province's hosts"); this filter only reads the inventory for it. Runs on the controller.
"""

from ansible_collections.congvu.mail.plugins.module_utils.congvu import firewall


def congvu_peer_rules(rules, groups, hostvars, here, public_ports=()):
    """[{name, ports, from, proto}] -> [{name, proto, ports, v4, v6}] for host `here` (firewall.peer_rules). Reads
    the facts and ansible_host of the hosts of the rules' groups only, from `hostvars`."""
    rules = list(rules or [])
    groups = dict(groups or {})
    names = {name for rule in rules for group in rule.get("from") or [] for name in groups.get(group) or []}
    hosts = {}
    for name in names:
        if name in hostvars:
            variables = hostvars[name]
            hosts[name] = (variables.get("ansible_facts") or {}, variables.get("ansible_host", ""))
    return firewall.peer_rules(rules, groups, hosts, here, public_ports)


class FilterModule:
    def filters(self):
        return {"congvu_peer_rules": congvu_peer_rules}
